"""Each requirement's status on a chosen date, from plain facts (pure: no database, no clock).

A framework's requirement names evidence rules (`contingency_evidence` in its library file). Each
computed rule looks at facts the product already holds - plan issues and reviews, the business impact
analysis, the print register, incidents and their reviews - as they stood on the date asked about, and
is met, partly met (some plans but not all) or not met. Manual evidence (a file someone attested) that
is in force on the date meets the requirement whatever the computed rules say: it is the organisation's
word, dated, signed and expiring, and the evidence pack shows it as such.

The plan parts (functions, risks, document control) are the plan's rows as they are now; issues,
reviews, prints, incidents, exercises, manual evidence and suppliers' assurance records (through the
audit log's history of the register) are dated, so the past is read as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from contingency.plans.workflow import add_months
from contingency.suppliers.findings import AssuranceFacts, Version, as_of
from contingency.suppliers.findings import findings as supplier_findings


class Status(StrEnum):
    MET = "met"
    PARTLY = "partly"
    NOT_MET = "not-met"

    @property
    def label(self) -> str:
        return {"met": "met", "partly": "partly met", "not-met": "not met"}[self.value]


@dataclass(frozen=True)
class Rule:
    """One evidence rule of a requirement: `kind` (see KINDS) and, for windows, `months`."""

    kind: str
    months: int | None = None


# Each kind, what it checks, and the window it uses when the library gives none (None: no window).
KINDS: dict[str, tuple[str, int | None]] = {
    "plan-in-date": ("every plan has an issue that is within its review date", None),
    "plan-reviewed": ("every plan was issued or reviewed within the window", 12),
    "bia-reviewed": ("every plan has a business impact analysis, issued or reviewed within the window", 12),
    "risks-assessed": ("every plan has risks scored for likelihood and consequence", None),
    "document-control": ("every plan has a number, an approval date and a record of its changes", None),
    "contacts-printed": ("every plan's contact lists were printed within the window", None),
    "live-exercise": ("a finished live exercise, or a real incident with a completed review, within the window", 36),
    "communications-test": ("a communications test exercise finished within the window", 6),
    "table-top-exercise": ("a table-top exercise finished within the window", 12),
    "reviews-completed": ("every incident closed within the window has a completed review", 12),
    "lessons-closed": ("every action from incident reviews due by the date is done", None),
    "supplier-assurance": (
        "every supplier named in a plan has its continuity assurance on file, in review and tested within the window",
        12,
    ),
    "manual": ("manual evidence, attested and in date", 12),
}
PLAN_KINDS = frozenset(
    {"plan-in-date", "plan-reviewed", "bia-reviewed", "risks-assessed", "document-control", "contacts-printed"}
)


# ------------------------------------------------------------------------------------------ facts


@dataclass(frozen=True)
class PlanFacts:
    key: str
    title: str
    created_on: date
    issues: tuple[tuple[int, date], ...] = ()  # (issue, issue date), any order
    reviews: tuple[tuple[date, date], ...] = ()  # (reviewed on, next review date)
    current_issue: int = 0
    review_date: date | None = None  # the current issue's review date
    review_months: int = 12  # the plan's review interval, for an older issue's review date
    bia_functions: int = 0  # critical functions with an impact over time
    functions: int = 0
    scored_risks: int = 0
    number: str = ""
    approval_date: date | None = None
    changes_of_current_issue: int = 0
    printed: tuple[date, ...] = ()  # days printed (the print register)


@dataclass(frozen=True)
class ActionFacts:
    due_on: date
    done_on: date | None
    text: str


@dataclass(frozen=True)
class IncidentFacts:
    number: int
    title: str
    invoked_on: date | None
    closed_on: date | None  # stood down (or restored, if never stood down)
    review_completed_on: date | None
    actions: tuple[ActionFacts, ...] = ()


@dataclass(frozen=True)
class ExerciseFacts:
    number: int
    plan_title: str
    kind: str  # exercises.models.Kind: communications, table-top or live
    finished_on: date


# The exercise kind each exercise rule counts (a finished live exercise counts for live-exercise too).
EXERCISE_KINDS = {"communications-test": "communications", "table-top-exercise": "table-top", "live-exercise": "live"}


@dataclass(frozen=True)
class ManualFacts:
    pk: int
    requirement_urn: str
    title: str
    attested_by: str
    attested_on: date
    expires_on: date
    file_name: str


@dataclass(frozen=True)
class SupplierFacts:
    """A supplier named in the plans (as they are now), its assurance record as it is now (None: none on
    file), and the record's history: each version with the day it was written, from the audit log. The rule
    reads the version in force on the date asked about; None: no history to hand (see suppliers.findings.as_of)."""

    key: str
    name: str
    assurance: AssuranceFacts | None = None
    history: tuple[Version, ...] | None = None


@dataclass(frozen=True)
class Facts:
    plans: tuple[PlanFacts, ...] = ()
    incidents: tuple[IncidentFacts, ...] = ()
    manual: tuple[ManualFacts, ...] = ()
    print_months: int = 3  # the organisation's print policy, for contacts-printed without a window
    suppliers: tuple[SupplierFacts, ...] = ()
    exercises: tuple[ExerciseFacts, ...] = ()  # finished exercises (an exercise's incident is not in `incidents`)


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence: what it is, its date, and what it points at (kind, key) for a link."""

    label: str
    on: date | None
    ref: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    description: str
    status: Status
    summary: str
    evidence: tuple[Evidence, ...] = ()
    gaps: tuple[str, ...] = ()  # what is missing, in words (the plans that fall short ...)


