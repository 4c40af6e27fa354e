"""The exercise clock: a table-top exercise of the demo PACS plan run as if at 02:00 on a Sunday, while the real
clock says Wednesday noon. Its trigger points fall due by scenario time; the facilitator moves the clock on and
the worker fires what the skipped time made due, each once and in order. A real incident of the same plan,
invoked at the same moment, is untouched throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from contingency.core.models import AuditEntry
from contingency.exercises import services
from contingency.exercises.models import ClockAdvance, Exercise
from contingency.incidents import services as incidents
from contingency.incidents import worker
from contingency.incidents.models import DueAction, Incident, TimelineEntry
from contingency.plans.models import Plan

from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
WEDNESDAY_NOON = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)  # the real clock: in hours
SUNDAY_NIGHT = datetime(2027, 3, 14, 2, 0, tzinfo=LONDON)  # the exercise's "as if" moment: out of hours
TP2 = "TP2 - conference call and board briefing"
FOUR_HOUR_RULE = "image-reporting#0"  # Diagnostic image viewing and reporting: after 4h


@pytest.fixture
def clock(demo_plans: list[object], email: None) -> Iterator[time_machine.Traveller]:
    with time_machine.travel(WEDNESDAY_NOON, tick=False) as traveller:
        yield traveller


def _plan() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def _start(as_if: datetime | None = SUNDAY_NIGHT) -> Exercise:
    return services.start(plan=_plan(), kind="table-top", subject="system:pacs", actor=None, as_if=as_if, via="test")


def _real_incident() -> Incident:
    reported = incidents.report(plan=_plan(), subject="system:pacs", actor=None, via="test")
    return incidents.invoke(incident=reported, actor=None, via="test")


def _rows(incident: Incident | None) -> list[tuple[str, int, datetime, str, str]]:
    return list(
        DueAction.objects.filter(incident=incident)
        .order_by("id")
        .values_list("key", "sequence", "due_at", "state", "fired_by")
    )


def _triggers(incident: Incident | None) -> list[str]:
    return list(
        TimelineEntry.objects.filter(incident=incident, kind="trigger")
        .order_by("at", "id")
        .values_list("text", flat=True)
    )


def _fresh(exercise: Exercise) -> Exercise:
    return Exercise.objects.select_related("incident", "organisation").get(pk=exercise.pk)


def test_moving_the_clock_on_fires_what_falls_due_in_the_skipped_time_once(clock: time_machine.Traveller) -> None:
    real = _real_incident()
    real_rows = _rows(real)
    exercise = _start()
    assert services.scenario_now(exercise) == SUNDAY_NIGHT
    assert exercise.incident is not None and exercise.incident.routing == "out-of-hours"
    # Scheduled by scenario time: TP2's first call is four hours after 02:00 on Sunday, due in real time when
    # the scenario reaches it (here too, four real hours from now: the clock runs at normal speed).
    tp2 = DueAction.objects.get(incident=exercise.incident, key="tp2", sequence=0)
    assert tp2.due_at == WEDNESDAY_NOON + timedelta(hours=4)
    assert worker.run_until_idle(worker="before") == 0  # nothing is due yet, of either incident

    step = services.advance_clock(
        exercise=exercise, minutes=5 * 60, reason="Skip to the morning", actor=None, via="test"
    )
    assert (step.scenario_from, step.scenario_to, step.by) == (
        SUNDAY_NIGHT,
        SUNDAY_NIGHT + timedelta(hours=5),
        timedelta(hours=5),
    )
    assert services.scenario_now(_fresh(exercise)) == datetime(2027, 3, 14, 7, 0, tzinfo=LONDON)
    advanced = TimelineEntry.objects.get(incident=exercise.incident, text__startswith="EXERCISE clock")
    assert advanced.text == (
        "EXERCISE clock advanced by 5 hours, to 07:00 on Sunday 14 March (scenario time): Skip to the morning. "
        "2 timed action(s) now due."
    )
    assert (
        AuditEntry.objects.filter(object_key=f"exercise/{exercise.number}", note="clock advanced by 5 hours").count()
        == 1
    )

    # The worker fires the four-hour rule and TP2's first call, once each, by the scenario's clock.
    assert worker.run_until_idle(worker="first") == 2
    fired = [(key, seq) for key, seq, _, state, by in _rows(exercise.incident) if state == "fired" and by == "first"]
    assert sorted(fired) == [(FOUR_HOUR_RULE, 0), ("tp2", 0)]
    assert _triggers(exercise.incident)[-1].startswith(
        f"Trigger point: {TP2} (1st) (scenario time 06:00 on Sunday 14 March)."
    )
    lost = TimelineEntry.objects.get(incident=exercise.incident, kind="duration")
    assert "(scenario time 06:00 on Sunday 14 March)" in lost.text
    # TP2's second call is a day on in the scenario, 06:00 on Monday: due when the scenario reaches it.
    second = DueAction.objects.get(incident=exercise.incident, key="tp2", sequence=1)
    assert second.state == "pending"
    assert second.due_at == datetime(2027, 3, 15, 6, 0, tzinfo=LONDON) - (
        SUNDAY_NIGHT + timedelta(hours=5) - WEDNESDAY_NOON
    )

    # A second worker, and a second advance that passes nothing, fire nothing again.
    assert worker.run_until_idle(worker="second") == 0
    services.advance_clock(exercise=exercise, minutes=60, reason="Coffee", actor=None, via="test")
    assert worker.run_until_idle(worker="third") == 0
    assert len([t for t in _triggers(exercise.incident) if t.startswith(f"Trigger point: {TP2}")]) == 1
    assert services.scenario_now(_fresh(exercise)) == datetime(2027, 3, 14, 8, 0, tzinfo=LONDON)
    assert list(ClockAdvance.objects.filter(exercise=exercise).values_list("by", flat=True)) == [
        timedelta(hours=5),
        timedelta(hours=1),
    ]

    # The real incident, invoked at the same moment, runs by the real clock: nothing of it moved or fired.
    assert _rows(real) == real_rows
    assert Incident.objects.get(pk=real.pk).clock_shift is None


def test_a_day_skipped_fires_each_call_of_a_recurring_trigger_in_order(clock: time_machine.Traveller) -> None:
    exercise = _start()
    services.advance_clock(exercise=exercise, minutes=(24 + 6) * 60, reason="To Monday morning", actor=None, via="test")
    # To 08:00 on Monday: the 4h rule and TP2's 1st call (06:00 Sunday), the one-day rule for image sharing
    # (02:00 Monday), then TP2's 2nd call (06:00 Monday), written when the 1st fires and already due by the
    # scenario's clock, so the same run fires it. Each once, in the scenario's order.
    assert worker.run_until_idle(worker="w") == 4
    fired = TimelineEntry.objects.filter(incident=exercise.incident, kind__in=("trigger", "duration")).order_by("id")
    assert [text.split(" (scenario time ")[1].split(")")[0] for text in fired.values_list("text", flat=True)] == [
        "02:00 on Sunday 14 March",  # TP1, at the invocation
        "06:00 on Sunday 14 March",
        "06:00 on Sunday 14 March",
        "02:00 on Monday 15 March",
        "06:00 on Monday 15 March",
    ]
    calls = [t for t in _triggers(exercise.incident) if t.startswith(f"Trigger point: {TP2}")]
    assert [c.split(" (scenario")[0] for c in calls] == [f"Trigger point: {TP2} (1st)", f"Trigger point: {TP2} (2nd)"]
    assert DueAction.objects.get(incident=exercise.incident, key="tp2", sequence=2).state == "pending"
    assert worker.run_until_idle(worker="again") == 0


def test_an_exercise_without_an_as_if_moment_runs_from_its_start(clock: time_machine.Traveller) -> None:
    exercise = _start(as_if=None)
    assert services.scenario_now(exercise) == WEDNESDAY_NOON
    clock.move_to(WEDNESDAY_NOON + timedelta(minutes=10))
    assert services.scenario_now(exercise) == WEDNESDAY_NOON + timedelta(minutes=10)  # normal speed
    services.advance_clock(exercise=exercise, minutes=4 * 60, reason="Four hours on", actor=None, via="test")
    assert services.scenario_now(_fresh(exercise)) == WEDNESDAY_NOON + timedelta(hours=4, minutes=10)
    # TP2's first call and the 4h rule; the change to out of hours at 17:00 (scenario time) is not reached yet.
    assert worker.run_until_idle(worker="w") == 2
    routing = DueAction.objects.get(incident=exercise.incident, key="routing")
    assert routing.state == "pending"
    assert routing.due_at == datetime(2027, 3, 10, 17, 0, tzinfo=LONDON) - timedelta(hours=4)
    assert DueAction.objects.get(incident=exercise.incident, key="tp2", sequence=0).state == "fired"


def test_releasing_an_inject_can_move_the_clock_on_to_its_time(clock: time_machine.Traveller) -> None:
    exercise = _start()
    services.add_inject(exercise=exercise, title="Failover", text="The standby fails.", minutes=0, actor=None)
    services.add_inject(exercise=exercise, title="Morning", text="Day staff arrive.", minutes=300, actor=None)
    first = services.release_next_inject(exercise=exercise, actor=None, via="test", advance=True)
    assert first.scenario_at == SUNDAY_NIGHT and not ClockAdvance.objects.exists()  # already there
    second = services.release_next_inject(exercise=exercise, actor=None, via="test", advance=True)
    step = ClockAdvance.objects.get()
    assert (step.inject, step.by, step.scenario_to) == (second, timedelta(hours=5), second.scenario_at)
    assert step.reason == "to the time of inject 2, Morning"
    assert worker.run_until_idle(worker="w") == 2
    notes = list(
        TimelineEntry.objects.filter(incident=exercise.incident, text__startswith="EXERCISE").values_list(
            "text", flat=True
        )
    )
    assert notes[-2].startswith("EXERCISE clock advanced by 5 hours")
    assert notes[-1] == "EXERCISE inject 2: Morning. Day staff arrive."
    audit = AuditEntry.objects.filter(object_key=f"exercise/{exercise.number}", note__startswith="inject 2 released")
    assert list(audit.values_list("note", flat=True)) == ["inject 2 released; clock advanced by 5 hours"]


@pytest.mark.parametrize(
    ("minutes", "reason", "field", "message"),
    [
        (0, "x", "minutes", "only moves forward"),
        (-30, "x", "minutes", "only moves forward"),
        (7 * 24 * 60 + 1, "x", "minutes", "at most a week"),
        ("30", "x", "minutes", "whole number of minutes"),
        (1.5, "x", "minutes", "whole number of minutes"),
        (True, "x", "minutes", "whole number of minutes"),
        (30, "   ", "reason", "say why"),
        (30, "x" * 501, "reason", "under 500 characters"),
    ],
)
def test_a_bad_advance_is_refused_and_changes_nothing(
    clock: time_machine.Traveller, minutes: object, reason: str, field: str, message: str
) -> None:
    exercise = _start()
    rows, audits = _rows(exercise.incident), AuditEntry.objects.count()
    with pytest.raises(services.ExerciseError, match=message) as refused:
        services.advance_clock(exercise=exercise, minutes=minutes, reason=reason, actor=None, via="test")  # type: ignore[arg-type]
    assert refused.value.field == field
    assert _rows(exercise.incident) == rows and AuditEntry.objects.count() == audits
    assert not ClockAdvance.objects.exists()
    assert services.scenario_now(_fresh(exercise)) == SUNDAY_NIGHT


def test_a_finished_exercise_keeps_its_clock(clock: time_machine.Traveller) -> None:
    exercise = _start()
    services.finish(exercise=exercise, outcome="Stopped early.", actor=None)
    with pytest.raises(services.ExerciseError, match="has finished"):
        services.advance_clock(exercise=exercise, minutes=60, reason="Too late", actor=None, via="test")
    clock.move_to(WEDNESDAY_NOON + timedelta(hours=3))
    assert services.scenario_now(_fresh(exercise)) == SUNDAY_NIGHT  # stopped at the finish


def test_the_page_shows_the_scenario_time_and_moves_the_clock_on(
    clock: time_machine.Traveller, member: Callable[..., Client]
) -> None:
    facilitator, viewer = member("responder"), member("viewer")
    exercise = _start()
    page = f"/o/{HOME_ORG}/exercises/{exercise.number}/"
    shown = facilitator.get(page).content.decode()
    assert "Sun 14 Mar 2027 02:00" in shown and "Advance the exercise clock" in shown
    assert f"<li>Sun 14 Mar 06:00: {TP2} (1st)</li>" in shown  # coming up, in scenario time
    assert "Advance the exercise clock" not in viewer.get(page).content.decode()

    for amount, unit, error in [
        ("abc", "hours", "Give a whole number, such as 30 or 2."),
        ("0", "minutes", "The clock only moves forward: give a number above 0."),
        ("", "minutes", "Give how far to move the clock on."),
        ("200", "hours", "advance the clock by at most a week (168 hours, 10,080 minutes) at once"),
    ]:
        refused = facilitator.post(f"{page}clock/", {"amount": amount, "unit": unit, "reason": "Skip"})
        body = refused.content.decode()
        assert refused.status_code == 400
        assert f'<p class="field-error" id="id_amount-error">{error}</p>' in body, body[-3000:]
    refused = facilitator.post(f"{page}clock/", {"amount": "2", "unit": "hours", "reason": ""})
    assert refused.status_code == 400 and "Say why the clock moves on." in refused.content.decode()
    assert viewer.post(f"{page}clock/", {"amount": "2", "unit": "hours", "reason": "Skip"}).status_code == 403
    assert not ClockAdvance.objects.exists()

    done = facilitator.post(
        f"{page}clock/", {"amount": "90", "unit": "minutes", "reason": "Skip the wait"}, follow=True
    )
    body = done.content.decode()
    assert "The exercise clock moved on by 1 hour 30 minutes." in body
    assert "Sun 14 Mar 2027 03:30" in body
    assert "moved the clock on by 1 hour 30 minutes, from Sun 14 Mar 02:00 to Sun 14 Mar 03:30" in body
    incident_page = facilitator.get(f"/o/{HOME_ORG}/incidents/{exercise.incident.number}/").content.decode()  # type: ignore[union-attr]
    assert "EXERCISE clock advanced by 1 hour 30 minutes, to 03:30 on Sunday 14 March" in incident_page


# A real incident of the plan, invoked at Wednesday noon and fired four hours on, costs these queries (the same
# on SQLite and PostgreSQL), as it did before the exercise clock: measured on the code without it. A first
# incident warms the caches (plan views, content types), so the counts do not depend on the tests run before.
# Bounds, not exact counts: a later change that saves a query must not fail here; one that adds a query to
# every real incident should.
REAL_INVOKE_QUERIES, REAL_FIRE_QUERIES = 148, 130


def test_a_real_incident_runs_by_the_real_clock_as_before(clock: time_machine.Traveller) -> None:
    plan = _plan()
    _real_incident()
    with CaptureQueriesContext(connection) as invoking:
        reported = incidents.report(plan=plan, subject="system:pacs", actor=None, via="test")
        real = incidents.invoke(incident=reported, actor=None, via="test")
    clock.move_to(WEDNESDAY_NOON + timedelta(hours=4, minutes=1))
    with CaptureQueriesContext(connection) as firing:
        assert worker.run_until_idle(worker="w") == 4  # each incident's 4h rule and TP2's first call
    assert real.clock_shift is None
    assert len(invoking) <= REAL_INVOKE_QUERIES and len(firing) <= REAL_FIRE_QUERIES, (len(invoking), len(firing))
    assert _triggers(real)[-1] == f"Trigger point: {TP2} (1st). Chair: Senior radiology managers. 4 task(s) added."
    noted = TimelineEntry.objects.get(incident=real, text__startswith=f"Trigger point: {TP2}")
    assert noted.at == WEDNESDAY_NOON + timedelta(hours=4)  # on time: noted at its due time
    assert DueAction.objects.get(incident=real, key="tp2", sequence=1).due_at == datetime(
        2027, 3, 11, 16, 0, tzinfo=LONDON
    )
    assert DueAction.objects.get(incident=real, key="routing").due_at == datetime(2027, 3, 10, 17, 0, tzinfo=LONDON)
