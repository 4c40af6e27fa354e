"""Seeding and reading the database of tests/test_notify_kill_restart.py, run in a subprocess.

    python tests/support/notify_kill_restart.py seed --count N --lead SECONDS --spread SECONDS --seed SEED
    python tests/support/notify_kill_restart.py dump

The database is the one DATABASE_URL names. `seed` migrates it (printing `migrated`), loads the demo
plans, reports and invokes a PACS outage (with no channel configured in this process, so its own
call-outs are telephone tasks and leave nothing to send), prints `base=<epoch seconds>` (now plus
`lead`) and writes `count` messages straight into the outbox, half texts and half e-mails, in a random
order, falling due between `base` and `base + spread`. Their keys start with `kill:`. `dump` prints
those messages and their attempts as JSON.
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

PREFIX = "kill:"


def seed(args: argparse.Namespace) -> None:
    from contingency.notify.models import Notification

    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    incident = pacs_outage(pacs_plan(), invoked=now)
    assert not Notification.objects.filter(state="pending").exists(), "no channel should be configured here"
    base = time.time() + args.lead
    print(f"base={base}", flush=True)
    start = datetime.fromtimestamp(base, UTC)
    rows = []
    for n in range(args.count):
        sms = n % 2 == 0
        due = start + timedelta(seconds=rng.uniform(0, args.spread))
        rows.append(
            Notification(
                incident=incident,
                key=f"{PREFIX}{n}:{'sms' if sms else 'email'}",
                channel="sms" if sms else "email",
                transport="notify-sms" if sms else "smtp",
                address=f"07700 900{n % 1000:03d}" if sms else f"person-{n}@example.org",
                recipient_name=f"Person {n}",
                subject="PACS is unavailable",
                body="PACS is unavailable: urgent images will come on CD.",
                short="PACS is unavailable: urgent images will come on CD.",
                next_attempt_at=due,
                created_at=now,
            )
        )
    rng.shuffle(rows)
    Notification.objects.bulk_create(rows)
    print(f"seeded {args.count} message(s)", flush=True)


def dump() -> None:
    from contingency.notify.models import Attempt, Notification

    rows = Notification.objects.filter(key__startswith=PREFIX).order_by("id")
    data = {
        "messages": [
            {
                "key": n.key,
                "transport": n.transport,
                "state": n.state,
                "attempts": n.attempts,
                "maybe_duplicate": n.maybe_duplicate,
                "claimed_by": n.claimed_by,
                "last_error": n.last_error,
            }
            for n in rows
        ],
        "attempts": [
            {
                "key": a.notification.key,
                "number": a.number,
                "worker": a.worker,
                "outcome": a.outcome,
                "started": a.started_at is not None,
            }
            for a in Attempt.objects.filter(notification__key__startswith=PREFIX)
            .select_related("notification")
            .order_by("notification_id", "number")
        ],
    }
    json.dump(data, sys.stdout)


if __name__ == "__main__":
    command_line(seed, dump, {"count": 300, "lead": 1.0, "spread": 8.0, "seed": 0})
