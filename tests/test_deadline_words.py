"""The time left to a deadline in plain words, for the board's briefing (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contingency.incidents.deadlines import deadline_words, target_words

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ("4h", "4 hour"),
        ("4 hours", "4 hour"),
        ("5 days", "5 day"),
        ("1 day", "1 day"),
        ("2 working days", "2 working day"),
        ("30m", "30 minute"),
        ("1-4 hours", "1-4 hour"),
        ("if prolonged", "if prolonged"),
    ],
)
def test_a_written_target_reads_as_its_length(written: str, words: str) -> None:
    assert target_words(written) == words


def test_ahead_says_how_long_is_left() -> None:
    due = NOW + timedelta(hours=3, minutes=10)
    assert deadline_words(due_at=due, now=NOW, written="4h") == "MTPD in 3 hours 10 minutes"


def test_behind_names_the_target_and_how_long_ago() -> None:
    due = NOW - timedelta(days=1, hours=2)
    assert deadline_words(due_at=due, now=NOW, written="4h") == "4 hour target passed 1 day 2 hours ago"


def test_days_away_drop_the_minutes() -> None:
    due = NOW + timedelta(days=2, hours=1, minutes=30)
    assert deadline_words(due_at=due, now=NOW, written="5 days") == "MTPD in 2 days 1 hour"


def test_the_moment_itself_and_the_minute_either_side() -> None:
    assert deadline_words(due_at=NOW, now=NOW, written="4h") == "4 hour target passed just now"
    assert deadline_words(due_at=NOW + timedelta(seconds=30), now=NOW, written="4h") == "MTPD in less than a minute"
    assert (
        deadline_words(due_at=NOW - timedelta(minutes=1), now=NOW, written="4h") == "4 hour target passed 1 minute ago"
    )


def test_another_deadline_by_name() -> None:
    due = NOW + timedelta(minutes=45)
    assert deadline_words(due_at=due, now=NOW, written="1h", name="RTO") == "RTO in 45 minutes"
