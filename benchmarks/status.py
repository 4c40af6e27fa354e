"""Benchmark: the public status page under 200 concurrent clients, and the time from an update to the
published bundle.

Sets up a throw-away database with the demo plans and Northwick's status page (PACS and image reporting
published, PACS invoked as an outage, the one-button notice posted, a few public updates, maintenance
planned), then measures two things.

1. Serving. `contingency serve` (waitress, --threads, no worker) in a process of its own, and in the same
   run the baseline: a static server on the same server software (waitress, same threads, a process of
   its own) answering every GET with the same bytes and ETag the product served, from memory - the
   ceiling for that page on this machine. A load generator (asyncio, in a process of its own, one
   keep-alive connection per client; written here, as benchmarks/pages.py's is not on main yet) drives
   each server for --duration seconds with --clients clients, in two modes:

     full          every request a plain GET: 200 and the whole page
     conditional   every request carries the ETag it was given: 304, no body (a reader's browser
                   or a cache checking back)

   and prints requests a second, p50/p95/max latency, the statuses seen, and the ratio to the static
   server. The goal: at least 2,000 requests a second for conditional requests, answered 304.

2. Publishing. `contingency worker --only publish` in a process of its own, publishing to a directory,
   to moto's S3 server (on 127.0.0.1, in this process) and to a bare git repository. --updates times, a
   public update is posted through the services and the clock runs until its words are in the bundle
   at every target (the files polled every 10 ms). Prints the median and slowest time to each target
   against the goal (< 60 s), and the baseline: the same bundle rendered and pushed to the same targets
   directly in this process, one after the other, with no queue and no worker.

    .venv/bin/python benchmarks/status.py [--clients 200] [--duration 10] [--threads 8] [--updates 5]
        [--poll 2] [--database-url postgres://postgres@127.0.0.1:5432/contingency_bench] [--json]

The database: --database-url, which must not exist yet (created and dropped); else, when DATABASE_URL
names a PostgreSQL server, a fresh database on that server; else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.incidents import prepare_database, setup_django  # noqa: E402

ORG = "northwick-general"
PATH = f"/status/{ORG}/"
GOAL_RPS = 2000
GOAL_PUBLISH_S = 60.0


# --- the load generator (run as `status.py load ...` in a process of its own) ----------------------


async def _client(
    host: str,
    port: int,
    request: bytes,
    until: float,
    latencies: list[float],
    statuses: Counter[int],
    opened: list[int],
) -> None:
    """One client: a request at a time on a keep-alive connection, opening a new one when the server closes it
    (waitress closes the connection after every 304: it sends no Content-Length with one)."""
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    try:
        while time.monotonic() < until:
            started = time.monotonic()
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
                opened[0] += 1
            assert reader is not None
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value.strip())
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            if length:
                await reader.readexactly(length)
            latencies.append(time.monotonic() - started)
            statuses[status] += 1
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def _load(url: str, clients: int, duration: float, etag: str) -> dict[str, Any]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    headers = [f"GET {parts.path or '/'} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    if etag:
        headers.append(f"If-None-Match: {etag}")
    request = ("\r\n".join(headers) + "\r\n\r\n").encode()
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    opened = [0]
    started = time.monotonic()
    until = started + duration
    results = await asyncio.gather(
        *(_client(host, port, request, until, latencies, statuses, opened) for _ in range(clients)),
        return_exceptions=True,
    )
    elapsed = time.monotonic() - started
    errors = [repr(r) for r in results if isinstance(r, BaseException)]
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else None,
        "p95_ms": 1000 * latencies[int(len(latencies) * 0.95)] if latencies else None,
        "max_ms": 1000 * latencies[-1] if latencies else None,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "connections": opened[0],
        "errors": errors[:5],
        "failed_clients": len(errors),
    }


def load_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="status.py load")
    parser.add_argument("--url", required=True)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--etag", default="")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(_load(args.url, args.clients, args.duration, args.etag))))
    return 0


def load(url: str, clients: int, duration: float, etag: str = "") -> dict[str, Any]:
    command = [sys.executable, __file__, "load", "--url", url, "--clients", str(clients),
               "--duration", str(duration), "--etag", etag]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False)
    if done.returncode != 0:
        sys.exit(f"the load generator failed:\n{done.stderr[-3000:]}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


# --- the static baseline (run as `status.py static ...`) -------------------------------------------


def static_main(argv: list[str]) -> int:
    """Serve one file's bytes for every GET, with its ETag (304 when it matches), on waitress."""
    parser = argparse.ArgumentParser(prog="status.py static")
    parser.add_argument("--file", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--etag", default="")
    parser.add_argument("--content-type", default="text/html; charset=utf-8")
    args = parser.parse_args(argv)
    from waitress import serve

    body = Path(args.file).read_bytes()
    headers = [("Content-Type", args.content_type), ("Content-Length", str(len(body))), ("ETag", args.etag)]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == args.etag:
            start_response("304 Not Modified", [("ETag", args.etag)])
            return [b""]
        start_response("200 OK", headers)
        return [body]

    print("static server ready", flush=True)
    serve(app, host="127.0.0.1", port=args.port, threads=args.threads, ident="static", connection_limit=1000)
    return 0


# --- processes -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A child process in a process group of its own, its output in a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    ready: Callable[[], bool]
    process: subprocess.Popen[bytes] | None = field(default=None)

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
            )
        deadline = time.monotonic() + 60
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"the {self.name} did not start:\n{self.text()[-3000:]}")
            time.sleep(0.05)

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


