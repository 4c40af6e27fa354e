"""The worker: fire every due action exactly once, however many workers run and however they die.

Each pass lists due rows (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two workers take different
rows instead of queueing on the same one) and fires each in its own transaction. The claim is
the conditional update in `firing.fire`, committed together with the action's effects: a worker
killed mid-way rolls the whole action back, and the next pass (its own after a restart, or
another worker's) fires it then. On SQLite the IMMEDIATE transactions take turns.
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
from .models import DueAction, DueState

log = logging.getLogger("contingency.worker")
BATCH = 50


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 100000}"


def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = DueAction.objects.filter(state=DueState.PENDING, due_at__lte=now).order_by("due_at", "id")
    if connection.vendor == "postgresql":
        with transaction.atomic():
            return list(rows.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
    return list(rows.values_list("pk", flat=True)[:limit])


def run_due(*, now: Callable[[], datetime] = timezone.now, worker: str | None = None, limit: int = BATCH) -> int:
    """Fire what is due now; returns how many actions this call fired."""
    name = worker or worker_name()
    fired = 0
    for pk in _due_ids(now(), limit):
        with transaction.atomic():
            row = DueAction.objects.filter(pk=pk, state=DueState.PENDING).first()
            if row is None:
                continue  # another worker fired it
            if fire(row, at=now(), worker=name):
                fired += 1
    return fired


def run_until_idle(*, now: Callable[[], datetime] = timezone.now, worker: str | None = None) -> int:
    """Fire everything due, including what firing makes due (a recurring trigger's overdue next one)."""
    total = 0
    while n := run_due(now=now, worker=worker):
        total += n
    return total


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str | None = None) -> None:
    """Poll until `stop` is set; errors are logged and the loop goes on (the row stays pending)."""
    name = worker or worker_name()
    log.info("worker %s started, polling every %ss", name, poll)
    while not stop.is_set():
        try:
            fired = run_until_idle(worker=name)
            if fired:
                log.info("worker %s fired %d action(s)", name, fired)
        except Exception:
            log.exception("worker %s: a pass failed; retrying", name)
        finally:
            connection.close_if_unusable_or_obsolete()
        stop.wait(poll)
    connection.close()
    log.info("worker %s stopped", name)


def start_thread(poll: float = 5.0) -> tuple[threading.Thread, threading.Event]:
    """The in-process worker of `contingency serve`."""
    stop = threading.Event()
    thread = threading.Thread(target=loop, args=(stop,), kwargs={"poll": poll}, name="contingency-worker", daemon=True)
    thread.start()
    return thread, stop
