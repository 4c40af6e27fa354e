"""Which open incident to work on first. Pure code over plain data.

An incident is as urgent as its most urgent lost function: one past its MTPD comes first, then
the least time left before an MTPD, then the worst impact now (from the plan's impact over time),
then the risk's severity. A function reached only through a redundant part is "at risk", not
lost, and counts only when nothing else does. An incident still being checked (reported, not
invoked) ranks after invoked ones with the same deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

LEVELS = ("minimal", "low", "medium", "high", "severe")
_FAR = timedelta(days=36500)


@dataclass(frozen=True)
class FunctionClock:
    key: str
    name: str
    degraded: bool
    mtpd_due_at: datetime | None
    rto_due_at: datetime | None
    impact: Sequence[tuple[datetime, str]]  # (from, level), in time order


@dataclass(frozen=True)
class IncidentClock:
    id: int
    invoked: bool
    severity: int
    functions: Sequence[FunctionClock]
    stopped_at: datetime | None = None  # restored (or stood down): its clocks stand still from then


@dataclass(frozen=True)
class Ranked:
    id: int
    rank: int
    breached: bool
    time_left: timedelta | None  # before the nearest MTPD; negative once past it
    worst_function: str | None
    impact_now: str  # the worst impact level now, "" if none stated
    reason: str


def impact_now(function: FunctionClock, now: datetime) -> str:
    reached = [level for start, level in function.impact if start <= now]
    return max(reached, key=LEVELS.index) if reached else ""


def _urgency(incident: IncidentClock, now: datetime) -> tuple[tuple[object, ...], Ranked]:
    now = incident.stopped_at or now
    lost = [f for f in incident.functions if not f.degraded] or list(incident.functions)
    timed = [f for f in lost if f.mtpd_due_at is not None]
    nearest = min(timed, key=lambda f: f.mtpd_due_at or now) if timed else None
    left = (nearest.mtpd_due_at - now) if nearest and nearest.mtpd_due_at else None
    levels = [impact_now(f, now) for f in lost]
    worst = max(levels, key=lambda v: LEVELS.index(v) if v else -1) if levels else ""
    breached = left is not None and left <= timedelta(0)
    key = (
        not breached,
        left if left is not None else _FAR,
        -(LEVELS.index(worst) if worst else -1),
        -incident.severity,
        not incident.invoked,
        incident.id,
    )
    if nearest is None:
        reason = "no MTPD stated for the functions lost"
    elif breached:
        reason = f"{nearest.name} is past its maximum tolerable period of disruption"
    else:
        reason = f"{nearest.name} reaches its maximum tolerable period of disruption first"
    return key, Ranked(incident.id, 0, breached, left, nearest.name if nearest else None, worst, reason)


def rank(incidents: Iterable[IncidentClock], now: datetime) -> list[Ranked]:
    """Most urgent first, numbered from 1."""
    scored = sorted((_urgency(i, now) for i in incidents), key=lambda pair: pair[0])
    return [
        Ranked(r.id, n, r.breached, r.time_left, r.worst_function, r.impact_now, r.reason)
        for n, (_, r) in enumerate(scored, start=1)
    ]
