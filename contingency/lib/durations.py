"""Human durations as plans write them: `4h`, `30m`, `2 days`, `5 working days`, `12 months`.

A duration keeps the unit its author chose: `1 day` (a calendar day, 23 or 25 hours across a
clock change) and `24h` are different promises, and "working days" need the organisation's
calendar to become a moment. Pure code; the calendar arithmetic lives with the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum


class Unit(Enum):
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"
    WORKING_DAYS = "working days"
    WEEKS = "weeks"
    MONTHS = "months"


_UNIT_WORDS: dict[str, Unit] = {
    "m": Unit.MINUTES,
    "min": Unit.MINUTES,
    "mins": Unit.MINUTES,
    "minute": Unit.MINUTES,
    "minutes": Unit.MINUTES,
    "h": Unit.HOURS,
    "hr": Unit.HOURS,
    "hrs": Unit.HOURS,
    "hour": Unit.HOURS,
    "hours": Unit.HOURS,
    "d": Unit.DAYS,
    "day": Unit.DAYS,
    "days": Unit.DAYS,
    "wd": Unit.WORKING_DAYS,
    "working day": Unit.WORKING_DAYS,
    "working days": Unit.WORKING_DAYS,
    "w": Unit.WEEKS,
    "week": Unit.WEEKS,
    "weeks": Unit.WEEKS,
    "month": Unit.MONTHS,
    "months": Unit.MONTHS,
}

_PATTERN = re.compile(r"^\s*(\d{1,6})\s*([a-z]+(?: [a-z]+)?)\s*$")
EXAMPLES = "4h, 30m, 2 days, 5 working days, 2 weeks, 12 months"


class DurationError(ValueError):
    """The text is not a duration this format understands."""


@dataclass(frozen=True, order=False)
class Duration:
    value: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Parse `4h`, `4 hours`, `5 working days` and the like; raise DurationError otherwise."""
        match = _PATTERN.match(text.lower()) if isinstance(text, str) else None
        unit = _UNIT_WORDS.get(re.sub(r"\s+", " ", match.group(2))) if match else None
        if match is None or unit is None:
            raise DurationError(f"{text!r} is not a duration (expected e.g. {EXAMPLES})")
        return cls(int(match.group(1)), unit)

    def __str__(self) -> str:
        if self.unit is Unit.MINUTES:
            return f"{self.value}m"
        if self.unit is Unit.HOURS:
            return f"{self.value}h"
        word = self.unit.value
        return f"{self.value} {word[:-1] if self.value == 1 else word}"

    def bounds(self) -> tuple[timedelta, timedelta]:
        """The shortest and longest elapsed time this duration can mean on any calendar.

        Working days cross weekends (and bank holidays, up to four in a row at Easter or
        Christmas); months run 28 to 31 days. Used to compare durations written in
        different units without knowing when an incident starts.
        """
        n = self.value
        if self.unit is Unit.MINUTES:
            exact = timedelta(minutes=n)
        elif self.unit is Unit.HOURS:
            exact = timedelta(hours=n)
        elif self.unit is Unit.DAYS:
            exact = timedelta(days=n)
        elif self.unit is Unit.WEEKS:
            exact = timedelta(weeks=n)
        elif self.unit is Unit.WORKING_DAYS:
            shortest = n + 2 * (n // 5)
            longest = n + 2 * (-(-n // 5)) + (4 if n else 0)
            return timedelta(days=shortest), timedelta(days=longest)
        else:
            return timedelta(days=28 * n), timedelta(days=31 * n)
        return exact, exact

    @property
    def shortest(self) -> timedelta:
        return self.bounds()[0]

    @property
    def longest(self) -> timedelta:
        return self.bounds()[1]
