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
