"""An organisation's working calendar: in hours or out of hours, bank holidays, working days.

Pure code over zoneinfo and the `holidays` package, so it is tested without a database.
Times are aware datetimes; the working window is wall-clock time in the organisation's zone,
so 08:00 is 08:00 on both sides of a clock change. Bank holidays (of the organisation's UK
nation) are not working days, except for an organisation that works around the clock every
day: it has no hours to be out of.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import Protocol

import holidays

from .durations import Duration, Unit

NATIONS: dict[str, str] = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern-ireland": "NIR"}
MIDNIGHT = time(0)
# How far ahead next_change looks: further than any run of non-working days.
_HORIZON_DAYS = 400


class CalendarError(ValueError):
    """The calendar's settings make no sense (unknown zone or nation, window ending before it starts)."""


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str
    working_days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time  # 00:00-00:00 means all day
    nation: str = "england"
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            zone = zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise CalendarError(f"{self.timezone!r} is not a time zone name (e.g. Europe/London)") from None
        if self.nation not in NATIONS:
            raise CalendarError(f"{self.nation!r} is not a UK nation (use {', '.join(NATIONS)})")
        if any(d not in range(7) for d in self.working_days):
            raise CalendarError("working days are numbered 0 (Monday) to 6 (Sunday)")
        if not self.all_day and self.end <= self.start:
            raise CalendarError("working hours must end after they start (00:00-00:00 means all day)")
        object.__setattr__(self, "working_days", tuple(sorted(set(self.working_days))))
        object.__setattr__(self, "_zone", zone)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self._zone

    @property
    def all_day(self) -> bool:
        return self.start == MIDNIGHT and self.end == MIDNIGHT

    @property
    def around_the_clock(self) -> bool:
        """Every day, all day: bank holidays change nothing."""
        return self.all_day and self.working_days == tuple(range(7))

    @cached_property
    def _holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("GB", subdiv=NATIONS[self.nation])

    def local(self, at: datetime) -> datetime:
        """`at` on the organisation's wall clock."""
        if at.tzinfo is None or at.utcoffset() is None:
            raise CalendarError("a naive datetime has no time zone: pass an aware datetime")
        return at.astimezone(self._zone)

    def bank_holiday_name(self, day: date) -> str | None:
        name = self._holidays.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        if self.around_the_clock:
            return True
        return day.weekday() in self.working_days and day not in self._holidays

    def is_in_hours(self, at: datetime) -> bool:
        local = self.local(at)
        if not self.is_working_day(local.date()):
            return False
        return self.all_day or self.start <= local.time() < self.end

    def why_out_of_hours(self, at: datetime) -> str | None:
        """A short reason for being out of hours ("bank holiday: Boxing Day", "weekend"), or None in hours."""
        if self.is_in_hours(at):
            return None
        local = self.local(at)
        day = local.date()
        if day.weekday() in self.working_days and (name := self.bank_holiday_name(day)):
            return f"bank holiday: {name}"
        if day.weekday() not in self.working_days:
            return "weekend" if day.weekday() >= 5 and set(range(5)) <= set(self.working_days) else "not a working day"
        if local.time() < self.start:
            return f"before {self.start:%H:%M}"
        return f"after {self.end:%H:%M}"

    def _at(self, day: date, wall: time) -> datetime:
        """The instant a wall-clock time happens on `day`; a time skipped by a clock change resolves forward."""
        naive = datetime.combine(day, wall)
        instant = naive.replace(tzinfo=self._zone).astimezone(UTC)
        return instant.astimezone(self._zone)

    def next_change(self, at: datetime) -> datetime | None:
        """The next moment after `at` when in-hours flips to out-of-hours or back; None if it never does.

        State only changes at midnight or at the start or end of the window, so the first of
        those instants with a different state is the change.
        """
        local = self.local(at)
        now = self.is_in_hours(local)
        for offset in range(_HORIZON_DAYS):
            day = local.date() + timedelta(days=offset)
            for wall in sorted({MIDNIGHT, self.start, self.end}):
                candidate = self._at(day, wall)
                if candidate > local and self.is_in_hours(candidate) != now:
                    return candidate
        return None

    def add_working_days(self, at: datetime, n: int) -> datetime:
        """The same wall-clock time on the n-th working day after `at`'s day (n >= 0)."""
        if n < 0:
            raise CalendarError("add_working_days counts forwards: n must not be negative")
        local = self.local(at)
        day = local.date()
        while n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return self._at(day, local.time().replace(tzinfo=None))

    def _windows(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's working window as UTC instants (so their arithmetic is elapsed time across a clock change),
        or None on a day off; all day runs midnight to midnight."""
        if not self.is_working_day(day):
            return None
        end = self._at(day + timedelta(days=1), MIDNIGHT) if self.all_day else self._at(day, self.end)
        return self._at(day, MIDNIGHT if self.all_day else self.start).astimezone(UTC), end.astimezone(UTC)

    def working_time(self, since: datetime, until: datetime) -> timedelta:
        """The in-hours time between two instants (none when `until` is not after `since`)."""
        total = timedelta(0)
        if until <= since:
            return total
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        day, last = self.local(since).date() - timedelta(days=1), self.local(until).date()
        while day <= last:
            window = self._windows(day)
            if window is not None:
                begin, end = max(window[0], since), min(window[1], until)
                if end > begin:
                    total += end - begin
            day += timedelta(days=1)
        return total

    def after_working_time(self, since: datetime, amount: timedelta) -> datetime | None:
        """The first instant by which `amount` of in-hours time has passed since `since` (`since` itself for
        none); None when the calendar has no working time within a year of it."""
        if amount <= timedelta(0):
            return since
        left, since = amount, since.astimezone(UTC)
        day = self.local(since).date() - timedelta(days=1)
        for _ in range(_HORIZON_DAYS):
            window = self._windows(day)
            if window is not None:
                begin = max(window[0], since)
                if window[1] > begin:
                    if window[1] - begin >= left:
                        return (begin + left).astimezone(self._zone)
                    left -= window[1] - begin
            day += timedelta(days=1)
        return None

    def add(self, at: datetime, duration: Duration) -> datetime:
        """`at` plus a plan duration, as the plan means it.

        Minutes and hours are elapsed time; days, weeks and months keep the wall-clock time
        (a day across a clock change is 23 or 25 hours); working days skip weekends and bank
        holidays. A wall-clock time that a clock change skips resolves forward.
        """
        local = self.local(at)
        n = duration.value
        if duration.unit is Unit.MINUTES:
            return (at.astimezone(UTC) + timedelta(minutes=n)).astimezone(self._zone)
        if duration.unit is Unit.HOURS:
            return (at.astimezone(UTC) + timedelta(hours=n)).astimezone(self._zone)
        if duration.unit is Unit.WORKING_DAYS:
            return self.add_working_days(local, n)
        wall = local.time().replace(tzinfo=None, fold=0)
        if duration.unit is Unit.MONTHS:
            month = local.month - 1 + n
            year, month = local.year + month // 12, month % 12 + 1
            day = min(local.day, _days_in_month(year, month))
            return self._at(date(year, month, day), wall)
        days = n * 7 if duration.unit is Unit.WEEKS else n
        return self._at(local.date() + timedelta(days=days), wall)


def _days_in_month(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


class HasWorkingHours(Protocol):
    """What core.models.Organisation offers (kept structural so this module needs no Django)."""

    @property
    def timezone(self) -> str: ...
    @property
    def nation(self) -> str: ...
    @property
    def working_days(self) -> list[int]: ...
    @property
    def working_start(self) -> time: ...
    @property
    def working_end(self) -> time: ...


class HasServiceHours(Protocol):
    @property
    def days(self) -> tuple[int, ...]: ...
    @property
    def start(self) -> time: ...
    @property
    def end(self) -> time: ...


class PlanOrganisation(Protocol):
    """The `organisation` section of a plan document."""

    @property
    def timezone(self) -> str: ...
    @property
    def nation(self) -> str: ...
    @property
    def working_hours(self) -> HasServiceHours: ...


def from_organisation(org: HasWorkingHours) -> WorkingCalendar:
    return _calendar(org.timezone, tuple(org.working_days), org.working_start, org.working_end, str(org.nation))


@lru_cache(maxsize=256)
def _calendar(timezone: str, working_days: tuple[int, ...], start: time, end: time, nation: str) -> WorkingCalendar:
    """One calendar per distinct setting, shared: it is immutable, and its bank holidays are worked out once."""
    return WorkingCalendar(timezone=timezone, working_days=working_days, start=start, end=end, nation=nation)


def from_plan_organisation(org: PlanOrganisation) -> WorkingCalendar:
    hours = org.working_hours
    return WorkingCalendar(org.timezone, tuple(hours.days), hours.start, hours.end, str(org.nation))
