"""Delivery workers killed at random moments while a few hundred messages go out: none is lost, and
every message the servers received twice is one whose row says it may have been (a resend after a crash),
and no message whose send had not started when its worker died is flagged.

Real worker processes (`worker --only delivery --poll 0.05 --name wN`, through tests/support/
notify_worker.py, which shortens the lease's margin; the lease follows the transports' 2 s timeouts) on a database of their
own: a temporary SQLite file, or - when this test process's DATABASE_URL points to PostgreSQL - a fresh
database on that server, dropped afterwards. The servers run in this process: aiosmtpd, and the fake
GOV.UK Notify answering every request after half a second (so several texts are always mid-send when a
worker is killed: only those may arrive twice); the workers get the environment pointing at them.
A seeding process writes 300 messages (half texts, half e-mails) falling due over 8 seconds; two
workers send them at 900 a minute per channel, and a random working one is SIGKILLed at random moments
and replaced. Then the survivors drain the outbox (including what the killed ones held, once their
leases end) and stop on SIGTERM, and the servers' records are compared with the rows.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT
from .support.chaos import chaos_run, chosen_seed, environment
from .support.fake_notify import FakeNotify
from .support.smtp_server import SmtpTestServer

pytestmark = [pytest.mark.subprocess_db, pytest.mark.slow]

SEED_SCRIPT = ROOT / "tests" / "support" / "notify_kill_restart.py"
WORKER_SCRIPT = ROOT / "tests" / "support" / "notify_worker.py"
CHAOS = 9.0  # seconds of random kills
MIN_KILLS = 3
MESSAGES = 300
SPREAD = 8.0  # seconds over which the messages fall due
RATE = 900  # a minute, per channel: the 150 texts take 10 s
LEASE_MARGIN = 3.0  # beyond the transports' timeouts: a killed worker's claims come back after 5 s
TIMEOUT = 2.0  # the transports' own timeouts, which the lease follows
ANSWER_AFTER = 0.5  # seconds the fake Notify takes to answer, within TIMEOUT


def test_killed_delivery_workers_lose_nothing_and_every_resend_is_marked(tmp_path: Path, migrated_sqlite: Path) -> None:
    seed = chosen_seed("notify kill-and-restart")
    started = time.monotonic()
    worker = [str(WORKER_SCRIPT), "worker", "--only", "delivery", "--poll", "0.05", "--name"]
    with SmtpTestServer() as smtp, FakeNotify(delay=ANSWER_AFTER) as notify:
        channels = {
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
            "NOTIFY_TEST_LEASE_MARGIN": str(LEASE_MARGIN),
        }
        with chaos_run(
            tmp_path,
            "contingency_notify_kill",
            lambda database: environment(database, **channels),
            template=migrated_sqlite,
            worker_args=lambda name: [*worker, name],
            started="delivery {name} started",
        ) as (database, procs):

            def claims_by() -> set[str]:
                """The workers that have made an attempt: who is at work."""
                return {str(w) for (w,) in database.query("SELECT DISTINCT worker FROM notify_attempt")}

            def unfinished() -> int:
                states = "('pending', 'sending')"
                sql = f"SELECT count(*) FROM notify_notification WHERE key LIKE 'kill:%%' AND state IN {states}"
                return int(database.query(sql)[0][0])

            # The seeder has no channel configured: the incident's own call-outs become telephone tasks.
            args = ("--count", str(MESSAGES), "--lead", "1", "--spread", str(SPREAD), "--seed", str(seed))
            seeder = procs.spawn("seed", str(SEED_SCRIPT), "seed", *args, env=environment(database))
            procs.wait_until(lambda: "migrated" in procs.log_of("seed"), "the migration")
            for _ in range(2):
                procs.start_worker()
            assert procs.wait_for_exit(seeder, "the seeding") == 0, procs.log_of("seed")
            seeded = time.monotonic() - started
            kills = procs.chaos(random.Random(seed), seconds=CHAOS, min_kills=MIN_KILLS, working=claims_by)
            print(f"seeded at {seeded:.0f}s, chaos over at {time.monotonic() - started:.0f}s")
            procs.wait_until(lambda: unfinished() == 0, "every message to be sent", progress=unfinished)
            print(f"drained at {time.monotonic() - started:.0f}s")
            procs.stop_workers("delivery {name} stopped")
            data = json.loads(procs.run(str(SEED_SCRIPT), "dump"))
        received = Counter(str(n.reference) for n in notify.notifications)
        received.update(str(m.message["X-Contingency-Key"]) for m in smtp.messages)
        busiest = notify.max_in_window(10.0)

    duplicates = _check(data, received, set(kills))
    messages = data["messages"]
    marked = [m["key"] for m in messages if m["maybe_duplicate"]]
    abandoned = {a["key"] for a in data["attempts"] if a["outcome"] == "abandoned"}
    print(
        f"{database.vendor}: {len(kills)} kill(s) of {procs.count} worker process(es); {len(messages)} messages, "
        f"{len(marked)} marked maybe_duplicate, of which {len(duplicates)} reached a server twice; "
        f"{len(abandoned)} claimed but never started by a killed worker; "
        f"busiest 10 s of texts {busiest} (limit {RATE // 6}); {time.monotonic() - started:.0f}s"
    )
    assert len(kills) >= MIN_KILLS
    assert marked, "no kill caught a worker mid-send: the crash path was not exercised"
    assert abandoned, "no kill caught a worker holding claims it had not begun: the false-alarm path was not exercised"
    by_worker = Counter(m["claimed_by"] for m in messages)
    # The replacements worked too: a worker started after a kill holds some of the claims. (How many different
    # workers hold the last claims depends on where the kills fell: two replacements may re-claim everything.)
    assert set(by_worker) - {"w1", "w2"}, by_worker


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
        # Rows never started are not flagged: a dead worker's claim it had not begun sending is no alarm.
        if m["maybe_duplicate"] and not any(a["started"] and a["outcome"] == "interrupted" for a in log):
            problems.append(f"{key}: flagged, but no interrupted attempt had started sending: {log}")
        if any(a["started"] for a in log if a["outcome"] == "abandoned"):
            problems.append(f"{key}: an attempt that had started sending is recorded as abandoned: {log}")
        if outcomes[-1:] != ["sent"] or any(o not in ("interrupted", "abandoned", "temporary") for o in outcomes[:-1]):
            problems.append(f"{key}: attempts {outcomes}")
        stray = {a["worker"] for a in log if a["outcome"] in ("interrupted", "abandoned")} - killed
        if stray:
            problems.append(f"{key}: interrupted attempts by workers never killed: {stray}")
    unknown = set(received) - {m["key"] for m in messages}
    if unknown:
        problems.append(f"the servers received keys that are not in the outbox: {sorted(unknown)[:5]}")
    assert not problems, "\n".join(problems[:30])
    return sorted(k for k, n in received.items() if n > 1)
