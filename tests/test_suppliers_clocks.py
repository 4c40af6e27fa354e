"""Supplier assurance findings and ticket clocks, as plain functions: no database, no clock."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration, Unit
from contingency.suppliers import clocks, findings
from contingency.suppliers.clocks import Event, Running

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 12, 3)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def test_a_supplier_with_no_record_has_no_assurance_on_file() -> None:
    assert findings.findings(None, TODAY) == [findings.NO_ASSURANCE]
    assert findings.state(None, TODAY) is findings.State.MISSING


def test_a_record_tested_this_year_and_in_review_is_ok() -> None:
    facts = findings.AssuranceFacts("yes", date(2026, 3, 1), date(2027, 3, 1))
    assert findings.findings(facts, TODAY) == []
    assert findings.state(facts, TODAY) is findings.State.OK


def test_a_passed_review_date_and_an_old_test_make_it_stale() -> None:
    facts = findings.AssuranceFacts("unknown", date(2025, 12, 2), date(2026, 12, 2))
    assert findings.findings(facts, TODAY) == [findings.REVIEW_PASSED, findings.NOT_TESTED]
    assert findings.state(facts, TODAY) is findings.State.STALE


def test_a_test_exactly_twelve_months_ago_still_counts_and_never_tested_does_not() -> None:
    assert findings.findings(findings.AssuranceFacts("yes", date(2025, 12, 3), None), TODAY) == []
    assert findings.findings(findings.AssuranceFacts("yes", None, None), TODAY) == [findings.NOT_TESTED]
    assert findings.NO_PLAN in findings.findings(findings.AssuranceFacts("no", date(2026, 6, 1), None), TODAY)


@pytest.mark.parametrize(
    ("written", "length"),
    [("4h", timedelta(hours=4)), ("30 minutes", timedelta(minutes=30)), ("2 days", timedelta(days=2))],
)
def test_contract_lengths_in_running_time(written: str, length: timedelta) -> None:
    assert clocks.length_of(written) == length


@pytest.mark.parametrize("written", ["next business day", "5 working days", "best endeavours", "", "1 month"])
def test_vague_or_working_time_lengths_are_not_running_time(written: str) -> None:
    assert clocks.length_of(written) is None
    found = clocks.read(started_at=at(4, 12), length=clocks.length_of(written), events=[], now=at(9, 12))
    assert found.breach_at is None and not found.breached
    assert found.elapsed == timedelta(days=5)


def test_a_clock_paused_over_the_weekend_does_not_count_it() -> None:
    # Logged Friday 4 December 12:00 with an 8 hour restore time; paused Friday 17:00, resumed Monday 08:00.
    events = [(at(4, 17), Event.PAUSED), (at(7, 8), Event.RESUMED)]
    length = clocks.length_of("8h")
    saturday = clocks.read(started_at=at(4, 12), length=length, events=events, now=at(5, 12))
    assert saturday.elapsed == timedelta(hours=5) and saturday.running is Running.PAUSED
    assert saturday.breach_at is None and not saturday.breached
    monday = clocks.read(started_at=at(4, 12), length=length, events=events, now=at(7, 10))
    assert monday.elapsed == timedelta(hours=7) and monday.running is Running.RUNNING
    assert monday.breach_at == at(7, 11) and not monday.breached
    later = clocks.read(started_at=at(4, 12), length=length, events=events, now=at(7, 12))
    assert later.elapsed == timedelta(hours=9) and later.breached and later.breach_at == at(7, 11)


def test_a_breach_before_a_pause_stays_a_breach_at_its_moment() -> None:
    events = [(at(4, 17), Event.PAUSED)]
    found = clocks.read(started_at=at(4, 12), length=timedelta(hours=2), events=events, now=at(5, 9))
    assert found.breached and found.breach_at == at(4, 14) and found.elapsed == timedelta(hours=5)


def test_a_clock_stopped_in_time_never_breaches() -> None:
    events = [(at(4, 13), Event.STOPPED)]
    found = clocks.read(started_at=at(4, 12), length=timedelta(hours=4), events=events, now=at(6, 9))
    assert found.running is Running.STOPPED and found.elapsed == timedelta(hours=1)
    assert found.breach_at is None and not found.breached


def test_events_after_now_are_not_counted_yet() -> None:
    events = [(at(4, 17), Event.PAUSED)]
    found = clocks.read(started_at=at(4, 12), length=timedelta(hours=8), events=events, now=at(4, 14))
    assert found.running is Running.RUNNING and found.elapsed == timedelta(hours=2) and found.breach_at == at(4, 20)


def test_events_out_of_order_are_refused() -> None:
    with pytest.raises(clocks.ClockError):
        clocks.read(started_at=at(4, 12), length=None, events=[(at(4, 13), Event.RESUMED)], now=at(4, 14))
    stopped = [(at(4, 13), Event.STOPPED), (at(4, 14), Event.PAUSED)]
    with pytest.raises(clocks.ClockError):
        clocks.read(started_at=at(4, 12), length=None, events=stopped, now=at(4, 15))


def test_the_compliance_rule_judges_every_plan_supplier() -> None:
    from contingency.compliance import rules

    rule = rules.Rule("supplier-assurance", 12)
    assured = rules.SupplierFacts("meridian", "Meridian", findings.AssuranceFacts("yes", date(2026, 6, 1), None))
    missing = rules.SupplierFacts("it-service", "Trust IT")
    assert rules.evaluate_rule(rule, rules.Facts(), TODAY) == rules.RuleResult(
        rule, rules._describe("supplier-assurance", 12), rules.Status.MET, "no supplier is named in a plan"
    )
    partly = rules.evaluate_rule(rule, rules.Facts(suppliers=(assured, missing)), TODAY)
    assert partly is not None and partly.status is rules.Status.PARTLY
    assert partly.gaps == ("Trust IT: no assurance on file",) and partly.summary == "1 of 2 supplier(s) assured"
    later = rules.evaluate_rule(rule, rules.Facts(suppliers=(assured,)), date(2027, 7, 1))
    assert (
        later is not None
        and later.status is rules.Status.NOT_MET
        and later.gaps == ("Meridian: not tested in 12 months",)
    )
    six = rules.evaluate_rule(rules.Rule("supplier-assurance", 6), rules.Facts(suppliers=(assured,)), TODAY)
    assert six is not None and six.gaps == ("Meridian: not tested in 6 months",)


# ------------------------------------------------------------------------------ working time

OFFICE = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17), "england")


def working(written: str, started_at: datetime) -> clocks.Length:
    found = clocks.contract_length(written, calendar=OFFICE, started_at=started_at)
    assert found is not None and found.working
    return found


def test_working_days_breach_where_the_commissioning_kpi_clocks_put_the_deadline() -> None:
    # Logged Friday 4 December 10:00: five working days later is Friday 11 December 10:00 (45 working hours).
    length = working("5 working days", at(4, 10))
    assert length.amount == timedelta(hours=45)
    found = clocks.read(started_at=at(4, 10), length=length, events=[], now=at(7, 9))
    assert found.breach_at == at(11, 10) == OFFICE.add(at(4, 10), Duration(5, Unit.WORKING_DAYS))
    assert found.elapsed == timedelta(hours=8)  # Friday 10:00-17:00 and Monday 08:00-09:00: the weekend not counted
    assert "business days" not in str(length) and working("5 business days", at(4, 10)) == length


def test_a_pause_takes_out_only_the_working_time_it_covered() -> None:
    length = working("5 working days", at(4, 10))
    weekend = [(at(4, 17), Event.PAUSED), (at(7, 8), Event.RESUMED)]  # nothing in hours: the moment stays
    assert clocks.read(started_at=at(4, 10), length=length, events=weekend, now=at(7, 9)).breach_at == at(11, 10)
    tuesday = [(at(8, 10), Event.PAUSED), (at(8, 12), Event.RESUMED)]  # two working hours: two hours later
    found = clocks.read(started_at=at(4, 10), length=length, events=tuesday, now=at(11, 11))
    assert found.breach_at == at(11, 12) and not found.breached
    late = clocks.read(started_at=at(4, 10), length=length, events=tuesday, now=at(14, 9))
    # Still running on Monday 14 at 09:00: 7 + 9 + 7 (the pause out) + 9 + 9 + 9 + 1 working hours.
    assert late.breached and late.elapsed == timedelta(hours=51)


def test_working_days_skip_the_christmas_bank_holidays() -> None:
    # Wednesday 23 December 2026 10:00: Christmas Day (Friday) and Boxing Day's substitute (Monday 28) are not
    # working days, so two working days end on Tuesday 29 December at 10:00.
    started = at(23, 10)
    found = clocks.read(started_at=started, length=working("2 working days", started), events=[], now=at(24, 9))
    assert found.breach_at == at(29, 10)


def test_working_hours_count_the_office_hours_only() -> None:
    # "4 business hours" logged Friday 15:00: two hours on Friday, two on Monday morning.
    length = working("4 business hours", at(4, 15))
    found = clocks.read(started_at=at(4, 15), length=length, events=[], now=at(5, 12))
    assert found.breach_at == at(7, 10) and found.elapsed == timedelta(hours=2) and not found.breached
    assert working("4 working hours", at(4, 15)) == length


@pytest.mark.parametrize("written", ["next business day", "best endeavours", "1 month", "within reason"])
def test_lengths_that_cannot_be_counted_say_so(written: str) -> None:
    assert clocks.contract_length(written, calendar=OFFICE, started_at=at(4, 10)) is None
    why = clocks.why_uncounted(written, calendar=OFFICE, started_at=at(4, 10))
    assert why is not None and written in why and "never breaches on its own" in why
    assert clocks.why_uncounted("", calendar=OFFICE, started_at=at(4, 10)) == clocks.NOT_ON_FILE
    assert clocks.why_uncounted("8h", calendar=OFFICE, started_at=at(4, 10)) is None


def test_working_time_across_the_clock_change_is_elapsed_time() -> None:
    # Every day, all day: Sunday 29 March 2026 has 23 hours, so 24 working hours end at 01:00 on the Monday.
    always = WorkingCalendar("Europe/London", tuple(range(7)), time(0), time(0), "england")
    start = datetime(2026, 3, 29, 0, 0, tzinfo=LONDON)
    assert always.after_working_time(start, timedelta(hours=24)) == datetime(2026, 3, 30, 1, 0, tzinfo=LONDON)
    assert always.working_time(start, datetime(2026, 3, 30, 0, 0, tzinfo=LONDON)) == timedelta(hours=23)
