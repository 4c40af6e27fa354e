"""The worker: fire every due action exactly once, however many workers run and however they die.

Each pass lists the due rows (a plain read) and fires each in its own transaction. Inside that
transaction the row is locked (PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`, so a second
worker passes over a row the first is firing instead of queueing behind it; SQLite: the
IMMEDIATE transaction holds the database's write lock, so workers take turns), and `firing.fire`
claims it with a conditional update committed together with the action's effects. A worker
killed mid-way rolls the whole action back, and the next pass (its own after a restart, or
another worker's) fires it then. See docs/decisions/0004-timed-actions-in-the-database.md.

An action whose firing raises is rolled back and stays pending, but backs off: its failed tries
are counted, the error kept, and it is not tried again before `retry_at` (BACKOFF: 10 s, then
longer, up to an hour). Until then it is not due, so it never holds up the rows behind it. After
NOTICE_AFTER failures the incident's timeline says so. When the fault is gone it fires, once.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.lib.calendar import from_organisation

from .firing import fire, note
from .models import DueAction, DueState, EventKind, Incident

log = logging.getLogger("contingency.worker")
BATCH = 50
BACKOFF = (10, 30, 120, 600, 1800, 3600)  # seconds before try 2, 3, ...; then hourly
NOTICE_AFTER = 3  # failed tries before the incident's timeline says the action is failing

ErrorHandler = Callable[[DueAction, Exception], None]


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def backoff(attempts: int) -> timedelta:
    """The wait before the next try after `attempts` failed tries."""
    return timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def _due(now: datetime) -> Q:
    return Q(state=DueState.PENDING, due_at__lte=now) & (Q(retry_at=None) | Q(retry_at__lte=now))


def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = DueAction.objects.filter(_due(now)).order_by("due_at", "id")
    return list(rows.values_list("pk", flat=True)[:limit])


def _fire_one(pk: int, *, now: Callable[[], datetime], name: str) -> bool:
    """Lock, claim and fire one row in one transaction; False when another worker has (or is firing) it."""
    with transaction.atomic():
        rows = DueAction.objects.filter(_due(now()), pk=pk)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        row = rows.first()
        if row is None:
            return False  # fired, cancelled, backing off, or being fired by another worker right now
        return fire(row, at=now(), worker=name)


def _failed(pk: int, exc: Exception, at: datetime) -> DueAction | None:
    """Count the failed try and put the next one off; the timeline hears of it after NOTICE_AFTER."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    with transaction.atomic():
        row = DueAction.objects.select_for_update().filter(pk=pk, state=DueState.PENDING).first()
        if row is None:
            return None  # another worker fired or cancelled it meanwhile
        attempts = row.attempts + 1
        retry_at = at + backoff(attempts)
        DueAction.objects.filter(pk=pk).update(attempts=F("attempts") + 1, retry_at=retry_at, last_error=error)
        row.refresh_from_db()
        if attempts == NOTICE_AFTER:
            incident = Incident.objects.select_related("organisation").defer("snapshot").get(pk=row.incident_id)
            local = from_organisation(incident.organisation).local(retry_at)
            note(
                incident,
                EventKind(row.kind),
                f"{row.name} could not be carried out ({attempts} tries failed: {error}). "
                f"It is tried again from {local:%H:%M} and then less often; an administrator should look.",
                at=at,
                actor="scheduler",
            )
    return row


def _pass(
    *, now: Callable[[], datetime], name: str, limit: int, stop: threading.Event | None, on_error: ErrorHandler | None
) -> tuple[int, int]:
    """One pass over what is due: (fired, failed)."""
    fired = failed = 0
    for pk in _due_ids(now(), limit):
        if stop is not None and stop.is_set():
            break
        try:
            if _fire_one(pk, now=now, name=name):
                fired += 1
        except Exception as exc:
            failed += 1
            row = _failed(pk, exc, now())
            if on_error is None:
                raise
            if row is not None:
                on_error(row, exc)
    return fired, failed


def run_due(
    *,
    now: Callable[[], datetime] = timezone.now,
    worker: str | None = None,
    limit: int = BATCH,
    stop: threading.Event | None = None,
    on_error: ErrorHandler | None = None,
) -> int:
    """Fire what is due now; returns how many actions this call fired.

    `stop` ends the pass between two actions (never inside one). An action that fails is rolled
    back and backs off (see the module's docstring); without `on_error` the failure is then
    raised, with it reported and the pass goes on to the next row.
    """
    return _pass(now=now, name=worker or worker_name(), limit=limit, stop=stop, on_error=on_error)[0]


def run_until_idle(
    *,
    now: Callable[[], datetime] = timezone.now,
    worker: str | None = None,
    stop: threading.Event | None = None,
    on_error: ErrorHandler | None = None,
    limit: int = BATCH,
) -> int:
    """Fire everything due, including what firing makes due (a recurring trigger's overdue next one)."""
    name = worker or worker_name()
    total = 0
    while True:
        fired, failed = _pass(now=now, name=name, limit=limit, stop=stop, on_error=on_error)
        total += fired
        if not (fired or failed) or (stop is not None and stop.is_set()):
            return total


def log_failure(row: DueAction, exc: Exception) -> None:
    assert row.retry_at is not None
    log.error(
        "could not fire %s (due action #%s, incident #%s, try %s): %r; it stays pending, tried again at %s",
        row,
        row.pk,
        row.incident_id,
        row.attempts,
        exc,
        row.retry_at.isoformat(),
    )


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str | None = None) -> None:
    """Poll until `stop` is set; a failing action backs off and the loop goes on (see core.poller).

    Setting `stop` lets the action being fired finish and commit, then the loop returns.
    """
    name = worker or worker_name()

    def tick() -> None:
        fired = run_until_idle(worker=name, stop=stop, on_error=log_failure)
        if fired:
            log.info("worker %s fired %d action(s)", name, fired)

    Poller(f"worker {name}", stop=stop, poll=poll, log=log, about=f", polling every {poll:g}s").run(tick)


def start_thread(poll: float = 5.0, *, worker: str | None = None) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of `contingency serve`: set the event, then join the thread, to stop it."""
    return start_poller(loop, name="contingency-worker", poll=poll, worker=worker)
