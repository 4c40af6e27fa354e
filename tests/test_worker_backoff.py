"""A timed action whose firing keeps failing backs off instead of blocking the queue; and the shared poller.

The demo PACS plan is invoked on a Wednesday morning and the clock moved on a day, so trigger points,
duration rules and changes of the time of day are all due. One of them is made to fail.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from contingency.core.poller import Poller
from contingency.incidents import firing, services, worker
from contingency.incidents.models import DueAction, DueState, Incident, Task, TimelineEntry
from contingency.plans.models import Plan

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = datetime(2027, 6, 9, 10, 0, tzinfo=LONDON)


class Fault:
    """Makes the firing of one due action raise, after its claim, until healed; counts its tries."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, row: DueAction) -> None:
        self.pk, self.broken, self.tries = row.pk, True, 0
        name = f"_{row.kind}"
        real: Callable[..., None] = getattr(firing, name)

        def faulty(incident: Incident, document: Any, due: DueAction, at: datetime) -> None:
            if due.pk == self.pk:
                self.tries += 1
                if self.broken:
                    raise RuntimeError("the snapshot cannot be read")
            real(incident, document, due, at)

        monkeypatch.setattr(firing, name, faulty)


def poisoned(demo_plans: list[object], monkeypatch: pytest.MonkeyPatch, clock: Any) -> tuple[Incident, Fault]:
    plan = Plan.objects.get(key="pacs-bcdr")
    incident = services.invoke(incident=services.report(plan=plan, subject="system:pacs", actor=None), actor=None)
    clock.move_to(WEDNESDAY + timedelta(days=1))
    due = DueAction.objects.filter(incident=incident, state=DueState.PENDING, due_at__lte=WEDNESDAY + timedelta(days=1))
    assert due.count() >= 3
    head = due.order_by("due_at", "id").first()  # at the head of the queue
    assert head is not None and head.kind == "duration"  # image reporting lost for 4 hours
    return incident, Fault(monkeypatch, head)


@pytest.mark.django_db
def test_a_failing_action_backs_off_without_blocking_the_rest_and_fires_once_when_healed(
    demo_plans: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        incident, fault = poisoned(demo_plans, monkeypatch, clock)
        failures: list[tuple[int, int]] = []

        def failed(row: DueAction, exc: Exception) -> None:
            failures.append((row.pk, row.attempts))

        # One row per pass: the failing row at the head must not stop the rows behind it.
        fired = worker.run_until_idle(worker="w", limit=1, on_error=failed)
        pending = DueAction.objects.filter(incident=incident, state=DueState.PENDING, due_at__lte=timezone.now())
        assert fired >= 2 and list(pending.values_list("pk", flat=True)) == [fault.pk]
        assert failures == [(fault.pk, 1)] and fault.tries == 1

        # Tried again later, each time after a longer wait; not before.
        waits = []
        for attempt in (2, 3):
            row = DueAction.objects.get(pk=fault.pk)
            assert row.retry_at is not None and row.last_error == "RuntimeError: the snapshot cannot be read"
            waits.append(row.retry_at - timezone.now())
            clock.move_to(row.retry_at - timedelta(seconds=1))
            assert worker.run_until_idle(worker="w", on_error=failed) == 0 and fault.tries == attempt - 1
            clock.move_to(row.retry_at)
            worker.run_until_idle(worker="w", on_error=failed)
            assert fault.tries == attempt and DueAction.objects.get(pk=fault.pk).attempts == attempt
        assert waits[0] < waits[1]
        row = DueAction.objects.get(pk=fault.pk)
        assert row.retry_at is not None and row.retry_at - timezone.now() > waits[1]
        # After NOTICE_AFTER failures, the incident's timeline says so (once).
        notices = TimelineEntry.objects.filter(incident=incident, text__contains="could not be carried out")
        assert [e.text.split(":")[:2] for e in notices] == [
            [row.name.split(":")[0], " after 4h could not be carried out (3 tries failed"]
        ]

        # Healed: fired at its next try, exactly once, with its tasks once.
        fault.broken = False
        clock.move_to(row.retry_at)
        assert worker.run_until_idle(worker="w2", on_error=failed) >= 1
        assert worker.run_until_idle(worker="w3", on_error=failed) == 0
        row = DueAction.objects.get(pk=fault.pk)
        assert (row.state, row.fired_by, fault.tries) == ("fired", "w2", 4)
        function = row.name.split(":")[0]
        lost = TimelineEntry.objects.filter(incident=incident, kind="duration", text__startswith=f"{function} has been")
        assert lost.count() == 1
        assert Task.objects.filter(incident=incident, key=f"duration/{row.key}").count() == 1
        assert len(failures) == 3


@pytest.mark.django_db
def test_without_an_error_handler_the_failure_is_recorded_then_raised(
    demo_plans: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        _, fault = poisoned(demo_plans, monkeypatch, clock)
        with pytest.raises(RuntimeError, match="snapshot"):
            worker.run_until_idle(worker="w")
        row = DueAction.objects.get(pk=fault.pk)
        assert (row.state, row.attempts) == ("pending", 1) and row.retry_at == timezone.now() + worker.backoff(1)


def test_the_backoff_grows_and_then_holds() -> None:
    waits = [worker.backoff(n) for n in range(1, 10)]
    assert waits == sorted(waits) and waits[0] == timedelta(seconds=10) and waits[-1] == timedelta(hours=1)


def test_the_poller_survives_a_failed_pass_wakes_early_and_stops_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()
    poller = Poller("test poller", stop=stop, poll=3600, log=logging.getLogger("test.poller"), about=", testing")
    calls: list[int] = []
    failed, again = threading.Event(), threading.Event()
    finished: list[bool] = []

    def tick() -> float | None:
        calls.append(len(calls))
        if len(calls) == 1:
            failed.set()
            raise RuntimeError("the database is restarting")
        again.set()
        return None  # the poll interval: an hour, ended only by wake() or stop

    caplog.set_level(logging.INFO, logger="test.poller")
    thread = threading.Thread(target=poller.run, args=(tick,), kwargs={"finish": lambda: finished.append(True)})
    thread.start()
    assert failed.wait(30)
    poller.wake()  # the failed pass waits the poll interval; a wake-up ends the wait at once
    assert again.wait(30)
    stop.set()
    thread.join(30)
    assert not thread.is_alive() and finished == [True] and calls == [0, 1]
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "test poller started, testing" and messages[-1] == "test poller stopped"
    assert "test poller: a pass failed; retrying in 3600s" in messages
    assert any(r.exc_info for r in caplog.records)  # with the traceback
