"""Probes: every check can raise the alarm, somebody is called when it does, and checks do not overlap."""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.probes import DEFAULT_EVERY
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


@rule(
    "PRB001",
    "probe-interval-without-threshold",
    Severity.WARNING,
    "A check runs at an interval but never opens an incident",
)
def interval_without_threshold(ctx: Context) -> Found:
    """A check given an interval (its own `every`, or the system's `probes.every`) but no `failAfter`
    (its own or the system's) is watched and shown, but its failures never open an incident: the
    outage is still learned of from the telephone. Say after how many failing intervals it counts."""
    for i, system in enumerate(ctx.plan.systems):
        settings = system.probes
        for j, component in enumerate(system.components):
            for k, check in enumerate(component.checks):
                every = check.every or (settings.every if settings else None)
                threshold = check.fail_after or (settings.fail_after if settings else None)
                if every is not None and threshold is None:
                    yield (
                        ("systems", i, "components", j, "checks", k),
                        f"{system.name}: {check.label} runs every {every} but has no failAfter, so it never opens an incident",
                    )


@rule("PRB002", "probe-nobody-to-call", Severity.ERROR, "A system with checks has no owner to call")
def nobody_to_call(ctx: Context) -> Found:
    """When the probes find a system down they open a suspected incident and call the system's
    `owner` (or the call tree its `probes.callTree` names). A system with checks and neither is
    found down at 02:00 and nobody is told."""
    for i, system in enumerate(ctx.plan.systems):
        has_checks = any(component.checks for component in system.components)
        tree = system.probes.call_tree if system.probes else None
        if has_checks and system.owner is None and tree is None:
            yield ("systems", i), f"{system.name} has checks but no owner to call when they fail"


@rule("PRB003", "probe-timeout-beyond-interval", Severity.WARNING, "A check may take longer than its interval")
def timeout_beyond_interval(ctx: Context) -> Found:
    """A check whose timeout is longer than its interval can still be waiting when the next run is
    due: a site reports late, and a slow failure looks like no news. Keep the timeout shorter."""
    for i, system in enumerate(ctx.plan.systems):
        settings = system.probes
        for j, component in enumerate(system.components):
            for k, check in enumerate(component.checks):
                every = check.every or (settings.every if settings and settings.every else DEFAULT_EVERY)
                timeout = check.target.timeout
                if timeout >= every:
                    yield (
                        ("systems", i, "components", j, "checks", k, check.kind, "timeout"),
                        f"{system.name}: {check.label} waits up to {timeout} but runs every {every}",
                    )
