"""Workers killed at random moments while trigger points fall due: every due action fires exactly once.

Real worker processes (`python -m contingency.cli worker --poll 0.05`) on a database of their own:
a temporary SQLite file, or - when this test process's DATABASE_URL points to PostgreSQL, as on
the CI's second pass - a fresh database on that server, dropped afterwards. Two workers run while
a seeding process invokes back-dated PACS outages whose trigger points, duration rules and
in-hours changes fall due over the next seconds (and whose earlier daily TP2 calls are overdue, so
the workers catch up the chain). A random worker is SIGKILLed at random moments and replaced;
the survivors then drain what is due and stop on SIGTERM. The database must then show every due
action fired once, each firing's effects exactly once, and each recurring chain without a gap.

The in-process test at the end races two threads over the same due rows (PostgreSQL only: the
SQLite test database is in memory, and the file-based run above covers SQLite).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import DEMO_PLANS, ROOT
from tests.support.chaos import chaos_run, chosen_seed, environment, is_postgres

pytestmark = [pytest.mark.subprocess_db, pytest.mark.slow]

SEED_SCRIPT = ROOT / "tests" / "support" / "kill_restart.py"
CHAOS = 15.0  # seconds of random kills
MIN_KILLS = 3
INCIDENTS = 15
SPREAD = 10.0  # seconds over which the seeded actions fall due
TRIGGERS = {t["id"]: t for t in yaml.safe_load((DEMO_PLANS / "pacs.yaml").read_text())["triggers"]}


def test_killed_workers_fire_every_due_action_exactly_once(tmp_path: Path, migrated_sqlite: Path) -> None:
    seed = chosen_seed("kill-and-restart")
    started = time.monotonic()
    worker = ["-m", "contingency.cli", "worker", "--poll", "0.05", "--name"]
    with chaos_run(
        tmp_path,
        "contingency_kill",
        environment,
        template=migrated_sqlite,
        worker_args=lambda name: [*worker, name],
        started="worker {name} started",
    ) as (database, procs):

        def fired_by() -> dict[str, int]:
            sql = "SELECT fired_by, count(*) FROM incidents_dueaction WHERE state = 'fired' GROUP BY fired_by"
            return {str(name): int(n) for name, n in database.query(sql)}

        def pending_due(now: datetime) -> int:
            stamp: object = now if database.admin_url else now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
            sql = "SELECT count(*) FROM incidents_dueaction WHERE state = 'pending' AND due_at <= %s"
            return int(database.query(sql, stamp)[0][0])

        args = ("--lead", "2", "--spread", str(SPREAD), "--count", str(INCIDENTS), "--seed", str(seed))
        seeder = procs.spawn("seed", str(SEED_SCRIPT), "seed", *args)
        procs.wait_until(lambda: "migrated" in procs.log_of("seed"), "the migration")
        for _ in range(2):
            procs.start_worker()
        procs.wait_until(lambda: "base=" in procs.log_of("seed"), "the seeding to begin")
        base = float(procs.log_of("seed").split("base=", 1)[1].split()[0])
        seeding = time.monotonic() - started
        # Kill only a worker that is at work (it has fired something), at a random moment.
        kills = procs.chaos(random.Random(seed), seconds=CHAOS, min_kills=MIN_KILLS, working=lambda: set(fired_by()))
        print(f"seeding from {seeding:.0f}s, chaos over at {time.monotonic() - started:.0f}s")
        assert procs.wait_for_exit(seeder, "the seeding") == 0, procs.log_of("seed")

        def drained() -> bool:
            # The survivors fire whatever is still due (including chains made due by firing).
            now = datetime.now(UTC)
            return datetime.fromtimestamp(base + SPREAD, UTC) < now and pending_due(now) == 0

        procs.wait_until(drained, "the workers to fire everything due", progress=fired_by)
        checked_at = datetime.now(UTC)
        print(f"drained at {time.monotonic() - started:.0f}s")
        procs.stop_workers("worker {name} stopped")
        data = json.loads(procs.run(str(SEED_SCRIPT), "dump"))

    fired = _check(data, checked_at.timestamp())
    by_worker = Counter(d["fired_by"] for d in fired)
    print(
        f"{len(kills)} kill(s) of {procs.count} worker process(es); {len(fired)} action(s) fired: "
        + ", ".join(f"{name} {n}" for name, n in sorted(by_worker.items()))
        + f"; {time.monotonic() - started:.0f}s"
    )
    assert len(kills) >= MIN_KILLS
    assert sum(n for name, n in by_worker.items() if str(name).startswith("w")) > 100, "the workers fired too little"


def _check(data: dict[str, list[dict[str, object]]], checked_at: float) -> list[dict[str, object]]:
    """Every due action fired once, with its effects once; returns the fired rows."""
    due: list[dict[str, object]] = data["due"]
    fired = [d for d in due if d["state"] == "fired"]
    problems: list[str] = []
    for d in due:
        if d["state"] == "pending" and float(d["due_at"]) <= checked_at:  # type: ignore[arg-type]
            problems.append(f"still pending though due: {d}")
        if d["state"] == "fired" and (d["fired_at"] is None or not d["fired_by"]):
            problems.append(f"fired without a time or a worker: {d}")
        if d["state"] == "cancelled":
            problems.append(f"cancelled, though no incident was restored: {d}")
    timeline: dict[tuple[object, object], list[str]] = defaultdict(list)
    for entry in data["timeline"]:
        timeline[entry["incident"], entry["kind"]].append(str(entry["text"]))
    tasks = Counter((t["incident"], t["key"]) for t in data["tasks"])
    by_incident: dict[tuple[object, object], list[dict[str, object]]] = defaultdict(list)
    for d in fired:
        by_incident[d["incident"], d["kind"]].append(d)
    for (incident, kind), rows in sorted(by_incident.items(), key=str):
        texts = timeline[incident, kind]
        if len(texts) != len(rows):
            problems.append(f"incident {incident}: {len(rows)} {kind} action(s) fired, {len(texts)} timeline entries")
        for row in rows:
            if kind == "trigger":
                trigger = TRIGGERS[str(row["key"])]
                heads = (f"Trigger point: {row['name']}.", f"Trigger point: {row['name']} (due ")
                named = [t for t in texts if t.startswith(heads)]
                want = len(trigger.get("actions", [])) + (1 if trigger.get("chair") or trigger.get("attendees") else 0)
                prefix = f"trigger/{row['key']}#{row['sequence']}/"
                made = sum(n for (i, key), n in tasks.items() if i == incident and str(key).startswith(prefix))
                if len(named) != 1:
                    problems.append(f"incident {incident}: {len(named)} timeline entries for {row['name']}")
                elif not named[0].endswith(f" {want} task(s) added."):
                    problems.append(f"incident {incident}: {named[0]!r} should add {want} task(s)")
                if made != want:
                    problems.append(f"incident {incident}: {made} task(s) {prefix}..., expected {want}")
            elif kind == "duration" and tasks[incident, f"duration/{row['key']}"] != 1:
                problems.append(f"incident {incident}: no single task for duration rule {row['key']}")
    chains: dict[tuple[object, object, object], list[dict[str, object]]] = defaultdict(list)
    for d in due:
        if d["kind"] == "routing" or (d["kind"] == "trigger" and d["key"] == "tp2"):
            chains[d["incident"], d["kind"], d["key"]].append(d)
    for (incident, kind, key), rows in chains.items():
        rows.sort(key=lambda d: int(d["sequence"]))  # type: ignore[call-overload]
        sequences = [int(d["sequence"]) for d in rows]  # type: ignore[call-overload]
        if sequences != list(range(len(rows))):
            problems.append(f"incident {incident}: {kind} {key} chain has gaps: {sequences}")
        if any(d["state"] != "fired" for d in rows[:-1]):
            problems.append(f"incident {incident}: {kind} {key} chain not fired before its last: {rows}")
        if rows[-1]["state"] == "pending" and float(rows[-1]["due_at"]) <= checked_at:  # type: ignore[arg-type]
            problems.append(f"incident {incident}: {kind} {key} chain stopped at a due occurrence")
    tp2_fired = [
        len([d for d in rows if d["state"] == "fired"]) for (_, _, key), rows in chains.items() if key == "tp2"
    ]
    assert max(tp2_fired, default=0) >= 3, "no TP2 chain was caught up over several days"
    assert not problems, "\n".join(problems[:30])
    return fired


# --- two threads in one process, over the same due rows ---------------------------------------


@pytest.mark.skipif(
    not is_postgres(os.environ.get("DATABASE_URL", "")),
    reason="threads need a database shared between connections: PostgreSQL (SQLite is covered above)",
)
@pytest.mark.django_db(transaction=True)
def test_two_threads_fire_the_same_due_rows_once_each(demo_plans: list[object]) -> None:
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from contingency.incidents import services, worker
    from contingency.incidents.models import DueAction, DueKind, Task, TimelineEntry
    from contingency.plans.models import Plan

    plan = Plan.objects.get(key="pacs-bcdr")
    now = timezone.now()
    for n in range(4):
        invoked = now - timedelta(hours=4, days=n, minutes=1)  # n daily TP2 calls overdue, and the next due
        incident = services.report(
            plan=plan, subject="system:pacs", actor=None, via="test", at=invoked - timedelta(minutes=1)
        )
        incident = services.invoke(incident=incident, actor=None, via="test", at=invoked)
        DueAction.objects.bulk_create(
            DueAction(incident=incident, kind=DueKind.TRIGGER, key="tp1", sequence=s, name=f"TP1 ({s})", due_at=now)
            for s in range(1, 16)
        )
    due = DueAction.objects.filter(state="pending", due_at__lte=timezone.now()).count()
    assert due >= 60
    barrier = threading.Barrier(2)
    counts: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            counts[name] = worker.run_until_idle(worker=name)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(name,)) for name in ("thread-a", "thread-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    fired = DueAction.objects.filter(fired_by__startswith="thread-")
    assert sum(counts.values()) == fired.count() >= due
    assert Counter(fired.values_list("fired_by", flat=True)) == {k: v for k, v in counts.items() if v}
    assert not DueAction.objects.filter(state="pending", due_at__lte=timezone.now()).exists()
    for row in fired.filter(kind=DueKind.TRIGGER):
        head = f"Trigger point: {row.name}"
        entries = TimelineEntry.objects.filter(incident=row.incident_id, kind="trigger").filter(
            Q(text__startswith=f"{head}.") | Q(text__startswith=f"{head} (due ")
        )
        assert entries.count() == 1, row
        assert Task.objects.filter(
            incident=row.incident_id, key__startswith=f"trigger/{row.key}#{row.sequence}/"
        ).exists()
    print(f"\nthreads fired {counts}")
