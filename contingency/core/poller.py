"""The loop every background worker runs: poll, wait, wake early, stop cleanly, survive a failed pass.

The timed actions (incidents/worker.py) and the delivery of notifications (notify/delivery.py) each
give a Poller one `tick`: a pass over the database that returns how long it wants to wait before the
next one (None: the poll interval). The poller owns the rest, the same for both:

- it stops when the `stop` event is set, between two passes, never inside one (a pass finishes
  and commits first), and notices within STOP_CHECK seconds while it waits;
- `wake()` cuts the wait short (a message finished sending, work was just written);
- a pass that raises is logged with its traceback and the loop goes on after the poll interval
  (the database may be restarting: the next pass tries again);
- after each pass a broken or expired database connection is dropped, and on stopping the
  thread's connection is closed;
- "<name> started" and "<name> stopped" are logged: operators (and the kill-and-restart tests)
  watch for them.

`contingency worker` runs both loops in threads of one process; `contingency serve` runs them in
threads beside the web server (start_thread).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection

STOP_CHECK = 0.1  # seconds: the longest a waiting poller takes to notice `stop`

Tick = Callable[[], float | None]


class Poller:
    """Runs `tick` until `stop` is set, waiting between passes; see the module's docstring."""

    def __init__(self, name: str, *, stop: threading.Event, poll: float, log: logging.Logger, about: str = "") -> None:
        self.name = name
        self.stop = stop
        self.poll = poll
        self.log = log
        self.about = about
        self._wake = threading.Event()

    def wake(self) -> None:
        """End the current wait now (safe from any thread)."""
        self._wake.set()

    def wait(self, seconds: float) -> None:
        """Wait up to `seconds`, less if woken or stopped."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if self._wake.wait(min(left, STOP_CHECK)):
                self._wake.clear()
                return

    def run(self, tick: Tick, *, finish: Callable[[], None] | None = None) -> None:
        """Pass and wait until stopped; `finish` runs once at the end (hand back claimed work)."""
        self.log.info("%s started%s", self.name, self.about)
        try:
            while not self.stop.is_set():
                try:
                    pause = tick()
                except Exception:
                    self.log.exception("%s: a pass failed; retrying in %gs", self.name, self.poll)
                    pause = self.poll
                finally:
                    connection.close_if_unusable_or_obsolete()
                self.wait(self.poll if pause is None else pause)
        finally:
            try:
                if finish is not None:
                    finish()
            finally:
                connection.close()
                self.log.info("%s stopped", self.name)


def start_thread(target: Callable[..., None], *, name: str, **kwargs: Any) -> tuple[threading.Thread, threading.Event]:
    """`target(stop, **kwargs)` in a daemon thread: set the event, then join the thread, to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), kwargs=kwargs, name=name, daemon=True)
    thread.start()
    return thread, stop
