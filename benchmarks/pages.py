"""Benchmark: the pages 200 responders open during an incident, through the real server.

Sets up a throw-away database with the demo plans, one PACS outage reported and invoked, a second
organisation holding --plans plans (copies of the demo PACS plan) for the dashboard, and --users
signed-in users (a session each). Starts `contingency serve --processes N` on it, and a static server
on the same server software (waitress, N processes, shared socket: contingency.cli.serving) that
answers with the same page bytes, fixed in memory - the ceiling for that page on this machine. Then
drives both with benchmarks/loadgen.py (asyncio, a process of its own, a connection per user) and
prints, for each, requests a second, p50/p95/max latency, the share of users served, and the ratio
to the static baseline:

  what do I do      every user loads the "it's broken - what do I do?" page, back to back
  live page         every user loads the live incident page, back to back
  polls, no change  every user has the live page open: it polls every --poll-interval seconds with
                    the ETag it holds; the server's CPU is measured too
  polls, changing   the same while the incident changes every --change-every seconds (a task done,
                    through the services)
  opening at once   every user opens the live page once, on a new connection, within one second

and, in this process (Django's test client, no server): the dashboard of the organisation with
--plans plans (the first request after a restart, and then warm) against the dashboard of the
demo organisation (2 plans); reporting and invoking an incident, against the 100 ms target.

    .venv/bin/python benchmarks/pages.py [--processes 2] [--users 200] [--duration 20] [--plans 200]
        [--poll-interval 15] [--change-every 5] [--repeat 5] [--database-url URL] [--json]

With --database-url the database must not exist (it is created and dropped); without it, a fresh
database on the PostgreSQL server DATABASE_URL names, if it names one, else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.incidents import prepare_database, setup_django  # noqa: E402

HOME = "northwick-general"
BENCH_ORG = ("bench-trust", "Benchmark Trust")
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
NOW_PATH = f"/o/{HOME}/plans/pacs-bcdr/functions/image-reporting/now/"
LOADGEN = ROOT / "benchmarks" / "loadgen.py"


# --- the static baseline ----------------------------------------------------------------


def serve_static(path: str, port: int, processes: int, etag: str) -> None:
    """The baseline server: the same bytes for every GET (304 for a matching If-None-Match)."""
    from contingency.cli.serving import ServerOptions, Supervisor

    body = Path(path).read_bytes()
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    if etag:
        headers.append(("ETag", etag))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if etag and environ.get("HTTP_IF_NONE_MATCH") == etag:
            start_response("304 Not Modified", [("ETag", etag)])
            return [b""]
        start_response("200 OK", headers)
        return [body]

    options = ServerOptions("127.0.0.1", port, threads=8, connection_limit=1000, backlog=2048)
    sys.exit(Supervisor(app, options, processes, None, before_fork=lambda: None, warm=False).run())


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A server in a process group of its own, its output in a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
        for _ in range(3000):  # up to five minutes: start-up is checks, imports and building the read models
            if self.process.poll() is not None:
                sys.exit(f"the {self.name} server stopped at start-up:\n{self.log.read_text()[-3000:]}")
            if len(self.pids()) >= self.processes and self.warmed() and _answers(self.port):
                return
            time.sleep(0.1)
        sys.exit(f"the {self.name} server did not start:\n{self.log.read_text()[-3000:]}")

    @property
    def processes(self) -> int:
        return int(self.command[self.command.index("--processes") + 1])

    def warmed(self) -> bool:
        """Whether every web process has built its plans' read models (the static server builds none)."""
        if self.name == "static":
            return True
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return len(re.findall(r"read models of \d+ plan\(s\) built", text)) >= self.processes

    def pids(self) -> list[int]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [int(p) for p in re.findall(r"\(pid (\d+)\) serving", text)]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server's web processes."""
        total = 0.0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=2) as response:
            return bool(response.status < 500)
    except OSError:
        return False


