"""Request and response shapes of the incident endpoints (camelCase in JSON, as in the rest of the API).

Times are ISO 8601 in UTC (`...Z`); where a person reads them, a `local` twin gives the same
moment on the organisation's wall clock, with its offset (`2027-10-29T16:40:00+01:00`).
Request bodies refuse unknown fields, so a misspelt `began_at` is a located 422, not ignored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, AwareDatetime, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from .schemas import Out

LINE = 200
PROSE = 20000


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("text", "text cannot contain NUL characters")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError("datetime", "the time is out of range") from None


Line = Annotated[str, Field(max_length=LINE), AfterValidator(_no_nul)]
Prose = Annotated[str, Field(max_length=PROSE), AfterValidator(_no_nul)]
Moment = Annotated[AwareDatetime, AfterValidator(_utc)]
# Every time the API answers with is in UTC, whatever zone it was computed in.
Instant = Annotated[datetime, AfterValidator(_utc)]


class In(Schema):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


# ---------------------------------------------------------------- requests


class ReportIn(In):
    plan: Line = Field(description="The plan's id, e.g. pacs-bcdr.")
    subject: Line = Field(description="What failed, as kind:id, e.g. system:pacs.")
    answers: dict[Line, bool] = Field(
        default_factory=dict, description="Check id -> true (the statement holds) or false (see GET .../checks)."
    )
    began_at: Moment | None = Field(None, description="When the service was lost (default: now); not in the future.")
    area: Line = Field("", description="The site or area a partial failure is confined to.")
    description: Prose = ""
    title: Line = Field("", description="Default: '<subject name> failure'.")


class AssessIn(In):
    answers: dict[Line, bool] = Field(description="Check id -> true or false; replaces the earlier answers.")


class InvokeIn(In):
    risk: Line | None = Field(None, description="A risk id of the plan, instead of the one the checks propose.")


class ReasonIn(In):
    reason: Prose = ""


class RestoreIn(In):
    restored_at: Moment | None = Field(None, description="When service came back (default: now).")
    note: Prose = ""


class AdHocTaskIn(In):
    text: Prose = Field(description="What needs doing (under 2,000 characters).")
    who: Line = Field("", description="Who should do it, in words.")


class TaskChangeIn(In):
    action: Literal["assign", "start", "complete", "skip", "reopen"]
    assignee: Line | None = Field(None, description="For assign: a member's username, or null for nobody.")
    note: Prose = Field("", description="For complete: what was done.")
    reason: Prose = Field("", description="For skip: why (required).")


class GroupCloseIn(In):
    action: Literal["complete", "skip"]
    reason: Prose = Field(description="One reason for every open task of the group (required).")


class ToldIn(In):
    how: Line = Field("", description="By phone, in person, by e-mail ...")


class UpdateIn(In):
    text: Prose
    audience: Literal["staff", "board", "commissioners"] | None = Field(
        None, description="Who the update is written for; not needed for a decision."
    )
    decision: bool = Field(False, description="A decision for the record rather than a status update.")


class HandoverIn(In):
    to: Line | None = Field(None, description="The incoming lead's username (a member of the organisation).")
    to_name: Line = Field("", description="Or the incoming lead's name, for someone without an account.")
    note: Prose = ""


class RoleIn(In):
    to: Line | None = Field(None, description="The new lead's (or deputy's) username (a member of the organisation).")
    to_name: Line = Field("", description="Or their name, for someone without an account.")
    note: Prose = Field("", description="For the timeline.")


class AskLeadIn(In):
    note: Prose = Field("", description="Why, for the lead and the timeline.")


class AnswerLeadIn(In):
    answer: Prose = Field("", description="Why the request was declined, if the lead says.")


class ReviewIn(In):
    whys: Annotated[list[Prose], Field(max_length=5)] = Field(default_factory=list, description="Up to five whys.")
    root_cause: Prose = ""
    went_well: Prose = ""
    went_badly: Prose = ""
    lessons: Prose = ""
    complete: bool = Field(False, description="Mark the review finished (needs a root cause and lessons).")


class ReviewActionIn(In):
    text: Prose
    owner: Line
    due_on: date


class ActionDoneIn(In):
    note: Prose = ""


# ---------------------------------------------------------------- responses


class Check(Out):
    key: str = Field(description="The check's id: the key of `answers`.")
    procedure: str
    check: str
    if_not: str = Field(description="What a 'no' means: continue, not-a-failure or partial-failure.")
    advice: str | None = None


class Answer(Out):
    key: str
    check: str
    answer: bool | None = Field(description="null: not answered.")
    if_not: str | None = None
    advice: str | None = None


class NextDue(Out):
    key: str
    kind: str
    name: str
    due_at: Instant
    local: str


class Urgency(Out):
    rank: int = Field(description="1 is the most urgent open incident.")
    breached: bool = Field(description="A lost function is past its MTPD.")
    time_left_seconds: int | None = Field(description="Before the nearest MTPD; negative once past it.")
    worst_function: str | None
    impact_now: str = Field(description='The worst impact level now (minimal .. severe), "" if none stated.')
    reason: str


class IncidentSummary(Out):
    number: int
    title: str
    state: str = Field(description="reported, not-a-failure, invoked, restored or stood-down.")
    subject: str
    subject_name: str
    plan_key: str
    severity: int
    severity_band: str
    began_at: Instant
    reported_at: Instant
    invoked_at: Instant | None
    restored_at: Instant | None
    stood_down_at: Instant | None
    open_tasks: int
    overdue_tasks: int
    next_due: NextDue | None
    urgency: Urgency | None = Field(description="Open incidents only.")


class PlanRef(Out):
    key: str
    title: str
    issue: int = Field(description="The issue of the plan the incident's snapshot was taken from.")


class RiskRef(Out):
    key: str
    title: str


class Times(Out):
    began_at: Instant
    reported_at: Instant
    invoked_at: Instant | None
    restored_at: Instant | None
    stood_down_at: Instant | None


class LocalTimes(Out):
    timezone: str
    began_at: str
    reported_at: str
    invoked_at: str | None
    restored_at: str | None
    stood_down_at: str | None


class People(Out):
    reported_by: str
    invoked_by: str
    restored_by: str
    stood_down_by: str
    lead: str | None = Field(description="The incident lead's username, when a member leads.")
    lead_name: str = Field("", description="The incident lead as shown: a member's name, or the plan's words.")
    deputy: str | None = Field(None, description="The deputy lead's username, when a member deputises.")
    deputy_name: str = Field("", description="The deputy lead as shown.")


class Routing(Out):
    current: str = Field(description="in-hours or out-of-hours: the time of day the open steps are for.")
    in_hours_now: bool
    why_out_of_hours: str | None
    next_change: Instant | None


class ImpactLevel(Out):
    at: Instant
    level: str
    description: str


class AffectedOut(Out):
    key: str
    name: str
    chain: list[str] = Field(description="The chain of failures from the failed part, as sentences.")
    degraded: bool = Field(description="Reached through a redundant part: at risk, not lost.")
    rto: str
    rto_due_at: Instant | None
    rto_left_seconds: int | None = Field(
        description="Before the RTO; negative once past it. Like every clock here, it stops at restoration."
    )
    mtpd: str
    mtpd_due_at: Instant | None
    time_left_seconds: int | None = Field(
        description="Before the MTPD; negative once past it. Stops at restoration (or a stand-down without one)."
    )
    impact_now: str = Field(
        description='The impact level reached (minimal .. severe), "" if none stated; once restored, as it was then.'
    )
    impact: list[ImpactLevel]


class ProcedureRef(Out):
    id: str
    title: str
    phase: str


class IncidentDetail(Out):
    number: int
    title: str
    state: str
    subject: str
    subject_name: str
    area: str
    description: str
    assessment: str = Field(description='complete, partial, not-a-failure, or "" before any checks.')
    answers: list[Answer]
    risk: RiskRef | None
    severity: int = Field(description="Likelihood x consequence of the risk (1-25), 0 without one.")
    severity_band: str
    response: str
    plan: PlanRef
    times: Times
    local: LocalTimes
    people: People
    closed_note: str
    downtime_seconds: int
    downtime: str
    routing: Routing
    affected: list[AffectedOut]
    procedures: list[ProcedureRef]
    open_tasks: int
    overdue_tasks: int
    next_due: list[NextDue]


class TargetOut(Out):
    key: str
    name: str
    contact: str
    told_at: Instant | None
    told_local: str | None
    told_by: str
    how: str


class TaskOut(Out):
    id: int
    key: str
    position: int
    source: str = Field(description="response, trigger, duration, restoration or ad-hoc.")
    origin: str
    step_key: str
    text: str
    kind: str
    when: str
    who: str
    who_key: str
    note: str
    due_at: Instant | None
    due_local: str | None
    overdue: bool
    state: str = Field(description="open, started, done, skipped or rerouted.")
    assignee: str | None
    outcome: str
    created_at: Instant
    started_at: Instant | None
    finished_at: Instant | None
    finished_by: str
    replaced_by: int | None = Field(description="For a re-routed task: the id of its counterpart.")
    targets: list[TargetOut]


class EntryOut(Out):
    at: Instant
    local: str
    kind: str
    text: str
    actor: str
    audience: str


class DueOut(Out):
    key: str
    kind: str = Field(description="trigger or duration.")
    sequence: int = Field(description="0 for the first occurrence of a recurring trigger, then 1, 2 ...")
    name: str
    due_at: Instant
    local: str
    state: str = Field(description="pending, fired or cancelled.")
    fired_at: Instant | None
    fired_by: str
    note: str


class TaskLine(Out):
    id: int
    text: str
    who: str
    state: str
    due: str | None
    overdue: bool
    assignee: str | None


class Reach(Out):
    task: str
    told: list[str]
    not_told: list[str]


class When(Out):
    when: str
    what: str


class Decision(Out):
    when: str
    who: str
    text: str


class UpdateLine(Out):
    when: str
    audience: str
    text: str


class Work(Out):
    title: str
    summary: str
    lines: list[str]


class HandoverReport(Out):
    incident: int
    title: str
    state: str
    at: str
    since: str | None = Field(description="The last hand-over, if any.")
    downtime: str
    open_tasks: list[TaskLine]
    overdue_tasks: list[TaskLine]
    reach: list[Reach]
    next_triggers: list[When]
    decisions: list[Decision]
    updates: list[UpdateLine]
    work: list[Work] = Field(default_factory=list, description="Work still owed, e.g. downtime records to re-enter.")


class HandoverRecord(Out):
    at: Instant
    local: str
    from_name: str
    to_name: str
    to: str | None = Field(description="The incoming lead's username, when they are a member.")
    lead_from: str = Field("", description="The outgoing incident lead, as shown.")
    lead_to: str = Field("", description="The incoming incident lead, as shown.")
    note: str


class Handover(Out):
    report: HandoverReport
    history: list[HandoverRecord]


class HandedOver(Out):
    record: HandoverRecord
    report: HandoverReport = Field(description="The report as it was read at the hand-over.")


class Briefing(Out):
    at: Instant
    text: str = Field(description="A plain-text draft for the board, from the incident's facts.")


class ReviewActionOut(Out):
    id: int
    text: str
    owner: str
    due_on: date
    done: bool
    done_at: Instant | None
    done_note: str


class ReviewOut(Out):
    started: bool = Field(description="False until the review is first saved.")
    whys: list[str]
    root_cause: str
    went_well: str
    went_badly: str
    lessons: str
    complete: bool
    completed_at: Instant | None
    actions: list[ReviewActionOut]


class LeadRequestOut(Out):
    id: int
    at: Instant
    by: str = Field(description="Who asked, by username.")
    note: str
    state: Literal["pending", "accepted", "declined", "lapsed"]
    decided_at: Instant | None
    decided_by: str
    answer: str


class Roles(Out):
    lead: str | None = Field(description="The incident lead's username, when a member leads.")
    lead_name: str = Field(description="The incident lead as shown: a member's name, or the plan's words.")
    deputy: str | None
    deputy_name: str
    requests: list[LeadRequestOut] = Field(description="Requests to lead, oldest first.")
