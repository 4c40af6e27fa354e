"""The downtime window, cut into query windows that an archive answers in full.

Archives cap how many matches one query returns (Orthanc's `LimitFindResults`, a vendor's 500 or 1,000),
so one query over a three-day outage may silently answer with a fraction of the studies. The window is
swept in local time (the modalities' clocks: StudyDate and StudyTime carry no zone) from its start, one
query window at a time, each within one day (a StudyDate/StudyTime range cannot cross midnight: the two
attributes are matched separately). A window whose answer was capped is halved and asked again, down to a
minimum width; after an answer well under the cap the next window is twice as wide again, so a quiet
night costs one query and a busy morning a few. Neighbouring windows share their boundary second (a range
matches both ends), so a study at 10:00:00.5 is in one of them; the caller keeps each study once.

Pure functions and a small planner over plain data; no network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAY = 86_400
_END_OF_DAY = "235959.999999"


def _tm(seconds: int) -> str:
    if seconds >= DAY:
        return _END_OF_DAY
    return f"{seconds // 3600:02d}{seconds // 60 % 60:02d}{seconds % 60:02d}"


def _clock(seconds: int) -> str:
    return "24:00:00" if seconds >= DAY else f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """A query window within one local day: seconds from midnight, both ends included (DAY: end of day)."""

    day: date
    start: int
    end: int

    @property
    def width(self) -> int:
        return self.end - self.start

    @property
    def whole_day(self) -> bool:
        return self.start == 0 and self.end >= DAY

    @property
    def study_date(self) -> str:
        return self.day.strftime("%Y%m%d")

    @property
    def study_time(self) -> str:
        """The StudyTime range key; empty (universal match, so studies without a time are found) for a whole day."""
        return "" if self.whole_day else f"{_tm(self.start)}-{_tm(self.end)}"

    def label(self) -> str:
        return f"{self.day.isoformat()} {_clock(self.start)}-{_clock(self.end)}"

    def local_start(self) -> datetime:
        return datetime.combine(self.day, time()) + timedelta(seconds=self.start)


def local_spans(start: datetime, end: datetime, zone: ZoneInfo) -> list[Window]:
    """The downtime window [start, end] (aware datetimes) as one span per local day, in order."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("the downtime window needs aware datetimes (with a time zone)")
    if end < start:
        raise ValueError(f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    first = start.astimezone(zone).replace(tzinfo=None)
    last = end.astimezone(zone).replace(tzinfo=None)
    first_second = first.hour * 3600 + first.minute * 60 + first.second
    last_second = last.hour * 3600 + last.minute * 60 + last.second + (1 if last.microsecond else 0)
    spans: list[Window] = []
    day = first.date()
    while day <= last.date():
        span = Window(
            day, first_second if day == first.date() else 0, min(DAY, last_second) if day == last.date() else DAY
        )
        if span.width > 0 or (not spans and day == last.date()):
            spans.append(span)
        day += timedelta(days=1)
    return spans


@dataclass
class WindowPlanner:
    """Chooses each query window of the sweep and learns from each answer (see the module's docstring).

    planner = WindowPlanner(local_spans(start, end, zone), min_width=60, cap_hint=500)
    while (window := planner.next()) is not None:
        studies, capped = query(window)
        if planner.answered(window, len(studies), capped):
            keep(studies)        # accepted; otherwise the window is asked again, halved
    """

    spans: list[Window]
    min_width: int = 60
    max_width: int = DAY
    cap_hint: int = 0  # the archive's known cap (0: learnt from the first capped answer)
    width: int = field(init=False)
    unsplittable: list[Window] = field(default_factory=list, init=False)  # capped even at min_width
    _span: int = field(default=0, init=False)
    _cursor: int = field(default=0, init=False)
    _seen_cap: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.min_width = max(1, self.min_width)
        self.width = max(self.min_width, self.max_width)
        self._cursor = self.spans[0].start if self.spans else 0

    @property
    def cap(self) -> int:
        return self.cap_hint or self._seen_cap

    def next(self) -> Window | None:
        if self._span >= len(self.spans):
            return None
        span = self.spans[self._span]
        return Window(span.day, self._cursor, min(self._cursor + self.width, span.end))

    def answered(self, window: Window, count: int, capped: bool) -> bool:
        """Record the answer to `window` (the last `next()`); True if accepted, False if it is to be split."""
        if capped:
            self._seen_cap = max(self._seen_cap, count)
            if window.width > self.min_width:
                self.width = max(self.min_width, window.width // 2)
                return False
            self.unsplittable.append(window)
        elif self.cap and count * 4 <= self.cap and window.width >= self.width:
            self.width = min(self.max_width, self.width * 2)
        span = self.spans[self._span]
        self._cursor = window.end
        if self._cursor >= span.end:
            self._span += 1
            if self._span < len(self.spans):
                self._cursor = self.spans[self._span].start
        return True
