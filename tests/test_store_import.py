"""Importing plans: replace in place, keep organisations apart, and all or nothing on failure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import RestrictedError

from contingency.core.models import Organisation
from contingency.plans.models import PART_MODELS, CriticalFunction, Person, Plan, ProcedureStep, Risk
from contingency.plans.problems import PlanInvalid
from contingency.plans.spec import PlanDocument
from contingency.plans.store import export_plan, import_plan, import_plans, organisation_differences
from contingency.plans.yamlform import to_yaml
from tests.builders import build, minimal_plan

# These tests are about importing into a database that has no plans yet.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_db")]


def snapshot() -> dict[str, Any]:
    """Every row that import writes, as plain values: equal snapshots mean an unchanged database."""
    tables: list[type[models.Model]] = [Organisation, Plan, *PART_MODELS]
    return {
        model.__name__: sorted(map(repr, model._default_manager.values_list()))  # every column of every row
        for model in tables
    }


def empty() -> dict[str, Any]:
    return {name: [] for name in snapshot()}


def with_organisation(slug: str, **fields: Any) -> dict[str, Any]:
    return minimal_plan(organisation={"id": slug, "name": f"Organisation {slug}", **fields})


class Inserts:
    """Counts bulk inserts, and makes the n-th one from now (or one matching `when`) raise."""

    def __init__(self) -> None:
        self.count = 0
        self.fail_at: int | None = None
        self.when: Callable[[list[Any]], bool] = lambda rows: False

    def fail(self, *, at: int | None = None, when: Callable[[list[Any]], bool] | None = None) -> None:
        self.fail_at = None if at is None else self.count + at
        self.when = when or (lambda rows: False)


@pytest.fixture
def inserts(monkeypatch: pytest.MonkeyPatch) -> Inserts:
    """Import writes every table with bulk_create; a failure there is a database error half-way."""
    original = models.QuerySet.bulk_create
    spy = Inserts()

    def bulk_create(self: models.QuerySet[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
        spy.count += 1
        rows = list(objs)
        if spy.count == spy.fail_at or spy.when(rows):
            raise RuntimeError("simulated failure half-way through an import")
        return original(self, rows, *args, **kwargs)

    monkeypatch.setattr(models.QuerySet, "bulk_create", bulk_create)
    return spy


def test_reimport_replaces_the_content_and_keeps_the_plan() -> None:
    first = import_plan(build())
    changed = minimal_plan(title="Renamed plan")
    changed["people"].append({"id": "newcomer", "name": "New Comer"})
    changed["procedures"] = changed["procedures"][:1]
    changed["triggers"] = []
    again = import_plan(build(changed), source="plans/test.yaml")

    assert again.pk == first.pk
    assert Plan.objects.count() == 1
    again.refresh_from_db()
    assert (again.title, again.source) == ("Renamed plan", "plans/test.yaml")
    assert list(again.people.values_list("key", flat=True)) == ["owner", "deputy", "newcomer"]
    assert list(again.procedures.values_list("key", flat=True)) == ["respond"]
    assert not again.triggers.exists()
    assert export_plan(again) == build(changed)


def test_the_same_plan_id_in_two_organisations_is_two_plans() -> None:
    north = import_plan(build(with_organisation("north")))
    south = import_plan(build(with_organisation("south", nation="wales")))
    assert north.pk != south.pk
    assert north.key == south.key == "test-plan"

    import_plan(build({**with_organisation("north"), "title": "North only"}))
    south.refresh_from_db()
    assert south.title == "Test plan"
    assert export_plan(south) == build(with_organisation("south", nation="wales"))
    assert Person.objects.filter(plan=south).count() == 2


def test_a_later_file_does_not_change_the_organisation() -> None:
    import_plan(build(with_organisation("trust")))
    changed = with_organisation("trust", workingHours="24/7", timezone="Europe/Dublin", nation="scotland")
    changed["organisation"]["name"] = "Renamed by an upload"
    changed["id"] = "other-plan"
    assert organisation_differences(build(changed).organisation) == ["name", "timezone", "nation", "working hours"]
    import_plan(build(changed))

    # The organisation is its administrators' (the settings page), not the last file's.
    organisation = Organisation.objects.get(slug="trust")
    assert (organisation.name, organisation.timezone, organisation.nation) == (
        "Organisation trust",
        "Europe/London",
        "england",
    )
    assert (organisation.working_days, organisation.working_start.hour, organisation.working_end.hour) == (
        [0, 1, 2, 3, 4],
        8,
        17,
    )
    # Both plans export the organisation as it is.
    for key in ("test-plan", "other-plan"):
        assert export_plan(Plan.objects.get(key=key)).organisation.name == "Organisation trust"


def test_a_failure_at_any_point_leaves_the_database_unchanged(
    inserts: Inserts, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_plan(build())
    before = snapshot()
    changed = minimal_plan(title="Half-written")
    changed["people"].append({"id": "newcomer", "name": "New Comer"})
    document = build(changed)
    start = inserts.count
    with transaction.atomic():
        import_plan(document)
        transaction.set_rollback(True)
    writes = inserts.count - start
    assert writes >= 8  # people, functions, procedures, checks, steps, triggers, changes, holders

    for n in range(1, writes + 1):
        inserts.fail(at=n)
        with pytest.raises(RuntimeError, match="simulated failure"):
            import_plan(document)
        assert snapshot() == before, f"insert {n} of {writes} failed and left rows behind"
    inserts.fail()

    # The very last write: the plan's own references to its new people.
    def fail_save(self: Plan, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("simulated failure in the last write")

    monkeypatch.setattr(Plan, "save", fail_save)
    with pytest.raises(RuntimeError, match="last write"):
        import_plan(document)
    assert snapshot() == before


def test_a_failed_first_import_leaves_no_organisation_or_plan(inserts: Inserts) -> None:
    inserts.fail(at=3)
    with pytest.raises(RuntimeError):
        import_plan(build())
    assert snapshot() == empty()


def test_import_plans_is_all_or_nothing(inserts: Inserts) -> None:
    # Fail writing the steps of the second plan, after the whole first plan was written.
    inserts.fail(when=lambda rows: isinstance(rows[0], ProcedureStep) and rows[0].plan.organisation.slug == "south")
    with pytest.raises(RuntimeError):
        import_plans([build(with_organisation("north")), build(with_organisation("south"))])
    assert snapshot() == empty()


def test_import_plans_rolls_back_the_first_when_the_second_is_invalid() -> None:
    good = build(with_organisation("north"))
    # Built in code without validation: its owner names nobody.
    broken = build(with_organisation("south"))
    broken = broken.model_copy(update={"document": broken.document.model_copy(update={"owner": "nobody"})})
    with pytest.raises(PlanInvalid) as caught:
        import_plans([good, broken])
    assert [p.code for p in caught.value.problems] == ["ref.dangling"]
    assert not Plan.objects.exists()
    assert not Organisation.objects.exists()


def test_import_plans_imports_each_and_records_sources() -> None:
    stored = import_plans(
        [build(with_organisation("north")), build(with_organisation("south"))], sources=["a.yaml", "b.yaml"]
    )
    assert [(p.organisation.slug, p.source) for p in stored] == [("north", "a.yaml"), ("south", "b.yaml")]
    assert [to_yaml(export_plan(p)) for p in stored] == [
        to_yaml(build(with_organisation(slug))) for slug in ("north", "south")
    ]


def test_import_plans_refuses_a_plan_twice_in_one_batch() -> None:
    with pytest.raises(PlanInvalid) as caught:
        import_plans([build(), build()], sources=["a.yaml", "b.yaml"])
    problem = caught.value.problems[0]
    assert (problem.code, problem.file) == ("import.duplicate-plan", "b.yaml")
    assert "a.yaml" in problem.message
    assert not Plan.objects.exists()


def test_import_plans_refuses_two_descriptions_of_one_organisation() -> None:
    first = build(with_organisation("trust"))
    second_data = with_organisation("trust", workingHours="24/7")
    second_data["id"] = "other-plan"
    with pytest.raises(PlanInvalid) as caught:
        import_plans([first, build(second_data)])
    assert [p.code for p in caught.value.problems] == ["import.organisation-conflict"]
    assert not Organisation.objects.exists()


def test_risk_score_is_computed_not_stored() -> None:
    data = minimal_plan(risks=[{"id": "outage", "title": "Outage", "likelihood": 4, "consequence": 5}])
    import_plan(build(data))
    assert Risk.objects.get(key="outage").score == 20
    assert "score" not in {f.name for f in Risk._meta.get_fields()}


def test_who_references_keep_their_kind() -> None:
    data = minimal_plan(roles=[{"id": "pacs-team", "name": "PACS team"}])
    data["procedures"][0]["steps"].append({"text": "Call the team", "kind": "call", "who": "pacs-team"})
    import_plan(build(data))
    steps = ProcedureStep.objects.filter(procedure__key="respond").order_by("position")
    assert [(s.who_key, s.who_kind) for s in steps] == [("owner", "person"), ("pacs-team", "role")]


def test_deleting_a_plan_removes_its_parts_but_a_named_person_cannot_go_alone() -> None:
    plan = import_plan(build())
    with pytest.raises(RestrictedError):
        Person.objects.filter(key="owner").delete()
    plan.delete()
    assert snapshot() == {**empty(), "Organisation": snapshot()["Organisation"]}


def test_a_part_may_not_point_into_another_plan() -> None:
    import_plan(build(with_organisation("north")))
    south = import_plan(build(with_organisation("south")))
    function = CriticalFunction.objects.get(plan=south)
    function.owner = Person.objects.get(plan__organisation__slug="north", key="owner")
    with pytest.raises(ValidationError, match="same plan"):
        function.full_clean()


def test_a_document_is_its_own_export_type() -> None:
    assert isinstance(export_plan(import_plan(build())), PlanDocument)
