"""plans/editing.py and plans/compare.py: one validation path for every edit, audited part by part."""

from __future__ import annotations

import pytest

from contingency.core.audit import FieldChange, changes
from contingency.core.models import AuditEntry
from contingency.plans.compare import part_changes
from contingency.plans.editing import delete_part, field_errors, part_of, plan_data, save_part
from contingency.plans.models import Plan, PlanStatus
from contingency.plans.problems import PlanInvalid

from .web import PACS


def test_changes_lists_leaf_paths_that_differ() -> None:
    before = {"name": "A", "rto": [{"duration": "4h"}], "gone": 1}
    after = {"name": "A", "rto": [{"duration": "8h"}], "new": [1, 2]}
    assert changes(before, after) == [
        FieldChange("rto[0].duration", "4h", "8h"),
        FieldChange("gone", 1, None),
        FieldChange("new", None, [1, 2]),
    ]
    assert changes({"a": 1}, {"a": 1}) == []


def test_part_changes_finds_items_by_id_level_and_position() -> None:
    old = {"id": "p", "title": "T", "functions": [{"id": "f", "name": "F"}], "escalation": [{"level": 1, "when": "x"}]}
    new = {
        "id": "p",
        "title": "T2",
        "functions": [{"id": "f", "name": "F"}, {"id": "g", "name": "G"}],
        "monitoring": [{"activity": "Test restore"}],
    }
    found = [(c.verb, c.section, c.key) for c in part_changes(old, new)]
    assert found == [
        ("change", "header", "plan"),
        ("create", "functions", "g"),
        ("create", "monitoring", "1"),
        ("delete", "escalation", "1"),
    ]


@pytest.mark.django_db
def test_invalid_part_is_refused_with_messages_beside_its_fields_and_nothing_changes(demo_plans: list[Plan]) -> None:
    plan = Plan.objects.get(key=PACS)
    before = plan_data(plan)
    function = dict(part_of(before, "functions", "image-reporting"))
    # Words are kept as written ("banana" is a vague RPO, linted); the wrong type, or an id that
    # names nobody, is refused.
    for name, value, said in (("rpo", ["4h"], "4h"), ("owner", "nobody-at-all", "nobody-at-all")):
        with pytest.raises(PlanInvalid) as raised:
            save_part(plan, section="functions", key="image-reporting", data={**function, name: value}, actor=None)
        grouped = field_errors(raised.value.problems)
        assert list(grouped.fields) == [name]
        assert said in grouped.fields[name][0]
    assert plan_data(Plan.objects.get(key=PACS)) == before
    assert not AuditEntry.objects.filter(object_type="functions").exists()


@pytest.mark.django_db
def test_valid_edit_is_saved_audited_and_reopens_an_issued_plan_as_draft(demo_plans: list[Plan]) -> None:
    plan = Plan.objects.get(key=PACS)
    assert plan.status == PlanStatus.ISSUED
    function = dict(part_of(plan_data(plan), "functions", "image-reporting"))
    function["name"] = "Image viewing and reporting"
    save_part(plan, section="functions", key="image-reporting", data=function, actor=None, via="test")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    entry = AuditEntry.objects.get(object_key=f"{PACS}/functions/image-reporting")
    assert (entry.verb, entry.actor_name) == ("change", "test")
    assert changes(entry.before, entry.after) == [
        FieldChange("name", "Diagnostic image viewing and reporting", "Image viewing and reporting")
    ]


@pytest.mark.django_db
def test_deleting_a_part_still_named_elsewhere_is_refused(demo_plans: list[Plan]) -> None:
    plan = Plan.objects.get(key=PACS)
    owner = part_of(plan_data(plan), "functions", "image-reporting")["owner"]
    with pytest.raises(PlanInvalid) as raised:
        delete_part(plan, section="people", key=owner, actor=None)
    assert any(owner in problem.message for problem in raised.value.problems)
    assert part_of(plan_data(plan), "people", owner) is not None


@pytest.mark.django_db
def test_header_and_single_section_problems_belong_to_their_own_fields(demo_plans: list[Plan]) -> None:
    plan = Plan.objects.get(key=PACS)
    data = plan_data(plan)
    with pytest.raises(PlanInvalid) as raised:
        save_part(plan, section="header", key=None, data={**part_of(data, "header"), "title": ""}, actor=None)
    assert list(field_errors(raised.value.problems).fields) == ["title"]
    organisation = {**part_of(data, "organisation"), "id": "somewhere-else"}
    with pytest.raises(PlanInvalid) as raised:
        save_part(plan, section="organisation", key=None, data=organisation, actor=None)
    grouped = field_errors(raised.value.problems)
    assert list(grouped.fields) == ["id"] and not grouped.general
