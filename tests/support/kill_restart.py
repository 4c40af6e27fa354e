"""Seeding and reading the database of tests/test_worker_kill_restart.py, run in a subprocess.

    python tests/support/kill_restart.py seed --lead SECONDS --spread SECONDS --count N --seed SEED
    python tests/support/kill_restart.py dump

The database is the one DATABASE_URL names. `seed` migrates it (printing `migrated`), loads the demo plans,
prints `base=<epoch seconds>` (now plus `lead`), then reports and invokes `count` PACS outages
back-dated so that their due actions fall due between `base` and `base + spread`: a daily TP2 whose earlier occurrences are overdue (the
worker must catch up the chain), duration rules and the five-day TP4 coming due, in-hours changes
overdue since the back-dated invocation, and extra TP1 rows written directly. `dump` prints the
due actions, trigger/duration/routing timeline entries and task keys as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
from tests.support.seeding import command_line, pacs_outage, pacs_plan


def seed(args: argparse.Namespace) -> None:
    from contingency.incidents.models import DueAction, DueKind

    rng = random.Random(args.seed)
    plan = pacs_plan()
    base = time.time() + args.lead
    print(f"base={base}", flush=True)
    start = datetime.fromtimestamp(base, UTC)
    for n in range(args.count):
        due = start + timedelta(seconds=rng.uniform(0, args.spread))
        mode = n % 3
        if mode == 0:  # TP2 due now, after k overdue daily occurrences
            invoked = due - timedelta(hours=4, days=rng.randint(0, 3))
            began = invoked - timedelta(minutes=10)
        elif mode == 1:  # a duration rule (4h, 1 day or 2 days) due now
            began = due - rng.choice([timedelta(hours=4), timedelta(days=1), timedelta(days=2)])
            invoked = began + timedelta(minutes=10)
        else:  # five days without service: TP4 and the 5-day rule due now, every TP2 overdue
            began = due - timedelta(days=5)
            invoked = began + timedelta(hours=1)
        incident = pacs_outage(plan, began=began, invoked=invoked)
        for extra in range(rng.randint(1, 3)):
            DueAction.objects.create(
                incident=incident,
                kind=DueKind.TRIGGER,
                key="tp1",
                sequence=10 + extra,
                name=f"TP1 - information-gathering meeting (extra {extra})",
                due_at=start + timedelta(seconds=rng.uniform(0, args.spread)),
            )
    print(f"seeded {args.count} incident(s); {DueAction.objects.count()} due action(s)", flush=True)


def dump() -> None:
    from contingency.incidents.models import DueAction, Task, TimelineEntry

    data = {
        "due": [
            {
                "id": d.pk,
                "incident": d.incident_id,
                "kind": d.kind,
                "key": d.key,
                "sequence": d.sequence,
                "name": d.name,
                "due_at": d.due_at.timestamp(),
                "state": d.state,
                "fired_at": d.fired_at.timestamp() if d.fired_at else None,
                "fired_by": d.fired_by,
            }
            for d in DueAction.objects.order_by("id")
        ],
        "timeline": [
            {"incident": e.incident_id, "kind": e.kind, "text": e.text}
            for e in TimelineEntry.objects.filter(kind__in=("trigger", "duration", "routing")).order_by("id")
        ],
        "tasks": [{"incident": t.incident_id, "key": t.key} for t in Task.objects.order_by("id")],
    }
    json.dump(data, sys.stdout)


if __name__ == "__main__":
    command_line(seed, dump, {"lead": 2.0, "spread": 10.0, "count": 30, "seed": 0})
