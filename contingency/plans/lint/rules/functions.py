"""Critical functions: owners, recovery objectives, data recovery, impact over time."""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.directory import Redundancy
from ...spec.plan import ImpactLevel, TriggerKind
from ...spec.written import duration_of
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]
_LEVELS = list(ImpactLevel)


@rule("FN001", "function-without-owner", Severity.ERROR, "A critical function has no owner")
def no_owner(ctx: Context) -> Found:
    """Every critical function needs a named person responsible for its continuity."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.owner is None:
            yield ("functions", i), f"{fn.name} has no owner"


@rule("FN002", "function-without-deputy", Severity.ERROR, "A critical function has no deputy")
def no_deputy(ctx: Context) -> Found:
    """Outages do not wait for the owner to be on shift; a function with no deputy has no one
    responsible when its owner is on leave, ill or unreachable."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.deputy is None:
            yield ("functions", i), f"{fn.name} has no deputy"


@rule("FN003", "deputy-is-owner", Severity.ERROR, "A function's deputy is its owner")
def deputy_is_owner(ctx: Context) -> Found:
    """A deputy who is the owner is no deputy: the function still depends on one person."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.deputy is not None and fn.deputy == fn.owner:
            yield ("functions", i, "deputy"), f"{fn.name}: the deputy is the owner, {ctx.name(fn.owner)}"


@rule("FN004", "rto-exceeds-mtpd", Severity.ERROR, "A recovery time objective is longer than the MTPD")
def rto_over_mtpd(ctx: Context) -> Found:
    """The recovery time objective must not exceed the maximum tolerable period of disruption: a
    function recovered after its MTPD has already done the damage the plan exists to prevent."""
    for i, fn in enumerate(ctx.plan.functions):
        if (mtpd := duration_of(fn.mtpd)) is None:  # words are reported by the as-written rules
            continue
        for j, rto in enumerate(fn.rto):
            if (duration := duration_of(rto.duration)) and duration.shortest > mtpd.longest:
                yield (
                    ("functions", i, "rto", j, "duration"),
                    f"{fn.name}: RTO for {rto.scenario!r} is {rto.duration}, longer than the MTPD of {fn.mtpd}",
                )


@rule("FN005", "escalation-after-mtpd", Severity.ERROR, "A duration rule or trigger point falls after the MTPD")
def after_mtpd(ctx: Context) -> Found:
    """A duration rule ("if beyond 5 working days, source temporary workspace") or an escalation
    trigger that only fires after the function's maximum tolerable period of disruption escalates
    too late to matter."""
    for i, fn in enumerate(ctx.plan.functions):
        if (mtpd := duration_of(fn.mtpd)) is None:
            continue
        for j, duration_rule in enumerate(fn.duration_rules):
            if (after := duration_of(duration_rule.after)) and after.shortest > mtpd.longest:
                yield (
                    ("functions", i, "durationRules", j, "after"),
                    f"{fn.name}: the rule at {duration_rule.after} falls after the MTPD of {fn.mtpd}",
                )
        for k, trigger in enumerate(ctx.plan.triggers):
            after = duration_of(trigger.after)
            if trigger.kind is TriggerKind.AFTER and after and after.shortest > mtpd.longest:
                yield (
                    ("triggers", k, "after"),
                    f"{trigger.name} at {trigger.after} falls after the MTPD of {fn.name} ({fn.mtpd})",
                )


@rule("FN006", "no-data-recovery-method", Severity.ERROR, "No method for recovering data collected during downtime")
def no_data_recovery(ctx: Context) -> Found:
    """What was done by hand during the outage must reach the system afterwards; without a stated
    method (re-key manual records, re-send images from the modalities) nobody can prove it did."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.data_recovery is None:
            yield ("functions", i), f"{fn.name} has no method for recovering data collected during downtime"


@rule("FN007", "missing-recovery-objectives", Severity.ERROR, "A function has no RTO or no MTPD")
def missing_objectives(ctx: Context) -> Found:
    """Without a recovery time objective and a maximum tolerable period of disruption, nobody can
    tell whether recovery is on time, nor when to escalate. RPO is expected where data is held."""
    for i, fn in enumerate(ctx.plan.functions):
        missing = [name for name, value in (("RTO", fn.rto), ("MTPD", fn.mtpd)) if not value]
        if missing:
            yield ("functions", i), f"{fn.name} has no {' and no '.join(missing)}"


@rule("FN008", "rpo-shorter-than-backups", Severity.WARNING, "The RPO is shorter than the backup interval")
def rpo_vs_backup(ctx: Context) -> Found:
    """A function that tolerates losing one hour of data but depends on a system backed up daily,
    with no replication, will lose up to a day: the RPO is a wish, not a capability."""
    for i, fn in enumerate(ctx.plan.functions):
        if (rpo := duration_of(fn.rpo)) is None:
            continue
        for key in fn.depends_on:
            system = ctx.item(key) if ctx.kind(key) == "system" else None
            if system is None or system.backup is None or system.redundancy is not Redundancy.NONE:
                continue
            every = duration_of(system.backup.every)
            if every is not None and every.shortest > rpo.longest:
                yield (
                    ("functions", i, "rpo"),
                    f"{fn.name}: RPO is {fn.rpo} but {system.name} is backed up every {system.backup.every}"
                    " with no replication",
                )


@rule("FN009", "function-without-procedure", Severity.WARNING, "A critical function has no procedure")
def no_procedure(ctx: Context) -> Found:
    """Each critical function needs a procedure saying what to do when it fails (linked from the
    function, or a procedure that applies to it)."""
    covered = {key for p in ctx.plan.procedures for key in p.applies_to}
    for i, fn in enumerate(ctx.plan.functions):
        if not fn.procedures and fn.id not in covered:
            yield ("functions", i), f"{fn.name} has no procedure"


@rule("FN010", "no-impact-assessment", Severity.WARNING, "A function has no impact assessment over time")
def no_impact(ctx: Context) -> Found:
    """The business impact analysis records how the impact of losing a function grows with time;
    without it there is no basis for the RTO and MTPD."""
    for i, fn in enumerate(ctx.plan.functions):
        if not fn.impact:
            yield ("functions", i), f"{fn.name} has no impact assessment"


@rule("FN011", "impact-decreases", Severity.WARNING, "Impact falls as the disruption lengthens")
def impact_decreases(ctx: Context) -> Found:
    """Impact over time should be listed in order of duration and never fall as the outage goes on;
    a falling level is usually a typing error in the business impact analysis."""
    for i, fn in enumerate(ctx.plan.functions):
        for j, (before, after) in enumerate(zip(fn.impact, fn.impact[1:], strict=False), start=1):
            if after.after.longest < before.after.shortest:
                yield ("functions", i, "impact", j, "after"), f"{fn.name}: impact entries are not in order of duration"
            elif _LEVELS.index(after.level) < _LEVELS.index(before.level):
                yield (
                    ("functions", i, "impact", j, "level"),
                    f"{fn.name}: impact falls from {before.level.value} to {after.level.value} after {after.after}",
                )
