"""The lint engine: rules are plain functions over a PlanDocument, registered with `@rule`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import cached_property
from typing import Any

from ..matrix import of as matrix_of
from ..problems import Path
from ..spec import PlanDocument
from ..spec.plan import RiskMatrix
from ..validate import Entry, index


class Severity(Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    path: Path


@dataclass(frozen=True)
class PrintedLocation:
    """The last pack printed for one place copies are kept (a copy holder's location)."""

    location: str
    issue: int
    printed_on: date


@dataclass(frozen=True)
class PrintFacts:
    """What the print register says about one plan. The caller reads it from the database (see
    packs/register.py) and passes it in: rules never query. None means no register to hand
    (linting files on the command line), and the rules that need it say nothing."""

    locations: tuple[PrintedLocation, ...] = ()
    last_printed: date | None = None  # the last pack of the plan printed for any copy
    contact_list_months: int = 3  # the organisation's chosen period for reprinting contact lists


@dataclass(frozen=True)
class ExerciseDue:
    """One kind of exercise in the plan's programme, as the exercises app computed it on the caller's day."""

    label: str  # "table-top exercise"
    months: int  # the cadence: every so many months
    last: date | None  # the last one done; None: never
    due: date | None  # when the next is due; None: never done, so due now
    overdue: bool  # never done, or past its due date


@dataclass(frozen=True)
class SupplierAssurance:
    """What the supplier assurance register says about one supplier the plan names, judged on the
    caller's day by the suppliers app: its findings in words, none when the record is in order."""

    supplier: str  # the supplier's id in the plan
    missing: bool  # no assurance on file at all
    findings: tuple[str, ...] = ()


def location_of(copy_number: int, location: str | None) -> str:
    """Where a numbered copy is kept, as the register names it: the holder's location, or the copy itself."""
    return location.strip() if location and location.strip() else f"copy {copy_number} (no location given)"


@dataclass(frozen=True)
class Options:
    """What a rule may need besides the plan. `today` is injected so results are reproducible."""

    today: date
    max_responsibilities: int = 5
    printing: PrintFacts | None = None
    # The exercise programme's rows for this plan and the assurance of its suppliers, read by the caller
    # from the database like `printing` (the plans app never imports those apps). None: not to hand
    # (linting files), and the rules that need them say nothing.
    exercises: tuple[ExerciseDue, ...] | None = None
    suppliers: tuple[SupplierAssurance, ...] | None = None


@dataclass
class Context:
    plan: PlanDocument
    options: Options

    @cached_property
    def ids(self) -> dict[str, Entry]:
        return index(self.plan)[0]

    @property
    def matrix(self) -> RiskMatrix:
        return matrix_of(self.plan)

    def kind(self, key: str) -> str | None:
        entry = self.ids.get(key)
        return entry.kind if entry else None

    def item(self, key: str) -> Any:
        entry = self.ids.get(key)
        return entry.item if entry else None

    def name(self, key: str) -> str:
        item = self.item(key)
        return str(getattr(item, "name", None) or getattr(item, "title", None) or key)


Check = Callable[[Context], Iterable[tuple[Path, str]]]


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    explanation: str
    check: Check = field(compare=False, repr=False)

    def run(self, context: Context) -> Iterator[Finding]:
        for path, message in self.check(context):
            yield Finding(self.id, self.severity, message, path)


RULES: dict[str, Rule] = {}


def rule(rule_id: str, name: str, severity: Severity, summary: str) -> Callable[[Check], Check]:
    """Register a lint rule; its docstring is the explanation shown in docs and SARIF."""

    def register(check: Check) -> Check:
        if rule_id in RULES:
            raise ValueError(f"lint rule {rule_id} registered twice")
        explanation = " ".join((check.__doc__ or "").split())
        RULES[rule_id] = Rule(rule_id, name, severity, summary, explanation, check)
        return check

    return register


def lint(plan: PlanDocument, options: Options, *, rules: Iterable[str] | None = None) -> list[Finding]:
    """Run every registered rule (or the ones named) over one plan; findings in rule order."""
    context = Context(plan, options)
    chosen = [RULES[r] for r in rules] if rules is not None else sorted(RULES.values(), key=lambda r: r.id)
    return [finding for r in chosen for finding in r.run(context)]


def severity_counts(findings: Iterable[Finding]) -> dict[Severity, int]:
    """How many findings of each severity, every severity present (most severe first)."""
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts
