"""On the laptop: a copied plan is read everywhere and changed nowhere, the pages say how current the copy
is, and incidents run on it as on any plan (the worker fires trigger points and sends as usual)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.incidents import services
from contingency.incidents.models import DueState
from contingency.incidents.worker import run_until_idle
from contingency.mirror import pull, wire
from contingency.mirror.client import Client as MirrorClient
from contingency.mirror.models import MirrorServer, MirrorSource
from contingency.plans import editing, workflow
from contingency.plans.files import load_file
from contingency.plans.models import Plan
from contingency.plans.problems import PlanInvalid
from contingency.plans.validate import validate_data
from contingency.plans.yamlform import part_to_data, to_yaml

from .conftest import DEMO_PLANS
from .web import HOME_ORG, PACS

SERVER = "https://bc.example.org"
FUNCTION = "image-reporting"


@pytest.fixture
def copied(demo_plans: list[object]) -> Plan:
    """The PACS plan as a laptop holds it: a copy of the server's, with the copy's record."""
    Plan.objects.filter(organisation__slug=HOME_ORG, key=PACS).update(mirrored_from=SERVER)
    server = MirrorServer.objects.create(url=SERVER, public_key="ed25519:" + "A" * 43, pinned_at=timezone.now())
    organisation = Organisation.objects.get(slug=HOME_ORG)
    MirrorSource.objects.create(server=server, slug=HOME_ORG, organisation=organisation, last_success_at=timezone.now())
    return Plan.objects.get(organisation=organisation, key=PACS)


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def test_a_copy_cannot_be_changed_by_any_route(copied: Plan, api_as: Callable[..., Client]) -> None:
    data = editing.plan_data(copied)
    data["aim"] = "Changed on the laptop"
    with pytest.raises(PlanInvalid) as refused:
        editing.save_document(validate_data(data), organisation=copied.organisation, actor=None, plan=copied)
    assert refused.value.problems[0].code == "edit.mirrored"
    assert f"read-only copy of issue {copied.issue} from {SERVER}" in refused.value.problems[0].message
    with pytest.raises(PlanInvalid):
        editing.save_document(validate_data(data), organisation=copied.organisation, actor=None)  # found by its id
    with pytest.raises(workflow.WorkflowError, match="read-only copy"):
        workflow.submit(copied, actor=None, summary="no", via="test")
    with pytest.raises(workflow.WorkflowError, match="read-only copy"):
        workflow.record_review(copied, actor=None, via="test")
    response = api_as("editor").put(
        f"/api/v1/organisations/{HOME_ORG}/plans/{PACS}", data, content_type="application/json"
    )
    assert response.status_code == 422 and "read-only copy" in response.json()["errors"][0]["message"]
    assert Plan.objects.get(pk=copied.pk).aim != "Changed on the laptop"


def test_the_pages_say_it_is_a_read_only_copy(copied: Plan, member: Callable[..., Client]) -> None:
    editor = member("editor")
    base = f"/o/{HOME_ORG}/plans/{PACS}/"
    plan_page = page(editor, base)
    assert "Read-only copy." in plan_page and SERVER in plan_page
    assert f'href="{base}edit/"' not in plan_page
    assert "Read-only copy." in page(editor, f"{base}functions/{FUNCTION}/now/")
    for url in (f"{base}edit/", f"{base}edit/functions/", f"{base}upload/"):
        assert "read-only copy" in page(editor, url, 403)


def test_every_page_says_how_current_the_copy_is(copied: Plan, member: Callable[..., Client]) -> None:
    viewer = member("viewer")
    current = page(viewer, f"/o/{HOME_ORG}/")
    assert f"Copy of {copied.organisation.name} from {SERVER} as of " in current
    assert "last attempt failed" not in current
    MirrorSource.objects.filter(slug=HOME_ORG).update(
        last_attempt_at=timezone.now(), last_error="the server https://bc.example.org could not be reached"
    )
    failing = page(viewer, f"/o/{HOME_ORG}/incidents/")
    assert "copy-banner failing" in failing
    assert ", last attempt failed at " in failing and "could not be reached" in failing
    # An organisation that is not a copy says nothing of the kind.
    assert "copy-banner" not in page(member("viewer", organisation="clearview-eyecare"), "/o/clearview-eyecare/")


def test_incidents_run_on_a_copy(copied: Plan) -> None:
    incident = services.report(plan=copied, subject="system:pacs", actor=None, via="test")
    incident = services.invoke(incident=incident, actor=None, via="test")
    assert incident.plan_issue == copied.issue and incident.tasks.exists()
    pending = incident.due_actions.filter(state=DueState.PENDING).exclude(kind="routing").order_by("due_at")
    first = pending.first()
    assert first is not None
    fired = run_until_idle(now=lambda: first.due_at + timedelta(seconds=1))
    assert fired >= 1
    first.refresh_from_db()
    assert first.state == DueState.FIRED


class _Answers:
    """Stands in for the signed client (tests/test_mirror_pull.py runs the real one): the feed and one plan."""

    def __init__(self, text: str, document: Any) -> None:
        self.digest = wire.sha256_text(text)
        self.entry = {"key": document.id, "issue": document.document.issue, "sha256": self.digest}
        self.organisation = part_to_data(document.organisation)
        self.text = text

    def feed(self, slug: str, since: str) -> dict[str, Any]:
        return {"organisation": self.organisation, "cursor": "0" * 64, "changed": True, "plans": [self.entry]}

    def plan(self, slug: str, key: str, issue: int) -> dict[str, Any]:
        when = {"issueDate": "2026-03-01", "issuedAt": "2026-03-01T09:00:00+00:00", "summary": "Issued"}
        return {**self.entry, **when, "text": self.text}


def test_a_database_that_refuses_keeps_the_copy_and_says_why(empty_db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    document = load_file(DEMO_PLANS / "pacs.yaml").plan
    answers = cast(MirrorClient, _Answers(to_yaml(document), document))
    server = MirrorServer.objects.create(url=SERVER, public_key="ed25519:" + "A" * 43, pinned_at=timezone.now())

    def locked(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("database is locked")

    with monkeypatch.context() as patch:
        patch.setattr(pull, "import_plan", locked)
        failed = pull.pull_organisation(answers, server, document.organisation.id)
    assert failed.error == "this laptop's database refused the change (database is locked); nothing was replaced"
    assert not Plan.objects.exists()
    assert MirrorSource.objects.get().last_error == failed.error
    done = pull.pull_organisation(answers, server, document.organisation.id)
    assert done.error == "" and done.changed == [f"{document.id} issue {document.document.issue}"]
    assert Plan.objects.get().mirrored_from == SERVER
