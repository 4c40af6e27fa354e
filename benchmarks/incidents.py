"""Benchmark: many open incidents at once - the urgency ranking and the live incident pages.

Sets up a throw-away database, imports a generated plan set (by default 500 critical functions
in 10 plans of 50, each plan shaped like the demo PACS plan: sites, suppliers, systems, a
contact directory with in-hours and out-of-hours lists, procedures with steps in and out of
hours, risks and the trigger points tp1..tp4), then opens 200 concurrent incidents through the
real services (report + invoke, on systems and on single functions, lost at times spread over
the past few days) and lets the worker fire everything due. It then measures, each --repeat
times (after one unmeasured warm-up), the median and the slowest run of:

  ranking        queries.ranked_open(organisation, now) over every open incident
  page data      ranked_open + reports.handover_report of one incident (the measured incident,
                 an application-system outage on the first plan)
  list page      GET of the incidents list (URL name `incidents`) as a signed-in responder
  incident page  GET of the measured incident's live page (URL name `incident`, org/number)

The pages are measured only when their URLs exist (django.urls.reverse); otherwise a note says
they were skipped.

baseline: one incident over one plan, same code, same process. A second organisation in the
same database holds one 50-function plan of the same shape and one open incident, the
twin of the measured incident (same subject, same times); each operation is measured on it in the same run,
interleaved with the full-size runs. The script prints each full-size time against its
baseline (the ratio), the cost of each incident beyond the first ((full - baseline) / (n - 1)),
and the database queries each operation issues (django.test.utils.CaptureQueriesContext): the
ranking must issue the same number of queries for 200 incidents as for one (no N+1).

    .venv/bin/python benchmarks/incidents.py [--incidents 200] [--functions 500] [--repeat 5]
        [--database-url postgres://postgres@127.0.0.1:5432/contingency_bench] [--json]

With --database-url the named database must not exist yet: the script creates it (PostgreSQL:
CREATE DATABASE through the server's `postgres` database; SQLite: a new file) and drops it at
the end. Without it, a temporary SQLite file is used and removed.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PER_PLAN = 50
DEPARTMENTS = (
    "Radiology",
    "Pathology",
    "Pharmacy",
    "Cardiology",
    "Maternity",
    "Emergency care",
    "Theatres",
    "Outpatients",
    "Critical care",
    "Estates",
)
MTPDS = ("8h", "1 day", "2 days", "3 days", "5 days", "1 working day", "2 weeks")
RTOS = ("2h", "4h", "6h")
CHECKS = {"several-users": True, "several-pcs": True, "several-areas": True}


# --- the plan set -------------------------------------------------------------------------


def _person(pid: str, name: str, title: str) -> dict[str, Any]:
    return {
        "id": pid,
        "name": name,
        "jobTitle": title,
        "phones": [{"kind": "mobile", "number": "07700 900" + str(100 + len(pid))[-3:]}],
        "email": f"{pid}@bench.example.org",
    }


def _role(rid: str, name: str, kind: str = "team", out_of_hours: bool = True) -> dict[str, Any]:
    role: dict[str, Any] = {
        "id": rid,
        "name": name,
        "kind": kind,
        "inHours": {"phones": [{"kind": "extension", "number": str(4000 + len(rid) * 7)}]},
    }
    if out_of_hours:
        role["outOfHours"] = {"phones": [{"kind": "switchboard", "number": "01632 960000"}], "note": "Ask switchboard"}
    return role


def plan_data(organisation: tuple[str, str], index: int, functions: int) -> dict[str, Any]:
    """One plan shaped like the demo PACS plan, with `functions` critical functions."""
    dept = DEPARTMENTS[index % len(DEPARTMENTS)] + (f" {index // len(DEPARTMENTS) + 1}" if index >= 10 else "")
    apps = max(1, math.ceil(functions / 6))
    app_ids = [f"app-{k + 1}" for k in range(apps)]
    departments = [f"dept-{k + 1}" for k in range(12)]
    people = [
        _person("owner", f"{dept} continuity owner", "Service manager"),
        _person("deputy", f"{dept} deputy", "Deputy service manager"),
        _person("lead-a", f"{dept} lead A", "Team lead"),
        _person("lead-b", f"{dept} lead B", "Team lead"),
        _person("director", f"{dept} director", "Director (board member)"),
    ]
    roles = [
        {**_role("service-team", f"{dept} team"), "members": ["owner", "deputy", "lead-a"]},
        {**_role("on-shift", f"{dept} senior on shift", kind="role"), "members": ["lead-a", "lead-b"]},
        _role("it-service-desk", "IT service desk"),
        _role("managers", f"{dept} managers"),
        _role("interface-admins", "Interface administrators"),
        {**_role("board", "Board (executive on call)"), "members": ["director"]},
        *(_role(d, f"Department {d[5:]}", kind="department", out_of_hours=int(d[5:]) % 2 == 0) for d in departments),
    ]
    systems: list[dict[str, Any]] = [
        {
            "id": "core",
            "name": f"{dept} core platform",
            "site": "dc-a",
            "supplier": "hosting",
            "components": [{"name": "Database", "role": "primary", "site": "dc-a"}],
        },
        *(
            {
                "id": app,
                "name": f"{dept} application {k + 1}",
                "supplier": "vendor",
                "dependsOn": ["core"] + (["app-1"] if k % 4 == 3 else []),
            }
            for k, app in enumerate(app_ids)
        ),
    ]
    function_rows: list[dict[str, Any]] = []
    for j in range(functions):
        mtpd = MTPDS[(j + index) % len(MTPDS)]
        row: dict[str, Any] = {
            "id": f"fn-{j + 1}",
            "name": f"{dept} function {j + 1}",
            "owner": "owner",
            "deputy": "deputy",
            "locations": ["hospital"],
            "impact": [
                {"after": "1h", "level": "low", "description": "Delays"},
                {"after": "4h", "level": "medium", "description": "Backlog grows"},
                {"after": "1 day", "level": ["high", "severe"][j % 2], "description": "Care disrupted"},
            ],
            "rto": [{"scenario": "Fail-over", "duration": RTOS[j % len(RTOS)], "risk": "complete-failure"}],
            "rpo": "1 day",
            "mtpd": mtpd,
            "resources": {"staff": [{"name": "Staff on shift", "source": "on-shift"}], "supplies": ["Paper forms"]},
            # One function in five has a duration rule, as in the demo plans (one of PACS's three).
            "durationRules": [{"after": "1 day", "action": "Order more paper forms", "owner": "on-shift"}]
            if j % 5 == 0
            else [],
            "dependsOn": [app_ids[j % apps]] + ([f"fn-{j}"] if j % 5 == 4 else []),
            "procedures": ["downtime", f"{app_ids[j % apps]}-workaround", "restoration"],
        }
        function_rows.append(row)
    steps = [
        {
            "id": "call-team",
            "text": "Call the service team",
            "kind": "call",
            "when": "in-hours",
            "who": "on-shift",
            "targets": ["service-team"],
        },
        {
            "id": "assess",
            "text": "Assess the impact and decide whether to invoke",
            "when": "in-hours",
            "who": "service-team",
        },
        {
            "id": "vendor-in-hours",
            "text": "Log a call with the vendor",
            "kind": "call",
            "when": "in-hours",
            "who": "service-team",
            "targets": ["vendor"],
        },
        {
            "id": "vendor-out-of-hours",
            "text": "Log a call with the vendor's out-of-hours helpdesk",
            "kind": "call",
            "when": "out-of-hours",
            "insteadOf": "vendor-in-hours",
            "who": "on-shift",
            "targets": ["vendor"],
        },
        {
            "id": "inform-it",
            "text": "Inform IT",
            "kind": "inform",
            "when": "out-of-hours",
            "who": "on-shift",
            "targets": ["it-service-desk"],
        },
        {
            "id": "tell-in-hours",
            "text": "Inform every department on the in-hours list",
            "kind": "inform",
            "when": "in-hours",
            "who": "service-team",
            "targets": ["inform-in-hours"],
        },
        {
            "id": "tell-out-of-hours",
            "text": "Inform every department on the out-of-hours list",
            "kind": "inform",
            "when": "out-of-hours",
            "insteadOf": "tell-in-hours",
            "who": "on-shift",
            "targets": ["inform-out-of-hours"],
        },
        {"id": "paper", "text": "Start the paper downtime process", "who": "on-shift"},
        {"id": "log", "text": "Start the downtime log", "kind": "record", "who": "on-shift"},
    ]
    procedures: list[dict[str, Any]] = [
        {
            "id": "downtime",
            "title": f"{dept} downtime",
            "appliesTo": ["core", *app_ids],
            "confirm": [
                {"id": "several-users", "check": "Several users are affected", "ifNot": "not-a-failure"},
                {"id": "several-pcs", "check": "The fault shows on several PCs", "ifNot": "partial-failure"},
                {"id": "several-areas", "check": "More than one area is affected", "ifNot": "partial-failure"},
            ],
            "steps": steps,
        },
        *(
            {
                "id": f"{app}-workaround",
                "title": f"Work around application {k + 1}",
                "appliesTo": [app],
                "steps": [
                    {"text": "Use the paper forms for this application", "who": "on-shift"},
                    {
                        "id": f"{app}-tell-team",
                        "text": "Tell the service team",
                        "kind": "inform",
                        "when": "in-hours",
                        "who": "on-shift",
                        "targets": ["service-team"],
                    },
                    {
                        "id": f"{app}-shift-log",
                        "text": "Record the fault in the shift log",
                        "kind": "record",
                        "when": "out-of-hours",
                        "insteadOf": f"{app}-tell-team",
                        "who": "on-shift",
                    },
                ],
            }
            for k, app in enumerate(app_ids)
        ),
        {
            "id": "restoration",
            "title": f"Restoration of {dept} systems",
            "phase": "restoration",
            "appliesTo": ["core", *app_ids],
            "steps": [
                {"text": "Test that data is restored as expected", "kind": "check", "who": "service-team"},
                {"text": "Re-key the paper records", "who": "on-shift"},
                {"text": "Test the interfaces", "kind": "check", "who": "interface-admins"},
                {
                    "text": "Tell every area that service is restored",
                    "kind": "inform",
                    "who": "service-team",
                    "targets": ["inform-in-hours"],
                },
            ],
        },
    ]
    function_ids = [f["id"] for f in function_rows]
    return {
        "apiVersion": "contingency/v1",
        "kind": "Plan",
        "id": f"plan-{index + 1:02d}",
        "title": f"{dept} business continuity plan",
        "organisation": {"id": organisation[0], "name": organisation[1]},
        "document": {
            "number": f"BENCH-{index + 1:03d}",
            "issue": 1,
            "issueDate": "2026-09-01",
            "reviewDate": "2027-09-01",
            "owner": "owner",
        },
        "sites": [
            {"id": "hospital", "name": "Main hospital", "kind": "hospital"},
            {"id": "dc-a", "name": "Primary data centre", "kind": "data-centre", "operator": "hosting"},
            {"id": "dc-b", "name": "Backup data centre", "kind": "data-centre", "operator": "hosting"},
        ],
        "people": people,
        "roles": roles,
        "lists": [
            {"id": "inform-in-hours", "name": "Departments to inform in hours", "members": departments},
            {"id": "inform-out-of-hours", "name": "Departments to inform out of hours", "members": departments[1::2]},
        ],
        "suppliers": [
            {
                "id": "vendor",
                "name": f"{dept} Systems Ltd",
                "helpdesk": {"phones": [{"kind": "helpdesk", "number": "0161 496 0420"}]},
            },
            {"id": "hosting", "name": "Hosting Partner Ltd", "kind": "hosting"},
        ],
        "systems": systems,
        "functions": function_rows,
        "risks": [
            {
                "id": "complete-failure",
                "title": "Complete system failure",
                "failure": "complete",
                "likelihood": 2,
                "consequence": 4,
                "response": {"summary": "Invoke the plan", "procedure": "downtime"},
                "affects": ["core", *app_ids, *function_ids],
                "owner": "service-team",
            },
            {
                "id": "partial-failure",
                "title": "Partial failure confined to one area",
                "failure": "partial",
                "likelihood": 3,
                "consequence": 2,
                "response": {"summary": "Use a PC elsewhere", "procedure": "downtime"},
                "affects": function_ids,
                "owner": "it-service-desk",
            },
        ],
        "procedures": procedures,
        "triggers": [
            {
                "id": "tp1",
                "name": "TP1 - information-gathering meeting",
                "kind": "at-invocation",
                "chair": "service-team",
                "attendees": ["service-team", "managers", "on-shift"],
                "actions": ["Assess the impact on each area", {"text": "Agree the communication", "who": "managers"}],
            },
            {
                "id": "tp2",
                "name": "TP2 - conference call and board briefing",
                "kind": "recurring",
                "every": "1 day",
                "start": "4h",
                "until": "5 days",
                "chair": "managers",
                "attendees": ["vendor", "it-service-desk", "managers"],
                "actions": ["Review progress with the vendor", {"text": "Send the daily briefing", "who": "managers"}],
            },
            {
                "id": "tp3",
                "name": "TP3 - service restored",
                "kind": "on-restoration",
                "actions": [{"text": "Test that data is restored", "who": "service-team"}],
            },
            {
                "id": "tp4",
                "name": "TP4 - five days without service",
                "kind": "after",
                "after": "5 days",
                "chair": "board",
                "attendees": ["board", "managers"],
                "actions": ["Emergency meeting of senior managers and the board"],
            },
        ],
    }


# --- set-up -------------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    cleanup: Callable[[], None]


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    return urlunsplit(parts._replace(path="/postgres")), name


def prepare_database(url: str | None) -> Database:
    """A database that did not exist before this run, and how to remove it afterwards."""
    if url is None:
        folder = Path(tempfile.mkdtemp(prefix="contingency-bench-"))
        return Database(f"sqlite:///{folder / 'bench.sqlite3'}", lambda: shutil.rmtree(folder, ignore_errors=True))
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        import dj_database_url

        path = Path(str(dj_database_url.parse(url)["NAME"]))
        if path.exists():
            sys.exit(f"--database-url: {path} exists; give a file that does not exist (the benchmark deletes it)")

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)

        return Database(url, remove)
    if scheme not in ("postgres", "postgresql"):
        sys.exit(f"--database-url: {scheme!r} is not supported; use postgres://... or sqlite:///...")
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    if not name:
        sys.exit(
            "--database-url: name the database to create, e.g. postgres://postgres@127.0.0.1:5432/contingency_bench"
        )
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                sys.exit(f"--database-url: database {name!r} exists; give a new name (the benchmark drops it)")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        sys.exit(f"--database-url: cannot reach the server: {exc}")

    def drop() -> None:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return Database(url, drop)


def setup_django(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CONTINGENCY_DATA_DIR"] = data_dir  # the generated secret key goes there, not into var/
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    logging.getLogger("axes").setLevel(logging.WARNING)  # one line per sign-in otherwise
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a failing page becomes a note instead


@dataclass
class World:
    organisation: Any
    incidents: int
    functions: int
    plans: int
    affected: list[int] = field(default_factory=list)
    subjects: dict[str, int] = field(default_factory=dict)


def import_plans(org: tuple[str, str], functions: int, per_plan: int) -> list[Any]:
    from contingency.plans.store import import_plan
    from contingency.plans.validate import validate_data
    from contingency.plans.workflow import mark_issued

    plans = []
    sizes = [min(per_plan, functions - start) for start in range(0, functions, per_plan)]
    for index, size in enumerate(sizes):
        document = validate_data(plan_data(org, index, size))
        plan = import_plan(document, source=f"benchmark:{org[0]}/{document.id}")
        mark_issued(plan, actor=None, via="benchmark", summary="Generated by benchmarks/incidents.py")
        plans.append(plan)
    return plans


def open_incidents(plans: list[Any], count: int, now: datetime, seed: int) -> list[Any]:
    """`count` incidents reported and invoked through the services, on varied subjects."""
    from contingency.incidents import services
    from contingency.plans.store import export_plan

    rng = random.Random(seed)
    documents = {p.pk: export_plan(p) for p in plans}
    opened = []
    for n in range(count):
        plan = plans[n % len(plans)]
        document = documents[plan.pk]
        apps = [s.id for s in document.systems if s.id != "core"]
        roll = (n + n // len(plans)) % 10  # every plan gets every kind of subject
        if roll == 0:
            subject = "system:core"  # every function of the plan
        elif roll < 6:
            subject = f"system:{apps[(n // len(plans)) % len(apps)]}"  # a handful of functions
        else:
            subject = f"function:{rng.choice(document.functions).id}"  # one or two
        began = now - timedelta(minutes=rng.randint(30, 3 * 24 * 60))
        incident = services.report(
            plan=plan,
            subject=subject,
            actor=None,
            answers=CHECKS if subject.startswith("system:") else {},
            began_at=began,
            via="benchmark",
            at=began + timedelta(minutes=5),
        )
        opened.append(services.invoke(incident=incident, actor=None, via="benchmark", at=began + timedelta(minutes=15)))
    return opened


def responder(organisation: Any, username: str) -> Any:
    from django.contrib.auth.models import User
    from django.test import Client

    from contingency.core.models import Membership, Role

    user = User.objects.create_user(username, f"{username}@bench.example.org", "a long benchmark password 1")
    Membership.objects.create(user=user, organisation=organisation, role=Role.RESPONDER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    runs: list[float] = field(default_factory=list)  # seconds
    queries: int = 0
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs) * 1000 if self.runs else math.nan

    @property
    def max_ms(self) -> float:
        return max(self.runs) * 1000 if self.runs else math.nan


@contextmanager
def counting() -> Iterator[Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        yield ctx


def operations(
    organisation: Any, client: Any, incident: Any, now: datetime
) -> tuple[dict[str, Callable[[], object]], list[str]]:
    """The operations to time, by name (the page ones on `incident`); and notes on what was skipped."""
    from django.urls import NoReverseMatch, reverse

    from contingency.incidents import queries, reports

    def ranking() -> object:
        return queries.ranked_open(organisation, now)

    def page_data() -> object:
        return queries.ranked_open(organisation, now), reports.handover_report(incident, now)

    ops: dict[str, Callable[[], object]] = {"ranking": ranking, "page data": page_data}
    notes: list[str] = []
    pages = {
        "list page": ("incidents", {"org": organisation.slug}),
        "incident page": ("incident", {"org": organisation.slug, "number": incident.number}),
    }
    for name, (url_name, kwargs) in pages.items():
        try:
            url = reverse(url_name, kwargs=kwargs)
        except NoReverseMatch:
            notes.append(f"{name}: skipped, no URL named {url_name!r} yet")
            continue

        try:
            status = client.get(url).status_code
        except Exception as exc:  # a page still being written: measure the rest, and say so
            notes.append(f"{name}: skipped, GET {url} failed: {type(exc).__name__}: {exc}")
            continue
        if status != 200:
            notes.append(f"{name}: skipped, GET {url} answered {status}")
            continue

        def get(url: str = url) -> object:
            response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}")
            return response

        ops[name] = get
    return ops, notes


def measure(
    worlds: dict[str, tuple[dict[str, Callable[[], object]], list[str]]], repeat: int
) -> dict[str, dict[str, Timing]]:
    """Each operation of each world: one warm-up with its queries counted, then `repeat` timed runs,
    the worlds interleaved so drift in the machine hits both alike."""
    results: dict[str, dict[str, Timing]] = {w: {} for w in worlds}
    for world, (ops, _) in worlds.items():
        for name, op in ops.items():
            with counting() as ctx:
                op()
            results[world][name] = Timing(name, queries=len(ctx.captured_queries))
    for _ in range(repeat):
        for world, (ops, _) in worlds.items():
            for name, op in ops.items():
                start = time.perf_counter()
                op()
                results[world][name].runs.append(time.perf_counter() - start)
    return results


# --- the run ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=200, help="open incidents (default 200)")
    parser.add_argument("--functions", type=int, default=500, help="critical functions in the plan set (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each operation (default 5)")
    parser.add_argument("--database-url", help="a database that does not exist yet; created and dropped")
    parser.add_argument("--seed", type=int, default=4, help="random seed for subjects and times (default 4)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name in ("incidents", "functions", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")

    database = prepare_database(args.database_url)
    data_dir = tempfile.mkdtemp(prefix="contingency-bench-data-")
    try:
        return run(args, database.url, data_dir)
    finally:
        database.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace, url: str, data_dir: str) -> int:
    started = time.perf_counter()
    cpu_started = time.process_time()
    setup_django(url, data_dir)
    from django.db import connection
    from django.utils import timezone

    from benchmarks.database import migrate
    from contingency.core.models import Organisation
    from contingency.incidents import services, worker
    from contingency.incidents.models import AffectedFunction, DueAction, Incident, Task, TimelineEntry

    migrate()
    migrated = time.perf_counter()
    now = timezone.now().replace(microsecond=0)

    plans = import_plans(("bench-trust", "Benchmark Trust"), args.functions, PER_PLAN)
    base_plans = import_plans(("bench-baseline", "Baseline Trust"), min(PER_PLAN, args.functions), PER_PLAN)
    imported = time.perf_counter()
    opened = open_incidents(plans, args.incidents, now, args.seed)
    # The incident whose page is measured: an application-system outage on the first plan, a
    # typical size; the baseline incident is its twin (same subject, same times) on the baseline plan.
    reference = next((i for i in opened if i.plan_id == plans[0].pk and i.subject.startswith("system:app")), opened[0])
    base_began = reference.began_at
    baseline = services.invoke(
        incident=services.report(
            plan=base_plans[0],
            subject=reference.subject,
            actor=None,
            answers=CHECKS,
            began_at=base_began,
            via="benchmark",
            at=base_began + timedelta(minutes=5),
        ),
        actor=None,
        via="benchmark",
        at=base_began + timedelta(minutes=15),
    )
    invoked = time.perf_counter()
    fired = worker.run_until_idle(now=lambda: now, worker="benchmark")
    done = time.perf_counter()

    org = Organisation.objects.get(slug="bench-trust")
    base_org = Organisation.objects.get(slug="bench-baseline")
    affected = [AffectedFunction.objects.filter(incident=i).count() for i in opened]
    facts = {
        "database": connection.vendor,
        "machine_cores": os.cpu_count(),
        "incidents": len(opened),
        "plans": len(plans),
        "functions": args.functions,
        "affected_functions": {
            "total": sum(affected),
            "min": min(affected),
            "median": statistics.median(affected),
            "max": max(affected),
        },
        "measured_incident": {
            "number": reference.number,
            "subject": reference.subject,
            "plan": plans[0].key,
            "affected_functions": AffectedFunction.objects.filter(incident=reference).count(),
            "tasks": Task.objects.filter(incident=reference).count(),
        },
        "baseline_incident": {
            "subject": baseline.subject,
            "affected_functions": AffectedFunction.objects.filter(incident=baseline).count(),
        },
        "tasks": Task.objects.count(),
        "timeline_entries": TimelineEntry.objects.count(),
        "due_actions_fired": fired,
        "due_actions_pending": DueAction.objects.filter(state="pending").count(),
        "open_incidents": Incident.objects.filter(organisation=org).count(),
        "setup_seconds": {
            "migrate": round(migrated - started, 2),
            "import_plans": round(imported - migrated, 2),
            "report_and_invoke": round(invoked - imported, 2),
            "worker": round(done - invoked, 2),
            "total": round(done - started, 2),
            "total_cpu_this_process": round(time.process_time() - cpu_started, 2),
        },
        "load_average_1min": round(os.getloadavg()[0], 2),
    }

    worlds = {
        "full": operations(org, responder(org, "bench-responder"), reference, now),
        "baseline": operations(base_org, responder(base_org, "baseline-responder"), baseline, now),
    }
    results = measure(worlds, args.repeat)
    notes = worlds["full"][1]
    figures = []
    for name, full in results["full"].items():
        if name not in results["baseline"]:
            notes.append(f"{name}: no baseline figure ({'; '.join(worlds['baseline'][1])})")
            continue
        base = results["baseline"][name]
        figures.append(
            {
                "operation": name,
                "median_ms": round(full.median_ms, 2),
                "max_ms": round(full.max_ms, 2),
                "queries": full.queries,
                "baseline_median_ms": round(base.median_ms, 2),
                "baseline_max_ms": round(base.max_ms, 2),
                "baseline_queries": base.queries,
                "ratio": round(full.median_ms / base.median_ms, 1) if base.median_ms else None,
                "per_extra_incident_ms": round((full.median_ms - base.median_ms) / (len(opened) - 1), 3)
                if len(opened) > 1
                else None,
            }
        )
    ranking = next(f for f in figures if f["operation"] == "ranking")
    n_plus_one = ranking["queries"] != ranking["baseline_queries"]
    facts["measured_seconds"] = round(time.perf_counter() - done, 2)

    if args.json:
        print(
            json.dumps({**facts, "repeat": args.repeat, "figures": figures, "notes": notes, "n_plus_one": n_plus_one})
        )
        return 0
    af = facts["affected_functions"]
    setup = facts["setup_seconds"]
    print(
        f"{len(opened)} open incidents over {len(plans)} plans ({args.functions} functions), "
        f"{connection.vendor}, {os.cpu_count()} cores"
    )
    print(
        f"affected functions per incident: min {af['min']}, median {af['median']}, max {af['max']} "
        f"({af['total']} in all); {facts['tasks']} tasks, {facts['timeline_entries']} timeline entries, "
        f"{fired} due actions fired by the worker"
    )
    print(
        f"baseline: one incident over one plan, same code, same process "
        f"({baseline.subject}, {facts['baseline_incident']['affected_functions']} functions affected); "
        f"pages and hand-over measured on its twin, incident #{reference.number} ({reference.subject} "
        f"of {plans[0].key})"
    )
    print(
        f"set-up {setup['total']:.1f}s (migrate {setup['migrate']:.1f}s, plans {setup['import_plans']:.1f}s, "
        f"report+invoke {setup['report_and_invoke']:.1f}s, worker {setup['worker']:.1f}s); "
        f"{setup['total_cpu_this_process']:.1f}s of CPU in this process; load average {facts['load_average_1min']}"
    )
    print()
    header = f"{'operation':<15}{'median ms':>11}{'max ms':>9}{'queries':>9}{'base ms':>9}{'base q':>8}{'ratio':>8}{'ms/incident':>13}"
    print(header)
    print("-" * len(header))
    for f in figures:
        per = f["per_extra_incident_ms"]
        print(
            f"{f['operation']:<15}{f['median_ms']:>11.1f}{f['max_ms']:>9.1f}{f['queries']:>9}"
            f"{f['baseline_median_ms']:>9.1f}{f['baseline_queries']:>8}{f['ratio']:>7}x"
            f"{(f'{per:.3f}' if per is not None else '-'):>13}"
        )
    print()
    print(
        f"{args.repeat} timed runs each after one warm-up; ratio = median / baseline median; "
        "ms/incident = (median - baseline median) / (incidents - 1)"
    )
    if n_plus_one:
        print(
            f"N+1: the ranking issues {ranking['queries']} queries for {len(opened)} incidents "
            f"but {ranking['baseline_queries']} for one"
        )
    else:
        print(f"N+1: none - the ranking issues {ranking['queries']} queries for {len(opened)} incidents and for one")
    for note in notes:
        print(f"note: {note}")
    print(f"measuring took {facts['measured_seconds']:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
