"""The read model of plans: a plan's document, graph and lint findings built once per revision.

Each revision is built once and then shared (the same object, no queries); every kind of write
(an edit, an import, each workflow step, a copy holder's acknowledgement, a change to the
organisation another plan's import makes) gives the plan a new revision, so nothing derived is
ever stale; and the dashboard costs the same handful of queries for many plans as for two.
"""

from __future__ import annotations

import copy
import zoneinfo
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection

from contingency.core.models import Organisation, Role
from contingency.core.organisations import update_settings
from contingency.plans import readmodel, workflow
from contingency.plans.derived import Derived, derived, graph_of
from contingency.plans.editing import plan_data, save_document, save_part
from contingency.plans.models import Plan
from contingency.plans.spec import directory
from contingency.plans.store import import_plan
from contingency.plans.validate import validate_data

from .web import HOME_ORG, PACS, MemberFactory, make_user

pytestmark = pytest.mark.django_db

NOON = "2026-11-20 12:00:00+00:00"
DASHBOARD = f"/o/{HOME_ORG}/"
NOW_PAGE = f"/o/{HOME_ORG}/plans/{PACS}/functions/image-reporting/now/"


@pytest.fixture(autouse=True)
def cold() -> None:
    """Each test starts with nothing cached: the demo plans' revisions outlive each test's rollback."""
    readmodel.forget()


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


@pytest.fixture
def editor(demo_plans: list[object]) -> User:
    return make_user("ed", HOME_ORG, Role.EDITOR)