# --- the page ---------------------------------------------------------------------------------------


def make_page() -> Any:
    """Northwick's page, busy: an outage with its notice, updates, maintenance. Returns the organisation."""
    from datetime import timedelta

    from django.utils import timezone

    from contingency import demo
    from contingency.core.models import Organisation
    from contingency.incidents import services as incidents
    from contingency.plans.files import collect, load_all
    from contingency.plans.models import Plan
    from contingency.status import services, updates

    files, problems = collect([str(ROOT / "demo" / "plans")])
    loaded, found = load_all(files)
    assert not problems and not found
    demo.load_plans(loaded)
    home = Organisation.objects.get(slug=ORG)
    services.configure_site(
        organisation=home, published=True, title=f"{home.name} service status",
        title_cy="Statws gwasanaethau Northwick", actor=None, via="benchmark",
    )  # fmt: skip
    pacs = services.add_service(
        organisation=home, key="pacs", plan_key="pacs-bcdr", subject="system:pacs", name="Imaging archive (PACS)",
        name_cy="Archif delweddau (PACS)", actor=None, via="benchmark",
    )  # fmt: skip
    services.add_service(
        organisation=home, key="reporting", plan_key="pacs-bcdr", subject="function:image-reporting",
        name="Image reporting", actor=None, via="benchmark",
    )  # fmt: skip
    reported = incidents.report(
        plan=Plan.objects.get(organisation=home, key="pacs-bcdr"), subject="system:pacs", actor=None, via="benchmark"
    )
    running = incidents.invoke(incident=reported, actor=None, via="benchmark")
    updates.outage_notice(incident=running, kind="outage", actor=None, via="benchmark")
    for n in range(10):
        updates.post_update(
            organisation=home, text=f"Update {n}: images are being sent on CD with each patient meanwhile.",
            audience="public", services=[pacs], actor=None, via="benchmark",
        )  # fmt: skip
    start = timezone.now() + timedelta(days=3)
    updates.schedule_maintenance(
        organisation=home, title="Archive storage upgrade", starts_at=start, ends_at=start + timedelta(hours=4),
        services=[pacs], actor=None, via="benchmark",
    )  # fmt: skip
    return home


# --- 1. serving -------------------------------------------------------------------------------------


def serving(args: argparse.Namespace, env: dict[str, str], work: Path) -> dict[str, Any]:
    port, static_port = free_port(), free_port()
    product = Process(
        "product server",
        [sys.executable, "-m", "contingency.cli", "serve", "--port", str(port), "--threads", str(args.threads),
         "--no-worker"],
        env, work / "serve.log", lambda: answers(port),
    )  # fmt: skip
    product.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}", timeout=30) as response:
            body, etag = response.read(), response.headers["ETag"]
        page = work / "page.html"
        page.write_bytes(body)
        static = Process(
            "static server",
            [sys.executable, __file__, "static", "--file", str(page), "--port", str(static_port),
             "--threads", str(args.threads), "--etag", etag],
            env, work / "static.log", lambda: answers(static_port),
        )  # fmt: skip
        static.start()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{static_port}{PATH}", timeout=30) as response:
                assert response.read() == body, "the static server must answer with the same bytes"
            found: dict[str, Any] = {"bytes": len(body), "etag": etag}
            for mode, tag in (("full", ""), ("conditional", etag)):
                found[mode] = {
                    "product": load(f"http://127.0.0.1:{port}{PATH}", args.clients, args.duration, tag),
                    "static": load(f"http://127.0.0.1:{static_port}{PATH}", args.clients, args.duration, tag),
                }
            return found
        finally:
            static.stop()
    finally:
        product.stop()


# --- 2. publishing ----------------------------------------------------------------------------------


@dataclass
class Targets:
    directory: Path
    s3_url: str
    git_remote: Path
    environ: dict[str, str]


