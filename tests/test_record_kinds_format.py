"""Record kinds in the plan format: what is accepted, what is refused and where the message points."""

from __future__ import annotations

from typing import Any

import pytest

from contingency.plans.problems import PlanInvalid
from contingency.plans.spec.records import FieldType
from tests.builders import build, minimal_plan


def with_kind(**changes: Any) -> dict[str, Any]:
    data = minimal_plan(systems=[{"id": "pacs", "name": "PACS"}])
    kind: dict[str, Any] = {
        "id": "examination",
        "name": "Examination",
        "system": "pacs",
        "fields": [{"name": "downtime-id", "type": "downtime-id", "required": True}],
    }
    kind.update(changes)
    data["recordKinds"] = [kind]
    data["functions"][0]["dataRecovery"] = {"method": "Re-key", "records": ["examination"]}
    return data


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PlanInvalid) as raised:
        build(data)
    return [(".".join(str(p) for p in problem.path), problem.message) for problem in raised.value.problems]


def test_a_plan_without_record_kinds_stays_valid() -> None:
    plan = build(minimal_plan())
    assert plan.record_kinds == []
    assert plan.functions[0].data_recovery is not None
    assert plan.functions[0].data_recovery.records == []


def test_a_record_kind_reads_with_its_defaults() -> None:
    plan = build(with_kind(verification={"share": "10 %", "atLeast": 2}))
    kind = plan.record_kinds[0]
    assert kind.verification.share == 10 and kind.verification.widen_to == 100
    assert kind.of_type(FieldType.DOWNTIME_ID) is not None
    assert kind.fields[0].shown == "Downtime ID"


def test_a_system_not_in_the_plan_is_a_reference_error() -> None:
    assert problems(with_kind(system="ris")) == [
        ("recordKinds.0.system", "'ris' names no system in this plan"),
    ]


def test_a_record_kind_named_by_a_function_must_exist() -> None:
    data = with_kind()
    data["functions"][0]["dataRecovery"]["records"] = ["examinations"]
    [(path, message)] = problems(data)
    assert path == "functions.0.dataRecovery.records.0"
    assert "names no record-kind" in message and "did you mean 'examination'" in message


def test_record_kind_ids_share_the_plan_namespace() -> None:
    found = problems(with_kind(id="pacs"))
    assert ("recordKinds.0.id", "duplicate id 'pacs': already used by the system at systems[0]") in found


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ([{"name": "a", "type": "text"}, {"name": "a", "type": "number"}], "two fields are named 'a'"),
        ([{"name": "a", "type": "nhs-number"}, {"name": "b", "type": "nhs-number"}], "at most one nhs-number"),
        ([{"name": "a", "type": "choice"}], "a choice field needs its choices"),
        ([{"name": "a", "type": "text", "choices": ["x"]}], "only a choice field has choices"),
        ([{"name": "A b", "type": "text"}], "is not a readable id"),
        ([{"name": "a", "type": "barcode"}], "is not allowed here"),
    ],
)
def test_bad_fields_are_refused_with_a_located_message(fields: list[dict[str, Any]], expected: str) -> None:
    found = problems(with_kind(fields=fields))
    assert any(path.startswith("recordKinds.0") and expected in message for path, message in found), found


@pytest.mark.parametrize(
    ("verification", "expected"),
    [
        ({"share": "10"}, "expected a share from 0% to 100%"),
        ({"share": "101%"}, "expected a share from 0% to 100%"),
        ({"share": 10}, "expected a share from 0% to 100%"),
        ({"share": "50%", "widenTo": "20%"}, "widenTo (20%) must be at least the share (50%)"),
        ({"atLeast": -1}, "must be at least 0"),
    ],
)
def test_bad_verification_rules_are_refused(verification: dict[str, Any], expected: str) -> None:
    found = problems(with_kind(verification=verification))
    assert any(path.startswith("recordKinds.0.verification") and expected in message for path, message in found), found
