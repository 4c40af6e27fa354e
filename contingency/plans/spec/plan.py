"""The plan itself: document control, risk matrix, critical functions, risks, procedures, trigger points."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from contingency.lib.durations import Duration, Unit

from .calltree import CallTree, MessageTemplate
from .directory import (
    ContactList,
    Organisation,
    Person,
    Resource,
    Role,
    Site,
    Supplier,
    System,
    Text,
)
from .records import RecordKind
from .types import (
    AudienceRef,
    CallTreeRef,
    Count,
    DurationText,
    FunctionDependencyRef,
    Id,
    MessageRef,
    PersonRef,
    ProcedureRef,
    RecordKindRef,
    RiskRef,
    Shorthand,
    SiteRef,
    Spec,
    SubjectRef,
    WhoRef,
)
from .written import WhoOrName, WrittenDuration, WrittenScore

API_VERSION = "contingency/v1"
Score = Annotated[int, Field(ge=1, le=5)]


class ChangeRecord(Spec):
    issue: Count
    date: date
    summary: Text
    author: PersonRef | None = None


class CopyHolder(Spec):
    """A registered holder of a numbered copy: amendments reach only numbered copies."""

    copy_number: Annotated[Count, Field(alias="copy")]
    holder: PersonRef
    location: str | None = None
    acknowledged_issue: Count | None = None
    acknowledged_on: date | None = None


class DocumentControl(Spec):
    number: Text | None = None  # a plan not yet numbered is kept, and linted
    issue: Count | None = None  # a draft never issued may have no issue number yet (issuing gives one)
    issue_date: date
    review_date: date
    review_interval: DurationText = Duration(12, Unit.MONTHS)
    created: date | None = None
    # A person or team by id, or a post or group as the plan names it ("Head of Radiology").
    originator: WhoOrName | None = None
    owner: WhoOrName
    approving_body: str | None = None
    approved_by: WhoOrName | None = None
    approval_date: date | None = None
    classification: str = "OFFICIAL"
    confidentiality: str | None = None
    dissemination: list[Text] = []
    changes: list[ChangeRecord] = []
    holders: list[CopyHolder] = []


class LikelihoodLevel(Spec):
    score: Score
    label: Text
    frequency: str | None = None


class ConsequenceLevel(Spec):
    score: Score
    label: Text
    description: str | None = None


class RatingBand(Spec):
    label: Text
    min: Annotated[int, Field(ge=1, le=25)]
    max: Annotated[int, Field(ge=1, le=25)]


class RiskMatrix(Spec):
    """A 5x5 matrix; absent from a plan means the NHS matrix (see plans.matrix).

    Kept as the plan printed it, even when a level is missing or the bands leave a gap: such a
    matrix is reported by the linter (ASW011) and the NHS matrix is used in its place until it is
    complete (plans.matrix.of).
    """

    likelihood: list[LikelihoodLevel] = []
    consequence: list[ConsequenceLevel] = []
    bands: list[RatingBand] = []

    def defects(self) -> list[str]:
        """What keeps this matrix from scoring every risk: empty when it is complete."""
        found: list[str] = []
        for name in ("likelihood", "consequence"):
            scores = sorted(level.score for level in getattr(self, name))
            if scores != [1, 2, 3, 4, 5]:
                missing = sorted({1, 2, 3, 4, 5} - set(scores))
                repeated = sorted({s for s in scores if scores.count(s) > 1})
                detail = "; ".join(
                    [f"no level {', '.join(map(str, missing))}"] * bool(missing)
                    + [f"level {', '.join(map(str, repeated))} twice"] * bool(repeated)
                )
                found.append(f"{name} levels need the scores 1 to 5 once each ({detail})")
        if any(band.min > band.max for band in self.bands):
            found.append("a rating band's min is greater than its max")
        covered = [s for band in self.bands for s in range(band.min, band.max + 1)]
        products = sorted({a * b for a in range(1, 6) for b in range(1, 6)})
        if gaps := [s for s in products if covered.count(s) == 0]:
            found.append(f"no rating band covers the score{'s' * (len(gaps) > 1)} {', '.join(map(str, gaps))}")
        if twice := [s for s in products if covered.count(s) > 1]:
            found.append(f"more than one rating band covers {', '.join(map(str, twice))}")
        return found


class ImpactLevel(StrEnum):
    MINIMAL = "minimal"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    SEVERE = "severe"


class ImpactOverTime(Spec):
    """The impact of losing the function once it has been lost for `after`."""

    after: DurationText
    level: ImpactLevel
    description: str | None = None


class RecoveryTime(Spec):
    """A recovery time objective for one scenario, e.g. hardware failure 4h, data centre loss 1 working day."""

    scenario: Text
    duration: WrittenDuration  # "1-4 hours" and "if prolonged" are kept as written
    risk: RiskRef | None = None


class Resources(Spec):
    """The six resource categories of ISO 22301 / NHS business impact analysis."""

    staff: list[Resource] = []
    data_and_systems: list[Resource] = []
    premises: list[Resource] = []
    communications: list[Resource] = []
    equipment: list[Resource] = []
    supplies: list[Resource] = []


class DataRecovery(Spec):
    """How data collected (or that should have been collected) during downtime is recovered.

    `records` names the kinds of record staff keep by hand meanwhile (see `recordKinds`);
    `nothingByHand: true` says there are none, so the linter does not ask for them.
    """

    method: Text
    owner: WhoOrName | None = None
    verification: str | None = None
    records: list[RecordKindRef] = []
    nothing_by_hand: bool = False


class DurationRule(Spec):
    """`If the disruption lasts beyond <after>, do <action>`."""

    after: WrittenDuration
    action: Text
    owner: WhoOrName | None = None


class CriticalFunction(Spec):
    id: Id
    name: Text
    description: str | None = None
    owner: WhoOrName | None = None  # a person or a team; a name not in the directory is kept as written
    deputy: WhoOrName | None = None
    locations: list[SiteRef] = []
    likelihood: WrittenScore | None = None
    impact: list[ImpactOverTime] = []
    rto: list[RecoveryTime] = []
    rpo: WrittenDuration | None = None
    mtpd: WrittenDuration | None = None
    resources: Resources = Resources()
    data_recovery: DataRecovery | None = None
    duration_rules: list[DurationRule] = []
    depends_on: list[FunctionDependencyRef] = []
    procedures: list[ProcedureRef] = []


class FailureKind(StrEnum):
    COMPLETE = "complete"
    PARTIAL = "partial"
    SOFTWARE = "software"
    HUMAN_ERROR = "human-error"
    SUPPLIER = "supplier"


class StatedWords(Spec):
    """The words a plan's prose used for a risk, kept so the linter can check them against the numbers."""

    likelihood: str | None = None
    consequence: str | None = None
    rating: str | None = None


