"""A strip chart of a system's verdicts over a window, as plain data for an inline SVG (pure).

Each verdict in force during the window becomes a segment from where it starts to where the next
one starts (or the window's end); the page draws them as rectangles and repeats them as a table,
its text alternative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

WIDTH = 720
HEIGHT = 28


@dataclass(frozen=True)
class Segment:
    state: str
    words: str
    start: datetime
    end: datetime
    x: float
    width: float
    summary: str

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Tick:
    x: float
    at: datetime


@dataclass(frozen=True)
class Strip:
    start: datetime
    end: datetime
    segments: tuple[Segment, ...]
    ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT


@dataclass(frozen=True)
class Change:
    at: datetime
    state: str
    words: str
    summary: str = ""


def strip(changes: Sequence[Change], start: datetime, end: datetime, *, every: timedelta = timedelta(hours=6)) -> Strip:
    """Segments for the changes in force during [start, end) (the first may begin before `start`)."""
    span = (end - start).total_seconds() or 1.0

    def x(at: datetime) -> float:
        return round(WIDTH * min(max((at - start).total_seconds(), 0.0), span) / span, 2)

    ordered = sorted(changes, key=lambda c: c.at)
    segments = []
    for i, change in enumerate(ordered):
        until = ordered[i + 1].at if i + 1 < len(ordered) else end
        begin = max(change.at, start)
        if until <= start or begin >= end or until <= begin:
            continue
        left, right = x(begin), x(min(until, end))
        segments.append(
            Segment(change.state, change.words, begin, min(until, end), left, max(right - left, 0.5), change.summary)
        )
    first = start.replace(minute=0, second=0, microsecond=0)
    ticks = []
    at = first
    while at <= end:
        if at >= start:
            ticks.append(Tick(x(at), at))
        at += every
    return Strip(start, end, tuple(segments), tuple(ticks))
