"""Which contract KPIs an outage touches (pure: plain data and a calendar, no database).

A KPI's clock ("within 5 working days of referral") runs for every piece of work. Work whose clock was
running at any moment of the outage falls due from the outage's start until its end plus one clock:
that is the KPI's clock window, the window a relaxation is asked for. Working days count the
organisation's calendar (weekends and bank holidays skipped); calendar days keep the wall-clock time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration, Unit

K = TypeVar("K")


@dataclass(frozen=True)
class Outage:
    """From the plan's invocation until service was restored (or the plan stood down, or now)."""

    began: datetime
    ended: datetime
    ongoing: bool


@dataclass(frozen=True)
class Affected(Generic[K]):
    kpi: K
    window_from: datetime  # the first deadline the outage could make late
    window_to: datetime  # the last: the outage's end plus one clock


def clock(value: int, unit: str) -> Duration:
    """A KPI's clock as a duration ("5", "working days"); units are those of lib.durations."""
    return Duration(int(value), Unit(unit))


def outage(
    *, invoked_at: datetime | None, restored_at: datetime | None, stood_down_at: datetime | None, now: datetime
) -> Outage | None:
    """The outage an incident's times describe; None before the plan was invoked."""
    if invoked_at is None:
        return None
    ended = restored_at or stood_down_at
    return Outage(invoked_at, ended or max(now, invoked_at), ended is None)


def affected(kpis: Sequence[tuple[K, Duration]], found: Outage | None, calendar: WorkingCalendar) -> list[Affected[K]]:
    """Each (KPI, clock) whose clock overlaps the outage, with its clock window; none for no outage or one of no
    length."""
    if found is None or found.ended <= found.began:
        return []
    return [Affected(kpi, found.began, calendar.add(found.ended, length)) for kpi, length in kpis]
