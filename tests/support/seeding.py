"""What the seeding scripts of the kill-and-restart tests share: Django on DATABASE_URL, the migration,
the demo plans, a PACS outage, and a `seed`/`dump` command line."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")

CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


def pacs_plan() -> Any:
    """Load the demo plans (issued) and return the PACS plan."""
    from contingency import demo
    from contingency.plans.files import collect, load_all
    from contingency.plans.models import Plan

    files, problems = collect([str(demo.DEMO_PLANS)])
    loaded, found = load_all(files)
    assert not problems and not found, (problems, found)
    demo.load_plans(loaded)
    return Plan.objects.get(key="pacs-bcdr")


def pacs_outage(plan: Any, *, began: datetime | None = None, invoked: datetime) -> Any:
    """Report (a minute before `invoked`) and invoke a complete PACS failure."""
    from contingency.incidents import services

    incident = services.report(
        plan=plan,
        subject="system:pacs",
        actor=None,
        answers=CHECKS,
        began_at=began,
        via="kill test",
        at=invoked - timedelta(minutes=1),
    )
    return services.invoke(incident=incident, actor=None, via="kill test", at=invoked)


def command_line(
    seed: Callable[[argparse.Namespace], None], dump: Callable[[], None], defaults: dict[str, float | int]
) -> None:
    """`seed --name value ...` (migrates first, printing `migrated`) or `dump`, on DATABASE_URL."""
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    seeding = sub.add_parser("seed")
    for name, default in defaults.items():
        seeding.add_argument(f"--{name}", type=type(default), default=default)
    sub.add_parser("dump")
    args = parser.parse_args()
    import django

    django.setup()
    if args.command == "seed":
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        print("migrated", flush=True)
        seed(args)
    else:
        dump()
