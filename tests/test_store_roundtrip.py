"""Nothing is lost in the database: import then export gives back the same plan and the same YAML text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings

from contingency.plans import yamlio
from contingency.plans.models import PART_MODELS
from contingency.plans.spec import PlanDocument
from contingency.plans.store import export_plan, import_plan
from contingency.plans.validate import load_text
from contingency.plans.yamlform import document_to_data, to_yaml
from tests.builders import build
from tests.conftest import DEMO_PLANS, budget
from tests.strategies import plan_data, plans

# Each example runs in a savepoint that is rolled back, so examples never see each other's rows.
examples = settings(
    max_examples=budget(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def through_database(document: PlanDocument) -> PlanDocument:
    with transaction.atomic():
        exported = export_plan(import_plan(document))
        transaction.set_rollback(True)
    return exported


def assert_same(exported: PlanDocument, original: PlanDocument) -> None:
    # The data comparison first: on failure pytest shows which field differs.
    assert document_to_data(exported) == document_to_data(original)
    assert to_yaml(exported) == to_yaml(original)
    assert exported == original


@pytest.mark.django_db
@examples
@given(plans())
def test_import_then_export_gives_the_same_plan(document: PlanDocument) -> None:
    assert_same(through_database(document), document)


@pytest.mark.django_db
@examples
@given(plan_data())
def test_yaml_through_the_database_gives_the_canonical_text(data: dict[str, Any]) -> None:
    # The file as a person wrote it (`4 hours`, `mon-fri`, `{name: x}`), not yet canonical.
    written = yamlio.dump(data)
    canonical = to_yaml(build(data))
    loaded, _ = load_text(written)
    assert to_yaml(through_database(loaded)) == canonical


@examples
@given(plans())
def test_canonical_text_reads_back_as_the_same_plan(document: PlanDocument) -> None:
    text = to_yaml(document)
    loaded, _ = load_text(text)
    assert loaded == document
    assert to_yaml(loaded) == text


@pytest.mark.django_db
@examples
@given(plans(), plans())
def test_reimport_leaves_nothing_of_the_old_content(first: PlanDocument, second: PlanDocument) -> None:
    # Same organisation and plan id: the second import replaces the first entirely.
    second = second.model_copy(update={"id": first.id, "organisation": first.organisation})
    with transaction.atomic():
        plan = import_plan(first)
        again = import_plan(second)
        assert again.pk == plan.pk
        exported = export_plan(again)
        transaction.set_rollback(True)
    assert_same(exported, second)


@pytest.mark.django_db
def test_export_takes_one_query_per_table(django_assert_max_num_queries: Any) -> None:
    plan = import_plan(build())
    # The organisation, and one query per table of plan parts (PART_MODELS), nothing per row.
    with django_assert_max_num_queries(len(PART_MODELS) + 1):
        export_plan(plan)


DEMO_FILES = sorted(DEMO_PLANS.glob("*.yaml"))


@pytest.mark.django_db
@pytest.mark.skipif(not DEMO_FILES, reason=f"no demo plans in {DEMO_PLANS} yet")
@pytest.mark.parametrize("path", DEMO_FILES, ids=[p.name for p in DEMO_FILES])
def test_demo_plan_survives_the_database(path: Path) -> None:
    document, _ = load_text(path.read_text(encoding="utf-8"), str(path))
    assert to_yaml(export_plan(import_plan(document, source=str(path)))) == to_yaml(document)
