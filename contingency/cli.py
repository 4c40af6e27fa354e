"""The `contingency` command line: everything an operator scripts.

Exit codes: 0 success; 1 lint found errors; 2 bad input (invalid plan, bad argument, missing
file) with nothing written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click

from . import __version__

EXIT_LINT_ERRORS = 1
EXIT_INVALID = 2
DEFAULT_POLL = 5.0  # seconds between a worker's looks for due actions


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()


def _error(field: str, message: str) -> NoReturn:
    """Bad input to a command: `error: <field>: <message>` on standard error, exit 2, nothing written."""
    click.echo(f"error: {field}: {message}", err=True)
    sys.exit(EXIT_INVALID)


def _fail(problems: Sequence[Any]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s); nothing was written.", err=True)
    sys.exit(EXIT_INVALID)


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    """A progress bar on a terminal when there are many files; silent in scripts and CI."""
    from rich.progress import Progress

    with Progress(transient=True, disable=total < 5 or not sys.stderr.isatty()) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def _load(paths: tuple[str, ...]) -> list[Any]:
    from .plans.files import collect, duplicates, load_file
    from .plans.problems import PlanInvalid

    files, problems = collect(paths)
    loaded = []
    with _progress(len(files), "Reading plans") as advance:
        for path in files:
            try:
                loaded.append(load_file(path))
            except PlanInvalid as exc:
                problems.extend(exc.problems)
            advance()
    problems.extend(duplicates(loaded))
    if problems:
        _fail(problems)
    return loaded


@click.group()
@click.version_option(__version__, package_name="contingency")
def main() -> None:
    """Contingency: business continuity and disaster recovery plans that run."""


@main.group()
def plan() -> None:
    """Plans as code: validate, import, export and lint plan YAML files."""


paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path())


@plan.command()
@paths_argument
def validate(paths: tuple[str, ...]) -> None:
    """Check plan files (or directories of them) against the format; write nothing."""
    loaded = _load(paths)
    click.echo(f"{len(loaded)} plan(s) valid.")


@plan.command(name="import")
@paths_argument
@click.option("--issued", is_flag=True, help="Record each plan as issued at the issue its file states.")
def import_(paths: tuple[str, ...], issued: bool) -> None:
    """Import plan files into the database, all or nothing, in one transaction; every change is audited."""
    loaded = _load(paths)
    _django()
    from django.db import transaction

    from .plans.compare import part_changes
    from .plans.editing import audit_changes, plan_data, reopen_as_draft
    from .plans.models import Plan
    from .plans.problems import PlanInvalid
    from .plans.store import import_plans
    from .plans.workflow import mark_issued
    from .plans.yamlform import document_to_data

    _require_migrated()
    via = "command line"
    try:
        with transaction.atomic():
            before = []
            for item in loaded:
                existing = Plan.objects.filter(organisation__slug=item.plan.organisation.id, key=item.plan.id).first()
                before.append(plan_data(existing) if existing else {})
            plans = import_plans([item.plan for item in loaded], sources=[item.file for item in loaded])
            for item, stored, old in zip(loaded, plans, before, strict=True):
                changes = part_changes(old, document_to_data(item.plan))
                audit_changes(stored, changes, actor=None, via=via)
                if issued:
                    mark_issued(stored, actor=None, via=via)
                elif changes:
                    reopen_as_draft(stored, actor=None, via=via)
    except PlanInvalid as exc:
        _fail(exc.problems)
    for item, stored in zip(loaded, plans, strict=True):
        click.echo(f"imported {item.plan.id} ({item.plan.organisation.id}) from {item.file} as plan #{stored.pk}")
    click.echo(f"{len(plans)} plan(s) imported.")


@plan.command()
@click.argument("destination", type=click.Path())
@click.option("--plan", "plan_ids", multiple=True, help="Plan id to export (default: every plan).")
@click.option("--organisation", help="Organisation id, when plan ids repeat across organisations.")
def export(destination: str, plan_ids: tuple[str, ...], organisation: str | None) -> None:
    """Export plans as YAML: to a directory (one file per plan), a file, or - for standard output."""
    _django()
    from .plans.models import Plan
    from .plans.store import export_plan
    from .plans.yamlform import to_yaml

    _require_migrated()
    query = Plan.objects.select_related("organisation").order_by("organisation__slug", "key")
    if organisation:
        query = query.filter(organisation__slug=organisation)
    if plan_ids:
        query = query.filter(key__in=plan_ids)
    plans = list(query)
    missing = sorted(set(plan_ids) - {p.key for p in plans})
    if missing:
        _fail([f"{destination}: no plan with id {m!r}" for m in missing])
    if not plans:
        _fail([f"{destination}: there are no plans to export"])
    target = Path(destination)
    if destination != "-" and not target.is_dir() and len(plans) > 1:
        _fail([f"{destination}: {len(plans)} plans to export: name a directory, or choose one with --plan"])
    with _progress(len(plans), "Exporting plans") as advance:
        for stored in plans:
            text = to_yaml(export_plan(stored))
            if destination == "-":
                click.echo(text, nl=False)
            else:
                out = target / f"{stored.key}.yaml" if target.is_dir() else target
                out.write_text(text, encoding="utf-8")
                click.echo(f"exported {stored.key} to {out}", err=True)
            advance()


@plan.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Lint as of this date (YYYY-MM-DD).")
@click.option("--max-responsibilities", type=click.IntRange(min=1), default=5, show_default=True)
def lint(paths: tuple[str, ...], fmt: str, output: str | None, today: Any, max_responsibilities: int) -> None:
    """Find the defects real plans contain; exit 1 when any finding is an error."""
    from .plans.lint import Options, Severity
    from .plans.lint import lint as run_lint
    from .plans.lint.report import locate, render_json, render_sarif, render_text

    loaded = _load(paths)
    options = Options(today=today.date() if today else date.today(), max_responsibilities=max_responsibilities)
    results = []
    for item in loaded:
        findings = run_lint(item.plan, options)
        results += locate(findings, file=item.file, plan=item.plan.id, positions=item.positions)
    if fmt == "json":
        report = render_json(results)
    elif fmt == "sarif":
        report = render_sarif(results, version=__version__)
    else:
        report = render_text(results)
    if output:
        Path(output).write_text(report, encoding="utf-8")
    else:
        click.echo(report, nl=False)
    if any(r.finding.severity is Severity.ERROR for r in results):
        sys.exit(EXIT_LINT_ERRORS)


@plan.command()
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the plan format."""
    from .plans.schema import plan_json_schema_text

    text = plan_json_schema_text()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@plan.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the lint rules."""
    from .plans.lint.report import render_rules

    click.echo(render_rules(fmt), nl=False)


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        _fail(["the database is not set up or needs migrating: run `contingency migrate` first"])


@main.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@main.command()
def demo() -> None:
    """Set up the database with the demo plans and one demo user for each role."""
    _django()
    from django.core.management import call_command

    from . import demo as demo_data
    from .plans.files import collect, load_all

    call_command("migrate", interactive=False, verbosity=0)
    files, problems = collect([str(demo_data.DEMO_PLANS)])
    loaded, found = load_all(files)
    if problems or found:
        _fail([*problems, *found])
    plans = demo_data.load_plans(loaded)
    users = demo_data.create_users()
    click.echo(f"Demo data loaded: {len(plans)} plan(s).")
    click.echo(f"Demo users (password {demo_data.DEMO_PASSWORD!r} for each):")
    for user in users:
        where = "every organisation" if user.organisation == "*" else user.organisation
        roles = ", ".join(role.label for role in user.roles)
        click.echo(f"  {user.username:<18} {roles} of {where}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--no-worker", is_flag=True, help="Do not fire trigger points here (a `contingency worker` runs).")
def serve(host: str, port: int, threads: int, no_worker: bool) -> None:
    """Run the web application and the worker (one process; a laptop needs nothing else)."""
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from waitress import serve as waitress_serve

    from .incidents import worker
    from .wsgi import application

    try:
        call_command("check", "--database", "default")
    except SystemCheckError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    _require_migrated()
    click.echo(f"Contingency {__version__} on http://{host}:{port}/ (Ctrl+C to stop)")
    running = None
    if no_worker:
        click.echo("No worker in this process: run `contingency worker` to fire trigger points on time.")
    else:
        running = worker.start_thread(DEFAULT_POLL)
        click.echo(f"The worker runs in-process, firing trigger points every {DEFAULT_POLL:g}s.")
    try:
        waitress_serve(application, host=host, port=port, threads=threads, ident="contingency")
    finally:
        if running is not None:
            thread, stop = running
            stop.set()
            thread.join(timeout=30)


@main.command(name="worker")
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 3600),
    default=DEFAULT_POLL,
    show_default=True,
    help="Seconds between looks for due actions.",
)
@click.option("--once", is_flag=True, help="Fire what is due now, print how many, and exit.")
@click.option("--name", help="This worker's name in the record of who fired what (default host:pid:thread).")
def worker_command(poll: float, once: bool, name: str | None) -> None:
    """Fire trigger points, duration rules and in-hours changes when due, until SIGTERM or Ctrl+C.

    Run as many as you like on PostgreSQL: each action is fired exactly once, by one of them.
    On SIGTERM or SIGINT the action being fired finishes and commits, then the worker exits 0.
    """
    if name is not None and not name.strip():
        _error("--name", "must not be empty")
    if name is not None and len(name) > 64:
        _error("--name", "at most 64 characters")
    _django()
    import signal
    import threading

    from .incidents import worker

    _require_migrated()
    label = name.strip() if name else worker.worker_name()
    if once:
        fired = worker.run_until_idle(worker=label)
        click.echo(f"fired {fired} action(s)")
        return
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker.loop(stop, poll=poll, worker=label)


@main.group()
def incident() -> None:
    """Live incidents: list, show, report, invoke, restore and stand down (times in the organisation's zone)."""


org_option = click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
number_argument = click.argument("number", type=click.IntRange(min=1))
WALL_CLOCK = "%Y-%m-%d %H:%M"


def _organisation(slug: str) -> Any:
    _django()
    from .core.models import Organisation

    _require_migrated()
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        _error("--org", f"there is no organisation {slug!r}")
    return found


def _incident(organisation: Any, number: int) -> Any:
    from .incidents.models import Incident

    found = Incident.objects.filter(organisation=organisation, number=number).select_related("organisation").first()
    if found is None:
        _error("NUMBER", f"{organisation.slug} has no incident #{number}")
    return found


def _wall_clock(organisation: Any, text: str | None, field: str) -> Any:
    """An aware datetime from "YYYY-MM-DD HH:MM" on the organisation's wall clock (None when not given)."""
    from datetime import UTC, datetime

    from .lib.calendar import from_organisation

    if text is None:
        return None
    try:
        naive = datetime.strptime(text.strip(), WALL_CLOCK)
    except ValueError:
        _error(field, f"{text!r} is not a time: give YYYY-MM-DD HH:MM on the organisation's clock")
    zone = from_organisation(organisation).zone
    moment = naive.replace(tzinfo=zone)
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != naive:
        _error(field, f"{text} does not exist in {zone.key}: the clocks go forward then")
    return moment


def _service_error(exc: Any, fields: dict[str, str]) -> NoReturn:
    _error(fields.get(exc.field or "", exc.field or "incident"), exc.message)


def _local(organisation: Any, moment: Any) -> str:
    from .lib.calendar import from_organisation

    if moment is None:
        return "-"
    return f"{from_organisation(organisation).local(moment):%a %d %b %Y %H:%M}"


def _left(delta: Any) -> str:
    from .incidents.assess import elapsed_words

    if delta is None:
        return "no MTPD stated"
    return "past MTPD" if delta.total_seconds() <= 0 else f"{elapsed_words(delta)} left"


@incident.command(name="list")
@org_option
@click.option("--all", "show_all", is_flag=True, help="Also list closed incidents (most recent first).")
def incident_list(org_slug: str, show_all: bool) -> None:
    """Open incidents, most urgent first: what to work on now."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from .incidents.models import OPEN_STATES, Incident
    from .incidents.queries import ranked_open

    now = timezone.now()
    ranked = ranked_open(organisation, now)
    if not ranked:
        click.echo(f"No open incidents in {organisation.slug}.")
    for item in ranked:
        inc = item.incident
        upcoming = f"{item.next_due.name} at {_local(organisation, item.next_due.due_at)}" if item.next_due else "-"
        click.echo(f"{item.ranked.rank}. #{inc.number} {inc.title} [{inc.state}]")
        click.echo(
            f"   MTPD: {_left(item.ranked.time_left)}"
            + (f" ({item.ranked.worst_function})" if item.ranked.worst_function else "")
            + f"; open tasks: {item.open_tasks}"
            + (f" ({item.overdue_tasks} overdue)" if item.overdue_tasks else "")
            + f"; next trigger: {upcoming}"
        )
    if show_all:
        closed = Incident.objects.filter(organisation=organisation).exclude(state__in=OPEN_STATES)
        for inc in closed.order_by("-reported_at", "-id"):
            click.echo(f"-  #{inc.number} {inc.title} [{inc.state}] closed {_local(organisation, inc.stood_down_at)}")


@incident.command(name="show")
@org_option
@number_argument
@click.option("--timeline", type=click.IntRange(min=0), default=10, show_default=True, help="Last entries to show.")
def incident_show(org_slug: str, number: int, timeline: int) -> None:
    """One incident: state, functions lost, open tasks, next trigger points and the latest timeline."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from .incidents.models import OPEN_TASK_STATES
    from .incidents.queries import next_due

    inc = _incident(organisation, number)
    now = timezone.now()
    click.echo(f"#{inc.number} {inc.title}")
    click.echo(f"state: {inc.state}" + (f" ({inc.assessment})" if inc.assessment else ""))
    click.echo(f"plan: {inc.plan_title} ({inc.plan_key}, issue {inc.plan_issue})")
    if inc.severity:
        click.echo(
            f"severity: {inc.severity} ({inc.severity_band})" + (f", risk: {inc.risk_title}" if inc.risk_title else "")
        )
    click.echo(f"service lost: {_local(organisation, inc.began_at)}")
    if inc.invoked_at:
        click.echo(f"invoked: {_local(organisation, inc.invoked_at)} by {inc.invoked_by_name}")
    if inc.restored_at:
        click.echo(f"restored: {_local(organisation, inc.restored_at)}")
    if inc.stood_down_at:
        click.echo(f"closed: {_local(organisation, inc.stood_down_at)}")
    affected = list(inc.affected.all())
    click.echo(f"functions affected: {len(affected)}")
    for fn in affected:
        status = "at risk" if fn.degraded else "lost"
        mtpd = (
            f"MTPD {_local(organisation, fn.mtpd_due_at)} ({_left(fn.mtpd_due_at - now)})"
            if fn.mtpd_due_at
            else "no MTPD"
        )
        click.echo(f"  - {fn.name} [{status}]: RTO {_local(organisation, fn.rto_due_at)}; {mtpd}")
    tasks = list(inc.tasks.filter(state__in=OPEN_TASK_STATES))
    click.echo(f"open tasks: {len(tasks)}")
    for task in tasks:
        who = f" ({task.who_name})" if task.who_name else ""
        due = f", due {_local(organisation, task.due_at)}" if task.due_at else ""
        click.echo(f"  {task.position}. [{task.state}] {task.text}{who}{due}")
    scheduled = next_due(inc)
    click.echo(f"next trigger points: {len(scheduled)}" if scheduled else "next trigger points: none")
    for action in scheduled:
        click.echo(f"  - {_local(organisation, action.due_at)}: {action.name}")
    if timeline:
        entries = list(inc.timeline.order_by("-at", "-id")[:timeline])[::-1]
        click.echo(f"timeline (last {len(entries)}):")
        for entry in entries:
            click.echo(f"  {_local(organisation, entry.at)} [{entry.kind}] {entry.text}")


@incident.command(name="report")
@org_option
@click.option("--plan", "plan_key", required=True, help="The plan's id.")
@click.option("--subject", required=True, help="What failed, as kind:id (system:pacs, function:image-reporting).")
@click.option("--yes", "yes", multiple=True, help="A confirm check that holds (repeat for each).")
@click.option("--no", "no", multiple=True, help="A confirm check that does not hold (repeat for each).")
@click.option("--began", help='When the service was lost, "YYYY-MM-DD HH:MM" on the organisation\'s clock.')
@click.option("--area", default="", help="The site or area a partial failure is confined to.")
@click.option("--title", default="", help="A title (default: '<subject> failure').")
def incident_report(
    org_slug: str,
    plan_key: str,
    subject: str,
    yes: tuple[str, ...],
    no: tuple[str, ...],
    began: str | None,
    area: str,
    title: str,
) -> None:
    """Report a suspected failure, with the answers to the plan's confirm-it-is-down checks."""
    organisation = _organisation(org_slug)
    from .incidents import services
    from .plans.models import Plan

    plan = Plan.objects.filter(organisation=organisation, key=plan_key).first()
    if plan is None:
        _error("--plan", f"{organisation.slug} has no plan {plan_key!r}")
    both = sorted(set(yes) & set(no))
    if both:
        _error("--yes/--no", f"check {both[0]!r} is given both as holding and as not holding")
    began_at = _wall_clock(organisation, began, "--began")
    answers = {**dict.fromkeys(yes, True), **dict.fromkeys(no, False)}
    try:
        inc = services.report(
            plan=plan,
            subject=subject,
            actor=None,
            answers=answers,
            began_at=began_at,
            area=area,
            title=title,
            via="command line",
        )
    except services.IncidentError as exc:
        _service_error(exc, {"subject": "--subject", "answers": "--yes/--no", "began_at": "--began"})
    click.echo(f"reported incident #{inc.number}: {inc.title}")
    if inc.assessment:
        click.echo(f"assessment: {inc.get_assessment_display()}")
    if inc.risk_title:
        click.echo(f"proposed response ({inc.risk_title}): {inc.response}")
    unanswered = [a["key"] for a in inc.answers if a["answer"] is None]
    if unanswered:
        click.echo("checks not answered: " + ", ".join(unanswered))
    click.echo(f"invoke with: contingency incident invoke --org {organisation.slug} {inc.number}")


@incident.command(name="invoke")
@org_option
@number_argument
@click.option("--risk", help="The risk whose response to follow (default: the one the checks proposed).")
def incident_invoke(org_slug: str, number: int, risk: str | None) -> None:
    """Invoke the plan for a reported incident: tasks for now, every trigger point scheduled."""
    organisation = _organisation(org_slug)
    from .incidents import services
    from .incidents.models import DueState

    inc = _incident(organisation, number)
    try:
        inc = services.invoke(incident=inc, actor=None, risk=risk, via="command line")
    except services.IncidentError as exc:
        _service_error(exc, {"risk": "--risk"})
    pending = inc.due_actions.filter(state=DueState.PENDING).exclude(kind="routing").count()
    click.echo(f"invoked incident #{inc.number}: {inc.title}" + (f", severity {inc.severity}" if inc.severity else ""))
    click.echo(f"{inc.tasks.count()} task(s); {pending} trigger point(s) and duration rule(s) scheduled")


@incident.command(name="restore")
@org_option
@number_argument
@click.option(
    "--at", "at", help='When service came back, "YYYY-MM-DD HH:MM" on the organisation\'s clock (default now).'
)
def incident_restore(org_slug: str, number: int, at: str | None) -> None:
    """Record that service is back: restoration steps become tasks, timed escalations stop."""
    organisation = _organisation(org_slug)
    from .incidents import services

    inc = _incident(organisation, number)
    restored_at = _wall_clock(organisation, at, "--at")
    try:
        inc = services.restore(incident=inc, actor=None, restored_at=restored_at, via="command line")
    except services.IncidentError as exc:
        _service_error(exc, {"restored_at": "--at"})
    click.echo(f"restored incident #{inc.number} at {_local(organisation, inc.restored_at)}")


@incident.command(name="stand-down")
@org_option
@number_argument
@click.option("--reason", default="", help="Why, for the timeline.")
def incident_stand_down(org_slug: str, number: int, reason: str) -> None:
    """End an incident: nothing further is scheduled."""
    organisation = _organisation(org_slug)
    from .incidents import services

    inc = _incident(organisation, number)
    try:
        inc = services.stand_down(incident=inc, actor=None, reason=reason, via="command line")
    except services.IncidentError as exc:
        _service_error(exc, {"reason": "--reason"})
    click.echo(f"stood down incident #{inc.number}")


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (createsuperuser, check, shell, ...)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["contingency manage", *args])


if __name__ == "__main__":
    main()
