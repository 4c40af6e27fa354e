"""The kill-and-restart harness: real worker processes on a database of their own, killed at random.

Shared by tests/test_worker_kill_restart.py (timed actions) and tests/test_notify_kill_restart.py (the
outbox). The workers' database is a temporary SQLite file, or - when this test process's DATABASE_URL
points to PostgreSQL, as on CI's second pass - a fresh database on that server, dropped afterwards.

Nothing here waits on a wall-clock deadline: a wait fails only when nothing has moved for STALL seconds
(no new line in any log, no change in the progress the test reports), so a busy machine that is slow but
working never fails a run, and a hung one still does.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .migrated import copy_database, postgres_template

ROOT = Path(__file__).resolve().parent.parent.parent
STALL = 120.0  # seconds without any sign of progress before a wait gives up


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


class WorkerDatabase:
    """The workers' own database, named `<prefix>_<pid>` on PostgreSQL or `<prefix>.sqlite3` in `tmp`; where
    `template` (an already migrated SQLite database, tests/support/migrated.py) is given, a copy of it, or on
    PostgreSQL a copy of the run's migrated PostgreSQL database."""

    def __init__(self, tmp: Path, prefix: str, template: Path | None = None) -> None:
        server = os.environ.get("DATABASE_URL", "")
        self.admin_url = server if is_postgres(server) else ""
        if self.admin_url:
            self.name = f"{prefix}_{os.getpid()}"
            self.url = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.name}"))
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            if template is not None:  # the run's one migrated PostgreSQL database, made beside the SQLite one
                made = postgres_template(self.admin_url, template.parent)
                self._admin(f'CREATE DATABASE "{self.name}" TEMPLATE "{made}"')
            else:
                self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.name = str(tmp / f"{prefix}.sqlite3")
            self.url = f"sqlite:///{self.name}"
            if template is not None:
                copy_database(template, Path(self.name))

    @property
    def vendor(self) -> str:
        return "postgresql" if self.admin_url else "sqlite"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read straight from the workers' database (`%s` placeholders)."""
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return list(conn.execute(sql, params).fetchall())
        import sqlite3

        lite = sqlite3.connect(self.name, timeout=20)
        try:
            return list(lite.execute(sql.replace("%s", "?"), params).fetchall())
        finally:
            lite.close()

    def drop(self) -> None:
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def environment(database: WorkerDatabase, **extra: str) -> dict[str, str]:
    """This process's environment for a worker: its database, no channel of the test's own, logs at INFO."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINGENCY_") or k == "CONTINGENCY_DATA_DIR"}
    return env | {
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "contingency.settings",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "INFO",
        **extra,
    }


class Processes:
    """Every subprocess a test starts, with its log, so the test can wait on them and kill what is left."""

    def __init__(self, env: dict[str, str], logs: Path, worker_args: Callable[[str], list[str]], started: str) -> None:
        self.env = env
        self.logs = logs
        self.worker_args = worker_args  # the command line of worker `name`, after the Python interpreter
        self.started_marker = started  # a worker's log says this, with its name, once it polls: "worker {name} started"
        self.all: list[subprocess.Popen[bytes]] = []
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.count = 0

    def run(self, *args: str) -> str:
        """Run a helper script to its end (no time limit: it either finishes or the test is stuck anyway)."""
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def spawn(self, name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, *args], env=env or self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.all.append(proc)
        return proc

    def start_worker(self) -> str:
        self.count += 1
        name = f"w{self.count}"
        self.workers[name] = self.spawn(name, *self.worker_args(name))
        return name

    def ready(self) -> list[str]:
        """The live workers that have started polling."""
        marker = self.started_marker
        return sorted(name for name in self.workers if marker.format(name=name) in self.log_of(name, tail=0))

    def check_alive(self) -> None:
        for name, proc in self.workers.items():
            assert proc.poll() is None, f"worker {name} died by itself:\n{self.log_of(name)}"

    def log_of(self, name: str, tail: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def _log_sizes(self) -> tuple[int, ...]:
        return tuple(path.stat().st_size for path in sorted(self.logs.glob("*.log")))

    def wait_until(
        self, condition: Callable[[], bool], what: str, progress: Callable[[], object] = tuple, alive: bool = True
    ) -> None:
        """Wait for `condition`, failing only when neither the logs nor `progress()` change for STALL seconds,
        or (with `alive`) when a worker dies by itself."""
        last = (self._log_sizes(), progress())
        moved = time.monotonic()
        while not condition():
            if alive:
                self.check_alive()
            now = (self._log_sizes(), progress())
            if now != last:
                last, moved = now, time.monotonic()
            assert time.monotonic() - moved < STALL, f"no progress for {STALL:.0f}s while waiting for {what}"
            time.sleep(0.1)

    def wait_for_exit(self, proc: subprocess.Popen[bytes], what: str) -> int:
        self.wait_until(lambda: proc.poll() is not None, what, alive=False)
        return proc.returncode

    def chaos(
        self, rng: random.Random, *, seconds: float, min_kills: int, working: Callable[[], set[str]]
    ) -> list[str]:
        """Kill a random working worker (one `working()` names) at random moments, replacing each, for
        `seconds` and until at least `min_kills` kills; returns the names of those killed."""
        killed: list[str] = []
        ends = time.monotonic() + seconds
        last_kill = time.monotonic()
        while time.monotonic() < ends or len(killed) < min_kills:
            time.sleep(rng.uniform(0.2, 1.5))
            self.check_alive()
            candidates = sorted(set(self.ready()) & working())
            if not candidates:
                # No one at work yet (a loaded machine starts Python slowly): that is waiting, not progress.
                assert time.monotonic() - last_kill < STALL, f"no worker at work to kill for {STALL:.0f}s"
                continue
            victim = rng.choice(candidates)
            self.workers.pop(victim).send_signal(signal.SIGKILL)
            killed.append(victim)
            last_kill = time.monotonic()
            self.start_worker()
        return killed

    def stop_workers(self, stopped: str) -> None:
        """SIGTERM every live worker once all have started; each must exit 0 saying `stopped` (with {name})."""
        self.wait_until(lambda: len(self.ready()) == len(self.workers), "workers to start")
        for proc in self.workers.values():
            proc.send_signal(signal.SIGTERM)
        for name, proc in self.workers.items():
            code = self.wait_for_exit(proc, f"worker {name} to stop")
            assert code == 0, f"worker {name} did not stop cleanly:\n{self.log_of(name)}"
            assert stopped.format(name=name) in self.log_of(name), self.log_of(name)

    def kill_all(self) -> None:
        for proc in self.all:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@contextmanager
def chaos_run(
    tmp: Path,
    prefix: str,
    env: Callable[[WorkerDatabase], dict[str, str]],
    template: Path | None = None,
    **kwargs: Any,
) -> Iterator[tuple[WorkerDatabase, Processes]]:
    """A workers' database (a copy of `template` on SQLite) and the processes on it; everything left is
    killed and dropped afterwards."""
    database = WorkerDatabase(tmp, prefix, template)
    procs = Processes(env(database), tmp, **kwargs)
    try:
        yield database, procs
    finally:
        procs.kill_all()
        database.drop()


def chosen_seed(label: str) -> int:
    """KILL_TEST_SEED, or a random seed; printed so that a failing run can be repeated."""
    seed = int(os.environ.get("KILL_TEST_SEED", random.SystemRandom().randrange(1_000_000)))
    print(f"\n{label} seed {seed} (rerun with KILL_TEST_SEED={seed})")
    return seed
