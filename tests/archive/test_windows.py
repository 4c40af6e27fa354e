"""The downtime window cut into query windows: one local day at most, halved when capped, covered whole."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from contingency.downtime.archive.windows import DAY, Window, WindowPlanner, local_spans

from ..conftest import budget

LONDON = ZoneInfo("Europe/London")


def test_a_three_day_outage_is_one_span_per_local_day():
    spans = local_spans(datetime(2026, 3, 2, 7, 0, tzinfo=LONDON), datetime(2026, 3, 4, 19, 30, tzinfo=LONDON), LONDON)
    assert [(s.day, s.study_date, s.study_time) for s in spans] == [
        (date(2026, 3, 2), "20260302", "070000-235959.999999"),
        (date(2026, 3, 3), "20260303", ""),  # a whole day: no time key, so studies without a time match too
        (date(2026, 3, 4), "20260304", "000000-193000"),
    ]


def test_spans_are_in_the_modalities_local_time_across_the_clock_change():
    # 29 March 2026: clocks go forward at 01:00 GMT. 00:30 UTC is 00:30 local; 02:30 UTC is 03:30 BST.
    spans = local_spans(datetime(2026, 3, 29, 0, 30, tzinfo=UTC), datetime(2026, 3, 29, 2, 30, tzinfo=UTC), LONDON)
    assert [s.label() for s in spans] == ["2026-03-29 00:30:00-03:30:00"]


def test_a_window_ending_at_midnight_has_no_empty_day_after_it():
    spans = local_spans(datetime(2026, 3, 2, 22, tzinfo=LONDON), datetime(2026, 3, 3, 0, 0, tzinfo=LONDON), LONDON)
    assert [s.label() for s in spans] == ["2026-03-02 22:00:00-24:00:00"]


def test_bad_windows_are_refused():
    with pytest.raises(ValueError, match="before it starts"):
        local_spans(datetime(2026, 3, 3, tzinfo=LONDON), datetime(2026, 3, 2, tzinfo=LONDON), LONDON)
    with pytest.raises(ValueError, match="aware"):
        local_spans(datetime(2026, 3, 2), datetime(2026, 3, 3), LONDON)


def _sweep(planner: WindowPlanner, studies_at: list[int], cap: int) -> tuple[list[Window], int]:
    """Run the planner against an archive that holds studies at these seconds of one day and caps at `cap`."""
    kept: list[Window] = []
    asked = 0
    while (window := planner.next()) is not None:
        asked += 1
        count = sum(window.start <= s <= window.end for s in studies_at)
        if planner.answered(window, min(count, cap), count > cap):
            kept.append(window)
        assert asked < 10_000
    return kept, asked


def test_a_capped_window_is_halved_and_the_width_grows_again_after_quiet_answers():
    day = date(2026, 3, 2)
    busy_morning = [8 * 3600 + i * 30 for i in range(400)]  # 400 studies in 3h20
    quiet_evening = [20 * 3600 + i * 600 for i in range(10)]
    planner = WindowPlanner([Window(day, 0, DAY)], min_width=60, cap_hint=100)
    kept, asked = _sweep(planner, busy_morning + quiet_evening, cap=100)
    assert kept[0].start == 0 and kept[-1].end == DAY
    assert all(a.end == b.start for a, b in itertools.pairwise(kept))  # contiguous, boundaries shared
    assert asked < 40
    assert not planner.unsplittable
    assert max(w.width for w in kept[-3:]) > min(w.width for w in kept)  # widened again in the evening


def test_a_window_still_capped_at_the_minimum_width_is_kept_and_reported():
    day = date(2026, 3, 2)
    same_second = [36_000] * 30
    planner = WindowPlanner([Window(day, 0, DAY)], min_width=60, cap_hint=10)
    kept, _ = _sweep(planner, same_second, cap=10)
    assert planner.unsplittable and planner.unsplittable[0].width <= 60
    assert kept[-1].end == DAY


@hsettings(max_examples=budget(200))
@given(
    st.lists(st.integers(0, DAY), max_size=300),
    st.integers(1, 60),
    st.integers(1, 3600),
    st.integers(0, DAY - 1),
    st.integers(1, DAY),
)
def test_every_study_is_in_a_kept_window_that_was_not_capped(studies, cap, min_width, start, width):
    end = min(DAY, start + width)
    planner = WindowPlanner([Window(date(2026, 3, 2), start, end)], min_width=min_width, cap_hint=cap)
    kept, _ = _sweep(planner, studies, cap)
    inside = [s for s in studies if start <= s <= end]
    unsplittable = set(planner.unsplittable)
    for s in inside:
        holders = [w for w in kept if w.start <= s <= w.end]
        assert holders, s
        assert any(sum(w.start <= t <= w.end for t in studies) <= cap or w in unsplittable for w in holders)


def test_windows_label_and_keys():
    w = Window(date(2026, 3, 2), 8 * 3600, 8 * 3600 + 90)
    assert (w.study_date, w.study_time, w.label()) == ("20260302", "080000-080130", "2026-03-02 08:00:00-08:01:30")
    assert w.local_start() == datetime(2026, 3, 2, 8) and w.local_start() + timedelta(seconds=90) == datetime(
        2026, 3, 2, 8, 1, 30
    )
