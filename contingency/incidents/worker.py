"""The worker: fire every due action exactly once, however many workers run and however they die.

Each pass lists the due rows (a plain read) and fires each in its own transaction. Inside that
transaction the row is locked (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so a second
worker passes over a row the first is firing instead of queueing behind it; SQLite: the
IMMEDIATE transaction holds the database's write lock, so workers take turns), and `firing.fire`
claims it with a conditional update committed together with the action's effects. A worker
killed mid-way rolls the whole action back, and the next pass (its own after a restart, or
another worker's) fires it then. See docs/decisions/0004-timed-actions-in-the-database.md.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from .firing import fire
from .models import DueAction, DueState, Incident, touch

log = logging.getLogger("contingency.worker")
BATCH = 50

ErrorHandler = Callable[[DueAction, Exception], None]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = DueAction.objects.filter(state=DueState.PENDING, due_at__lte=now).order_by("due_at", "id")
    return list(rows.values_list("pk", flat=True)[:limit])


def _fire_one(pk: int, *, now: Callable[[], datetime], name: str) -> bool:
    """Lock, claim and fire one row in one transaction; False when another worker has (or is firing) it."""
    incident_id = DueAction.objects.filter(pk=pk).values_list("incident_id", flat=True).first()
    if incident_id is None:
        return False
    with transaction.atomic():
        # The incident's row first, as every change to an incident locks it (see models.touch).
        list(Incident.objects.select_for_update().filter(pk=incident_id).values_list("pk", flat=True))
        rows = DueAction.objects.filter(pk=pk, state=DueState.PENDING)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        row = rows.first()
        if row is None:
            return False  # fired, cancelled, or being fired by another worker right now
        fired = fire(row, at=now(), worker=name)
        if fired:
            touch(incident_id)
        return fired


def run_due(
    *,
    now: Callable[[], datetime] = timezone.now,
    worker: str | None = None,
    limit: int = BATCH,
    stop: threading.Event | None = None,
    on_error: ErrorHandler | None = None,
) -> int:
    """Fire what is due now; returns how many actions this call fired.

    `stop` ends the pass between two actions (never inside one). Without `on_error` an action
    that fails raises (its transaction rolled back, the row still pending); with it, the failure
    is reported and the pass goes on to the next row, so one bad row cannot hold up the rest.
    """
    name = worker or worker_name()
    fired = 0
    for pk in _due_ids(now(), limit):
        if stop is not None and stop.is_set():
            break
        try:
            if _fire_one(pk, now=now, name=name):
                fired += 1
        except Exception as exc:
            if on_error is None:
                raise
            row = DueAction.objects.filter(pk=pk).first()
            if row is not None:
                on_error(row, exc)
    return fired


def run_until_idle(
    *,
    now: Callable[[], datetime] = timezone.now,
    worker: str | None = None,
    stop: threading.Event | None = None,
    on_error: ErrorHandler | None = None,
) -> int:
    """Fire everything due, including what firing makes due (a recurring trigger's overdue next one)."""
    total = 0
    while n := run_due(now=now, worker=worker, stop=stop, on_error=on_error):
        total += n
        if stop is not None and stop.is_set():
            break
    return total


def _log_failure(row: DueAction, exc: Exception) -> None:
    log.error(
        "could not fire %s (due action #%s, incident #%s): %r; it stays pending", row, row.pk, row.incident_id, exc
    )


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str | None = None) -> None:
    """Poll until `stop` is set; errors are logged and the loop goes on (the row stays pending).

    Setting `stop` lets the action being fired finish and commit, then the loop returns.
    """
    name = worker or worker_name()
    log.info("worker %s started, polling every %ss", name, poll)
    while not stop.is_set():
        try:
            fired = run_until_idle(worker=name, stop=stop, on_error=_log_failure)
            if fired:
                log.info("worker %s fired %d action(s)", name, fired)
        except Exception:
            log.exception("worker %s: a pass failed; retrying", name)
        finally:
            connection.close_if_unusable_or_obsolete()
        stop.wait(poll)
    connection.close()
    log.info("worker %s stopped", name)


def start_thread(poll: float = 5.0, *, worker: str | None = None) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of `contingency serve`: set the event, then join the thread, to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=loop, args=(stop,), kwargs={"poll": poll, "worker": worker}, name="contingency-worker", daemon=True
    )
    thread.start()
    return thread, stop
