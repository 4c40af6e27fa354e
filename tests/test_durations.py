from __future__ import annotations

from datetime import time, timedelta

import pytest

from contingency.lib.durations import Duration, DurationError, Unit
from contingency.plans.spec import ServiceHours


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("4h", "4h"),
        ("4 hours", "4h"),
        ("1 hour", "1h"),
        ("30m", "30m"),
        ("30 minutes", "30m"),
        ("1 day", "1 day"),
        ("2 Days", "2 days"),
        ("5 working days", "5 working days"),
        ("1 working day", "1 working day"),
        ("5wd", "5 working days"),
        ("2 weeks", "2 weeks"),
        ("12 months", "12 months"),
        ("  3  d ", "3 days"),
    ],
)
def test_parse_and_canonical_form(text: str, canonical: str) -> None:
    assert str(Duration.parse(text)) == canonical
    assert Duration.parse(canonical) == Duration.parse(text)


@pytest.mark.parametrize("text", ["", "four hours", "4", "h", "4 fortnights", "-1h", "4.5h", "5 working"])
def test_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(DurationError, match="is not a duration"):
        Duration.parse(text)


def test_bounds() -> None:
    assert Duration(4, Unit.HOURS).bounds() == (timedelta(hours=4), timedelta(hours=4))
    # 5 working days always cross one weekend, and may also cross a four-day bank holiday break.
    assert Duration(5, Unit.WORKING_DAYS).bounds() == (timedelta(days=7), timedelta(days=11))
    assert Duration(1, Unit.WORKING_DAYS).shortest == timedelta(days=1)
    assert Duration(12, Unit.MONTHS).bounds() == (timedelta(days=336), timedelta(days=372))


@pytest.mark.parametrize(
    ("text", "canonical", "days"),
    [
        ("Mon-Fri 08:00-17:00", "Mon-Fri 08:00-17:00", (0, 1, 2, 3, 4)),
        ("mon,tue,wed,thu,fri 08:00-17:00", "Mon-Fri 08:00-17:00", (0, 1, 2, 3, 4)),
        ("Mon-Wed,Fri 09:30-16:00", "Mon-Wed,Fri 09:30-16:00", (0, 1, 2, 4)),
        ("24/7", "24/7", (0, 1, 2, 3, 4, 5, 6)),
        ("Sat 10:00-12:00", "Sat 10:00-12:00", (5,)),
    ],
)
def test_service_hours(text: str, canonical: str, days: tuple[int, ...]) -> None:
    hours = ServiceHours.parse(text)
    assert str(hours) == canonical
    assert hours.days == days


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mon-Fri 8am-5pm", "is not service hours"),
        ("Fri-Mon 08:00-17:00", "runs backwards"),
        ("Mon-Fri 17:00-08:00", "ends before it starts"),
        ("Weekdays 08:00-17:00", "is not a day or range of days"),
        ("Mon-Fri 08:00-25:00", "HH:MM"),
    ],
)
def test_service_hours_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ServiceHours.parse(text)


def test_time_of_day_start() -> None:
    assert ServiceHours.parse("Mon-Fri 08:00-17:00").start == time(8, 0)
