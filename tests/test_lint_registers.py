"""Lint of a stored plan with the exercise programme and the supplier assurance register (issue 16).

The rules read facts the caller passes in (contingency.planlint), read afresh on every call: recording an
exercise or a supplier's assurance changes no plan revision, so neither the plan page nor the dashboard may
serve the old findings. Linting a file has no database and reports none of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from django.test import Client

from contingency import planlint
from contingency.cli import main
from contingency.exercises import services as exercises
from contingency.exercises.models import Exercise
from contingency.plans.lint import ExerciseDue, Options, SupplierAssurance, lint
from contingency.plans.models import Plan
from contingency.suppliers import services as suppliers
from tests.builders import build, minimal_plan

from .web import HOME_ORG, PACS

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=LONDON)
TODAY = NOW.date()
PLAN_PAGE = f"/o/{HOME_ORG}/plans/{PACS}/"
DASHBOARD = f"/o/{HOME_ORG}/"
DEMO_PACS = Path(__file__).resolve().parent.parent / "demo" / "plans" / "pacs.yaml"
MERIDIAN = "Meridian Imaging Systems Ltd"


def found(plan: Plan, *prefixes: str) -> list[tuple[str, str]]:
    return [(f.rule, f.message) for f in planlint.findings(plan, TODAY) if f.rule.startswith(prefixes)]


def meridian(plan: Plan) -> list[tuple[str, str]]:
    """The findings about the PACS vendor (the plan names the trust's IT as a supplier too)."""
    return [(rule, message) for rule, message in found(plan, "SUP") if message.startswith(MERIDIAN)]


def a_table_top_done_on(plan: Plan, day: date) -> None:
    """A finished table-top exercise of `plan` on `day`, as the exercise services leave one."""
    at = datetime.combine(day, datetime.min.time(), tzinfo=LONDON).replace(hour=10)
    Exercise.objects.create(
        organisation=plan.organisation, number=Exercise.objects.count() + 1, plan=plan, plan_key=plan.key,
        plan_title=plan.title, kind="table-top", started_at=at, started_by_name="test",
        finished_at=at + timedelta(hours=2), outcome="Done.",
    )  # fmt: skip


# ---------------------------------------------------------------- the rules, over plain facts


def test_without_the_registers_the_rules_say_nothing() -> None:
    assert [f for f in lint(build(minimal_plan()), Options(today=TODAY)) if f.rule[:3] in ("EXR", "SUP")] == []


def test_the_exercise_rules_word_the_programme() -> None:
    rows = (
        ExerciseDue("communications test", 6, None, None, True),
        ExerciseDue("table-top exercise", 12, date(2025, 5, 1), date(2026, 5, 1), True),
        ExerciseDue("live exercise", 36, date(2026, 1, 1), date(2029, 1, 1), False),
    )
    words = {(f.rule, f.message) for f in lint(build(minimal_plan()), Options(today=TODAY, exercises=rows))}
    assert ("EXR002", "communications test never done (due every 6 months)") in words
    assert (
        "EXR001",
        "table-top exercise overdue since 01 May 2026 (every 12 months; last done 01 May 2025)",
    ) in words
    assert not any("live exercise" in message for _, message in words)


def test_the_supplier_rules_name_the_plans_supplier() -> None:
    data = minimal_plan()
    data["suppliers"] = [{"id": "acme", "name": "Acme Hosting"}, {"id": "bolt", "name": "Bolt Telecoms"}]
    judged = (
        SupplierAssurance("acme", True, ("no assurance on file",)),
        SupplierAssurance("bolt", False, ("review date passed",)),
    )
    result = lint(build(data), Options(today=TODAY, suppliers=judged))
    assert [(f.rule, f.message, f.path) for f in result if f.rule.startswith("SUP")] == [
        ("SUP001", "Acme Hosting: no assurance on file", ("suppliers", 0)),
        ("SUP002", "Bolt Telecoms: review date passed", ("suppliers", 1)),
    ]


# ---------------------------------------------------------------- the demo PACS plan, stored


@pytest.mark.django_db
def test_an_overdue_exercise_is_reported_until_one_is_recorded(demo_plans: list[object]) -> None:
    pacs = Plan.objects.select_related("organisation").get(organisation__slug=HOME_ORG, key=PACS)
    with time_machine.travel(NOW, tick=False):
        exercises.set_cadence(
            organisation=pacs.organisation, actor=None, via="test", plan_key=PACS, kind="table-top", months=6,
            default=False,
        )  # fmt: skip
        a_table_top_done_on(pacs, date(2026, 3, 2))
        assert ("EXR001", "table-top exercise overdue since 02 September 2026 (every 6 months; last done 02 March 2026)") in found(pacs, "EXR")  # fmt: skip
        assert ("EXR002", "communications test never done (due every 6 months)") in found(pacs, "EXR")
        a_table_top_done_on(pacs, date(2026, 10, 20))
        assert not [message for _, message in found(pacs, "EXR") if "table-top" in message]


@pytest.mark.django_db
def test_the_plan_page_and_the_dashboard_follow_an_exercise_finished(
    member: Callable[..., Client], email: None
) -> None:
    client = member("responder")
    never = "communications test never done"
    page = client.get(PLAN_PAGE).content.decode()
    row = page[page.index("<td>EXR002</td>") :].split("</tr>")[0]
    assert never in row and f'href="/o/{HOME_ORG}/exercises/"' in row  # the page that puts it right
    row = page[page.index("<td>SUP001</td>") :].split("</tr>")[0]
    assert f'href="/o/{HOME_ORG}/suppliers/"' in row
    assert f"EXR002: {never}" in client.get(DASHBOARD).content.decode()
    started = client.post(f"/o/{HOME_ORG}/exercises/start/", {"kind": "communications", "part": f"{PACS} system:pacs"})
    assert client.post(f"{started['Location']}finish/", {"outcome": "Everyone answered."}).status_code == 302
    plan_page = client.get(PLAN_PAGE).content.decode()
    assert never not in plan_page and "table-top exercise never done" in plan_page
    # The dashboard's lint column is cached per plan revision: the exercise changed no revision.
    assert f"EXR002: {never}" not in client.get(DASHBOARD).content.decode()


@pytest.mark.django_db
def test_a_supplier_without_assurance_is_a_finding_until_it_is_recorded(demo_plans: list[object]) -> None:
    pacs = Plan.objects.select_related("organisation").get(organisation__slug=HOME_ORG, key=PACS)
    with time_machine.travel(NOW, tick=False):
        assert meridian(pacs) == [("SUP001", f"{MERIDIAN}: no assurance on file")]

        def record(tested: date, review: date, has_plan: str = "yes") -> None:
            suppliers.record_assurance(
                organisation=pacs.organisation, supplier_key="meridian", has_plan=has_plan, last_tested_on=tested,
                response_time="30 minutes", restore_time="8h", contacts=[], review_on=review, actor=None, via="test",
            )  # fmt: skip

        record(date(2025, 6, 1), date(2026, 10, 1), has_plan="no")
        assert meridian(pacs) == [
            ("SUP002", f"{MERIDIAN}: no continuity plan, review date passed, not tested in 12 months")
        ]
        record(date(2026, 7, 1), date(2027, 7, 1))
        assert meridian(pacs) == []
        assert len(found(pacs, "SUP")) == 1  # Northwick Digital Services: still nothing on file


@pytest.mark.django_db
def test_the_api_reports_the_same_findings(api_as: Callable[..., Client]) -> None:
    body = api_as("viewer").get(f"/api/v1/organisations/{HOME_ORG}/plans/{PACS}/lint").json()
    rules = {f["rule"] for f in body}
    assert {"EXR002", "SUP001"} <= rules


@pytest.mark.django_db
def test_a_laptop_copy_says_nothing_of_records_kept_on_the_server(demo_plans: list[object]) -> None:
    pacs = Plan.objects.select_related("organisation").get(organisation__slug=HOME_ORG, key=PACS)
    Plan.objects.filter(pk=pacs.pk).update(mirrored_from="https://bc.example.org")
    pacs.refresh_from_db()
    assert found(pacs, "EXR", "SUP") == []


# ---------------------------------------------------------------- a file, with no database


def test_linting_a_file_needs_no_database_and_reports_none_of_them() -> None:
    result = CliRunner().invoke(main, ["plan", "lint", "--format", "json", "--today", "2026-11-02", str(DEMO_PACS)])
    assert result.exit_code in (0, 1), result.output
    rules = {f["rule"] for f in json.loads(result.stdout)["findings"]}
    assert not {rule for rule in rules if rule[:3] in ("EXR", "SUP", "PRN")}