@pytest.fixture
def approver(demo_plans: list[object]) -> User:
    return make_user("ap", HOME_ORG, Role.APPROVER)


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The plans rebuilt from their tables during the test, by key."""
    from contingency.plans import store

    built: list[str] = []
    real = store.export_plan

    def counting(plan: Plan) -> Any:
        built.append(plan.key)
        return real(plan)

    monkeypatch.setattr(readmodel, "export_plan", counting)
    yield built


def fresh(plan: Plan) -> Plan:
    return Plan.objects.select_related("organisation").get(pk=plan.pk)


def describe(plan: Plan, actor: User, text: str) -> Plan:
    data = plan_data(plan)
    function = next(item for item in data["functions"] if item["id"] == "image-reporting")
    return save_part(
        plan, section="functions", key="image-reporting", data={**function, "description": text}, actor=actor
    )


def reporting(plan: Plan) -> str | None:
    view = readmodel.view(fresh(plan))
    return next(f.description for f in view.document.functions if f.id == "image-reporting")


# ---------------------------------------------------------------- reuse


def test_one_revision_is_built_once_and_shared(pacs: Plan, exports: list[str]) -> None:
    first = readmodel.view(fresh(pacs))
    row = fresh(pacs)
    found: list[Derived] = []
    assert queries_of(lambda: found.append(readmodel.view(row))) == 0
    again = found[0]
    assert again is first and exports == [PACS]
    assert first.graph is again.graph and graph_of(first.document) is first.graph
    assert first.findings(date(2026, 11, 20)) is again.findings(date(2026, 11, 20))


def test_pages_reuse_the_view_across_requests(member: MemberFactory, pacs: Plan, exports: list[str]) -> None:
    viewer = member("viewer")
    for _ in range(3):
        assert viewer.get(DASHBOARD).status_code == 200
        assert viewer.get(NOW_PAGE).status_code == 200
    assert sorted(exports) == sorted(p.key for p in Plan.objects.filter(organisation__slug=HOME_ORG))


def test_the_plan_file_is_written_once_per_revision_and_follows_an_edit(
    member: MemberFactory, pacs: Plan, editor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contingency.plans import derived as derived_module
    from contingency.plans.yamlform import to_yaml

    written: list[str] = []

    def counting(document: Any) -> str:
        written.append(document.title)
        return to_yaml(document)

    monkeypatch.setattr(derived_module, "to_yaml", counting)
    viewer = member("viewer")
    download = f"/o/{HOME_ORG}/plans/{PACS}/download/"
    texts = [viewer.get(download).content.decode() for _ in range(3)]
    assert texts[0] == texts[2] == to_yaml(readmodel.view(fresh(pacs)).document) and len(written) == 1
    describe(pacs, editor, "Changed in the file too.")
    assert "Changed in the file too." in viewer.get(download).content.decode() and len(written) == 2


def test_a_derived_view_belongs_to_one_document_object(pacs: Plan) -> None:
    document = readmodel.view(fresh(pacs)).document
    twin = document.model_copy(deep=True)
    assert derived(document) is derived(document)
    assert derived(twin) is not derived(document) and derived(twin).document is twin


def test_a_start_builds_every_plans_view_before_anyone_asks(pacs: Plan, exports: list[str]) -> None:
    readmodel.forget()
    plans = list(Plan.objects.select_related("organisation"))
    assert not any(readmodel.cached(plan) for plan in plans)
    assert readmodel.warm(close=False) == len(plans)
    assert all(readmodel.cached(plan) for plan in plans) and len(exports) == len(plans)


# ---------------------------------------------------------------- every write gives a new revision


def test_an_edit_is_seen_at_once(pacs: Plan, editor: User, exports: list[str]) -> None:
    before = fresh(pacs).revision
    assert reporting(pacs) != "Changed."
    describe(pacs, editor, "Changed.")
    assert fresh(pacs).revision != before
    assert reporting(pacs) == "Changed."


def test_an_import_is_seen_at_once(pacs: Plan) -> None:
    data = plan_data(pacs)
    data["title"] = "PACS plan, imported again"
    before = fresh(pacs).revision
    import_plan(validate_data(data))
    assert fresh(pacs).revision != before
    assert readmodel.view(fresh(pacs)).document.title == "PACS plan, imported again"


@time_machine.travel(NOON, tick=False)
def test_each_workflow_step_gives_a_new_revision(pacs: Plan, editor: User, approver: User) -> None:
    steps: list[tuple[str, Callable[[], object]]] = [
        ("edit", lambda: describe(pacs, editor, "Reissued.")),
        ("submit", lambda: workflow.submit(pacs, actor=editor, summary="Reporting described")),
        ("approve", lambda: workflow.approve(pacs, actor=approver, reason="Known findings accepted")),
        ("issue", lambda: workflow.issue(pacs, actor=approver, reason="Known findings accepted")),
        ("review", lambda: workflow.record_review(pacs, actor=approver)),
    ]
    seen = {fresh(pacs).revision}
    for name, step in steps:
        readmodel.view(fresh(pacs))
        step()
        revision = fresh(pacs).revision
        assert revision not in seen, name
        seen.add(revision)
    control = readmodel.view(fresh(pacs)).document.document
    assert control.issue == 4 and control.review_date == date(2027, 11, 20)


@time_machine.travel(NOON, tick=False)
def test_an_acknowledgement_is_seen_at_once(pacs: Plan) -> None:
    def acknowledged() -> int | None:
        holders = readmodel.view(fresh(pacs)).document.document.holders
        return next(h.acknowledged_issue for h in holders if h.copy_number == 5)

    assert acknowledged() == 2
    found = workflow.holder_copy(organisation=pacs.organisation, plan_id=pacs.pk, issue=3, copy_number=5)
    assert found is not None
    workflow.acknowledge(found)
    assert acknowledged() == 3


def test_an_organisation_changed_in_its_settings_is_seen_in_every_plan(pacs: Plan) -> None:
    assert readmodel.view(fresh(pacs)).document.organisation.name == "Northwick General Hospital NHS Foundation Trust"
    # Another plan's file naming the organisation differently changes nothing (decision 0027).
    other = copy.deepcopy(plan_data(pacs))
    other["id"] = "another-plan"
    other["organisation"]["name"] = "Northwick and District Hospitals"
    organisation = Organisation.objects.get(slug=HOME_ORG)
    save_document(validate_data(other), organisation=organisation, actor=None, via="test")
    assert readmodel.view(fresh(pacs)).document.organisation.name == "Northwick General Hospital NHS Foundation Trust"
    # The settings page does.
    update_settings(
        organisation=organisation,
        name="Northwick and District Hospitals",
        timezone=organisation.timezone,
        nation=organisation.nation,
        working_days=organisation.working_days,
        working_start=organisation.working_start,
        working_end=organisation.working_end,
        actor=None,
        via="test",
    )
    assert readmodel.view(fresh(pacs)).document.organisation.name == "Northwick and District Hospitals"


def test_an_unchanged_organisation_leaves_other_plans_alone(pacs: Plan) -> None:
    before = fresh(pacs).revision
    other = copy.deepcopy(plan_data(pacs))
    other["id"] = "another-plan"
    save_document(validate_data(other), organisation=Organisation.objects.get(slug=HOME_ORG), actor=None, via="test")
    assert fresh(pacs).revision == before


def test_a_view_read_while_the_plan_changed_is_not_kept(
    pacs: Plan, editor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An export that overlaps a write may mix the two: it is used once and never cached."""
    from contingency.plans import store

    real = store.export_plan
    row = fresh(pacs)

    def racing(plan: Plan) -> Any:
        document = real(plan)
        describe(pacs, editor, "Written during the read.")
        return document

    monkeypatch.setattr(readmodel, "export_plan", racing)
    readmodel.view(row)
    monkeypatch.setattr(readmodel, "export_plan", real)
    assert not readmodel.cached(row)
    assert reporting(pacs) == "Written during the read."


