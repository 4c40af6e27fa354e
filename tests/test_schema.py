"""The published JSON Schema: committed copy is current, and it agrees with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.plans import yamlio
from contingency.plans.schema import plan_json_schema, plan_json_schema_text
from tests.builders import minimal_plan
from tests.conftest import DEMO_PLANS, ROOT

COMMITTED = ROOT / "schema" / "plan-v1.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text() == plan_json_schema_text(), "run `make schema` and commit the result"


def test_cli_prints_the_schema() -> None:
    result = CliRunner().invoke(main, ["plan", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"] == "Contingency plan (contingency/v1)"


def _validator() -> jsonschema.Draft202012Validator:
    schema = plan_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_minimal_plan_satisfies_the_schema() -> None:
    _validator().validate(minimal_plan())


@pytest.mark.parametrize("path", sorted(DEMO_PLANS.glob("*.yaml")), ids=lambda p: p.name)
def test_demo_plans_satisfy_the_schema(path: Path) -> None:
    data, _ = yamlio.parse(path.read_text())
    _validator().validate(data)


@pytest.mark.parametrize(
    "change",
    [
        {"kind": "Runbook"},
        {"apiVersion": "contingency/v2"},
        {"title": 12},
        {"surprise": True},
        {"people": [{"id": "Not An Id", "name": "X"}]},
    ],
)
def test_schema_rejects_what_the_validator_rejects(change: dict[str, object]) -> None:
    assert not _validator().is_valid(minimal_plan(**change))
