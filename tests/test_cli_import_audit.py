"""`contingency plan import` records every part it changes in the audit log, and `--issued` issues."""

from __future__ import annotations

from pathlib import Path

import pytest

from contingency.core.models import AuditEntry
from contingency.plans import yamlio
from contingency.plans.models import Plan, PlanIssue, PlanStatus
from tests.conftest import DEMO_PLANS
from tests.test_cli_import_export import run

# These tests are about importing into a database that has no plans yet.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_db")]
PACS = DEMO_PLANS / "pacs.yaml"


def test_first_import_audits_every_part_and_issued_records_the_issue() -> None:
    code, _, err = run("plan", "import", "--issued", str(PACS))
    assert code == 0, err
    plan = Plan.objects.get(key="pacs-bcdr")
    assert plan.status == PlanStatus.ISSUED
    assert list(PlanIssue.objects.filter(plan=plan).values_list("issue", flat=True)) == [plan.issue]
    entries = AuditEntry.objects.filter(organisation=plan.organisation, actor_name="command line")
    assert entries.filter(verb="create", object_key="pacs-bcdr/functions/image-reporting").exists()
    assert entries.filter(verb="issue", object_type="plan", object_key="pacs-bcdr").count() == 1


def test_reimport_audits_only_what_changed_and_returns_the_plan_to_draft(tmp_path: Path) -> None:
    assert run("plan", "import", "--issued", str(PACS))[0] == 0
    before = AuditEntry.objects.count()
    data, _ = yamlio.parse(PACS.read_text())
    data["title"] = data["title"] + " (revised)"
    changed = tmp_path / "pacs.yaml"
    changed.write_text(yamlio.dump(data), encoding="utf-8")
    code, _, err = run("plan", "import", str(changed))
    assert code == 0, err
    new = AuditEntry.objects.order_by("id")[before:]
    assert [(e.verb, e.object_type, e.object_key) for e in new] == [
        ("change", "header", "pacs-bcdr/header/plan"),
        ("status", "plan", "pacs-bcdr"),
    ]
    assert new[0].after is not None and new[0].after["title"].endswith("(revised)")
    assert Plan.objects.get(key="pacs-bcdr").status == PlanStatus.DRAFT


def test_reimport_of_the_same_file_changes_nothing() -> None:
    assert run("plan", "import", "--issued", str(PACS))[0] == 0
    before = AuditEntry.objects.count()
    assert run("plan", "import", str(PACS))[0] == 0
    assert AuditEntry.objects.count() == before
    assert Plan.objects.get(key="pacs-bcdr").status == PlanStatus.ISSUED
