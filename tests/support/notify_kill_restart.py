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
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")

PREFIX = "kill:"
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


def seed(count: int, lead: float, spread: float, rng: random.Random) -> None:
    from contingency import demo
    from contingency.incidents import services
    from contingency.notify.models import Notification
    from contingency.plans.files import collect, load_all
    from contingency.plans.models import Plan

    files, problems = collect([str(demo.DEMO_PLANS)])
    loaded, found = load_all(files)
    assert not problems and not found, (problems, found)
    demo.load_plans(loaded)
    plan = Plan.objects.get(key="pacs-bcdr")
    now = datetime.now(UTC)
    incident = services.invoke(
        incident=services.report(
            plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="kill test", at=now - timedelta(minutes=1)
        ),
        actor=None,
        via="kill test",
        at=now,
    )
    assert not Notification.objects.filter(state="pending").exists(), "no channel should be configured here"
    base = time.time() + lead
    print(f"base={base}", flush=True)
    start = datetime.fromtimestamp(base, UTC)
    rows = []
    for n in range(count):
        sms = n % 2 == 0
        due = start + timedelta(seconds=rng.uniform(0, spread))
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
    print(f"seeded {count} message(s)", flush=True)


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
            {"key": a.notification.key, "number": a.number, "worker": a.worker, "outcome": a.outcome}
            for a in Attempt.objects.filter(notification__key__startswith=PREFIX)
            .select_related("notification")
            .order_by("notification_id", "number")
        ],
    }
    json.dump(data, sys.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed")
    seeding.add_argument("--count", type=int, default=300)
    seeding.add_argument("--lead", type=float, default=1.0)
    seeding.add_argument("--spread", type=float, default=8.0)
    seeding.add_argument("--seed", type=int, default=0)
    sub.add_parser("dump")
    args = parser.parse_args()
    import django

    django.setup()
    if args.command == "seed":
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        print("migrated", flush=True)
        seed(args.count, args.lead, args.spread, random.Random(args.seed))
    else:
        dump()


if __name__ == "__main__":
    main()
