"""Delivery workers killed at random moments while a few hundred messages go out: none is lost, and
every message the servers received twice is one whose row says it may have been (a resend after a crash).

Real worker processes (`worker --only delivery --poll 0.05 --name wN`, through tests/support/
notify_worker.py, which shortens the claim lease from a minute to a few seconds) on a database of their
own: a temporary SQLite file, or - when this test process's DATABASE_URL points to PostgreSQL - a fresh
database on that server, dropped afterwards. The servers run in this process: aiosmtpd, and the fake
GOV.UK Notify answering every request after 50 ms; the workers get the environment pointing at them.
A seeding process writes 300 messages (half texts, half e-mails) falling due over 8 seconds; two
workers send them at 900 a minute per channel, and a random working one is SIGKILLed at random moments
and replaced. Then the survivors drain the outbox (including what the killed ones held, once their
leases end) and stop on SIGTERM, and the servers' records are compared with the rows.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .conftest import ROOT
from .support.fake_notify import FakeNotify
from .support.smtp_server import SmtpTestServer

SEED_SCRIPT = ROOT / "tests" / "support" / "notify_kill_restart.py"
WORKER_SCRIPT = ROOT / "tests" / "support" / "notify_worker.py"
DEADLINE = 90.0  # seconds for the whole run: about 25 on an idle machine
CHAOS = 9.0  # seconds of random kills
MIN_KILLS = 3
MESSAGES = 300
SPREAD = 8.0  # seconds over which the messages fall due
RATE = 900  # a minute, per channel: the 150 texts take 10 s
SEND_TIMEOUT, LEASE_MARGIN = 5.0, 3.0  # the workers' lease: a killed worker's claims come back after 8 s
TIMEOUT = 2.0  # the transports' own timeouts, within the lease


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


class Database:
    """The workers' own database: a SQLite file, or a fresh PostgreSQL database next to the test one."""

    def __init__(self, tmp: Path) -> None:
        server = os.environ.get("DATABASE_URL", "")
        self.admin_url = server if _is_postgres(server) else ""
        if self.admin_url:
            self.name = f"contingency_notify_kill_{os.getpid()}"
            self.url = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.name}"))
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.name = str(tmp / "notify-kill.sqlite3")
            self.url = f"sqlite:///{self.name}"

    @property
    def vendor(self) -> str:
        return "postgresql" if self.admin_url else "sqlite"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.admin_url:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return list(conn.execute(sql).fetchall())
        import sqlite3

        lite = sqlite3.connect(self.name, timeout=20)
        try:
            return list(lite.execute(sql).fetchall())
        finally:
            lite.close()

    def claims_by(self) -> dict[str, int]:
        """Attempts made by each worker so far: who is at work."""
        return {str(w): int(n) for w, n in self.query("SELECT worker, count(*) FROM notify_attempt GROUP BY worker")}

    def unfinished(self) -> int:
        sql = "SELECT count(*) FROM notify_notification WHERE key LIKE 'kill:%' AND state IN ('pending', 'sending')"
        return int(self.query(sql)[0][0])

    def drop(self) -> None:
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class Processes:
    """Every subprocess the test starts, so the `finally` can kill what is left."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.all: list[subprocess.Popen[bytes]] = []
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self.started = 0

    def run(self, *args: str, timeout: float) -> str:
        done = subprocess.run(
            [sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
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
        self.started += 1
        name = f"w{self.started}"
        args = ("worker", "--only", "delivery", "--poll", "0.05", "--name", name)
        self.workers[name] = self.spawn(name, str(WORKER_SCRIPT), *args)
        return name

    def ready(self) -> list[str]:
        return sorted(name for name in self.workers if f"delivery {name} started" in self.log_of(name, 0))

    def check_alive(self) -> None:
        for name, proc in self.workers.items():
            assert proc.poll() is None, f"worker {name} died by itself:\n{self.log_of(name)}"

    def wait_until(self, condition: Callable[[], bool], deadline: float, what: str) -> None:
        while not condition():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            self.check_alive()
            time.sleep(0.1)

    def log_of(self, name: str, tail: int = 3000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def kill_all(self) -> None:
        for proc in self.all:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)


def test_killed_delivery_workers_lose_nothing_and_every_resend_is_marked(tmp_path: Path) -> None:
    seed = int(os.environ.get("KILL_TEST_SEED", random.SystemRandom().randrange(1_000_000)))
    rng = random.Random(seed)
    print(f"\nnotify kill-and-restart seed {seed} (rerun with KILL_TEST_SEED={seed})")
    started = time.monotonic()
    database = Database(tmp_path)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTINGENCY_") or k == "CONTINGENCY_DATA_DIR"}
    base_env |= {
        "DATABASE_URL": database.url,
        "DJANGO_SETTINGS_MODULE": "contingency.settings",
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "INFO",
    }
    kills: list[str] = []
    with SmtpTestServer() as smtp, FakeNotify(delay=0.05) as notify:
        env = base_env | {
            "CONTINGENCY_SMTP_HOST": smtp.host,
            "CONTINGENCY_SMTP_PORT": str(smtp.port),
            "CONTINGENCY_SMTP_SECURITY": "none",
            "CONTINGENCY_SMTP_FROM": "contingency@northwick.example.org",
            "CONTINGENCY_SMTP_TIMEOUT": str(TIMEOUT),
            "CONTINGENCY_SMTP_RATE_PER_MINUTE": str(RATE),
            "CONTINGENCY_NOTIFY_API_KEY": notify.api_key,
            "CONTINGENCY_NOTIFY_BASE_URL": notify.base_url,
            "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": notify.sms_template_id,
            "CONTINGENCY_NOTIFY_TIMEOUT": str(TIMEOUT),
            "CONTINGENCY_NOTIFY_RATE_PER_MINUTE": str(RATE),
            "NOTIFY_TEST_SEND_TIMEOUT": str(SEND_TIMEOUT),
            "NOTIFY_TEST_LEASE_MARGIN": str(LEASE_MARGIN),
        }
        procs = Processes(env, tmp_path)
        try:
            # The seeder has no channel configured: the incident's own call-outs become telephone tasks.
            seeder = procs.spawn(
                "seed", str(SEED_SCRIPT), "seed", "--count", str(MESSAGES), "--lead", "1", "--spread", str(SPREAD),
                "--seed", str(seed), env=base_env,
            )  # fmt: skip
            procs.wait_until(lambda: "migrated" in procs.log_of("seed"), started + DEADLINE, "the migration")
            for _ in range(2):
                procs.start_worker()
            assert seeder.wait(timeout=DEADLINE) == 0, procs.log_of("seed")
            seeded = time.monotonic() - started
            chaos_ends = time.monotonic() + CHAOS
            while time.monotonic() < chaos_ends or (
                len(kills) < MIN_KILLS and time.monotonic() - started < DEADLINE / 2
            ):
                time.sleep(rng.uniform(0.3, 1.5))
                procs.check_alive()
                working = database.claims_by()
                ready = [name for name in procs.ready() if working.get(name)]
                if not ready:
                    continue
                victim = rng.choice(ready)
                procs.workers.pop(victim).send_signal(signal.SIGKILL)
                kills.append(victim)
                procs.start_worker()
            print(f"seeded at {seeded:.0f}s, chaos over at {time.monotonic() - started:.0f}s")
            procs.wait_until(lambda: database.unfinished() == 0, started + DEADLINE, "every message to be sent")
            print(f"drained at {time.monotonic() - started:.0f}s")
            procs.wait_until(lambda: len(procs.ready()) == len(procs.workers), started + DEADLINE, "workers to start")
            for proc in procs.workers.values():
                proc.send_signal(signal.SIGTERM)
            for name, proc in procs.workers.items():
                assert proc.wait(timeout=20) == 0, f"worker {name} did not stop cleanly:\n{procs.log_of(name)}"
                assert f"delivery {name} stopped" in procs.log_of(name)
            data = json.loads(procs.run(str(SEED_SCRIPT), "dump", timeout=60))
        finally:
            procs.kill_all()
            database.drop()
        received = Counter(str(n.reference) for n in notify.notifications)
        received.update(str(m.message["X-Contingency-Key"]) for m in smtp.messages)
        busiest = notify.max_in_window(10.0)

    duplicates = _check(data, received, set(kills))
    messages = data["messages"]
    marked = [m["key"] for m in messages if m["maybe_duplicate"]]
    print(
        f"{database.vendor}: {len(kills)} kill(s) of {procs.started} worker process(es); {len(messages)} messages, "
        f"{len(marked)} marked maybe_duplicate, of which {len(duplicates)} reached a server twice; "
        f"busiest 10 s of texts {busiest} (limit {RATE // 6}); {time.monotonic() - started:.0f}s"
    )
    assert len(kills) >= MIN_KILLS
    assert marked, "no kill caught a worker holding a claim: the crash path was not exercised"
    by_worker = Counter(m["claimed_by"] for m in messages)
    assert len(by_worker) >= 3, by_worker  # the replacements worked too


def _check(data: dict[str, list[dict[str, Any]]], received: Counter[str], killed: set[str]) -> list[str]:
    """Nothing lost, nothing twice unless marked; returns the keys received more than once."""
    messages = data["messages"]
    attempts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for attempt in data["attempts"]:
        attempts[attempt["key"]].append(attempt)
    problems: list[str] = []
    assert len(messages) == MESSAGES
    for m in messages:
        key, log = m["key"], attempts[m["key"]]
        outcomes = [a["outcome"] for a in log]
        if m["state"] != "sent":
            problems.append(f"{key} is {m['state']}: {m['last_error']}")
        if received[key] == 0:
            problems.append(f"{key} never reached its server (lost)")
        if received[key] > 1 and not m["maybe_duplicate"]:
            problems.append(f"{key} reached its server {received[key]} times, and its row does not say it may have")
        if received[key] > len(log):
            problems.append(f"{key} reached its server {received[key]} times in {len(log)} attempt(s)")
        if [a["number"] for a in log] != list(range(1, m["attempts"] + 1)):
            problems.append(f"{key}: attempts {[a['number'] for a in log]}, row says {m['attempts']}")
        if m["maybe_duplicate"] != ("interrupted" in outcomes):
            problems.append(f"{key}: maybe_duplicate {m['maybe_duplicate']} but attempts {outcomes}")
        if outcomes[-1:] != ["sent"] or any(o not in ("interrupted", "temporary") for o in outcomes[:-1]):
            problems.append(f"{key}: attempts {outcomes}")
        stray = {a["worker"] for a in log if a["outcome"] == "interrupted"} - killed
        if stray:
            problems.append(f"{key}: interrupted attempts by workers never killed: {stray}")
    unknown = set(received) - {m["key"] for m in messages}
    if unknown:
        problems.append(f"the servers received keys that are not in the outbox: {sorted(unknown)[:5]}")
    assert not problems, "\n".join(problems[:30])
    return sorted(k for k, n in received.items() if n > 1)
