"""Spot-check sampling and record checks as plain functions: reproducible, growing, exact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contingency.downtime import checks, sampling
from contingency.plans.spec.records import RecordKind

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("population", "share", "at_least", "expected"),
    [
        (0, 10, 2, 0),
        (1, 10, 2, 1),
        (30, 10, 2, 3),
        (31, 10, 2, 4),
        (5, 25, 5, 5),
        (100, 0, 0, 0),
        (100, 0, 1, 1),
        (7, 100, 1, 7),
    ],
)
def test_target_is_the_share_rounded_up_at_least_the_minimum_never_more_than_there_are(
    population: int, share: int, at_least: int, expected: int
) -> None:
    assert sampling.target(population, share, at_least) == expected


def test_a_failure_widens_the_share() -> None:
    assert sampling.share_in_force(10, 100, failed=False) == 10
    assert sampling.share_in_force(10, 50, failed=True) == 50


keys = st.lists(st.integers(1, 10_000).map(str), min_size=1, max_size=60, unique=True)


@given(keys, st.text(min_size=1, max_size=16), st.integers(0, 60))
def test_a_draw_is_repeatable_and_the_lowest_ranked(population: list[str], seed: str, size: int) -> None:
    first = sampling.draw(population, set(), seed, size)
    assert first == sampling.draw(list(reversed(population)), set(), seed, size)
    assert len(first) == min(size, len(population))
    ranked = sorted(population, key=lambda key: sampling.rank(seed, key))
    assert first == ranked[: len(first)]


@given(keys, st.text(min_size=1, max_size=16), st.integers(0, 30), st.integers(0, 30))
def test_widening_keeps_every_earlier_pick(population: list[str], seed: str, small: int, more: int) -> None:
    before = set(sampling.draw(population, set(), seed, small))
    added = sampling.draw(population, before, seed, small + more)
    assert not before & set(added)
    assert len(before) + len(added) == min(small + more, len(population))


def test_late_records_top_up_without_undrawing() -> None:
    drawn = sampling.draw(["1", "2", "3", "4"], set(), "seed", 2)
    topped = sampling.draw(["1", "2", "3", "4", "5", "6"], set(drawn), "seed", 3)
    assert len(topped) == 1 and topped[0] not in drawn
    assert sampling.draw(["1", "2"], {"1", "2"}, "seed", 1) == []


KIND = RecordKind.model_validate(
    {
        "id": "k",
        "name": "Kind",
        "system": "pacs",
        "fields": [
            {"name": "at", "type": "time"},
            {"name": "site", "type": "site"},
            {"name": "urgency", "type": "choice", "choices": ["Routine", "Urgent"]},
            {"name": "urgent", "type": "yes-no"},
            {"name": "uid", "type": "study-uid"},
            {"name": "on", "type": "date"},
        ],
    }
)
BEGAN = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # the night the clocks go forward in London
CTX = checks.Context(KIND, {"main": "Northwick Hospital"}, {}, LONDON, BEGAN, BEGAN + timedelta(hours=6))


def test_values_are_made_canonical() -> None:
    found = checks.check_values(
        CTX,
        {
            "at": "2027-03-28T03:15",
            "site": "northwick hospital",
            "urgency": "urgent",
            "urgent": "Y",
            "uid": "1.2.3",
            "on": datetime(2027, 3, 28, 9, 0),  # noqa: DTZ001 - a spreadsheet cell has no zone
        },
    )
    assert found.errors == []
    assert found.values == {
        "at": "2027-03-28 03:15",
        "site": "main",
        "urgency": "Urgent",
        "urgent": True,
        "uid": "1.2.3",
        "on": "2027-03-28",
    }
    assert found.columns["occurred_at"] == datetime(2027, 3, 28, 2, 15, tzinfo=UTC)


def test_a_time_the_clocks_skip_and_other_bad_values() -> None:
    found = dict(
        checks.check_values(
            CTX, {"at": "2027-03-28 01:30", "site": "annexe", "urgency": "soon", "urgent": "maybe", "uid": "1.2.x"}
        ).errors
    )
    assert found["at"] == "2027-03-28 01:30 does not exist in Europe/London: the clocks go forward then"
    assert found["site"] == "'annexe' is not a site of the plan: use one of Northwick Hospital"
    assert found["urgency"] == "'soon' is not one of the choices: Routine, Urgent"
    assert found["urgent"] == "'maybe' is not yes or no"
    assert found["uid"].startswith("'1.2.x' is not a DICOM UID")
