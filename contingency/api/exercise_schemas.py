"""Request and response shapes of the exercise endpoints (camelCase in JSON, like the rest of the API).

The bounds are the services' own (exercises.services.MAX_*), so a body the schema lets through is
refused, if at all, by the service with the same words as on the exercise page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Field
from pydantic import AfterValidator, StrictInt

from contingency.exercises import services

from .incident_schemas import In, Instant, Line, Moment, _no_nul
from .schemas import Out

Outcome = Annotated[str, Field(max_length=services.MAX_OUTCOME), AfterValidator(_no_nul)]
InjectTitle = Annotated[str, Field(max_length=services.MAX_INJECT_TITLE), AfterValidator(_no_nul)]
InjectText = Annotated[str, Field(max_length=services.MAX_INJECT_TEXT), AfterValidator(_no_nul)]
Reason = Annotated[str, Field(max_length=services.MAX_ADVANCE_REASON), AfterValidator(_no_nul)]

# ---------------------------------------------------------------- requests


class StartIn(In):
    plan: Line = Field(description="The plan's id, e.g. pacs-bcdr.")
    kind: Line = Field(description="communications, table-top or live.")
    subject: Line = Field(description="What the exercise pretends has failed, as kind:id, e.g. system:pacs.")
    as_if: Moment | None = Field(
        None,
        description="Run as if at this moment (e.g. a Sunday at 02:00): in or out of hours, the lead and who is "
        "called are as then. Default: now.",
    )


class InjectIn(In):
    title: InjectTitle
    text: InjectText = Field(description="What happens in the scenario, as read out to the players.")
    minutes: StrictInt = Field(
        0, ge=0, le=services.MAX_INJECT_MINUTES, description="Minutes after the scenario starts (its place in time)."
    )


class ReleaseIn(In):
    advance: bool = Field(
        True,
        description="When the inject stands for a scenario time later than the exercise's clock, move the clock on "
        "to it first, so trigger points due by then fall due (as the exercise page does unless unticked).",
    )


class AdvanceIn(In):
    minutes: StrictInt = Field(
        ge=1, le=services.MAX_ADVANCE_MINUTES, description="How far to move the scenario time on (at most a week)."
    )
    reason: Reason = Field(description="Why, for the incident's timeline: e.g. skip to the next morning.")


class FinishIn(In):
    outcome: Outcome = Field(description="What the exercise showed.")


# ---------------------------------------------------------------- answers


class ProgrammeRow(Out):
    plan: str
    plan_title: str
    kind: str
    kind_label: str
    months: int = Field(description="Months between exercises of this kind for this plan.")
    last: date | None = Field(description="The last one done (a reviewed real activation counts as the live one).")
    due: date | None = Field(description="When the next is due; null: never done, so due now.")
    overdue: bool


class ExerciseSummary(Out):
    number: int
    kind: str
    kind_label: str
    plan: str
    plan_title: str
    incident: int | None = Field(description="The number of the incident the exercise runs as.")
    as_if: Instant | None
    started_at: Instant
    started_by: str
    finished_at: Instant | None
    running: bool


class ExerciseList(Out):
    exercises: list[ExerciseSummary] = Field(description="Most recent first.")
    programme: list[ProgrammeRow] = Field(description="Each plan's exercises by kind: last done, next due.")


class Share(Out):
    within_minutes: int
    acknowledged: int
    people: int
    percent: int


class RoleTime(Out):
    role: str
    people: int
    first_seconds: int | None = Field(description="The first acknowledgement in this role; null: nobody's.")


class Failure(Out):
    name: str
    channel: str
    address: str
    error: str


class Figures(Out):
    people: int = Field(description="People called out.")
    acknowledged: int
    shares: list[Share] = Field(description="How many acknowledged within 15 and within 60 minutes.")
    roles: list[RoleTime]
    failures: list[Failure] = Field(description="Messages that could not be delivered.")


class FindingOut(Out):
    text: str
    owner: str = Field(description="The plan's owner, who is to put it right.")
    created_at: Instant


class InjectOut(Out):
    position: int
    title: str
    text: str
    minutes: int
    released_at: Instant | None
    scenario_at: Instant | None = Field(description="When released: the scenario time it stands for.")


class AdvanceOut(Out):
    at: Instant = Field(description="When (real time) the clock was advanced.")
    minutes: int
    words: str
    scenario_from: Instant
    scenario_to: Instant
    reason: str
    inject: int | None = Field(description="The inject whose release moved the clock, if one did.")
    by: str


class Coming(Out):
    name: str
    scenario_at: Instant
    scenario_local: str


class ExerciseDetail(ExerciseSummary):
    outcome: str
    scenario_now: Instant = Field(description="Where the exercise pretends it is now (stops when it finishes).")
    scenario_local: str = Field(description="The same moment on the organisation's wall clock.")
    figures: Figures
    findings: list[FindingOut]
    injects: list[InjectOut]
    clock_advances: list[AdvanceOut]
    coming: list[Coming] = Field(description="The next trigger points and duration rules, in scenario time.")