@dataclass(frozen=True)
class RequirementStatus:
    urn: str
    status: Status
    results: tuple[RuleResult, ...] = ()
    manual: tuple[ManualFacts, ...] = ()  # manual evidence in force on the date
    expired: tuple[ManualFacts, ...] = ()  # manual evidence recorded by the date but no longer in force

    @property
    def attested(self) -> bool:
        return bool(self.manual)


@dataclass
class Tally:
    met: int = 0
    partly: int = 0
    not_met: int = 0
    by_urn: dict[str, RequirementStatus] = field(default_factory=dict)

    def add(self, status: RequirementStatus) -> None:
        self.by_urn[status.urn] = status
        if status.status is Status.MET:
            self.met += 1
        elif status.status is Status.PARTLY:
            self.partly += 1
        else:
            self.not_met += 1

    @property
    def total(self) -> int:
        return self.met + self.partly + self.not_met


# ------------------------------------------------------------------------------------------ rules


def window_start(on: date, months: int) -> date:
    return add_months(on, -months)


def _share(passing: Sequence[str], failing: Sequence[str], what: str) -> tuple[Status, str]:
    """The status of a per-plan rule: every plan, some plans, or none."""
    total = len(passing) + len(failing)
    if total == 0:
        return Status.NOT_MET, "no plans on this date"
    if not failing:
        return Status.MET, f"all {total} plan(s) {what}"
    if passing:
        return Status.PARTLY, f"{len(passing)} of {total} plan(s) {what}"
    return Status.NOT_MET, f"none of {total} plan(s) {what}"


def _latest_issue(plan: PlanFacts, on: date) -> tuple[int, date] | None:
    found = [(issue, day) for issue, day in plan.issues if day <= on]
    return max(found, key=lambda item: (item[1], item[0])) if found else None


def _review_due(plan: PlanFacts, on: date) -> date | None:
    """The plan's review date as it stood on `on`: a later review's next date, else its issue's review date."""
    latest = _latest_issue(plan, on)
    if latest is None:
        return None
    issue, issued_on = latest
    due = plan.review_date if issue == plan.current_issue and plan.review_date else None
    if due is None:
        due = add_months(issued_on, plan.review_months)
    for reviewed_on, next_date in plan.reviews:
        if issued_on <= reviewed_on <= on:
            due = max(due, next_date)
    return due