def load(config: dict[str, Any]) -> dict[str, Any]:
    """Run the load generator in a process of its own; its JSON result."""
    done = subprocess.run(
        [sys.executable, str(LOADGEN)], input=json.dumps(config), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"the load generator failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def fetch(port: int, path: str, cookie: str) -> tuple[bytes, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read(), response.headers.get("ETag", "")


# --- set-up -------------------------------------------------------------------------------


@dataclass
class World:
    incident: Any
    cookies: list[str]
    live_path: str
    poll_path: str
    dashboard_path: str
    setup_seconds: float


def build_world(users: int, plans: int) -> World:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    from benchmarks.database import migrate
    from contingency import demo
    from contingency.core.models import Membership, Organisation, Role
    from contingency.incidents import services
    from contingency.plans.editing import plan_data
    from contingency.plans.files import collect, load_all
    from contingency.plans.models import Plan
    from contingency.plans.store import import_plans
    from contingency.plans.validate import validate_data

    started = time.monotonic()
    migrate()
    files, problems = collect([str(demo.DEMO_PLANS)])
    loaded, found = load_all(files)
    if problems or found:
        sys.exit(f"the demo plans do not load: {problems or found}")
    demo.load_plans(loaded)
    pacs = Plan.objects.get(organisation__slug=HOME, key="pacs-bcdr")
    reported = services.report(plan=pacs, subject="system:pacs", actor=None, answers=CHECKS, via="benchmark")
    incident = services.invoke(incident=reported, actor=None, via="benchmark")

    data = plan_data(pacs)
    data["organisation"] = {**data["organisation"], "id": BENCH_ORG[0], "name": BENCH_ORG[1]}
    documents = [validate_data({**data, "id": f"plan-{n:03}", "title": f"Plan {n:03}"}) for n in range(plans)]
    import_plans(documents)

    home = Organisation.objects.get(slug=HOME)
    bench = Organisation.objects.get(slug=BENCH_ORG[0])
    cookies = []
    for n in range(users):
        user = User.objects.create_user(f"bench-{n}", f"bench-{n}@example.org", "a long benchmark password 1")
        Membership.objects.create(user=user, organisation=home, role=Role.RESPONDER)
        Membership.objects.create(user=user, organisation=bench, role=Role.VIEWER)
        client = Client()
        client.force_login(user)
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}")
    return World(
        incident,
        cookies,
        f"/o/{HOME}/incidents/{incident.number}/",
        f"/o/{HOME}/incidents/{incident.number}/live/",
        f"/o/{BENCH_ORG[0]}/",
        time.monotonic() - started,
    )


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Line:
    name: str
    app: dict[str, Any]
    static: dict[str, Any] | None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def ratio(self) -> str:
        if not self.static or not self.static["rate"] or self.app["mode"] != "closed":
            return "-"
        return f"{self.app['rate'] / self.static['rate']:.2f}"


def changing(incident: Any, every: float, until: Callable[[], bool]) -> int:
    """Finish one open task of the incident every `every` seconds (through the services) until told."""
    from contingency.incidents import tasks
    from contingency.incidents.models import Task

    changes = 0
    next_at = time.monotonic() + every
    while not until():
        time.sleep(0.05)
        if time.monotonic() < next_at:
            continue
        task = Task.objects.filter(incident=incident, state="open").order_by("position").first()
        if task is not None:
            tasks.finish(task=task, actor=None, done=True, text="benchmark", via="benchmark")
            changes += 1
        next_at += every
    return changes


def in_process(world: World, repeat: int) -> dict[str, Any]:
    """The dashboard (cold and warm), and report and invoke, timed in this process."""
    from django.contrib.auth.models import User
    from django.test import Client

    from contingency.incidents import services
    from contingency.plans import readmodel
    from contingency.plans.models import Plan
    from contingency.web.overview import urls as overview

    client = Client(HTTP_HOST="localhost")
    client.force_login(User.objects.get(username="bench-0"))

    def timed(call: Callable[[], Any]) -> float:
        start = time.perf_counter()
        call()
        return time.perf_counter() - start

    readmodel.forget()
    overview.DASHBOARD_FRAGMENTS.clear()
    cold = timed(lambda: client.get(world.dashboard_path))
    warm = [timed(lambda: client.get(world.dashboard_path)) for _ in range(repeat)]
    client.get(f"/o/{HOME}/")
    small = [timed(lambda: client.get(f"/o/{HOME}/")) for _ in range(repeat)]
    pacs = Plan.objects.get(organisation__slug=HOME, key="pacs-bcdr")
    reports, invokes = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        made = services.report(plan=pacs, subject="system:pacs", actor=None, answers=CHECKS, via="benchmark")
        reports.append(time.perf_counter() - start)
        invokes.append(timed(lambda made=made: services.invoke(incident=made, actor=None, via="benchmark")))
    return {
        "dashboard_cold_ms": round(cold * 1000, 1),
        "dashboard_ms": round(statistics.median(warm) * 1000, 1),
        "dashboard_small_ms": round(statistics.median(small) * 1000, 1),
        "report_ms": round(statistics.median(reports) * 1000, 1),
        "invoke_ms": round(statistics.median(invokes) * 1000, 1),
    }


