"""Typed responses, so the OpenAPI description says what each endpoint returns.

Field names are camelCase in JSON, as in the plan format. Plan documents and their parts are
plain JSON objects that follow schema/plan-v1.schema.json; the API validates them itself, with
the same messages as the command line, rather than through these schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic.alias_generators import to_camel

PLAN_SCHEMA = "schema/plan-v1.schema.json"
DOCUMENT_HELP = f"The plan in the plan format's JSON form (see {PLAN_SCHEMA})."
PART_HELP = f"One part of a plan, in the plan format's JSON form (see {PLAN_SCHEMA})."


class Out(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ErrorItem(Out):
    path: str = Field(description='Where, relative to the request body: "rto[0].duration", or "(body)".')
    loc: list[str | int] = Field(description="The same place as a list of keys and indexes.")
    code: str = Field(description='A stable code, e.g. "schema.value", "ref.dangling", "request.json".')
    message: str


class Error(Out):
    detail: str


class Invalid(Out):
    detail: str
    errors: list[ErrorItem]


class Organisation(Out):
    slug: str
    name: str
    roles: list[str]
    capabilities: list[str]


class LintCounts(Out):
    error: int = 0
    warning: int = 0
    info: int = 0


class PlanSummary(Out):
    key: str
    title: str
    status: str
    issue: int
    issue_date: date
    review_date: date
    lint: LintCounts


class PlanDetail(Out):
    key: str
    status: str = Field(description="Where the working copy is in the workflow: draft, submitted, approved, issued.")
    document: dict[str, Any] = Field(description=DOCUMENT_HELP)


class Part(Out):
    plan_status: str = Field(description="The plan's status after the request (an edit makes a draft).")
    section: str
    key: str = Field(description="The part's id (its level for escalation, its 1-based position for monitoring).")
    data: dict[str, Any] = Field(description=PART_HELP)


class PartList(Out):
    section: str
    items: list[Part]


class Section(Out):
    plan_status: str
    section: str
    data: dict[str, Any] | None = Field(description=f"{PART_HELP} Null when the plan leaves the section out.")


class Finding(Out):
    rule: str
    severity: str = Field(description="error, warning or info.")
    message: str
    path: str
    loc: list[str | int]


class AuditEntry(Out):
    at: datetime
    actor: str
    verb: str
    object_type: str
    object_key: str
    label: str
    before: Any = None
    after: Any = None
    note: str


class PlanState(Out):
    key: str
    status: str
    issue: int = Field(description="The plan's issue number (the new one after issuing).")


class SubmitIn(Schema):
    summary: str = Field(description="What this draft changes; it goes into the plan's record of changes.")


class ReturnIn(Schema):
    reason: str = Field(description="Why the plan goes back to draft, for its editors.")


class GoAheadIn(Schema):
    reason: str = Field(
        "",
        description="Why the plan should be approved or issued although the linter finds errors in it; "
        "required only then, and written into the plan's record of changes.",
        max_length=2000,
    )