def _last_looked_at(plan: PlanFacts, on: date) -> date | None:
    """The last day by `on` the plan was issued or reviewed."""
    days = [day for _, day in plan.issues if day <= on] + [day for day, _ in plan.reviews if day <= on]
    return max(days) if days else None


def _plan_rule(rule: Rule, plans: Sequence[PlanFacts], on: date, print_months: int) -> RuleResult:
    default = KINDS[rule.kind][1]
    months = rule.months if rule.months is not None else default
    if rule.kind == "contacts-printed" and months is None:
        months = print_months
    passing: list[str] = []
    failing: list[str] = []
    evidence: list[Evidence] = []
    gaps: list[str] = []
    live = [plan for plan in plans if plan.created_on <= on]
    for plan in live:
        ref = ("plan", plan.key)
        ok, day, label, gap = False, None, "", ""
        if rule.kind == "plan-in-date":
            latest, due = _latest_issue(plan, on), _review_due(plan, on)
            if latest is None:
                gap = f"{plan.title}: not issued by this date"
            elif due is not None and due < on:
                gap = f"{plan.title}: issue {latest[0]} was due for review on {due:%d %b %Y}"
            else:
                ok, day = True, latest[1]
                label = f"{plan.title}: issue {latest[0]}, in date until {due:%d %b %Y}" if due else ""
        elif rule.kind in ("plan-reviewed", "bia-reviewed"):
            assert months is not None
            last = _last_looked_at(plan, on)
            since = window_start(on, months)
            if rule.kind == "bia-reviewed" and plan.bia_functions == 0:
                gap = f"{plan.title}: no critical function has its impact over time"
            elif last is None or last < since:
                gap = f"{plan.title}: not issued or reviewed since {since:%d %b %Y}"
            else:
                ok, day = True, last
                what = f"BIA of {plan.bia_functions} function(s)" if rule.kind == "bia-reviewed" else "plan"
                label = f"{plan.title}: {what} issued or reviewed {last:%d %b %Y}"
        elif rule.kind == "risks-assessed":
            if plan.scored_risks:
                ok, day = True, _last_looked_at(plan, on)
                label = f"{plan.title}: {plan.scored_risks} risk(s) scored"
            else:
                gap = f"{plan.title}: no risk scored"
        elif rule.kind == "document-control":
            missing = [
                name
                for name, present in (
                    ("a document number", bool(plan.number)),
                    ("an approval date", plan.approval_date is not None),
                    ("a record of changes for its issue", plan.changes_of_current_issue > 0),
                )
                if not present
            ]
            if missing:
                gap = f"{plan.title}: no " + ", ".join(m.removeprefix("a ").removeprefix("an ") for m in missing)
            else:
                ok, day = True, plan.approval_date
                label = f"{plan.title}: {plan.number}, approved {plan.approval_date:%d %b %Y}"
        elif rule.kind == "contacts-printed":
            assert months is not None
            since = window_start(on, months)
            printed = [d for d in plan.printed if since <= d <= on]
            if printed:
                ok, day = True, max(printed)
                label = f"{plan.title}: contact lists printed {day:%d %b %Y}"
            else:
                gap = f"{plan.title}: not printed since {since:%d %b %Y}"
        (passing if ok else failing).append(plan.key)
        if ok:
            evidence.append(Evidence(label or plan.title, day, ref))
        else:
            gaps.append(gap)
    status, summary = _share(passing, failing, _VERB[rule.kind])
    return RuleResult(rule, _describe(rule.kind, months), status, summary, tuple(evidence), tuple(gaps))


_VERB = {
    "plan-in-date": "are issued and within their review date",
    "plan-reviewed": "were issued or reviewed in time",
    "bia-reviewed": "have a business impact analysis issued or reviewed in time",
    "risks-assessed": "have scored risks",
    "document-control": "have full document control",
    "contacts-printed": "had their contact lists printed in time",
}