def polls(
    app: Server, world: World, common: dict[str, Any], args: argparse.Namespace, name: str, every: float | None
) -> Line:
    """Every user's live page polling with its ETag; the incident changed every `every` seconds (or never)."""
    config = {
        **common,
        "mode": "poll",
        "duration": args.poll_duration,
        "interval": args.poll_interval,
        "paths": [world.poll_path],
    }
    cpu_before, wall = app.cpu_seconds(), time.monotonic()
    generator = subprocess.Popen(
        [sys.executable, str(LOADGEN)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert generator.stdin is not None and generator.stdout is not None
    generator.stdin.write(json.dumps(config))
    generator.stdin.close()
    done = lambda: generator.poll() is not None  # noqa: E731
    changes = changing(world.incident, every, done) if every else _wait(done)
    polled: dict[str, Any] = json.loads(generator.stdout.read())
    cores = (app.cpu_seconds() - cpu_before) / (time.monotonic() - wall)
    return Line(
        name,
        polled,
        None,
        f"{changes} changes to the incident; 304s: {polled['statuses'].get('304', 0)}; "
        f"the server used {cores:.2f} of a core",
        {"changes": changes, "server_cores": round(cores, 3)},
    )


def _wait(done: Callable[[], bool]) -> int:
    while not done():
        time.sleep(0.05)
    return 0


def run(args: argparse.Namespace, url: str, data_dir: Path) -> int:
    setup_django(url, str(data_dir))
    logging.getLogger("django.request").setLevel(logging.CRITICAL)
    from django.db import connection

    world = build_world(args.users, args.plans)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CONTINGENCY_DATA_DIR": str(data_dir),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    app = Server(
        "contingency",
        [sys.executable, "-m", "contingency.cli", "serve", "--processes", str(args.processes), "--port", str(port)],
        env,
        data_dir / "serve.log",
        port,
    )
    connection.close()  # SQLite: nothing of ours holds the database while the server runs
    app.start()
    lines: list[Line] = []
    try:
        cookie = world.cookies[0]
        pages = {"now": NOW_PATH, "live": world.live_path}
        bodies: dict[str, bytes] = {}
        for name, path in pages.items():
            for _ in range(4 * args.processes):  # every process builds its views once
                bodies[name], _ = fetch(port, path, cookie)
        _, etag = fetch(port, world.poll_path, cookie)
        common = {"port": port, "cookies": world.cookies, "users": args.users}

        def compare(name: str, config: dict[str, Any], body: bytes, static_etag: str = "") -> Line:
            result = load({**common, **config})
            page = data_dir / f"{name}.html"
            page.write_bytes(body)
            static_port = free_port()
            static = Server(
                "static",
                [
                    sys.executable,
                    __file__,
                    "--serve-static",
                    str(page),
                    "--static-etag",
                    static_etag,
                    "--port",
                    str(static_port),
                    "--processes",
                    str(args.processes),
                ],
                env,
                data_dir / f"static-{name}.log",
                static_port,
            )
            static.start()
            try:
                baseline = load({**common, **config, "port": static_port})
            finally:
                static.stop()
            return Line(name, result, baseline)

        lines.append(
            compare("what do I do", {"mode": "closed", "duration": args.duration, "paths": [NOW_PATH]}, bodies["now"])
        )
        lines.append(
            compare(
                "live page", {"mode": "closed", "duration": args.duration, "paths": [world.live_path]}, bodies["live"]
            )
        )

        for name, every in (("polls, no change", None), ("polls, changing", args.change_every)):
            _, etag = fetch(port, world.poll_path, cookie)  # what an open page holds
            lines.append(polls(app, world, {**common, "etag": etag}, args, name, every))
            connection.close()
        opening, _ = fetch(port, world.live_path, cookie)
        lines.append(compare("opening at once", {"mode": "burst", "spread": 1.0, "paths": [world.live_path]}, opening))
    finally:
        app.stop()
    timings = in_process(world, args.repeat)
    report(args, url, world, lines, timings)
    return 0


def report(args: argparse.Namespace, url: str, world: World, lines: list[Line], timings: dict[str, Any]) -> None:
    engine = urlsplit(url).scheme.replace("postgresql", "postgres")
    if args.json:
        print(
            json.dumps(
                {
                    "database": engine,
                    "processes": args.processes,
                    "users": args.users,
                    "plans": args.plans,
                    "setup_seconds": round(world.setup_seconds, 1),
                    "lines": [{"name": x.name, "app": x.app, "static": x.static, **x.extra} for x in lines],
                    "in_process": timings,
                },
                indent=2,
            )
        )
        return
    print(
        f"{args.users} signed-in users, {args.processes} web processes (contingency serve), {engine}, "
        f"{os.cpu_count()} cores; set-up {world.setup_seconds:.0f} s"
    )
    print("static: the same bytes from waitress on the same processes and socket, measured in the same run")
    print()
    print(
        f"{'':16} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'served':>9} {'static req/s':>13} {'ratio':>6}  generator"
    )
    for line in lines:
        a, s = line.app, line.static
        print(
            f"{line.name:16} {a['rate']:8.1f} {a['p50_ms']:8.1f} {a['p95_ms']:8.1f} {a['max_ms']:8.1f} "
            f"{a['users_served']:>4}/{a['users']:<4} {(s['rate'] if s else 0):13.1f} {line.ratio():>6}  "
            f"{a['generator_cpu']:.2f} of a core"
            + (f"; static p95 {s['p95_ms']:.1f} ms, max {s['max_ms']:.1f} ms" if s else "")
        )
        if line.note:
            print(f"{'':16} {line.note}")
        bad = {k: v for k, v in a["statuses"].items() if not k.startswith(("2", "304", "_"))}
        if bad or a["failures"]:
            print(f"{'':16} NOT OK: answers {bad}, {a['failures']} failed connections")
    print()
    print(
        f"dashboard, {args.plans} plans (in process): {timings['dashboard_ms']:.1f} ms warm, "
        f"{timings['dashboard_cold_ms']:.1f} ms the first time; 2 plans: {timings['dashboard_small_ms']:.1f} ms "
        f"(ratio {timings['dashboard_ms'] / timings['dashboard_small_ms']:.2f}x; target < 200 ms)"
    )
    print(
        f"report: {timings['report_ms']:.1f} ms, invoke: {timings['invoke_ms']:.1f} ms "
        f"(in process, median of {args.repeat}; target < 100 ms each)"
    )


def _server_of(url: str) -> str | None:
    """With DATABASE_URL on a PostgreSQL server, a fresh database there (never the one it names)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlunsplit(urlsplit(url)._replace(path=f"/contingency_bench_pages_{os.getpid()}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--processes", type=int, default=2, help="web processes (default 2)")
    parser.add_argument("--users", type=int, default=200, help="signed-in users at once (default 200)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of each back-to-back run (20)")
    parser.add_argument("--plans", type=int, default=200, help="plans on the measured dashboard (200)")
    parser.add_argument("--poll-interval", type=float, default=15.0, help="seconds between a page's polls (15)")
    parser.add_argument("--poll-duration", type=float, help="seconds of each polling run (default 3 intervals)")
    parser.add_argument("--change-every", type=float, default=5.0, help="seconds between changes while polling (5)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each in-process timing (5)")
    parser.add_argument("--database-url", help="a database that does not exist yet; created and dropped")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve-static", help=argparse.SUPPRESS)
    parser.add_argument("--static-etag", default="", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_static:
        serve_static(args.serve_static, args.port, args.processes, args.static_etag)
        return 0
    for name, least in (("processes", 1), ("users", 1), ("plans", 1), ("repeat", 1)):
        if getattr(args, name) < least:
            parser.error(f"--{name.replace('_', '-')} must be at least {least}")
    if args.duration <= 0 or args.poll_interval <= 0 or args.change_every <= 0:
        parser.error("--duration, --poll-interval and --change-every must be positive")
    args.poll_duration = args.poll_duration or 3 * args.poll_interval
    database = prepare_database(args.database_url or _server_of(os.environ.get("DATABASE_URL", "")))
    data_dir = Path(tempfile.mkdtemp(prefix="contingency-bench-pages-"))
    try:
        return run(args, database.url, data_dir)
    finally:
        database.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
