"""What the dashboard says about an organisation's plans: review dates, lint, testing, who holds most.

Pure functions over PlanDocuments and lint findings (the view passes in each plan's read model).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from contingency.plans import workflow
from contingency.plans.lint import Finding, Options, PrintFacts, Severity, lint, severity_counts
from contingency.plans.problems import format_path
from contingency.plans.spec import PlanDocument
from contingency.plans.workflow import ReviewState

# Words in a monitoring activity that we take as evidence the plan is tested or exercised.
_TESTED = re.compile(r"\b(test(s|ed|ing)?|exercis(e|es|ed|ing)|table-?top|drill|rehears(e|al|als|ed))\b", re.I)


@dataclass(frozen=True)
class Review:
    state: str  # "overdue", "due" or "ok"
    label: str


_REVIEW_LABELS = {
    ReviewState.OVERDUE: "review overdue",
    ReviewState.DUE: "review due soon",
    ReviewState.OK: "review not due",
}


def review_state(review_date: date, today: date) -> Review:
    state = workflow.review_state(review_date, today)
    return Review(state.value, _REVIEW_LABELS[state])


@dataclass(frozen=True)
class FindingLine:
    severity: str
    rule: str
    message: str
    where: str  # e.g. procedures[0].steps[6]


@dataclass(frozen=True)
class LintCounts:
    errors: int
    warnings: int
    infos: int
    findings: tuple[FindingLine, ...] = ()

    @property
    def total(self) -> int:
        return self.errors + self.warnings + self.infos


def lint_counts(document: PlanDocument, today: date, printing: PrintFacts | None = None) -> LintCounts:
    """The plan's lint findings by severity, as `contingency plan lint` finds them on that day
    (with the print register's facts when given)."""
    return counts_of(lint(document, Options(today=today, printing=printing)))


def counts_of(findings: Sequence[Finding]) -> LintCounts:
    """Lint findings by severity, with a line for each."""
    found = severity_counts(findings)
    lines = tuple(FindingLine(f.severity.value, f.rule, f.message, format_path(f.path)) for f in findings)
    return LintCounts(found[Severity.ERROR], found[Severity.WARNING], found[Severity.INFO], lines)


def evidence_of_testing(document: PlanDocument) -> list[str]:
    """Monitoring activities that mention a test or an exercise: the only evidence of testing a plan holds."""
    return [m.activity for m in document.monitoring if _TESTED.search(m.activity)]


@dataclass(frozen=True)
class Untested:
    plan_key: str
    plan_title: str
    function_id: str
    function_name: str


def untested_functions(documents: Iterable[PlanDocument]) -> list[Untested]:
    """Critical functions whose plan schedules no test or exercise at all."""
    return [Untested(d.id, d.title, f.id, f.name) for d in documents if not evidence_of_testing(d) for f in d.functions]


def _named(document: PlanDocument) -> Iterator[str | None]:
    """Every place the plan names someone to own, deputise, act, chair or be the contact."""
    doc = document.document
    yield doc.owner
    for fn in document.functions:
        yield fn.owner
        yield fn.deputy
        if fn.data_recovery:
            yield fn.data_recovery.owner
        yield from (r.owner for r in fn.duration_rules)
    yield from (r.owner for r in document.risks)
    for level in document.escalation:
        yield from level.who
    for procedure in document.procedures:
        yield from (s.who for s in procedure.steps)
    for trigger in document.triggers:
        yield trigger.chair
        yield from (a.who for a in trigger.actions)
    yield from (m.owner for m in document.monitoring)
    for role in document.roles:
        for contact in (role.in_hours, role.out_of_hours):
            if contact:
                yield contact.person


@dataclass(frozen=True)
class Holder:
    name: str
    job_title: str | None
    count: int
    plans: tuple[str, ...]


def most_responsible(documents: Iterable[PlanDocument], top: int = 10) -> list[Holder]:
    """People by how often the plans name them (roles and suppliers are not counted), most first.

    A person is the same person across plans when their id and name match.
    """
    counts: Counter[tuple[str, str]] = Counter()
    titles: dict[tuple[str, str], str | None] = {}
    plans: dict[tuple[str, str], list[str]] = {}
    for document in documents:
        people = {p.id: p for p in document.people}
        for key in _named(document):
            person = people.get(key) if key else None
            if person is None:
                continue
            who = (person.id, person.name)
            counts[who] += 1
            titles.setdefault(who, person.job_title)
            seen = plans.setdefault(who, [])
            if document.title not in seen:
                seen.append(document.title)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][1]))
    return [Holder(who[1], titles[who], n, tuple(plans[who])) for who, n in ranked[:top]]