def _describe(kind: str, months: int | None) -> str:
    text = KINDS[kind][0]
    return f"{text} ({months} months)" if months is not None and "window" in text else text


def _incident_rule(rule: Rule, incidents: Sequence[IncidentFacts], on: date) -> RuleResult:
    default = KINDS[rule.kind][1]
    months = rule.months if rule.months is not None else default
    described = _describe(rule.kind, months)
    if rule.kind == "live-exercise":
        assert months is not None
        since = window_start(on, months)
        found = [
            i
            for i in incidents
            if i.invoked_on is not None and i.review_completed_on is not None and since <= i.review_completed_on <= on
        ]
        if not found:
            gap = f"no invoked incident with a review completed since {since:%d %b %Y}"
            return RuleResult(rule, described, Status.NOT_MET, "no live exercise in the window", (), (gap,))
        evidence = tuple(
            Evidence(
                f"Incident #{i.number} {i.title}: review completed", i.review_completed_on, ("incident", str(i.number))
            )
            for i in sorted(found, key=lambda i: i.review_completed_on or on, reverse=True)
        )
        return RuleResult(rule, described, Status.MET, f"{len(found)} incident(s) reviewed in the window", evidence)
    if rule.kind == "reviews-completed":
        assert months is not None
        since = window_start(on, months)
        closed = [i for i in incidents if i.invoked_on is not None and i.closed_on and since <= i.closed_on <= on]
        if not closed:
            return RuleResult(rule, described, Status.MET, "no incident closed in the window: nothing to review")
        done = [i for i in closed if i.review_completed_on is not None and i.review_completed_on <= on]
        done_numbers = {i.number for i in done}
        evidence = tuple(
            Evidence(
                f"Incident #{i.number} {i.title}: review completed", i.review_completed_on, ("incident", str(i.number))
            )
            for i in done
        )
        gaps = tuple(
            f"Incident #{i.number} {i.title}: closed {i.closed_on:%d %b %Y}, review not completed"
            for i in closed
            if i.number not in done_numbers
        )
        status = Status.MET if not gaps else (Status.PARTLY if done else Status.NOT_MET)
        return RuleResult(rule, described, status, f"{len(done)} of {len(closed)} review(s) completed", evidence, gaps)
    # lessons-closed
    due = [(i, a) for i in incidents for a in i.actions if a.due_on <= on]
    if not due:
        return RuleResult(rule, described, Status.MET, "no action from a review was due by this date")
    finished = [a.done_on is not None and a.done_on <= on for _, a in due]
    evidence = tuple(
        Evidence(f"Incident #{i.number}: {a.text}", a.done_on, ("incident", str(i.number)))
        for (i, a), ok in zip(due, finished, strict=True)
        if ok
    )
    gaps = tuple(
        f"Incident #{i.number}: {a.text} (due {a.due_on:%d %b %Y})"
        for (i, a), ok in zip(due, finished, strict=True)
        if not ok
    )
    status = Status.MET if not gaps else (Status.PARTLY if evidence else Status.NOT_MET)
    return RuleResult(rule, described, status, f"{len(evidence)} of {len(due)} action(s) done", evidence, gaps)


def _supplier_rule(rule: Rule, suppliers: Sequence[SupplierFacts], on: date) -> RuleResult:
    """Each supplier's assurance as it stood on `on`, judged on `on` (its test within the window, its review
    date not passed)."""
    months = rule.months if rule.months is not None else KINDS[rule.kind][1]
    assert months is not None
    described = _describe(rule.kind, months)
    if not suppliers:
        return RuleResult(rule, described, Status.MET, "no supplier is named in a plan")
    evidence: list[Evidence] = []
    gaps: list[str] = []
    for supplier in suppliers:
        then = as_of(supplier.assurance, supplier.history, on)  # the record as it stood on `on`
        found = supplier_findings(then, on, months=months)
        if found:
            gaps.append(f"{supplier.name}: {', '.join(found)}")
        else:
            tested = then.last_tested_on if then else None
            evidence.append(Evidence(f"{supplier.name}: continuity tested", tested, ("supplier", supplier.key)))
    status = Status.MET if not gaps else (Status.PARTLY if evidence else Status.NOT_MET)
    summary = f"{len(evidence)} of {len(suppliers)} supplier(s) assured"
    return RuleResult(rule, described, status, summary, tuple(evidence), tuple(gaps))


