"""The working calendar: hours, weekends, bank holidays per nation, clock changes, all-day organisations."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from contingency.lib.calendar import CalendarError, WorkingCalendar, from_organisation, from_plan_organisation
from contingency.plans.spec.directory import Organisation as PlanOrganisation

LONDON = ZoneInfo("Europe/London")


def cal(
    nation: str = "england", days: tuple[int, ...] = (0, 1, 2, 3, 4), start: str = "08:00", end: str = "17:00"
) -> WorkingCalendar:
    return WorkingCalendar("Europe/London", days, time.fromisoformat(start), time.fromisoformat(end), nation)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2026-11-20 16:40", True),  # Friday afternoon
        ("2026-11-20 08:00", True),  # the window starts inclusive
        ("2026-11-20 07:59", False),
        ("2026-11-20 17:00", False),  # and ends exclusive
        ("2026-11-20 17:30", False),
        ("2026-11-21 11:00", False),  # Saturday
        ("2026-11-22 11:00", False),  # Sunday
        ("2026-11-23 02:00", False),  # Monday night
    ],
)
def test_in_hours_on_ordinary_days(when: str, expected: bool) -> None:
    assert cal().is_in_hours(at(when)) is expected


def test_aware_datetimes_in_other_zones_are_converted() -> None:
    # 16:30 UTC in August is 17:30 in London: out of hours.
    assert cal().is_in_hours(datetime(2026, 8, 14, 16, 30, tzinfo=UTC)) is False
    assert cal().is_in_hours(datetime(2026, 8, 14, 15, 30, tzinfo=UTC)) is True


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(CalendarError, match="naive datetime"):
        cal().is_in_hours(datetime(2026, 11, 20, 12, 0))  # noqa: DTZ001  (naive on purpose: it is refused)


def test_christmas_and_substitute_boxing_day_2026() -> None:
    c = cal()
    assert c.bank_holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert c.bank_holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert c.is_in_hours(at("2026-12-25 10:00")) is False
    assert c.is_in_hours(at("2026-12-28 10:00")) is False  # Monday, substitute day
    assert c.is_in_hours(at("2026-12-29 10:00")) is True
    assert c.why_out_of_hours(at("2026-12-28 10:00")) == "bank holiday: Boxing Day (observed)"


def test_second_of_january_is_a_holiday_only_in_scotland() -> None:
    assert cal("scotland").bank_holiday_name(date(2026, 1, 2)) == "New Year Holiday"
    assert cal("scotland").is_in_hours(at("2026-01-02 10:00")) is False
    assert cal("england").bank_holiday_name(date(2026, 1, 2)) is None
    assert cal("england").is_in_hours(at("2026-01-02 10:00")) is True


def test_easter_monday_is_not_a_holiday_in_scotland() -> None:
    assert cal("england").is_in_hours(at("2026-04-06 10:00")) is False
    assert cal("wales").is_in_hours(at("2026-04-06 10:00")) is False
    assert cal("scotland").is_in_hours(at("2026-04-06 10:00")) is True


def test_st_patricks_day_in_northern_ireland() -> None:
    assert cal("northern-ireland").bank_holiday_name(date(2026, 3, 17)) == "Saint Patrick's Day"
    assert cal("england").bank_holiday_name(date(2026, 3, 17)) is None


def test_reasons_for_out_of_hours() -> None:
    c = cal()
    assert c.why_out_of_hours(at("2026-11-20 12:00")) is None
    assert c.why_out_of_hours(at("2026-11-20 07:00")) == "before 08:00"
    assert c.why_out_of_hours(at("2026-11-20 17:30")) == "after 17:00"
    assert c.why_out_of_hours(at("2026-11-21 12:00")) == "weekend"
    assert cal(days=(0, 2, 4)).why_out_of_hours(at("2026-11-24 12:00")) == "not a working day"


def test_next_change_same_day() -> None:
    assert cal().next_change(at("2026-11-20 16:40")) == at("2026-11-20 17:00")
    assert cal().next_change(at("2026-11-20 06:00")) == at("2026-11-20 08:00")


def test_next_change_skips_the_weekend_and_bank_holidays() -> None:
    assert cal().next_change(at("2026-11-20 17:30")) == at("2026-11-23 08:00")
    # Christmas Eve evening: next in hours is Tuesday 29th, after Christmas, Boxing Day and the substitute day.
    assert cal().next_change(at("2026-12-24 18:00")) == at("2026-12-29 08:00")


def test_next_change_is_wall_clock_time_across_the_clock_change() -> None:
    # Clocks go back on Sunday 25 October 2026: Monday 08:00 is GMT, Friday 17:00 was BST.
    change = cal().next_change(at("2026-10-23 17:30"))
    assert change == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert change is not None and change.utcoffset() == datetime(2026, 10, 26, 8, tzinfo=LONDON).utcoffset()
    # Clocks go forward on Sunday 29 March 2026: Monday 08:00 BST is 07:00 UTC.
    assert cal().next_change(at("2026-03-27 20:00")) == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


def test_in_hours_on_the_clock_change_weekend() -> None:
    seven_days = cal(days=tuple(range(7)))
    # 01:30 happens twice on 25 October 2026; both are before 08:00.
    first = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=0)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=LONDON, fold=1)
    assert first.astimezone(UTC) != second.astimezone(UTC)
    assert not seven_days.is_in_hours(first) and not seven_days.is_in_hours(second)
    # 08:00 GMT on the Sunday of the change is 08:00 UTC.
    assert seven_days.is_in_hours(datetime(2026, 10, 25, 8, 0, tzinfo=UTC))
    assert not seven_days.is_in_hours(datetime(2026, 10, 25, 7, 59, tzinfo=UTC))


def test_all_day_weekdays_changes_at_midnight() -> None:
    c = cal(start="00:00", end="00:00")
    assert c.all_day and not c.around_the_clock
    assert c.is_in_hours(at("2026-11-20 23:59"))
    assert c.is_in_hours(at("2026-11-20 02:00"))
    assert not c.is_in_hours(at("2026-11-21 00:00"))
    assert c.next_change(at("2026-11-20 02:00")) == at("2026-11-21 00:00")
    assert c.next_change(at("2026-11-21 12:00")) == at("2026-11-23 00:00")
    assert not c.is_in_hours(at("2026-12-25 12:00"))  # bank holidays still count


def test_around_the_clock_never_changes() -> None:
    c = cal(days=tuple(range(7)), start="00:00", end="00:00")
    assert c.around_the_clock
    assert c.is_in_hours(at("2026-12-25 03:00"))  # no hours to be out of, even on Christmas Day
    assert c.next_change(at("2026-12-25 03:00")) is None
    assert c.why_out_of_hours(at("2026-12-25 03:00")) is None


def test_add_working_days() -> None:
    c = cal()
    assert c.add_working_days(at("2026-11-20 16:00"), 0) == at("2026-11-20 16:00")
    assert c.add_working_days(at("2026-11-20 16:00"), 1) == at("2026-11-23 16:00")
    assert c.add_working_days(at("2026-11-21 10:00"), 1) == at("2026-11-23 10:00")  # from a Saturday
    assert c.add_working_days(at("2026-11-20 16:00"), 5) == at("2026-11-27 16:00")
    # Over Christmas: 24th (Thu) + 1 = 29th (Tue).
    assert c.add_working_days(at("2026-12-24 12:00"), 1) == at("2026-12-29 12:00")
    with pytest.raises(CalendarError, match="must not be negative"):
        c.add_working_days(at("2026-11-20 16:00"), -1)


def test_add_working_days_keeps_wall_clock_time_over_the_clock_change() -> None:
    result = cal().add_working_days(at("2026-10-23 09:00"), 1)  # Friday BST -> Monday GMT
    assert result == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    assert result.hour == 9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "is not a time zone name"),
        ({"nation": "cornwall"}, "is not a UK nation"),
        ({"working_days": (7,)}, "numbered 0 \\(Monday\\) to 6"),
        ({"start": time(17), "end": time(8)}, "must end after they start"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    settings: dict[str, object] = {
        "timezone": "Europe/London",
        "working_days": (0, 1, 2, 3, 4),
        "start": time(8),
        "end": time(17),
        "nation": "england",
    } | kwargs
    with pytest.raises(CalendarError, match=message):
        WorkingCalendar(**settings)  # type: ignore[arg-type]


@dataclass
class FakeOrganisation:
    timezone: str = "Europe/London"
    nation: str = "scotland"
    working_days: list[int] = field(default_factory=lambda: [0, 1, 2, 3])
    working_start: time = time(9)
    working_end: time = time(16, 30)


def test_from_organisation() -> None:
    c = from_organisation(FakeOrganisation())
    assert c == WorkingCalendar("Europe/London", (0, 1, 2, 3), time(9), time(16, 30), "scotland")
    assert not c.is_in_hours(at("2026-11-20 12:00"))  # a Friday
    assert c.next_change(at("2026-11-19 12:00")) == at("2026-11-19 16:30")


def test_from_plan_organisation() -> None:
    org = PlanOrganisation.model_validate(
        {"id": "x", "name": "X", "nation": "wales", "workingHours": "Mon-Sat 07:30-19:00"}
    )
    c = from_plan_organisation(org)
    assert c == WorkingCalendar("Europe/London", (0, 1, 2, 3, 4, 5), time(7, 30), time(19), "wales")
