"""What an auditor asks of any plan: is it exercised, and does each function know its data loss."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...problems import Path
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]

_EXERCISE = re.compile(r"\b(exercis\w*|test\w*|drill\w*|rehears\w*|walk-?through|table-?top|simulat\w*)\b", re.I)


@rule("AUD001", "never-exercised", Severity.WARNING, "The plan is never exercised or tested")
def never_exercised(ctx: Context) -> Found:
    """ISO 22301 (8.5) and the NHS EPRR core standards expect a continuity plan to be exercised at
    least annually: a plan never rehearsed fails on its first real use. Record the exercise or test
    (table-top, live test of the fail-over, call-tree test) under monitoring, with how often."""
    if not ctx.plan.functions:
        return
    if not any(_EXERCISE.search(m.activity) for m in ctx.plan.monitoring):
        yield ("monitoring",), "no monitoring activity exercises or tests the plan"


@rule("AUD002", "no-rpo-for-held-data", Severity.WARNING, "A function that relies on backed-up data has no RPO")
def no_rpo(ctx: Context) -> Found:
    """A function depending on a system that is backed up holds data; without a recovery point
    objective nobody has said how much of it may be lost, so the backup interval cannot be judged."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.rpo is not None:
            continue
        held = [ctx.name(k) for k in fn.depends_on if ctx.kind(k) == "system" and ctx.item(k).backup is not None]
        if held:
            yield ("functions", i), f"{fn.name} relies on {', '.join(held)}, which hold data, but has no RPO"


@rule("AUD003", "risk-without-owner", Severity.WARNING, "A risk has no owner")
def risk_without_owner(ctx: Context) -> Found:
    """NHS risk management policies, like ISO 31000, give every risk an owner who keeps its scores,
    causes and response current; a risk nobody owns is reviewed by nobody between issues."""
    for i, risk in enumerate(ctx.plan.risks):
        if risk.owner is None:
            yield ("risks", i), f"{risk.title} has no owner"


@rule("AUD004", "duration-rule-without-owner", Severity.WARNING, "A duration rule says what to do but not who")
def duration_rule_without_owner(ctx: Context) -> Found:
    """ "If beyond 2 days, divert to the partner laboratory" is a decision someone must take at the
    time: a duration rule with no owner falls due with nobody watching the clock."""
    for i, fn in enumerate(ctx.plan.functions):
        for j, duration_rule in enumerate(fn.duration_rules):
            if duration_rule.owner is None:
                yield (
                    ("functions", i, "durationRules", j),
                    f"{fn.name}: nobody acts when it is out {duration_rule.after}",
                )


@rule("AUD005", "no-invoking-level", Severity.WARNING, "No escalation level invokes the plan")
def no_invoking_level(ctx: Context) -> Found:
    """An escalation ladder should say at which level the plan is invoked (the level whose holder
    decides, and from which the trigger points run); a ladder where no level does leaves the plan
    waiting for a decision nobody is named to take."""
    if ctx.plan.escalation and not any(level.invokes_plan for level in ctx.plan.escalation):
        yield ("escalation",), "no escalation level invokes the plan (invokesPlan: true)"