def start_targets(work: Path) -> tuple[Targets, Any]:
    import logging

    from tests.support.publish_targets import bare_repository, s3_environ, s3_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request otherwise
    server = s3_server()
    s3 = server.__enter__()
    remote = bare_repository(work / "pages.git")
    environ = {
        "CONTINGENCY_STATUS_DIR": str(work / "www"),
        **s3_environ(s3.url),
        "CONTINGENCY_STATUS_GIT_REMOTE": str(remote),
    }
    return Targets(work / "www", s3.url, remote, environ), server


def published(targets: Targets, text: str) -> dict[str, bool]:
    """Whether each target's index.html holds `text` now."""
    from tests.support.publish_targets import S3Server

    found = {}
    page = targets.directory / ORG / "index.html"
    found["directory"] = page.exists() and text in page.read_text(errors="replace")
    try:
        found["s3"] = text.encode() in S3Server(targets.s3_url).get(f"{ORG}/index.html")[0]
    except Exception:
        found["s3"] = False
    shown = subprocess.run(
        ["git", "--git-dir", str(targets.git_remote), "show", f"pages:{ORG}/index.html"],
        capture_output=True, check=False,
    )  # fmt: skip
    found["git"] = shown.returncode == 0 and text.encode() in shown.stdout
    return found


def publishing(args: argparse.Namespace, env: dict[str, str], work: Path, organisation: Any) -> dict[str, Any]:
    from contingency.status import readmodel, render, updates
    from contingency.status.publishing import targets as configured

    where, server = start_targets(work)
    try:
        os.environ.update(where.environ)
        configured.reset()
        worker = Process(
            "publishing worker",
            [sys.executable, "-m", "contingency.cli", "worker", "--only", "publish", "--poll", str(args.poll),
             "--name", "bench"],
            {**env, **where.environ}, work / "worker.log", lambda: "publisher bench started" in worker.text(),
        )  # fmt: skip
        worker.start()
        times: dict[str, list[float]] = {"directory": [], "s3": [], "git": []}
        try:
            for n in range(args.updates):
                text = f"Benchmark update {n}: {time.time_ns()}"
                updates.post_update(organisation=organisation, text=text, audience="public", actor=None,
                                    via="benchmark")  # fmt: skip
                started = time.monotonic()
                waiting = set(times)
                while waiting and time.monotonic() - started < 3 * GOAL_PUBLISH_S:
                    done = published(where, text)
                    for name in [w for w in waiting if done[w]]:
                        times[name].append(time.monotonic() - started)
                        waiting.discard(name)
                    time.sleep(0.01)
                for name in waiting:
                    times[name].append(float("inf"))
        finally:
            worker.stop()
        # The baseline: the same bundle, rendered and pushed directly, with no queue and no worker.
        direct: dict[str, list[float]] = {name: [] for name in times}
        for _ in range(args.updates):
            readmodel.clear()
            stamp = readmodel.stamp(ORG)
            assert stamp is not None
            files = render.bundle(readmodel.page(stamp).data)
            for name in direct:
                target = configured.from_settings().get(name)
                assert target is not None
                started = time.monotonic()
                target.publish(ORG, files)
                direct[name].append(time.monotonic() - started)
        return {"worker": times, "direct": direct, "poll": args.poll}
    finally:
        server.__exit__(None, None, None)


