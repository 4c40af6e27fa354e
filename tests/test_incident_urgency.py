"""Ranking open incidents: past MTPD first, then least time left, then impact now, then severity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from contingency.incidents.urgency import FunctionClock, IncidentClock, rank

NOW = datetime(2027, 5, 30, 12, 0, tzinfo=UTC)


def fn(
    key: str, mtpd_in: timedelta | None, *, degraded: bool = False, impact: Sequence[tuple[timedelta, str]] = ()
) -> FunctionClock:
    return FunctionClock(
        key,
        key.title(),
        degraded,
        NOW + mtpd_in if mtpd_in is not None else None,
        None,
        [(NOW + d, lvl) for d, lvl in impact],
    )


def incident(id: int, *functions: FunctionClock, severity: int = 8, invoked: bool = True) -> IncidentClock:
    return IncidentClock(id, invoked, severity, functions)


def order(*incidents: IncidentClock) -> list[int]:
    return [r.id for r in rank(incidents, NOW)]


def test_breached_first_then_least_time_left() -> None:
    a = incident(1, fn("a", timedelta(days=3)))
    b = incident(2, fn("b", timedelta(hours=-1)))
    c = incident(3, fn("c", timedelta(hours=5)))
    ranked = rank([a, b, c], NOW)
    assert [r.id for r in ranked] == [2, 3, 1]
    assert ranked[0].breached and "past its maximum" in ranked[0].reason
    assert [r.rank for r in ranked] == [1, 2, 3]


def test_the_nearest_function_decides() -> None:
    a = incident(1, fn("a1", timedelta(days=5)), fn("a2", timedelta(hours=2)))
    b = incident(2, fn("b", timedelta(hours=3)))
    assert order(a, b) == [1, 2]
    assert rank([a], NOW)[0].worst_function == "A2"


def test_a_degraded_function_counts_only_when_nothing_is_lost() -> None:
    a = incident(1, fn("lost", timedelta(days=2)), fn("at-risk", timedelta(hours=1), degraded=True))
    b = incident(2, fn("b", timedelta(days=1)))
    assert order(a, b) == [2, 1]
    only_degraded = incident(3, fn("x", timedelta(hours=1), degraded=True))
    assert order(a, only_degraded) == [3, 1]


def test_equal_deadlines_go_by_impact_now_then_severity_then_invoked() -> None:
    high = incident(1, fn("a", timedelta(days=1), impact=[(timedelta(hours=-2), "high")]), severity=4)
    low = incident(
        2,
        fn("b", timedelta(days=1), impact=[(timedelta(hours=-2), "low"), (timedelta(hours=2), "severe")]),
        severity=20,
    )
    assert order(low, high) == [1, 2]
    severe = incident(3, fn("c", timedelta(days=1)), severity=20)
    mild = incident(4, fn("d", timedelta(days=1)), severity=4)
    assert order(mild, severe) == [3, 4]
    reported = incident(5, fn("e", timedelta(days=1)), severity=4, invoked=False)
    assert order(reported, mild) == [4, 5]


def test_no_mtpd_ranks_last() -> None:
    a = incident(1, fn("a", None))
    b = incident(2, fn("b", timedelta(days=30)))
    ranked = rank([a, b], NOW)
    assert [r.id for r in ranked] == [2, 1]
    assert ranked[1].time_left is None and ranked[1].reason == "no MTPD stated for the functions lost"
