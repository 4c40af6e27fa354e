"""The published JSON Schema of the plan format, generated from the pydantic models."""

from __future__ import annotations

import json
from typing import Any

from .spec import PlanDocument
from .spec.plan import API_VERSION

SCHEMA_ID = "https://contingency.example.org/schema/plan-v1.schema.json"


def plan_json_schema() -> dict[str, Any]:
    schema = PlanDocument.model_json_schema(by_alias=True, mode="validation")
    header = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"Contingency plan ({API_VERSION})",
    }
    return {**header, **{k: v for k, v in schema.items() if k not in header}}


def plan_json_schema_text() -> str:
    return json.dumps(plan_json_schema(), indent=2, sort_keys=False) + "\n"
