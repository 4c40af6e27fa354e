"""Moving an exercise's clock on while two workers fire (PostgreSQL: concurrent writers): each trigger point and
duration rule the skipped day made due happens exactly once, whichever got there first.

On SQLite writers take turns (IMMEDIATE transactions); tests/test_exercise_clock.py runs the same steps one
after another. Here an advance and two workers start together, each on its own connection.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection

from contingency.exercises import services
from contingency.exercises.models import Exercise
from contingency.incidents import worker
from contingency.incidents.models import DueAction, TimelineEntry
from contingency.plans.models import Plan

from .web import HOME_ORG, PACS, load_demo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
LONDON = ZoneInfo("Europe/London")
WEDNESDAY_NOON = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)
SUNDAY_NIGHT = datetime(2027, 3, 14, 2, 0, tzinfo=LONDON)


def test_an_advance_and_two_workers_at_once_fire_each_action_once(email: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; this needs concurrent writers")
    load_demo()
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
        exercise = services.start(
            plan=plan, kind="table-top", subject="system:pacs", actor=None, as_if=SUNDAY_NIGHT, via="test"
        )
        start = threading.Barrier(3)
        errors: list[BaseException] = []

        def run(job: Callable[[], object]) -> None:
            try:
                start.wait()
                job()
            except BaseException as exc:  # reported below, on the test's thread
                errors.append(exc)
            finally:
                connection.close()

        def advance() -> None:
            services.advance_clock(
                exercise=Exercise.objects.get(pk=exercise.pk), minutes=30 * 60, reason="To Monday", actor=None
            )

        def fire(name: str) -> Callable[[], None]:
            def job() -> None:
                for _ in range(3):
                    worker.run_until_idle(worker=name)

            return job

        threads = [threading.Thread(target=run, args=(job,)) for job in (advance, fire("a"), fire("b"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        worker.run_until_idle(worker="last")  # whatever the race left due (if the workers finished first)

    incident = exercise.incident
    assert incident is not None
    fired = Counter(DueAction.objects.filter(incident=incident, state="fired").values_list("key", "sequence"))
    assert fired == Counter(
        {("tp1", 0): 1, ("tp2", 0): 1, ("image-reporting#0", 0): 1, ("image-sharing#0", 0): 1, ("tp2", 1): 1}
    )
    notes = Counter(
        TimelineEntry.objects.filter(incident=incident, kind__in=("trigger", "duration"))
        .values_list("text", flat=True)
        .iterator()
    )
    assert len(notes) == 5 and set(notes.values()) == {1}
