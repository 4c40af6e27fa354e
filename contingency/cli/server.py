"""Running the product: migrate, demo, serve, worker and Django's own management commands."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import click

from .. import __version__
from .common import EXIT_INVALID, _django, _error, _fail, _require_migrated

DEFAULT_POLL = 5.0  # seconds between a worker's looks for due actions


@click.command()
def migrate() -> None:
    """Create or update the database tables."""
    _django()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)


@click.command()
def demo() -> None:
    """Set up the database with the demo plans and one demo user for each role."""
    _django()
    from django.core.management import call_command

    from .. import demo as demo_data
    from ..plans.files import collect, load_all

    call_command("migrate", interactive=False, verbosity=0)
    files, problems = collect([str(demo_data.DEMO_PLANS)])
    loaded, found = load_all(files)
    if problems or found:
        _fail([*problems, *found])
    plans = demo_data.load_plans(loaded)
    demo_data.seed_register()
    users = demo_data.create_users()
    from ..downtime import demo as downtime_demo

    outage = downtime_demo.load()
    from ..notify import demo as live_demo

    live = live_demo.load()
    from ..compliance import demo as compliance_demo

    compliance_demo.load()
    from ..commissioning import demo as commissioning_demo

    commissioning_demo.load()
    from ..suppliers import demo as suppliers_demo

    suppliers_demo.load()
    from ..exercises import demo as exercise_demo

    exercised = exercise_demo.load()
    click.echo(f"Demo data loaded: {len(plans)} plan(s).")
    if outage is not None:
        click.echo(
            f"Demo incident #{outage.number}: {outage.title}, with {outage.downtime_records.count()} downtime records."
        )
    if live is not None:
        click.echo(f"Demo incident #{live.number}: {live.title}, invoked {live_demo.SINCE.seconds // 3600} hours ago.")
    if exercised is not None:
        click.echo(f"Demo exercise {exercised.number}: {exercised.get_kind_display()}, finished.")
    click.echo(f"Demo users (password {demo_data.DEMO_PASSWORD!r} for each):")
    for user in users:
        where = "every organisation" if user.organisation == "*" else user.organisation
        roles = ", ".join(role.label for role in user.roles)
        click.echo(f"  {user.username:<18} {roles} of {where}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Web processes sharing the port; one per core suits a server (the worker runs in the first).",
)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per process.")
@click.option(
    "--connection-limit",
    type=click.IntRange(1, 100_000),
    default=1000,
    show_default=True,
    help="Open connections each process keeps (more wait in the queue); above the crowd of an incident.",
)
@click.option("--no-worker", is_flag=True, help="Do not fire trigger points here (a `contingency worker` runs).")
def serve(host: str, port: int, processes: int, threads: int, connection_limit: int, no_worker: bool) -> None:
    """Run the web application and the worker (one process by default: a laptop needs nothing else)."""
    # Links in messages and pages follow the port served, unless the site's address is set.
    if not os.environ.get("CONTINGENCY_BASE_URL", "").strip():
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        os.environ["CONTINGENCY_BASE_URL"] = f"http://{shown}:{port}"
    _django()
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError
    from django.db import connections

    from ..wsgi import application
    from .serving import ServerOptions, Supervisor, serve_one

    try:
        call_command("check", "--database", "default")
    except SystemCheckError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    _require_migrated()
    _require_channels()
    options = ServerOptions(host, port, threads, connection_limit, backlog=max(2048, connection_limit))
    where = f"{processes} processes" if processes > 1 else "one process"
    click.echo(f"Contingency {__version__} on http://{host}:{port}/ ({where}; Ctrl+C to stop)")
    if no_worker:
        click.echo("No worker in this process: run `contingency worker` to fire trigger points and send messages.")
    else:
        first = " (in web process 1)" if processes > 1 else ""
        click.echo(
            f"The worker runs in-process{first}: trigger points every {DEFAULT_POLL:g}s, notifications as they come, "
            "the status page published within seconds of a change, grab packs of newly issued plans, silent probes noticed."
        )
    background = None if no_worker else _background
    if processes == 1:
        serve_one(application, options, background)
        return
    supervisor = Supervisor(application, options, processes, background, before_fork=connections.close_all)
    sys.exit(supervisor.run())


def _background() -> Callable[[], None]:
    """Start the worker's threads (trigger points, delivery, status page publishing, grab packs); returns how
    to stop them."""
    from ..incidents import worker
    from ..monitor import worker as probes_sweep
    from ..notify import delivery
    from ..packs import jobs as packs
    from ..status.publishing import worker as publisher
    from ..suppliers import escalation as supplier_clocks

    running = [
        worker.start_thread(DEFAULT_POLL),
        delivery.start_thread(worker=f"{worker.worker_name()}:delivery"),
        publisher.start_thread(worker=f"{worker.worker_name()}:publish"),
        packs.start_thread(poll=DEFAULT_POLL, worker=f"{worker.worker_name()}:packs"),
        probes_sweep.start_thread(DEFAULT_POLL, worker=f"{worker.worker_name()}:probes"),
        supplier_clocks.start_thread(DEFAULT_POLL, worker=f"{worker.worker_name()}:suppliers"),
    ]

    def stop() -> None:
        for _, event in running:
            event.set()
        for thread, _ in running:
            thread.join(timeout=30)

    return stop


@click.command(name="worker")
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 3600),
    default=DEFAULT_POLL,
    show_default=True,
    help="Seconds between looks for due actions and messages.",
)
@click.option(
    "--once",
    is_flag=True,
    help="Fire and send what is due now, print how many, and exit (1 when an action failed: it is tried later).",
)
@click.option("--name", help="This worker's name in the record of who fired what (default host:pid:thread).")
@click.option(
    "--only",
    type=click.Choice(["triggers", "delivery", "publish", "packs", "probes"]),
    help="Run one part: timed actions (trigger points...), the delivery of notifications, publishing the "
    "status page, building grab packs, or the probes' sweep.",
)
@click.option(
    "--send-threads",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Messages in flight at once (providers that answer slowly need more to reach their rate limit).",
)
def worker_command(poll: float, once: bool, name: str | None, only: str | None, send_threads: int) -> None:
    """Fire trigger points, duration rules and in-hours changes when due, deliver notifications, publish
    the status page and build the grab packs of newly issued plans, until SIGTERM or Ctrl+C.

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
    from ..incidents import worker
    from ..monitor import worker as probes_sweep
    from ..notify import delivery
    from ..packs import jobs as packs
    from ..status.publishing import worker as publisher
    from ..suppliers import escalation as supplier_clocks

    _require_migrated()
    _require_channels()
    _require_targets()
    label = name.strip() if name else worker.worker_name()
    if once:
        failed: list[Any] = []

        def failing(row: Any, exc: Exception) -> None:
            worker.log_failure(row, exc)
            failed.append(row)

        fired = worker.run_until_idle(worker=label, on_error=failing) if only in (None, "triggers") else 0
        # Breached supplier clocks are timed actions too: escalated with the trigger points.
        fired += supplier_clocks.run_due(worker=label) if only in (None, "triggers") else 0
        sent, moved = delivery.run_until_idle(worker=label) if only in (None, "delivery") else (0, 0)
        built = packs.run_until_idle(worker=label) if only in (None, "packs") else 0
        published, unpublished = publisher.run_once(worker=label) if only in (None, "publish") else (0, 0)
        swept = probes_sweep.tick(worker=label) if only in (None, "probes") else None
        silent = f", no news from {len(swept.silenced)} probe site(s)" if swept and swept.silenced else ""
        click.echo(
            f"fired {fired} action(s), sent {sent} message(s), moved on {moved} call-out(s), "
            f"built {built} pack(s), published {published} status page(s){silent}"
        )
        if unpublished:
            click.echo(f"{unpublished} status page publish(es) failed and are tried again later", err=True)
        if failed:
            click.echo(f"{len(failed)} action(s) failed and are tried again later (see the log above)", err=True)
        if failed or unpublished:
            sys.exit(1)
        return
    loops: list[threading.Thread] = []
    if only in (None, "triggers"):
        kwargs = {"poll": poll, "worker": label}
        loops.append(threading.Thread(target=worker.loop, args=(stop,), kwargs=kwargs, name="triggers"))
        loops.append(threading.Thread(target=supplier_clocks.loop, args=(stop,), kwargs=kwargs, name="suppliers"))
    if only in (None, "packs"):
        kwargs = {"poll": poll, "worker": label}
        loops.append(threading.Thread(target=packs.loop, args=(stop,), kwargs=kwargs, name="packs"))
    if only in (None, "delivery"):
        kwargs = {"poll": min(poll, 1.0), "worker": label, "threads": send_threads}
        loops.append(threading.Thread(target=delivery.loop, args=(stop,), kwargs=kwargs, name="delivery"))
    if only in (None, "publish"):
        kwargs = {"poll": min(poll, 2.0), "worker": label}
        loops.append(threading.Thread(target=publisher.loop, args=(stop,), kwargs=kwargs, name="publish"))
    if only in (None, "probes"):
        kwargs = {"poll": max(poll, 1.0), "worker": label}  # the sweep is due every 15 s at most
        loops.append(threading.Thread(target=probes_sweep.loop, args=(stop,), kwargs=kwargs, name="probes"))
    for thread in loops:
        thread.start()
    # The main thread only waits, so that it is the one to receive the signals.
    while any(thread.is_alive() for thread in loops):
        for thread in loops:
            thread.join(timeout=0.2)
        if not stop.is_set() and not all(thread.is_alive() for thread in loops):
            stop.set()  # one loop ended by itself: stop the others and exit non-zero
            for thread in loops:
                thread.join()
            sys.exit(1)


def _require_channels() -> None:
    """Refuse to start with a channel configured wrongly: better now than at 02:00 during an outage."""
    from ..notify.channels.registry import ChannelConfigError, from_settings

    try:
        from_settings()
    except ChannelConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_INVALID)


def _require_targets() -> None:
    """Refuse to start with a status page publishing target configured wrongly (as for the channels)."""
    from ..status.publishing.targets import TargetConfigError, load

    try:
        load(os.environ)
    except TargetConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(EXIT_INVALID)


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (createsuperuser, check, shell, ...)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["contingency manage", *args])
