"""When trigger points and duration rules fall due: pure code over a plan and a calendar."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from contingency.incidents import schedule
from contingency.lib.calendar import WorkingCalendar
from contingency.plans.spec.plan import TriggerPoint

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17), "england")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc,arg-type]


def trigger(**fields: object) -> TriggerPoint:
    return TriggerPoint.model_validate({"id": "tp", "name": "TP", **fields})


def all_due(tp: TriggerPoint, invoked: datetime, limit: int = 50) -> list[datetime]:
    found = []
    for n in range(limit):
        due = schedule.recurring_due(tp, n, invoked, CAL)
        if due is None:
            break
        found.append(due)
    return found


def test_start_defaults_to_one_interval_after_invocation() -> None:
    tp = trigger(kind="recurring", every="2h", until="6h")
    assert all_due(tp, at(2027, 5, 28, 16, 45)) == [
        at(2027, 5, 28, 18, 45),
        at(2027, 5, 28, 20, 45),
        at(2027, 5, 28, 22, 45),
    ]


def test_until_is_inclusive_and_measured_from_invocation() -> None:
    tp = trigger(kind="recurring", every="1 day", start="4h", until="5 days")
    due = all_due(tp, at(2027, 5, 28, 16, 45))
    assert due[0] == at(2027, 5, 28, 20, 45)
    assert due[-1] == at(2027, 6, 1, 20, 45)
    assert len(due) == 5
    exact = trigger(kind="recurring", every="1 day", start="1 day", until="2 days")
    assert all_due(exact, at(2027, 5, 28, 9, 0)) == [at(2027, 5, 29, 9, 0), at(2027, 5, 30, 9, 0)]


def test_recurring_without_until_goes_on_until_restored() -> None:
    tp = trigger(kind="recurring", every="12h")
    assert len(all_due(tp, at(2027, 5, 28, 9, 0), limit=40)) == 40


def test_working_day_recurrence_skips_the_weekend_and_bank_holiday() -> None:
    tp = trigger(kind="recurring", every="1 working day", until="3 working days")
    assert all_due(tp, at(2027, 5, 27, 10, 0)) == [at(2027, 5, 28, 10, 0), at(2027, 6, 1, 10, 0), at(2027, 6, 2, 10, 0)]


def test_occurrence_names_are_ordinal() -> None:
    tp = trigger(kind="recurring", every="1 day")
    assert [schedule.occurrence_name(tp, n) for n in (0, 1, 2, 3, 10, 20, 21)] == [
        "TP (1st)",
        "TP (2nd)",
        "TP (3rd)",
        "TP (4th)",
        "TP (11th)",
        "TP (21st)",
        "TP (22nd)",
    ]