# ---------------------------------------------------------------- pages


def test_the_pages_show_an_edit_at_once(member: MemberFactory, pacs: Plan, editor: User) -> None:
    viewer = member("viewer")
    assert "Newly described" not in viewer.get(NOW_PAGE).content.decode()
    assert viewer.get(DASHBOARD).status_code == 200
    data = plan_data(pacs)
    function = next(item for item in data["functions"] if item["id"] == "image-reporting")
    save_part(
        pacs, section="functions", key="image-reporting", data={**function, "name": "Newly described"}, actor=editor
    )
    assert "Newly described" in viewer.get(NOW_PAGE).content.decode()
    assert "Newly described" in viewer.get(DASHBOARD).content.decode()


def test_the_what_to_do_page_follows_the_clock(member: MemberFactory, pacs: Plan) -> None:
    with time_machine.travel("2027-10-29 16:59:30+01:00", tick=False):
        viewer = member("viewer")
        assert "It is now <strong>in hours</strong>" in viewer.get(NOW_PAGE).content.decode()
    with time_machine.travel("2027-10-29 17:00:01+01:00", tick=False):
        assert "It is now <strong>out of hours</strong>" in viewer.get(NOW_PAGE).content.decode()


def test_the_report_button_is_shown_only_to_those_who_may_report(member: MemberFactory, pacs: Plan) -> None:
    assert "Report this failure" not in member("viewer").get(NOW_PAGE).content.decode()
    assert "Report this failure" in member("responder").get(NOW_PAGE).content.decode()
    assert "Report this failure" not in member("viewer").get(NOW_PAGE).content.decode()


def queries_of(call: Callable[[], object]) -> int:
    count = 0

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        call()
    return count


def many_plans(count: int) -> None:
    """`count` more plans in Northwick, copies of the PACS plan under new ids."""
    data = plan_data(Plan.objects.get(organisation__slug=HOME_ORG, key=PACS))
    for n in range(count):
        data = {**data, "id": f"pacs-copy-{n}", "title": f"PACS copy {n}"}
        import_plan(validate_data(data))


def test_the_dashboard_costs_the_same_queries_for_many_plans(
    member: MemberFactory, django_assert_max_num_queries: Any
) -> None:
    viewer = member("viewer")
    viewer.get(DASHBOARD)
    few = queries_of(lambda: viewer.get(DASHBOARD))
    assert 0 < few <= 10  # 2 of them the exercise programme, 1 the supplier assurance register
    many_plans(12)
    viewer.get(DASHBOARD)  # builds the new plans' views once
    with django_assert_max_num_queries(few):
        response = viewer.get(DASHBOARD)
    assert response.content.decode().count("PACS copy") >= 12


def test_the_dashboard_rebuilds_no_plan_while_none_changes(member: MemberFactory, exports: list[str]) -> None:
    viewer = member("viewer")
    many_plans(3)
    viewer.get(DASHBOARD)
    built = len(exports)
    viewer.get(DASHBOARD)
    assert len(exports) == built


# ---------------------------------------------------------------- the zone database


def test_validation_lists_the_zone_database_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from .builders import minimal_plan

    calls: list[int] = []
    real = zoneinfo.available_timezones

    def counted() -> set[str]:
        calls.append(1)
        return real()

    monkeypatch.setattr(zoneinfo, "available_timezones", counted)
    directory.time_zone_names.cache_clear()
    for _ in range(3):
        validate_data(minimal_plan(organisation={"id": "test-org", "name": "Test", "timezone": "Europe/London"}))
    assert len(calls) == 1