class RiskResponse(Spec):
    summary: str | None = None
    procedure: ProcedureRef | None = None


class Risk(Spec):
    id: Id
    title: Text
    failure: FailureKind | None = None
    causes: list[Text] = []
    impact: str | None = None
    likelihood: WrittenScore | None = None  # "medium" is kept as written; absent is reported by the linter
    consequence: WrittenScore | None = None
    stated: StatedWords | None = None
    recognise: list[Text] = []
    response: RiskResponse | None = None
    affects: list[SubjectRef] = []
    owner: WhoRef | None = None


class EscalationLevel(Spec):
    level: Count
    name: Text
    when: str | None = None
    who: list[WhoRef] = []
    responsibilities: list[Text] = []
    invokes_plan: bool = False


class Outcome(StrEnum):
    CONTINUE = "continue"
    NOT_A_FAILURE = "not-a-failure"
    PARTIAL_FAILURE = "partial-failure"


class Check(Spec):
    """A confirm-it-is-down check: if the statement is not true, the outcome is `ifNot`."""

    id: Id | None = None
    check: Text
    if_not: Outcome = Outcome.CONTINUE
    advice: str | None = None


class StepKind(StrEnum):
    CHECK = "check"
    CALL = "call"
    INFORM = "inform"
    DO = "do"
    RECORD = "record"


class When(StrEnum):
    ALWAYS = "always"
    IN_HOURS = "in-hours"
    OUT_OF_HOURS = "out-of-hours"


