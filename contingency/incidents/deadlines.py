"""A deadline in plain words, for people who read a briefing rather than a clock (pure).

"MTPD in 3 hours 10 minutes" while it is ahead; "4 hour target passed 1 day 2 hours ago" once it is
behind: the target is named by its length, as the plan wrote it, because "MTPD passed" alone leaves a
board member asking which one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from contingency.lib.durations import Duration, DurationError

from .assess import elapsed_words

_RANGE = re.compile(r"^\s*(\d+\s*-\s*\d+)\s+([a-z]+(?: [a-z]+)?)\s*$", re.IGNORECASE)


def _singular(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit


def target_words(written: str) -> str:
    """A written target as an adjective: "4h" -> "4 hour", "5 working days" -> "5 working day",
    "1-4 hours" -> "1-4 hour"; other words as written ("if prolonged")."""
    text = " ".join(written.split())
    try:
        duration = Duration.parse(text)
    except DurationError:
        if match := _RANGE.match(text):
            return f"{match.group(1).replace(' ', '')} {_singular(match.group(2).lower())}"
        return text
    return f"{duration.value} {_singular(duration.unit.value)}"


def _ago(delta: timedelta) -> str:
    return "just now" if delta < timedelta(minutes=1) else f"{elapsed_words(delta)} ago"


def deadline_words(*, due_at: datetime, now: datetime, written: str, name: str = "MTPD") -> str:
    """ "MTPD in 3 hours 10 minutes", or "4 hour target passed 1 day 2 hours ago" once `due_at` is behind."""
    left = due_at - now
    if left > timedelta(0):
        return f"{name} in {elapsed_words(left)}"
    target = target_words(written)
    return f"{target} target passed {_ago(-left)}" if target else f"{name} passed {_ago(-left)}"
