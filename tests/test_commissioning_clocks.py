"""Which contract KPIs an outage touches: each KPI's clock window is the outage extended by its clock,
working days on the organisation's calendar (pure, no database)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from contingency.commissioning import clocks
from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration, Unit

LONDON = ZoneInfo("Europe/London")
CAL = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17), "england")
THU = datetime(2026, 11, 5, 10, 0, tzinfo=LONDON)  # a Thursday
KPIS = [
    ("triage", Duration(5, Unit.WORKING_DAYS)),
    ("answer", Duration(2, Unit.HOURS)),
    ("report", Duration(3, Unit.DAYS)),
]


def outage(hours: float, *, restored: bool = True) -> clocks.Outage | None:
    end = THU + timedelta(hours=hours)
    return clocks.outage(
        invoked_at=THU, restored_at=end if restored else None, stood_down_at=None, now=end if not restored else THU
    )


def test_each_kpis_window_is_the_outage_extended_by_its_clock() -> None:
    found = clocks.affected(KPIS, outage(28), CAL)  # Thursday 10:00 to Friday 14:00
    windows = {a.kpi: (a.window_from, a.window_to) for a in found}
    assert set(windows) == {"triage", "answer", "report"}
    assert all(start == THU for start, _ in windows.values())
    # five working days after Friday 14:00 skip the weekend: the Friday after
    assert windows["triage"][1] == datetime(2026, 11, 13, 14, 0, tzinfo=LONDON)
    assert windows["answer"][1] == datetime(2026, 11, 6, 16, 0, tzinfo=LONDON)
    assert windows["report"][1] == datetime(2026, 11, 9, 14, 0, tzinfo=LONDON)


def test_working_days_skip_bank_holidays() -> None:
    christmas_eve = datetime(2026, 12, 24, 9, 0, tzinfo=LONDON)
    found = clocks.affected(
        [("triage", Duration(1, Unit.WORKING_DAYS))],
        clocks.outage(
            invoked_at=christmas_eve - timedelta(hours=1),
            restored_at=christmas_eve,
            stood_down_at=None,
            now=christmas_eve,
        ),
        CAL,
    )
    # Christmas Day, Boxing Day (a Saturday, substitute Monday 28th) and the weekend are not working days
    assert found[0].window_to == datetime(2026, 12, 29, 9, 0, tzinfo=LONDON)


def test_an_ongoing_outage_runs_until_now() -> None:
    found = outage(5, restored=False)
    assert found is not None and found.ongoing and found.ended == THU + timedelta(hours=5)
    assert clocks.affected(KPIS[1:2], found, CAL)[0].window_to == THU + timedelta(hours=7)


def test_no_invocation_or_no_length_touches_no_kpi() -> None:
    never = clocks.outage(invoked_at=None, restored_at=None, stood_down_at=None, now=THU)
    assert never is None and clocks.affected(KPIS, never, CAL) == []
    assert clocks.affected(KPIS, outage(0), CAL) == []


def test_stand_down_ends_the_outage_when_service_was_never_restored() -> None:
    end = THU + timedelta(hours=3)
    found = clocks.outage(invoked_at=THU, restored_at=None, stood_down_at=end, now=end + timedelta(days=2))
    assert found == clocks.Outage(THU, end, False)