# --- the run ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load"]:
        return load_main(argv[1:])
    if argv[:1] == ["static"]:
        return static_main(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (200)")
    parser.add_argument("--duration", type=float, default=10, help="seconds each load runs (10)")
    parser.add_argument("--threads", type=int, default=8, help="threads of each server (8)")
    parser.add_argument("--updates", type=int, default=5, help="updates timed to the published bundle (5)")
    parser.add_argument("--poll", type=float, default=2.0, help="the publishing worker's poll, seconds (2)")
    parser.add_argument("--database-url", help="a database that does not exist yet; created and dropped")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name, least in (("clients", 1), ("duration", 0.5), ("threads", 1), ("updates", 1), ("poll", 0.05)):
        if getattr(args, name) < least:
            parser.error(f"--{name} must be at least {least}")
    database = prepare_database(args.database_url or _server_of(os.environ.get("DATABASE_URL", "")))
    data_dir = tempfile.mkdtemp(prefix="contingency-bench-status-")
    try:
        return run(args, database.url, Path(data_dir))
    finally:
        database.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _server_of(url: str) -> str | None:
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlunsplit(urlsplit(url)._replace(path=f"/contingency_bench_status_{os.getpid()}"))


def run(args: argparse.Namespace, url: str, work: Path) -> int:
    from benchmarks.database import TEMPLATE

    kept = ("CONTINGENCY_DATA_DIR", TEMPLATE)  # and the migrated copy to start from, where the tests name one
    for name in [k for k in os.environ if k.startswith("CONTINGENCY_") and k not in kept]:
        del os.environ[name]  # no channel or target but the benchmark's own
    setup_django(url, str(work))
    from django.db import connection

    from benchmarks.database import migrate

    migrate()
    organisation = make_page()
    env = {**os.environ, "DATABASE_URL": url, "CONTINGENCY_DATA_DIR": str(work), "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    served = serving(args, env, work)
    publish = publishing(args, {**env, "LOG_LEVEL": "INFO"}, work, organisation)
    figures = {
        "database": connection.vendor,
        "cores": os.cpu_count(),
        "clients": args.clients,
        "duration": args.duration,
        "threads": args.threads,
        "serving": served,
        "publishing": publish,
    }
    ok = report(figures, as_json=args.json)
    return 0 if ok else 1  # not a timed test: 1 only when something was wrong, not when a goal was missed


def _line(label: str, figures: dict[str, Any]) -> str:
    statuses = ", ".join(f"{k}: {v}" for k, v in figures["statuses"].items())
    statuses += f"; {figures['connections']} connections"
    failed = (
        f"; {figures['failed_clients']} client(s) failed: {figures['errors'][:1]}" if figures["failed_clients"] else ""
    )
    return (
        f"  {label:<8} {figures['rps']:8.0f} requests/s   p50 {figures['p50_ms']:6.1f} ms   "
        f"p95 {figures['p95_ms']:6.1f} ms   max {figures['max_ms']:7.1f} ms   ({statuses}){failed}"
    )


def report(figures: dict[str, Any], *, as_json: bool) -> bool:
    served, publish = figures["serving"], figures["publishing"]
    conditional = served["conditional"]["product"]
    all_304 = set(conditional["statuses"]) == {"304"}
    rps_ok = conditional["rps"] >= GOAL_RPS and all_304
    worst = {name: max(times) for name, times in publish["worker"].items()}
    publish_ok = all(value < GOAL_PUBLISH_S for value in worst.values())
    figures["goals"] = {"conditional_rps": rps_ok, "published_within_60s": publish_ok}
    # Wrong, as opposed to slow: a conditional request not answered 304, a client failing, an update never
    # published (waited for three times the goal).
    failures = [
        mode
        for mode in ("full", "conditional")
        for server in ("product", "static")
        if served[mode][server]["failed_clients"]
    ]
    correct = all_304 and not failures and all(v != float("inf") for v in worst.values())
    if as_json:
        print(json.dumps(figures, indent=1, default=str))
        return correct
    print(
        f"status page of {ORG}: {served['bytes']} bytes; {figures['database']}, {figures['cores']} cores; "
        f"{figures['clients']} concurrent keep-alive clients for {figures['duration']:g} s against each server, "
        f"each server waitress with {figures['threads']} threads in a process of its own"
    )
    print("baseline: the same bytes and ETag from a static server (waitress, from memory), same run")
    for mode, what in (("full", "plain GETs (200, the whole page)"), ("conditional", "GETs with the ETag (304)")):
        product, static = served[mode]["product"], served[mode]["static"]
        print(f"{mode}: {what}")
        print(_line("product", product))
        print(_line("static", static))
        print(f"  ratio    {product['rps'] / static['rps']:.2f} of the static server's requests/s")
    print(
        f"goal: >= {GOAL_RPS} requests/s with conditional requests answered 304: "
        f"{conditional['rps']:.0f}/s, {'all 304' if all_304 else 'NOT all 304'} -> {'OK' if rps_ok else 'NOT MET'}"
    )
    print(
        f"publishing: {len(publish['worker']['directory'])} updates posted through the services; time until each "
        f"is in the bundle at every target (worker polling every {publish['poll']:g} s)"
    )
    for name, times in publish["worker"].items():
        direct = publish["direct"][name]
        print(
            f"  {name:<9} median {statistics.median(times):6.2f} s   slowest {max(times):6.2f} s   "
            f"(direct push, no queue: median {statistics.median(direct):5.2f} s)"
        )
    print(f"goal: every update published within {GOAL_PUBLISH_S:g} s -> {'OK' if publish_ok else 'NOT MET'}")
    if not correct:
        print(
            f"NOT OK: {'conditional requests not all 304; ' if not all_304 else ''}"
            f"{'clients failed: ' + ', '.join(failures) + '; ' if failures else ''}"
            f"{'an update was never published' if any(v == float('inf') for v in worst.values()) else ''}"
        )
    return correct


if __name__ == "__main__":
    sys.exit(main())
