"""A supplier ticket's clocks: how long each has run and when it breaches (pure: no database, no clock).

A clock (the contract's response time, or its restore time) starts when the ticket is logged and
runs until it is stopped (the vendor responded, the service was restored). While it is paused
("awaiting our information", the vendor waiting on the trust) the time does not count. It breaches
when its counted time reaches the contract's length: the breach moment is that instant, already
passed or still to come while it runs; while it is paused before a breach, there is no moment yet.

Minutes, hours, days (24 hours) and weeks count running time. Working days and working (business)
hours count only the organisation's working time (lib.calendar: its hours, weekends and bank
holidays): "5 working days" is the working time from the logging to the same wall-clock time five
working days later, as the commissioning KPI clocks count working days (WorkingCalendar.add), so an
unpaused clock breaches where they would put the deadline, and a pause takes out only the working
time it covered. Lengths written otherwise ("next business day", "best endeavours") are kept as
written and shown with the reason they have no breach moment: Contingency does not guess what the
contract means.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from contingency.lib.calendar import WorkingCalendar
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


_WORKING_HOURS = re.compile(r"^(\d{1,4}) ?(?:working|business) ?(?:hours?|hrs?|h)$")
_BUSINESS_DAYS = re.compile(r"\bbusiness ?days?$")


def _words(written: str) -> str:
    return " ".join(written.lower().split())


def length_of(written: str) -> timedelta | None:
    """The running time a written contract length means, or None when it is vague or counts working time."""
    try:
        duration = Duration.parse(_words(written))
    except DurationError:
        return None
    minutes = _EXACT.get(duration.unit)
    return None if minutes is None else timedelta(minutes=duration.value * minutes)


class Measure(Protocol):
    """How a clock counts time between two instants, and when a count is reached."""

    def between(self, since: datetime, until: datetime) -> timedelta: ...
    def after(self, since: datetime, amount: timedelta) -> datetime | None: ...


class Elapsed:
    """Running time: every second counts (in UTC, so a clock change neither adds nor takes an hour)."""

    def between(self, since: datetime, until: datetime) -> timedelta:
        return max(until.astimezone(UTC) - since.astimezone(UTC), timedelta(0))

    def after(self, since: datetime, amount: timedelta) -> datetime | None:
        return since.astimezone(UTC) + amount


@dataclass(frozen=True)
class Working:
    """Working time on the organisation's calendar: only its working hours on its working days count."""

    calendar: WorkingCalendar

    def between(self, since: datetime, until: datetime) -> timedelta:
        return self.calendar.working_time(since, until)

    def after(self, since: datetime, amount: timedelta) -> datetime | None:
        return self.calendar.after_working_time(since, amount)


ELAPSED = Elapsed()


@dataclass(frozen=True)
class Length:
    """A contract length as a clock counts it: an amount of time in a measure."""

    amount: timedelta
    measure: Measure = field(default=ELAPSED)

    @property
    def working(self) -> bool:
        return isinstance(self.measure, Working)


UNCOUNTED = "not a length Contingency can count (minutes, hours, days, weeks, working days or working hours)"
NOT_ON_FILE = "no contract time on file"


def contract_length(written: str, *, calendar: WorkingCalendar, started_at: datetime) -> Length | None:
    """What a written contract length means for a clock started at `started_at`; None when it cannot be
    counted (why_uncounted says why)."""
    exact = length_of(written)
    if exact is not None:
        return Length(exact)
    words = _BUSINESS_DAYS.sub(lambda m: m.group(0).replace("business", "working"), _words(written))
    if hours := _WORKING_HOURS.match(words):
        return Length(timedelta(hours=int(hours.group(1))), Working(calendar))
    try:
        duration = Duration.parse(words)
    except DurationError:
        return None
    if duration.unit is not Unit.WORKING_DAYS:
        return None  # months: a contract's response or restore time is not counted in months
    # The commissioning KPI clocks' working days (WorkingCalendar.add), as working time from the start.
    return Length(calendar.working_time(started_at, calendar.add(started_at, duration)), Working(calendar))


def why_uncounted(written: str, *, calendar: WorkingCalendar, started_at: datetime) -> str | None:
    """Why a clock has no breach moment of its own, for the ticket; None when it has one."""
    if not written.strip():
        return NOT_ON_FILE
    if contract_length(written, calendar=calendar, started_at=started_at) is not None:
        return None
    return f"\u201c{written}\u201d is {UNCOUNTED}: it never breaches on its own, judge it yourself"


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
    *,
    started_at: datetime,
    length: Length | timedelta | None,
    events: Sequence[tuple[datetime, Event]],
    now: datetime,
) -> Reading:
    """The clock at `now`: events are (at, kind); those after `now` are not counted yet. A timedelta length is
    running time; `elapsed` is counted in the length's measure (working time for working days)."""
    if isinstance(length, timedelta):
        length = Length(length)
    measure = length.measure if length is not None else ELAPSED
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
            elapsed += measure.between(since, at)
        state = _AFTER[event]
        since = at
    if state is Running.RUNNING:
        end = max(now, since)
        breach_at = breach_at or _breach(since, end, elapsed, length, open_ended=True)
        elapsed += measure.between(since, end)
    return Reading(elapsed, state, breach_at, breach_at is not None and breach_at <= now)


def _breach(
    since: datetime, until: datetime, elapsed: timedelta, length: Length | None, *, open_ended: bool = False
) -> datetime | None:
    """When the length is reached in the running stretch [since, until] (or after it, when it is still running)."""
    if length is None:
        return None
    moment = length.measure.after(since, length.amount - elapsed)
    if moment is None:
        return None
    return moment if open_ended or moment <= until else None
