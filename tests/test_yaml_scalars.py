"""Plans are written by people: YAML 1.1 surprises (08:00 as a number, `no` as false) must not happen."""

from __future__ import annotations

import pytest

from contingency.plans import yamlio
from contingency.plans.problems import Location, PlanInvalid


def test_plain_scalars_follow_yaml_1_2() -> None:
    data, _ = yamlio.parse("a: 08:00\nb: no\nc: 2026-01-05\nd: true\ne: 12\nf: 1.5\ng: ~\nh: '12'\ni: 17:30\n")
    assert data == {
        "a": "08:00",
        "b": "no",
        "c": "2026-01-05",
        "d": True,
        "e": 12,
        "f": 1.5,
        "g": None,
        "h": "12",
        "i": "17:30",
    }


def test_positions_point_at_keys_and_items() -> None:
    _, positions = yamlio.parse("people:\n  - id: a\n    name: A\n  - id: b\n")
    assert positions.locate(("people", 1, "id")) == Location(4, 5)
    assert positions.locate(("people", 0, "name")) == Location(3, 5)
    # An unknown path resolves to its nearest known parent.
    assert positions.locate(("people", 1, "phones", 0)) == Location(4, 5)


def test_key_that_is_not_text_is_refused() -> None:
    with pytest.raises(PlanInvalid) as caught:
        yamlio.parse("? [a, b]\n: 1\n")
    assert caught.value.problems[0].message == "a key must be plain text, not a list or mapping"


def test_dump_keeps_times_and_dates_readable() -> None:
    text = yamlio.dump({"start": "08:00", "end": "17:00", "date": "2026-01-05", "word": "no", "n": "12"})
    data, _ = yamlio.parse(text)
    assert data == {"start": "08:00", "end": "17:00", "date": "2026-01-05", "word": "no", "n": "12"}
    assert "date: 2026-01-05\n" in text
