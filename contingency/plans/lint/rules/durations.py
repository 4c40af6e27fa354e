"""Durations in words and in fields: escalations and stated recovery times that agree with RTO and MTPD."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from contingency.lib.durations import Duration, DurationError

from ...problems import Path
from ...spec.directory import Redundancy
from ...spec.plan import CriticalFunction, ImpactLevel
from ..engine import Context, Severity, rule
from ._prose import function_prose

Found = Iterator[tuple[Path, str]]

_AMOUNT = r"(\d{1,4}|one|two|three|four|five|six|seven|eight|ten|twelve|twenty-four|forty-eight)"
_UNIT = r"(working days?|business days?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)"
_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "ten": 10,
    "twelve": 12, "twenty-four": 24, "forty-eight": 48,
}  # fmt: skip
# "restored within 8 hours", "recovery time of 2 days", "back up and running in 3 working days".
_STATED_RECOVERY = re.compile(
    rf"\b(?:restor\w*|recover\w*|(?<!call )(?<!ring )(?<!phone )(?<!report )(?<!get )back|available again|reinstated|"
    rf"fixed|resum\w*)"
    rf"[^.;:]{{0,40}}?\b(?:within|in|of|by|after)\s+{_AMOUNT}\s+{_UNIT}\b",
    re.I,
)
_AFTER = re.compile(rf"\b(?:after|beyond|exceeds?|over|more than|longer than|within)\s+{_AMOUNT}\s+{_UNIT}\b", re.I)


def _duration(amount: str, unit: str) -> Duration | None:
    value = _WORDS.get(amount.lower()) or (int(amount) if amount.isdigit() else None)
    try:
        return Duration.parse(f"{value} {unit.lower().replace('business', 'working')}") if value else None
    except DurationError:
        return None


_PLAIN = {"the", "and", "of", "failure", "loss", "unavailable", "outage", "down", "system", "systems", "service"}


def _words(*texts: str) -> set[str]:
    """The distinctive words of names and ids, to tell which dependency a scenario is about."""
    return {w for t in texts for w in re.findall(r"[a-z0-9]{3,}", t.lower()) if w not in _PLAIN}


def _known(value: object) -> Duration | None:
    """The duration when the plan gave one; None for a missing value or one kept as written ("if prolonged")."""
    return value if isinstance(value, Duration) else None


def _longest_rto(fn: CriticalFunction) -> timedelta | None:
    return max((d.longest for r in fn.rto if (d := _known(r.duration)) is not None), default=None)


@rule("DUR001", "duration-rules-without-mtpd", Severity.ERROR, "A function has duration rules but no MTPD")
def rules_without_mtpd(ctx: Context) -> Found:
    """Duration rules ("if beyond 2 days, divert to the partner laboratory") only make sense against
    a maximum tolerable period of disruption: without one, nobody can tell whether the last rule
    acts in time."""
    for i, fn in enumerate(ctx.plan.functions):
        if fn.duration_rules and fn.mtpd is None:
            timed = [d for r in fn.duration_rules if (d := _known(r.after)) is not None]
            last = max(timed, key=lambda d: d.longest) if timed else fn.duration_rules[-1].after
            yield ("functions", i, "durationRules"), f"{fn.name} has duration rules up to {last} but no MTPD"


@rule("DUR002", "stated-recovery-contradicts", Severity.ERROR, "A stated recovery time contradicts the RTO or MTPD")
def stated_recovery(ctx: Context) -> Found:
    """A function's own prose ("the analyser is restored within 3 days") that promises a recovery
    time longer than the function's RTO, or longer than its MTPD, contradicts the objectives the
    plan is judged by: one of the two is wrong."""
    for i, fn in enumerate(ctx.plan.functions):
        rto, mtpd = _longest_rto(fn), _known(fn.mtpd)
        for path, text in function_prose(ctx, i):
            if path[2] == "durationRules":
                continue  # a duration rule's action says what to do after its time, not a recovery time
            for match in _STATED_RECOVERY.finditer(text):
                stated = _duration(match.group(1), match.group(2))
                if stated is None:
                    continue
                if mtpd is not None and stated.shortest > mtpd.longest:
                    yield path, f"{fn.name}: says {match.group(0)!r}, longer than the MTPD of {fn.mtpd}"
                elif rto is not None and stated.shortest > rto:
                    yield path, f"{fn.name}: says {match.group(0)!r}, longer than its RTO"


@rule("DUR003", "escalation-after-mtpd", Severity.ERROR, "An escalation level is reached only after an MTPD")
def escalation_late(ctx: Context) -> Found:
    """An escalation level whose condition is a time ("if not restored after 5 days, escalate to the
    ICB") reached after the shortest MTPD of the functions in the plan escalates a disruption the
    plan has already declared intolerable."""
    mtpds = [(d, fn.name) for fn in ctx.plan.functions if (d := _known(fn.mtpd)) is not None]
    if not mtpds:
        return
    shortest, name = min(mtpds, key=lambda m: m[0].longest)
    for i, level in enumerate(ctx.plan.escalation):
        for match in _AFTER.finditer(level.when or ""):
            after = _duration(match.group(1), match.group(2))
            if after is not None and after.shortest > shortest.longest:
                yield (
                    ("escalation", i, "when"),
                    f"{level.name} is reached {match.group(0)!r}, after the MTPD of {name} ({shortest})",
                )


@rule("DUR004", "mtpd-beyond-severe-impact", Severity.WARNING, "The MTPD is longer than the time impact becomes severe")
def mtpd_beyond_severe(ctx: Context) -> Found:
    """The MTPD is the point past which the impact is no longer tolerable; a business impact
    analysis that rates the impact severe well before the MTPD contradicts it (or the MTPD was
    copied from another function). Impact severe from the first minute is not reported: the
    MTPD of a life-critical service is still the short window the plan can bear."""
    for i, fn in enumerate(ctx.plan.functions):
        severe = next((entry for entry in fn.impact if entry.level is ImpactLevel.SEVERE), None)
        after, mtpd = _known(severe.after) if severe else None, _known(fn.mtpd)
        if severe is None or after is None or not after.longest:
            continue  # severe from the first minute: a life-critical service, whose MTPD is still a window
        if mtpd is not None and mtpd.shortest > after.longest:
            yield ("functions", i, "mtpd"), f"{fn.name}: MTPD is {fn.mtpd} but impact is severe after {severe.after}"


@rule("DUR005", "rto-shorter-than-restore", Severity.WARNING, "The RTO is shorter than the time a restore takes")
def rto_below_restore(ctx: Context) -> Found:
    """A function that depends on a system with no redundancy can recover no faster than a restore
    from backup; an RTO shorter than the stated restore time is a wish, not a capability. An RTO
    whose scenario names another of the function's dependencies (and not this system) is not compared."""
    for i, fn in enumerate(ctx.plan.functions):
        for key in fn.depends_on:
            system = ctx.item(key) if ctx.kind(key) == "system" else None
            if system is None or system.redundancy is not Redundancy.NONE or system.backup is None:
                continue
            restore = _known(system.backup.restore_time)
            others = [_words(ctx.name(k), k) for k in fn.depends_on if k != key]
            for j, rto in enumerate(fn.rto):
                scenario = _words(rto.scenario)
                if any(scenario & other for other in others) and not scenario & _words(system.name, key):
                    continue  # the scenario is another dependency's failure ("water plant failure")
                duration = _known(rto.duration)
                if restore is not None and duration is not None and duration.longest < restore.shortest:
                    yield (
                        ("functions", i, "rto", j, "duration"),
                        f"{fn.name}: RTO {rto.duration} for {rto.scenario!r} but restoring {system.name} takes {restore}",
                    )
