"""The `contingency` command line: everything an operator scripts.

Exit codes: 0 success; 1 lint found errors; 2 bad input (invalid plan, bad argument, missing
file) with nothing written.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cli_common import EXIT_INVALID, EXIT_LINT_ERRORS, _django, _error, _fail, _require_migrated

DEFAULT_POLL = 5.0  # seconds between a worker's looks for due actions


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
    from .notify import delivery
    from .wsgi import application

    try:
        call_command("check", "--database", "default")
    except SystemCheckError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    _require_migrated()
    _require_channels()
    click.echo(f"Contingency {__version__} on http://{host}:{port}/ (Ctrl+C to stop)")
    running = []
    if no_worker:
        click.echo("No worker in this process: run `contingency worker` to fire trigger points and send messages.")
    else:
        running.append(worker.start_thread(DEFAULT_POLL))
        running.append(delivery.start_thread(worker=f"{worker.worker_name()}:delivery"))
        click.echo(f"The worker runs in-process: trigger points every {DEFAULT_POLL:g}s, notifications as they come.")
    try:
        waitress_serve(application, host=host, port=port, threads=threads, ident="contingency")
    finally:
        for _, stop in running:
            stop.set()
        for thread, _ in running:
            thread.join(timeout=30)


@main.command(name="worker")
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 3600),
    default=DEFAULT_POLL,
    show_default=True,
    help="Seconds between looks for due actions and messages.",
)
@click.option("--once", is_flag=True, help="Fire and send what is due now, print how many, and exit.")
@click.option("--name", help="This worker's name in the record of who fired what (default host:pid:thread).")
@click.option(
    "--only",
    type=click.Choice(["triggers", "delivery"]),
    help="Run one half: timed actions (trigger points...) or the delivery of notifications.",
)
@click.option(
    "--send-threads",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Messages in flight at once (providers that answer slowly need more to reach their rate limit).",
)
def worker_command(poll: float, once: bool, name: str | None, only: str | None, send_threads: int) -> None:
    """Fire trigger points, duration rules and in-hours changes when due, and deliver notifications,
    until SIGTERM or Ctrl+C.

    Run as many as you like on PostgreSQL: each action is fired exactly once, and each message sent by
    one of them, within each channel's rate limit. On SIGTERM or SIGINT the action being fired and the
    messages being sent finish and are recorded, then the worker exits 0.
    """
    if name is not None and not name.strip():
        _error("--name", "must not be empty")
    if name is not None and len(name) > 64:
        _error("--name", "at most 64 characters")
    import signal
    import threading

    # Installed before Django starts, so a stop requested during start-up is a clean exit too.
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    if not once:
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    _django()
    from .incidents import worker
    from .notify import delivery

    _require_migrated()
    _require_channels()
    label = name.strip() if name else worker.worker_name()
    if once:
        fired = worker.run_until_idle(worker=label) if only != "delivery" else 0
        sent, moved = delivery.run_until_idle(worker=label) if only != "triggers" else (0, 0)
        click.echo(f"fired {fired} action(s), sent {sent} message(s), moved on {moved} call-out(s)")
        return
    loops: list[threading.Thread] = []
    if only != "delivery":
        kwargs = {"poll": poll, "worker": label}
        loops.append(threading.Thread(target=worker.loop, args=(stop,), kwargs=kwargs, name="triggers"))
    if only != "triggers":
        kwargs = {"poll": min(poll, 1.0), "worker": label, "threads": send_threads}
        loops.append(threading.Thread(target=delivery.loop, args=(stop,), kwargs=kwargs, name="delivery"))
    for thread in loops:
        thread.start()
    # The main thread only waits, so that it is the one to receive the signals.
    while any(thread.is_alive() for thread in loops):
        for thread in loops:
            thread.join(timeout=0.2)
        if not stop.is_set() and not all(thread.is_alive() for thread in loops):
            stop.set()  # one half ended by itself: stop the other and exit non-zero
            for thread in loops:
                thread.join()
            sys.exit(1)


def _require_channels() -> None:
    """Refuse to start with a channel configured wrongly: better now than at 02:00 during an outage."""
    from .notify.channels.registry import ChannelConfigError, from_settings

    try:
        from_settings()
    except ChannelConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_INVALID)


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (createsuperuser, check, shell, ...)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["contingency manage", *args])


def _add_groups() -> None:
    from .cli_incidents import incident
    from .cli_notify import notify

    main.add_command(incident)
    main.add_command(notify)


_add_groups()

if __name__ == "__main__":
    main()
