"""A supplier ticket's clocks: how long each has run and when it breaches (pure: no database, no clock).

A clock (the contract's response time, or its restore time) starts when the ticket is logged and
runs until it is stopped (the vendor responded, the service was restored). While it is paused
("awaiting our information", the vendor waiting on the trust) the time does not count. It breaches
when its running time reaches the contract's length: the breach moment is that instant, already
passed or still to come while it runs; while it is paused before a breach, there is no moment yet.

A contract length is counted as running time: minutes, hours, days (24 hours) and weeks. Lengths
written otherwise ("next business day", "5 working days", "best endeavours") are kept as written
and shown, but have no breach moment: Contingency does not guess what the contract means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from contingency.lib.durations import Duration, DurationError, Unit

_EXACT = {Unit.MINUTES: 1, Unit.HOURS: 60, Unit.DAYS: 24 * 60, Unit.WEEKS: 7 * 24 * 60}


class Event(StrEnum):
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"


class Running(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


_AFTER = {Event.PAUSED: Running.PAUSED, Event.RESUMED: Running.RUNNING, Event.STOPPED: Running.STOPPED}


def length_of(written: str) -> timedelta | None:
    """The running time a written contract length means, or None when it is vague or counts working time."""
    try:
        duration = Duration.parse(" ".join(written.split()))
    except DurationError:
        return None
    minutes = _EXACT.get(duration.unit)
    return None if minutes is None else timedelta(minutes=duration.value * minutes)


@dataclass(frozen=True)
class Reading:
    elapsed: timedelta  # running time up to `now`, pauses excluded
    running: Running
    breach_at: datetime | None  # when it breached or will breach; None: no length, or stopped or paused first
    breached: bool  # breach_at is at or before `now`


class ClockError(ValueError):
    """The events cannot happen in this order (resumed while running, anything after a stop)."""


def allowed(current: Running, event: Event) -> bool:
    """Whether `event` may follow a clock in state `current`."""
    if current is Running.STOPPED:
        return False
    if event is Event.PAUSED:
        return current is Running.RUNNING
    if event is Event.RESUMED:
        return current is Running.PAUSED
    return True


def read(
    *, started_at: datetime, length: timedelta | None, events: Sequence[tuple[datetime, Event]], now: datetime
) -> Reading:
    """The clock at `now`: events are (at, kind); those after `now` are not counted yet."""
    elapsed = timedelta(0)
    breach_at: datetime | None = None
    state = Running.RUNNING
    since = started_at  # start of the current running stretch
    for at, event in sorted(events, key=lambda item: item[0]):
        if at > now:
            break
        if not allowed(state, event):
            raise ClockError(f"a clock {state.value} cannot be {event.value}")
        if at < started_at:
            raise ClockError("a clock cannot change before it started")
        if state is Running.RUNNING:
            breach_at = breach_at or _breach(since, at, elapsed, length)
            elapsed += at - since
        state = _AFTER[event]
        since = at
    if state is Running.RUNNING:
        end = max(now, since)
        breach_at = breach_at or _breach(since, end, elapsed, length, open_ended=True)
        elapsed += end - since
    return Reading(elapsed, state, breach_at, breach_at is not None and breach_at <= now)


def _breach(
    since: datetime, until: datetime, elapsed: timedelta, length: timedelta | None, *, open_ended: bool = False
) -> datetime | None:
    """When the length is reached in the running stretch [since, until] (or after it, when it is still running)."""
    if length is None:
        return None
    moment = since + (length - elapsed)
    return moment if open_ended or moment <= until else None
