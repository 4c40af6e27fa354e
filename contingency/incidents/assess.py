"""Reporting a suspected failure: the checks to work through, what the answers mean, the risk it matches.

Pure code over a PlanDocument. The checks are those of the procedure that answers a complete
failure of the reported part (the plan's own "confirm it really is down" list); a "no" to a
check means what that check's `ifNot` says, and the strongest such meaning wins: not a failure
over partial failure over complete failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration
from contingency.plans import matrix
from contingency.plans.derived import graph_of
from contingency.plans.graph import Ref, affected_by, describe
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.plan import (
    CriticalFunction,
    FailureKind,
    Outcome,
    Procedure,
    ProcedurePhase,
    Risk,
)
from contingency.plans.spec.written import duration_of, score_of

COMPLETE, PARTIAL, NOT_A_FAILURE = "complete", "partial", "not-a-failure"
SUSPECTED = ""  # no check answered: the incident's assessment stays blank ("suspected")
# Which kinds of risk an assessment matches, best first.
_FAILURES: dict[str, tuple[FailureKind, ...]] = {
    COMPLETE: (FailureKind.COMPLETE, FailureKind.SUPPLIER, FailureKind.SOFTWARE),
    PARTIAL: (FailureKind.PARTIAL, FailureKind.SOFTWARE),
}


@dataclass(frozen=True)
class CheckItem:
    key: str  # the check's id, or procedure-id#index
    procedure: str
    check: str
    if_not: str  # continue, not-a-failure, partial-failure
    advice: str | None

    @property
    def if_not_words(self) -> str:
        """What a "no" means, as the reporter reads it."""
        return _IF_NOT_WORDS.get(self.if_not, self.if_not)


_IF_NOT_WORDS = {
    "continue": "carry on with the other checks",
    "not-a-failure": "it is probably not a system failure",
    "partial-failure": "it is probably a partial failure confined to one area",
}


@dataclass(frozen=True)
class Proposal:
    assessment: str
    risk: Risk | None
    severity: int
    band: str
    response: str
    procedures: tuple[str, ...]  # response procedures to start, in order


@dataclass(frozen=True)
class Affected:
    key: str
    name: str
    chain: tuple[str, ...]
    degraded: bool
    rto: str
    rto_due_at: datetime | None
    mtpd: str
    mtpd_due_at: datetime | None
    impact: tuple[tuple[datetime, str, str], ...]  # (from, level, description)


class UnknownCheck(ValueError):
    """An answer names a check the plan does not have for this failure."""


def subject_ids(document: PlanDocument, subject: Ref) -> set[str]:
    """The failed part and every function lost with it: what risks and procedures may be about."""
    graph = graph_of(document)
    return {subject.id, *(impact.function.ref.id for impact in affected_by(graph, subject))}


def _response_procedures(document: PlanDocument, about: set[str]) -> list[Procedure]:
    return [p for p in document.procedures if p.phase is ProcedurePhase.RESPONSE and about & set(p.applies_to)]


def matching_risks(document: PlanDocument, subject: Ref, assessment: str) -> list[Risk]:
    """Risks about the failed part (or what it takes down) of the kind the assessment found, highest score first."""
    about = {subject.id} | subject_ids(document, subject)
    kinds = _FAILURES.get(assessment, ())
    relevant = [r for r in document.risks if about & set(r.affects)]
    ranked = sorted(
        relevant,
        key=lambda r: (
            kinds.index(r.failure) if r.failure in kinds else len(kinds),
            subject.id not in r.affects,
            -((score_of(r.likelihood) or 0) * (score_of(r.consequence) or 0)),
        ),
    )
    return [r for r in ranked if r.failure in kinds or r.failure is None]


def checks_for(document: PlanDocument, subject: Ref) -> list[CheckItem]:
    """The confirm-it-is-down checks for a suspected complete failure of `subject`."""
    risks = matching_risks(document, subject, COMPLETE)
    procedures: list[Procedure] = []
    if risks and risks[0].response and risks[0].response.procedure:
        procedures = [p for p in document.procedures if p.id == risks[0].response.procedure]
    if not procedures:
        procedures = _response_procedures(document, subject_ids(document, subject))
    return [
        CheckItem(c.id or f"{p.id}#{i}", p.id, c.check, c.if_not.value, c.advice)
        for p in procedures
        for i, c in enumerate(p.confirm)
    ]


def assess(checks: list[CheckItem], answers: Mapping[str, bool]) -> str:
    """complete, partial or not-a-failure from the answers (True: the statement holds)."""
    known = {c.key for c in checks}
    if stray := sorted(set(answers) - known):
        raise UnknownCheck(f"no check {stray[0]!r} for this failure (checks: {', '.join(sorted(known)) or 'none'})")
    outcomes = {c.if_not for c in checks if answers.get(c.key) is False}
    if Outcome.NOT_A_FAILURE.value in outcomes:
        return NOT_A_FAILURE
    if Outcome.PARTIAL_FAILURE.value in outcomes:
        return PARTIAL
    return COMPLETE


def propose(document: PlanDocument, subject: Ref, assessment: str, risk_key: str | None = None) -> Proposal:
    """The risk the failure matches (or the one chosen), its severity, response and procedures."""
    risks = matching_risks(document, subject, assessment)
    risk = next((r for r in document.risks if r.id == risk_key), None) if risk_key else (risks[0] if risks else None)
    grid = matrix.of(document)
    # A risk scored in words has no severity: no band is proposed, the linter reports the words.
    severity = (score_of(risk.likelihood) or 0) * (score_of(risk.consequence) or 0) if risk else 0
    procedures: list[str] = []
    if risk and risk.response and risk.response.procedure:
        chosen = next((p for p in document.procedures if p.id == risk.response.procedure), None)
        if chosen is not None and chosen.phase is ProcedurePhase.RESPONSE:
            procedures.append(chosen.id)
    if not procedures and assessment != NOT_A_FAILURE:
        procedures = [p.id for p in _response_procedures(document, {subject.id})][:1]
    if not procedures and assessment != NOT_A_FAILURE:
        procedures = [p.id for p in _response_procedures(document, subject_ids(document, subject))][:1]
    return Proposal(
        assessment=assessment,
        risk=risk,
        severity=severity,
        band=matrix.band(grid, severity) if severity else "",
        response=(risk.response.summary or "") if risk and risk.response else "",
        procedures=tuple(procedures),
    )


def restoration_procedures(document: PlanDocument, subject: Ref) -> list[str]:
    """Restoration procedures for the failed part or for the functions it takes down."""
    about = subject_ids(document, subject)
    return [p.id for p in document.procedures if p.phase is ProcedurePhase.RESTORATION and about & set(p.applies_to)]


def _shortest_rto(function: CriticalFunction, risk: Risk | None) -> tuple[str, Duration | None]:
    """The RTO of the scenario the risk names, else the shortest stated one, and its deadline.

    A range ("1-4 hours") counts as its upper end; words with no time ("if prolonged") give no
    deadline and are shown only when no RTO has one.
    """
    named = [r for r in function.rto if risk is not None and r.risk == risk.id]
    pool = named or function.rto
    timed = [(r, d) for r in pool if (d := duration_of(r.duration)) is not None]
    if timed:
        chosen, deadline = min(timed, key=lambda pair: pair[1].shortest)
        return str(chosen.duration), deadline
    return (str(pool[0].duration), None) if pool else ("", None)


def affected_functions(
    document: PlanDocument, subject: Ref, began_at: datetime, calendar: WorkingCalendar, risk: Risk | None
) -> list[Affected]:
    """Every function lost with `subject`, with the chain of failures and its deadlines from `began_at`."""
    graph = graph_of(document)
    functions = {f.id: f for f in document.functions}
    found: list[Affected] = []
    for impact in affected_by(graph, subject):
        function = functions[impact.function.ref.id]
        chain = tuple(describe(graph, impact).split("; ")) if impact.chain else ()
        rto, rto_deadline = _shortest_rto(function, risk)
        mtpd = duration_of(function.mtpd)
        found.append(
            Affected(
                key=function.id,
                name=function.name,
                chain=chain,
                degraded=impact.degraded,
                rto=rto,
                rto_due_at=calendar.add(began_at, rto_deadline) if rto_deadline else None,
                mtpd=str(function.mtpd) if function.mtpd else "",
                mtpd_due_at=calendar.add(began_at, mtpd) if mtpd else None,
                impact=tuple(
                    (calendar.add(began_at, level.after), level.level.value, level.description or "")
                    for level in sorted(function.impact, key=lambda i: i.after.shortest)
                ),
            )
        )
    return found


def elapsed_words(delta: timedelta) -> str:
    """A duration as people say it: "2 days 3 hours", "40 minutes", "overdue by 1 hour"."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "overdue by " + elapsed_words(-delta)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes and not days:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts) or "less than a minute"
