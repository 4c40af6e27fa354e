"""A stored plan's lint findings with what the registers say about it: the print register (packs), the
exercise programme (exercises) and the supplier assurance register (suppliers).

Lint rules are pure and never query (plans.lint); the plans app imports none of these apps. The facts
are read here, above all of them, and passed in as `Options.printing`, `Options.exercises` and
`Options.suppliers` (ADR 0016, 0038). Linting a file (`contingency plan lint FILE`) has none of them,
and the rules that read them say nothing.

The plan's own findings are built once per revision (plans.readmodel). The rules that read the
registers are run on every call over facts read afresh: recording an exercise, a print or a
supplier's assurance changes no plan revision, so nothing keyed by revision may hold them. A
caller that caches what it renders from them (the dashboard) keys it by the facts themselves.

A laptop's copy of a plan (`Plan.mirrored_from`) has no exercise or supplier records of its own: they
are kept on the main server, so those rules say nothing there rather than "never done".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from contingency.exercises import programme
from contingency.exercises import services as exercises
from contingency.packs import register
from contingency.plans import readmodel
from contingency.plans.lint import ExerciseDue, Finding, Options, PrintFacts, SupplierAssurance, lint
from contingency.plans.models import Plan
from contingency.suppliers import findings as supplier_findings
from contingency.suppliers import services as suppliers

PRINT_RULES = register.PRINT_RULES
EXERCISE_RULES = ("EXR001", "EXR002")
SUPPLIER_RULES = ("SUP001", "SUP002")
FACT_RULES = (*EXERCISE_RULES, *PRINT_RULES, *SUPPLIER_RULES)


@dataclass(frozen=True)
class Known:
    """What the exercise programme and the supplier register say about one plan (hashable: a cache key)."""

    exercises: tuple[ExerciseDue, ...] | None
    suppliers: tuple[SupplierAssurance, ...] | None


def known(
    plan: Plan,
    today: date,
    *,
    rows: Sequence[programme.Row] | None = None,
    held: Mapping[str, supplier_findings.AssuranceFacts] | None = None,
) -> Known:
    """The plan's exercise programme and its suppliers' assurance on `today`. `rows` (the organisation's
    programme) and `held` (its assurance on file) when the caller has read them for many plans already."""
    if plan.mirrored_from:
        return Known(None, None)
    keys = [s.id for s in readmodel.view(plan).document.suppliers]
    if rows is None:
        rows = exercises.programme_of(plan.organisation, today, [(plan.key, plan.title)])
    if held is None:
        held = suppliers.assurance_facts(plan.organisation, keys) if keys else {}
    return Known(exercises.lint_facts(rows, plan.key), suppliers.lint_facts(held, keys, today))


def findings(
    plan: Plan, today: date, *, printing: PrintFacts | None = None, facts: Known | None = None
) -> list[Finding]:
    """The plan's lint findings on `today`: its own (built once per revision) and those of the registers' facts."""
    view = readmodel.view(plan)
    facts = facts if facts is not None else known(plan, today)
    options = Options(
        today=today,
        printing=printing if printing is not None else register.print_facts(plan),
        exercises=facts.exercises,
        suppliers=facts.suppliers,
    )
    found = lint(view.document, options, rules=FACT_RULES)
    return sorted([*view.findings(today), *found], key=lambda finding: finding.rule)
