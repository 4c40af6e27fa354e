"""Benchmark: the compliance view of a large organisation - 200 plans and 5 years of records.

Sets up a throw-away SQLite database and fills one organisation with --plans plans (default 200), each
with 12 critical functions (10 with an impact over time), 4 risks, a record of changes, a document number
and approval, one issue and one review a year and a print every quarter for --years years (default 5);
--years x 20 incidents a year, each invoked, restored and reviewed, with three review actions each; manual
evidence attested twice a year against a dozen requirements; three suppliers named in each plan from a
pool of 40 vendors (shared between plans, as real vendors are), an assurance record for most of them (some
in order, some stale, some with no continuity plan) and two supplier tickets per incident with their
stopped clocks; and each plan's exercise programme - a communications test every 6 months, a table-top
every year and a live exercise every 3 years, each run as an incident of its own - for --years years.
The rows are bulk-written (the plans' content does not matter to compliance, only these records). It then measures, each --repeat times
after one unmeasured warm-up, the median and the slowest run of:

  statuses        services.assess_all(organisation, today): the facts gathered and every framework assessed
  index page      GET of the compliance page (URL name `compliance`) as a signed-in viewer
  framework page  GET of the ISO 22301 page (URL name `compliance-framework`)

baseline: one plan, same code, same process. A second organisation in the same database holds one plan
with the same records per plan and the same incidents per year; each operation is measured on it in the
same run, interleaved with the full-size runs. The script prints each full-size median against its
baseline (the ratio) and the queries each issues: the statuses must take as many queries for 200 plans
as for one (no N+1). The goal is a compliance page under 500 ms at full size.

    .venv/bin/python benchmarks/compliance.py [--plans 200] [--years 5] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LONDON = ZoneInfo("Europe/London")
FUNCTIONS = 12
RISKS = 4
INCIDENTS_PER_YEAR = 20
VENDORS = 40  # the organisation's pool of suppliers; each plan names SUPPLIERS_PER_PLAN of them
SUPPLIERS_PER_PLAN = 3
TICKETS_PER_INCIDENT = 2
# Each plan's exercise programme (NHS EPRR): (kind, months between exercises).
PROGRAMME = (("communications", 6), ("table-top", 12), ("live", 36))
REQUIREMENTS = (
    "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-01",
    "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-05",
    "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-06",
    "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-10",
    "urn:contingency:bcm:req_node:iso-22301-2019:4.1",
    "urn:contingency:bcm:req_node:iso-22301-2019:4.2",
    "urn:contingency:bcm:req_node:iso-22301-2019:5.2",
    "urn:contingency:bcm:req_node:iso-22301-2019:7.1",
    "urn:contingency:bcm:req_node:iso-22301-2019:7.2",
    "urn:contingency:bcm:req_node:iso-22301-2019:9.2",
    "urn:contingency:bcm:req_node:iso-22301-2019:9.3",
    "urn:contingency:bcm:req_node:iso-22301-2019:6.2",
)


def setup_django(url: str, data_dir: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["CONTINGENCY_DATA_DIR"] = data_dir
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    logging.getLogger("axes").setLevel(logging.WARNING)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON)


def fill(slug: str, name: str, plans: int, years: int, today: date) -> Any:
    """One organisation with `plans` plans and `years` years of records, bulk-written."""
    from contingency.compliance.models import EvidenceFile, ManualEvidence
    from contingency.core.models import Organisation
    from contingency.incidents.models import Incident, Review, ReviewAction
    from contingency.packs.models import PrintRecord
    from contingency.plans.models import ChangeRecord, CriticalFunction, Plan, PlanIssue, PlanReview, Risk
    from contingency.plans.workflow import add_months

    organisation = Organisation.objects.create(slug=slug, name=name)
    start = add_months(today, -12 * years)
    rows = Plan.objects.bulk_create(
        Plan(
            organisation=organisation,
            key=f"plan-{n:04d}",
            title=f"Plan {n:04d}",
            number=f"BC-{n:04d}",
            issue=years,
            issue_date=add_months(start, 12 * (years - 1) + n % 12),
            review_date=add_months(start, 12 * years + n % 12),
            approval_date=add_months(start, 12 * (years - 1) + n % 12),
        )
        for n in range(plans)
    )
    rows = list(Plan.objects.filter(organisation=organisation).order_by("key"))
    impact = [{"after": "4h", "level": "high", "description": "Patients wait"}]
    CriticalFunction.objects.bulk_create(
        CriticalFunction(plan=p, position=i, key=f"f{i}", name=f"Function {i}", impact=impact if i < 10 else [])
        for p in rows
        for i in range(FUNCTIONS)
    )
    Risk.objects.bulk_create(
        Risk(plan=p, position=i, key=f"r{i}", title=f"Risk {i}", likelihood=1 + i % 5, consequence=1 + (i * 2) % 5)
        for p in rows
        for i in range(RISKS)
    )
    ChangeRecord.objects.bulk_create(
        ChangeRecord(plan=p, position=y, issue=y + 1, date=add_months(start, 12 * y), summary=f"Issue {y + 1}")
        for p in rows
        for y in range(years)
    )
    PlanIssue.objects.bulk_create(
        PlanIssue(plan=p, issue=y + 1, issue_date=add_months(start, 12 * y + i % 12), text="-", issued_at=_at(start))
        for i, p in enumerate(rows)
        for y in range(years)
    )
    PlanReview.objects.bulk_create(
        PlanReview(
            plan=p,
            reviewed_at=_at(add_months(start, 12 * y + 6)),
            issue=y + 1,
            outcome="no-change",
            next_review_date=add_months(start, 12 * y + 18),
        )
        for p in rows
        for y in range(years)
    )
    PrintRecord.objects.bulk_create(
        PrintRecord(
            organisation=organisation,
            plan=p,
            plan_key=p.key,
            plan_title=p.title,
            issue=1 + q // 4,
            plan_updated_at=_at(start),
            content_hash="0" * 64,
            built_at=_at(add_months(start, 3 * q + i % 3)),
            built_by_name="benchmark",
            via="benchmark",
        )
        for i, p in enumerate(rows)
        for q in range(4 * years)
    )
    incidents = Incident.objects.bulk_create(
        Incident(
            organisation=organisation,
            number=n + 1,
            plan=rows[n % len(rows)],
            plan_key=rows[n % len(rows)].key,
            plan_title=rows[n % len(rows)].title,
            plan_issue=1,
            snapshot={},
            title=f"Outage {n + 1}",
            subject="system:core",
            subject_name="Core",
            state="stood-down",
            began_at=_at(start + timedelta(days=18 * n)),
            reported_at=_at(start + timedelta(days=18 * n)),
            reported_by_name="benchmark",
            invoked_at=_at(start + timedelta(days=18 * n), 11),
            restored_at=_at(start + timedelta(days=18 * n + 1)),
            stood_down_at=_at(start + timedelta(days=18 * n + 1), 12),
        )
        for n in range(INCIDENTS_PER_YEAR * years)
    )
    incidents = list(Incident.objects.filter(organisation=organisation).order_by("number"))
    reviewed = {i.pk: _at(start + timedelta(days=18 * (i.number - 1) + 11)) for i in incidents}
    Review.objects.bulk_create(
        Review(incident=i, root_cause="A cause", lessons="A lesson", completed_at=reviewed[i.pk]) for i in incidents
    )
    reviews = list(Review.objects.filter(incident__organisation=organisation))
    ReviewAction.objects.bulk_create(
        ReviewAction(
            review=r,
            text=f"Action {k}",
            owner="Lead",
            due_on=reviewed[r.incident_id].date() + timedelta(days=30 * (k + 1)),
            done_at=reviewed[r.incident_id] + timedelta(days=20 * (k + 1)) if k < 2 else None,
        )
        for r in reviews
        for k in range(3)
    )
    evidence = ManualEvidence.objects.bulk_create(
        ManualEvidence(
            organisation=organisation,
            framework_key=urn.split(":")[-2],
            requirement_urn=urn,
            requirement_label=urn,
            title=f"Evidence {h}",
            attested_by_name="benchmark",
            attested_on=add_months(start, 6 * h),
            expires_on=add_months(start, 6 * h + 12),
            recorded_at=_at(add_months(start, 6 * h)),
            file_name="evidence.txt",
            content_type="text/plain",
            size=8,
            sha256="0" * 64,
        )
        for urn in REQUIREMENTS
        for h in range(2 * years)
    )
    EvidenceFile.objects.bulk_create(EvidenceFile(evidence=e, data=b"evidence") for e in evidence)
    suppliers(organisation, rows, incidents, today)
    exercises(organisation, rows, start, years, first_number=len(incidents) + 1)
    return organisation


def _vendors(n: int) -> list[str]:
    """The vendors plan n names: spread over the pool, so most vendors serve several plans."""
    return sorted({f"vendor-{(n * 7 + k * 13) % VENDORS:02d}" for k in range(SUPPLIERS_PER_PLAN)})


def suppliers(organisation: Any, plans: list[Any], incidents: list[Any], today: date) -> None:
    """Each plan's suppliers, the organisation's assurance records of them, and two tickets per incident."""
    from contingency.plans.models import Supplier
    from contingency.plans.workflow import add_months
    from contingency.suppliers.models import Assurance, ClockDue, ClockEvent, Ticket

    named: dict[int, list[str]] = {p.pk: _vendors(n) for n, p in enumerate(plans)}
    Supplier.objects.bulk_create(
        Supplier(plan=p, position=i, key=key, name=f"Vendor {key[-2:]} Ltd")
        for p in plans
        for i, key in enumerate(named[p.pk])
    )
    keys = sorted({key for keys in named.values() for key in keys})
    # Most vendors assured: one in seven has nothing on file, one in five was last tested over a year ago,
    # one in eleven has no continuity plan.
    Assurance.objects.bulk_create(
        Assurance(
            organisation=organisation,
            supplier_key=key,
            has_plan="no" if i % 11 == 3 else "yes",
            last_tested_on=add_months(today, -14 if i % 5 == 1 else -(i % 9) - 1),
            response_time="30 minutes" if i % 2 else "4 working hours",
            restore_time="8h" if i % 3 else "2 working days",
            contacts=[{"name": f"Vendor {key[-2:]} duty manager", "phone": f"07700 900{i:03d}"}],
            review_on=add_months(today, 6 - i % 8),
            updated_at=_at(add_months(today, -(i % 9) - 1)),
            updated_by_name="benchmark",
        )
        for i, key in enumerate(keys)
        if i % 7 != 6
    )
    tickets = Ticket.objects.bulk_create(
        Ticket(
            incident=incident,
            supplier_key=named[incident.plan_id][k],
            supplier_name=f"Vendor {named[incident.plan_id][k][-2:]} Ltd",
            reference=f"INC-{incident.number:05d}-{k}",
            logged_at=incident.invoked_at + timedelta(minutes=10),
            response_time="30 minutes",
            restore_time="8h",
            rca_due_on=(incident.restored_at + timedelta(days=14)).date(),
            rca_received_on=(incident.restored_at + timedelta(days=10)).date() if k == 0 else None,
            logged_by_name="benchmark",
        )
        for incident in incidents
        for k in range(TICKETS_PER_INCIDENT)
    )
    tickets = list(Ticket.objects.filter(incident__organisation=organisation).select_related("incident"))
    ClockEvent.objects.bulk_create(
        event
        for t in tickets
        for event in (
            ClockEvent(ticket=t, clock="response", kind="stopped", at=t.logged_at + timedelta(minutes=20)),
            ClockEvent(ticket=t, clock="restore", kind="paused", at=t.logged_at + timedelta(hours=2), reason="Ours"),
            ClockEvent(ticket=t, clock="restore", kind="resumed", at=t.logged_at + timedelta(hours=3), reason="Done"),
            ClockEvent(ticket=t, clock="restore", kind="stopped", at=t.incident.restored_at),
        )
    )
    ClockDue.objects.bulk_create(
        ClockDue(
            ticket=t, clock=clock, due_at=None, state="fired" if clock == "restore" and t.pk % 4 == 0 else "pending"
        )
        for t in tickets
        for clock in ("response", "restore")
    )


def exercises(organisation: Any, plans: list[Any], start: date, years: int, *, first_number: int) -> None:
    """Each plan's exercise programme over the years, each exercise run as a stood-down incident of its own."""
    from contingency.exercises.models import Exercise
    from contingency.incidents.models import Incident
    from contingency.plans.workflow import add_months

    end = add_months(start, 12 * years)
    runs = [
        (p, kind, day)
        for n, p in enumerate(plans)
        for kind, months in PROGRAMME
        for k in range(-(-12 * years // months))
        if (day := add_months(start, months * k + n % months)) < end
    ]
    Incident.objects.bulk_create(
        Incident(
            organisation=organisation,
            number=first_number + i,
            plan=p,
            plan_key=p.key,
            plan_title=p.title,
            plan_issue=1,
            snapshot={},
            title=f"EXERCISE {i + 1}: {kind} of {p.title}",
            subject="system:core",
            subject_name="Core",
            state="stood-down",
            began_at=_at(day),
            reported_at=_at(day),
            reported_by_name="benchmark",
            invoked_at=_at(day),
            stood_down_at=_at(day, 12),
        )
        for i, (p, kind, day) in enumerate(runs)
    )
    made = dict(
        Incident.objects.filter(organisation=organisation, number__gte=first_number).values_list("number", "pk")
    )
    Exercise.objects.bulk_create(
        Exercise(
            organisation=organisation,
            number=i + 1,
            plan=p,
            plan_key=p.key,
            plan_title=p.title,
            kind=kind,
            incident_id=made[first_number + i],
            started_at=_at(day),
            started_by_name="benchmark",
            finished_at=_at(day, 12),
            outcome="Went as planned",
        )
        for i, (p, kind, day) in enumerate(runs)
    )


def seeded(organisation: Any) -> dict[str, int]:
    """How many supplier and exercise records the organisation holds."""
    from contingency.exercises.models import Exercise
    from contingency.plans.models import Supplier
    from contingency.suppliers.models import Assurance, Ticket

    return {
        "suppliers": Supplier.objects.filter(plan__organisation=organisation).values("key").distinct().count(),
        "assured": Assurance.objects.filter(organisation=organisation).count(),
        "tickets": Ticket.objects.filter(incident__organisation=organisation).count(),
        "exercises": Exercise.objects.filter(organisation=organisation).count(),
    }


def measure(ops: dict[str, dict[str, Callable[[], object]]], repeat: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    results: dict[str, dict[str, Any]] = {world: {} for world in ops}
    for world, named in ops.items():
        for name, op in named.items():
            with CaptureQueriesContext(connection) as ctx:
                op()
            results[world][name] = {"queries": len(ctx.captured_queries), "runs": []}
    for _ in range(repeat):
        for world, named in ops.items():
            for name, op in named.items():
                started = time.perf_counter()
                op()
                results[world][name]["runs"].append(time.perf_counter() - started)
    return results


def run(args: argparse.Namespace, url: str, data_dir: str) -> int:
    setup_django(url, data_dir)
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from benchmarks.database import migrate
    from contingency.compliance import services
    from contingency.core.models import Membership
    from contingency.plans.workflow import local_today

    migrate()
    started = time.perf_counter()
    today = date.today()  # noqa: DTZ011 - the rows are laid out around the machine's day
    big = fill("bench-trust", "Benchmark Trust", args.plans, args.years, today)
    small = fill("bench-baseline", "Baseline Trust", 1, args.years, today)
    setup_seconds = time.perf_counter() - started
    user = User.objects.create_user("bench-viewer", "bench@example.org", "x")
    for organisation in (big, small):
        Membership.objects.create(user=user, organisation=organisation, role="viewer")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    def operations(organisation: Any) -> dict[str, Callable[[], object]]:
        on = local_today(organisation)
        pages = {
            "index page": reverse("compliance", kwargs={"org": organisation.slug}),
            "framework page": reverse(
                "compliance-framework", kwargs={"org": organisation.slug, "framework": "iso-22301-2019"}
            ),
        }

        def get(url: str) -> Callable[[], object]:
            def fetch() -> object:
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"GET {url} answered {response.status_code}")
                return response

            return fetch

        return {"statuses": lambda: services.assess_all(organisation, on), **{k: get(v) for k, v in pages.items()}}

    results = measure({"full": operations(big), "baseline": operations(small)}, args.repeat)
    figures: dict[str, Any] = {
        "plans": args.plans,
        "years": args.years,
        "incidents": INCIDENTS_PER_YEAR * args.years,
        **seeded(big),
        "setup_seconds": round(setup_seconds, 2),
        "operations": {},
    }
    for name in results["full"]:
        full, base = results["full"][name], results["baseline"][name]
        full_ms = statistics.median(full["runs"]) * 1000
        base_ms = statistics.median(base["runs"]) * 1000
        figures["operations"][name] = {
            "median_ms": round(full_ms, 1),
            "max_ms": round(max(full["runs"]) * 1000, 1),
            "queries": full["queries"],
            "baseline_ms": round(base_ms, 1),
            "baseline_queries": base["queries"],
            "ratio": round(full_ms / base_ms, 2) if base_ms else None,
        }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(
        f"compliance view: {args.plans} plans, {args.years} years of records "
        f"({figures['incidents']} incidents, reviews, prints, issues), set-up {setup_seconds:.1f} s"
    )
    print(
        f"with {figures['suppliers']} suppliers named in the plans ({figures['assured']} with assurance on file), "
        f"{figures['tickets']} supplier tickets and {figures['exercises']} exercises run as incidents"
    )
    print("baseline: one plan with the same records, same code, same process")
    print(f"{'operation':<16}{'median':>10}{'max':>10}{'queries':>9}{'baseline':>10}{'b.queries':>10}{'ratio':>8}")
    for name, f in figures["operations"].items():
        print(
            f"{name:<16}{f['median_ms']:>8.1f}ms{f['max_ms']:>8.1f}ms{f['queries']:>9}"
            f"{f['baseline_ms']:>8.1f}ms{f['baseline_queries']:>10}{f['ratio']:>7.2f}x"
        )
    statuses = figures["operations"]["statuses"]
    if statuses["queries"] != statuses["baseline_queries"]:
        print(
            f"N+1: statuses issue {statuses['queries']} queries for {args.plans} plans, {statuses['baseline_queries']} for one"
        )
    else:
        print("N+1: none (the statuses take as many queries for every size)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--plans", type=int, default=200, help="plans in the organisation (default 200)")
    parser.add_argument("--years", type=int, default=5, help="years of records (default 5)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each operation (default 5)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name in ("plans", "years", "repeat"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    folder = Path(tempfile.mkdtemp(prefix="contingency-bench-"))
    try:
        return run(args, f"sqlite:///{folder / 'bench.sqlite3'}", str(folder / "data"))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