class Step(Spec):
    """A step of a procedure, done always, in hours or out of hours (`when`); `insteadOf` names the
    step of the same procedure it is done in place of at the other time of day.

    `insteadOf: <step id>` pairs an in-hours step with its out-of-hours equivalent: it names a step
    of the same procedure whose `when` is the opposite time (an out-of-hours step names the in-hours
    step it replaces, or the other way round), so that an incident crossing the start or end of
    working hours can hand its open steps over to their counterparts. A pair reads both ways, so it
    is written on one of its two steps (by convention the out-of-hours one). A step done `always`
    has no counterpart, and a step is never instead of itself.
    """

    id: Id | None = None
    text: Text
    kind: StepKind = StepKind.DO
    when: When = When.ALWAYS
    instead_of: Id | None = None
    who: WhoRef | None = None
    targets: list[AudienceRef] = []
    call_tree: CallTreeRef | None = None  # an inform step notifies this call tree when it is set
    message: MessageRef | None = None
    note: str | None = None


class ProcedurePhase(StrEnum):
    RESPONSE = "response"
    RESTORATION = "restoration"
    FAILOVER = "failover"


class Procedure(Spec):
    id: Id
    title: Text
    phase: ProcedurePhase = ProcedurePhase.RESPONSE
    applies_to: list[SubjectRef] = []
    confirm: list[Check] = []
    steps: list[Step] = []


class TriggerKind(StrEnum):
    AT_INVOCATION = "at-invocation"
    RECURRING = "recurring"
    AFTER = "after"
    ON_RESTORATION = "on-restoration"


class Action(Shorthand):
    """An action a trigger point sets off: a string, or `{text: ..., who: role-id}`."""

    text: Text
    who: WhoOrName | None = None


class TriggerPoint(Spec):
    id: Id
    name: Text
    kind: TriggerKind
    every: WrittenDuration | None = None  # absent or "on an agreed basis": held once, then as agreed
    start: DurationText | None = None
    until: DurationText | None = None
    after: WrittenDuration | None = None
    unless_restored: bool = True
    chair: WhoRef | None = None
    attendees: list[AudienceRef] = []
    actions: list[Action] = []
    call_tree: CallTreeRef | None = None  # notified each time the trigger point falls due
    message: MessageRef | None = None

    @model_validator(mode="after")
    def _timing(self) -> TriggerPoint:
        allowed: dict[TriggerKind, set[str]] = {
            TriggerKind.AT_INVOCATION: set(),
            TriggerKind.ON_RESTORATION: set(),
            TriggerKind.RECURRING: {"every", "start", "until"},
            TriggerKind.AFTER: {"after"},
        }
        given = {f for f in ("every", "start", "until", "after") if getattr(self, f) is not None}
        if stray := sorted(given - allowed[self.kind]):
            raise ValueError(f"a trigger of kind {self.kind.value} takes no {' or '.join(stray)}")
        # A recurring trigger with no interval, or an 'after' trigger with no time, is what some
        # plans say ("repeated on an agreed basis"): kept, and reported by the linter.
        return self


class Monitoring(Spec):
    activity: Text
    every: WrittenDuration | None = None
    owner: WhoRef | None = None


class PlanDocument(Spec):
    """One continuity plan, as written in a plan-as-code YAML file."""

    api_version: Literal["contingency/v1"]
    kind: Literal["Plan"]
    id: Id
    title: Text
    organisation: Organisation
    document: DocumentControl
    aim: str | None = None
    objectives: list[Text] = []
    audience: list[Text] = []
    scope: list[Text] = []
    risk_matrix: RiskMatrix | None = None
    sites: list[Site] = []
    people: list[Person] = []
    roles: list[Role] = []
    lists: list[ContactList] = []
    suppliers: list[Supplier] = []
    systems: list[System] = []
    functions: list[CriticalFunction] = []
    record_kinds: list[RecordKind] = []
    risks: list[Risk] = []
    escalation: list[EscalationLevel] = []
    procedures: list[Procedure] = []
    triggers: list[TriggerPoint] = []
    call_trees: list[CallTree] = []
    messages: list[MessageTemplate] = []
    monitoring: list[Monitoring] = []
