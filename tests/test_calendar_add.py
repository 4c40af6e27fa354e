"""WorkingCalendar.add: plan durations from a moment, as the plan means them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17), "england")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc,arg-type]


@pytest.mark.parametrize(
    ("start", "text", "expected"),
    [
        (at(2027, 10, 30, 20, 45), "1 day", at(2027, 10, 31, 20, 45)),  # 25 hours: clocks go back
        (at(2027, 3, 27, 20, 45), "1 day", at(2027, 3, 28, 20, 45)),  # 23 hours: clocks go forward
        (at(2027, 10, 30, 20, 45), "24h", at(2027, 10, 31, 19, 45)),  # elapsed hours ignore the wall clock
        (at(2027, 10, 29, 16, 40), "5 days", at(2027, 11, 3, 16, 40)),
        (at(2027, 5, 28, 16, 40), "1 working day", at(2027, 6, 1, 16, 40)),  # weekend and Spring Bank Holiday
        (at(2027, 5, 28, 16, 40), "2 weeks", at(2027, 6, 11, 16, 40)),
        (at(2027, 1, 31, 9, 0), "1 month", at(2027, 2, 28, 9, 0)),  # clamped to the month's end
        (at(2027, 12, 15, 9, 0), "3 months", at(2028, 3, 15, 9, 0)),
        (at(2027, 3, 27, 1, 30), "1 day", at(2027, 3, 28, 2, 30)),  # 01:30 is skipped on the 28th: 02:30 BST
        (at(2027, 3, 27, 1, 45), "30m", at(2027, 3, 27, 2, 15)),
    ],
)
def test_add(start: datetime, text: str, expected: datetime) -> None:
    result = CAL.add(start, Duration.parse(text))
    assert result == expected
    assert result.tzinfo is not None


def test_a_skipped_wall_clock_time_resolves_forward() -> None:
    # 01:30 on 28 March 2027 does not exist in London (01:00 -> 02:00).
    result = CAL.add(at(2027, 3, 27, 1, 30), Duration.parse("1 day"))
    assert result.utcoffset() == timedelta(hours=1)
    assert (result.hour, result.minute) in ((1, 30), (2, 30))