def evaluate_rule(rule: Rule, facts: Facts, on: date) -> RuleResult | None:
    """One computed rule's result on `on`; None for a manual rule (see evaluate)."""
    if rule.kind == "manual":
        return None
    if rule.kind == "supplier-assurance":
        return _supplier_rule(rule, facts.suppliers, on)
    if rule.kind in PLAN_KINDS:
        return _plan_rule(rule, facts.plans, on, facts.print_months)
    if rule.kind in EXERCISE_KINDS:
        exercised = _exercise_rule(rule, facts.exercises, on)
        if rule.kind != "live-exercise" or exercised.status is Status.MET:
            return exercised
    return _incident_rule(rule, facts.incidents, on)


def _exercise_rule(rule: Rule, exercises: Sequence[ExerciseFacts], on: date) -> RuleResult:
    """An exercise of the rule's kind finished within the window."""
    months = rule.months if rule.months is not None else KINDS[rule.kind][1]
    assert months is not None
    described = _describe(rule.kind, months)
    kind = EXERCISE_KINDS[rule.kind]
    since = window_start(on, months)
    found = sorted(
        (e for e in exercises if e.kind == kind and since <= e.finished_on <= on),
        key=lambda e: e.finished_on,
        reverse=True,
    )
    if not found:
        gap = f"no {kind} exercise finished since {since:%d %b %Y}"
        return RuleResult(rule, described, Status.NOT_MET, f"no {kind} exercise in the window", (), (gap,))
    evidence = tuple(
        Evidence(f"Exercise {e.number}: {kind} exercise of {e.plan_title}", e.finished_on, ("exercise", str(e.number)))
        for e in found
    )
    return RuleResult(rule, described, Status.MET, f"{len(found)} {kind} exercise(s) in the window", evidence)


def in_force(item: ManualFacts, on: date) -> bool:
    """Manual evidence counts from the day it was attested until the day before it expires."""
    return item.attested_on <= on < item.expires_on


def evaluate(
    urn: str, rules: Sequence[Rule], facts: Facts, on: date, cache: dict[Rule, RuleResult | None] | None = None
) -> RequirementStatus:
    """A requirement's status on `on`: met by manual evidence in force, else by its computed rules.

    `cache` keeps each rule's result for these facts and this date: many requirements share a rule, and a
    framework's requirements are assessed together (pass a fresh dict for each facts and date)."""
    if cache is None:
        cache = {}
    for rule in rules:
        if rule not in cache:
            cache[rule] = evaluate_rule(rule, facts, on)
    mine = [m for m in facts.manual if m.requirement_urn == urn and m.attested_on <= on]
    current = tuple(sorted((m for m in mine if in_force(m, on)), key=lambda m: m.attested_on, reverse=True))
    expired = tuple(m for m in mine if not in_force(m, on))
    results = tuple(r for r in (cache[rule] for rule in rules) if r is not None)
    if current:
        status = Status.MET
    elif not results:
        status = Status.NOT_MET
    elif all(r.status is Status.MET for r in results):
        status = Status.MET
    elif any(r.status is not Status.NOT_MET for r in results):
        status = Status.PARTLY
    else:
        status = Status.NOT_MET
    return RequirementStatus(urn, status, results, current, expired)


def manual_months(rules: Sequence[Rule]) -> int:
    """How long manual evidence for a requirement lasts by default: its manual rule's window, else 12 months."""
    for rule in rules:
        if rule.kind == "manual" and rule.months:
            return rule.months
    return KINDS["manual"][1] or 12
