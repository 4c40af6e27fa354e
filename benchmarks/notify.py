"""Benchmark: notifying 5,000 people through the local SMTP server and a local SMS API.

By default every recipient is sent one text and one e-mail, so 10,000 messages: the texts go through
the fake GOV.UK Notify of tests/support (the official client, answering each request after --delay
seconds, and refusing with 429 anything over --rate a rolling minute, so any 429 from its own limit
means the worker went over it), the e-mails through aiosmtpd. Each by both, rather than half and half,
so that the texts alone (5,000 at 3,000 a minute) take longer than Notify's one-minute window and the
limit is really tested; --mix half sends half the recipients a text and the other half an e-mail. The messages are written straight into the outbox (one Notification row each, in
one transaction, for one incident invoked from the demo PACS plan), not through a call tree, so
what is measured is delivery alone.

The delivery worker is a real `contingency worker --only delivery` process (or, with --in-process,
delivery.loop in a thread of this process, as `contingency serve` runs it), started before the rows
are written; the clock starts when they commit. The script prints the time until the servers have
received every message, the text rate achieved as a ratio of the limit (over the whole run, and in
the busiest 60 seconds), the fake's count of answers refused by its own limit (must be 0), and the
ratio against a straightforward one-at-a-time sender run in the same script: a plain loop calling
transport.send for each message and recording it, against a second pair of servers with the same
delay. The baseline runs a --sample of the messages (half texts, half e-mails) and its time is
extrapolated to the full count, unless the sample is the whole run.

    .venv/bin/python benchmarks/notify.py [--recipients 5000] [--rate 3000] [--delay 0.2] [--sample 200]
        [--threads 32] [--in-process] [--database-url postgres://postgres@127.0.0.1:5432/contingency_bench] [--json]

The database: --database-url, which must not exist yet (created and dropped, as benchmarks/incidents.py
does); else, when DATABASE_URL names a PostgreSQL server, a fresh database on that server (created and
dropped); else a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.incidents import prepare_database, setup_django  # noqa: E402
from tests.support.fake_notify import FakeNotify  # noqa: E402
from tests.support.smtp_server import SmtpTestServer  # noqa: E402

CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
WINDOW = 60.0  # Notify's rate window, seconds
FROM = "contingency@bench.example.org"


@dataclass
class Servers:
    smtp: SmtpTestServer
    notify: FakeNotify

    def environ(self, rate: int) -> dict[str, str]:
        return {
            "CONTINGENCY_SMTP_HOST": self.smtp.host,
            "CONTINGENCY_SMTP_PORT": str(self.smtp.port),
            "CONTINGENCY_SMTP_SECURITY": "none",
            "CONTINGENCY_SMTP_FROM": FROM,
            "CONTINGENCY_NOTIFY_API_KEY": self.notify.api_key,
            "CONTINGENCY_NOTIFY_BASE_URL": self.notify.base_url,
            "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": self.notify.sms_template_id,
            "CONTINGENCY_NOTIFY_RATE_PER_MINUTE": str(rate),
        }

    def received(self) -> int:
        return len(self.notify.notifications) + len(self.smtp.messages)


def start_servers(delay: float, rate: int) -> Servers:
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    return Servers(SmtpTestServer().start(), FakeNotify(delay=delay, rate_limit=rate, rate_window=WINDOW).start())


def make_incident() -> Any:
    """One PACS outage from the demo plan, invoked with no channel configured (its own call-outs
    become telephone tasks), to own the benchmark's messages."""
    from contingency import demo
    from contingency.incidents import services
    from contingency.plans.files import collect, load_all
    from contingency.plans.models import Plan

    files, problems = collect([str(demo.DEMO_PLANS)])
    loaded, found = load_all(files)
    if problems or found:
        sys.exit(f"the demo plans do not load: {problems or found}")
    demo.load_plans(loaded)
    plan = Plan.objects.get(key="pacs-bcdr")
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="benchmark")
    return services.invoke(incident=reported, actor=None, via="benchmark")


def outbox(
    incident: Any, recipients: int, prefix: str, *, sms: bool = True, email: bool = True, half: bool = False
) -> int:
    """A text and/or an e-mail for each recipient (with `half`, a text to every other one and an e-mail
    to the rest), in recipient order, written in one transaction."""
    from django.db import transaction
    from django.utils import timezone

    from contingency.notify.models import Notification

    now = timezone.now()
    rows = []
    for n in range(recipients):
        person = f"Person {n + 1}"
        words = {
            "recipient_name": person,
            "subject": "PACS is unavailable - images will come on CD",
            "body": f"{person},\n\nPACS is unavailable. Urgent images will come on CD.\n",
            "short": "PACS is unavailable: urgent images will come on CD.",
            "next_attempt_at": now,
            "created_at": now,
        }
        if sms and not (half and n % 2):
            number = f"07700 900{n % 1000:03d}"  # the fictional range has 1,000 numbers: they repeat
            rows.append(Notification(incident=incident, key=f"{prefix}:{n}:sms", channel="sms",
                                     transport="notify-sms", address=number, **words))  # fmt: skip
        if email and not (half and n % 2 == 0):
            rows.append(Notification(incident=incident, key=f"{prefix}:{n}:email", channel="email",
                                     transport="smtp", address=f"person-{n + 1}@bench.example.org", **words))  # fmt: skip
    with transaction.atomic():
        Notification.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --- the delivery worker ----------------------------------------------------------------------


class Worker:
    """`contingency worker --only delivery` in a process of its own, or delivery.loop in a thread."""

    def __init__(self, *, in_process: bool, threads: int, env: dict[str, str], log_dir: Path) -> None:
        self.in_process = in_process
        self.threads = threads
        self.env = env
        self.log_path = log_dir / "worker.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.thread: threading.Thread | None = None
        self.stop_event = threading.Event()

    def start(self) -> None:
        if self.in_process:
            from contingency.notify import delivery

            self.thread = threading.Thread(
                target=delivery.loop,
                args=(self.stop_event,),
                kwargs={"poll": 0.05, "threads": self.threads, "worker": "bench"},
                name="bench-delivery",
            )
            self.thread.start()
            return
        command = [sys.executable, "-m", "contingency.cli", "worker", "--only", "delivery", "--poll", "0.05",
                   "--name", "bench", "--send-threads", str(self.threads)]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while "delivery bench started" not in self.log():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"the delivery worker did not start:\n{self.log()[-3000:]}")
            time.sleep(0.02)

    def alive(self) -> bool:
        return self.thread.is_alive() if self.thread else self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.thread is not None:
            self.stop_event.set()
            self.thread.join(timeout=60)
        elif self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --- the baseline: one at a time ---------------------------------------------------------------


def one_at_a_time(incident: Any, sample: int, servers: Servers) -> tuple[float, int, int]:
    """A plain loop: transport.send for each message, then record it. Returns (seconds, texts, e-mails)."""
    from django.utils import timezone

    from contingency.notify.channels.base import Outgoing, TransportError
    from contingency.notify.channels.govuk_notify import NotifyConfig, NotifySmsTransport
    from contingency.notify.channels.smtp import SmtpConfig, SmtpTransport
    from contingency.notify.models import Notification

    texts = sample - sample // 2
    outbox(incident, texts, "baseline", email=False)
    outbox(incident, sample // 2, "baseline", sms=False)
    sms = NotifySmsTransport(
        NotifyConfig(
            api_key=servers.notify.api_key,
            base_url=servers.notify.base_url,
            sms_template_id=servers.notify.sms_template_id,
        )
    )
    smtp = SmtpTransport(SmtpConfig(host=servers.smtp.host, port=servers.smtp.port, security="none", sender=FROM))
    rows = list(Notification.objects.filter(key__startswith="baseline:").order_by("key"))
    rows.sort(key=lambda r: int(r.key.split(":")[1]))  # recipient order, as the outbox has them
    started = time.perf_counter()
    for row in rows:
        transport = sms if row.transport == "notify-sms" else smtp
        message = Outgoing(key=row.key, address=row.address, recipient=row.recipient_name, subject=row.subject,
                           body=row.body, short=row.short)  # fmt: skip
        try:
            receipt = transport.send(message)
        except TransportError as exc:
            Notification.objects.filter(pk=row.pk).update(state="failed", attempts=1, last_error=str(exc))
            continue
        Notification.objects.filter(pk=row.pk).update(
            state="sent", attempts=1, sent_at=timezone.now(), provider_ref=receipt.provider_ref[:200]
        )
    return time.perf_counter() - started, texts, sample // 2


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=5000, help="people to notify (default 5000)")
    parser.add_argument(
        "--mix", choices=("both", "half"), default="both", help="each a text and an e-mail, or half each (both)"
    )
    parser.add_argument("--rate", type=int, default=3000, help="the SMS API's limit, a minute (default 3000)")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the SMS API takes to answer (0.2)")
    parser.add_argument("--sample", type=int, default=200, help="messages the one-at-a-time baseline sends (200)")
    parser.add_argument("--threads", type=int, default=32, help="the worker's sending threads (32)")
    parser.add_argument("--in-process", action="store_true", help="delivery.loop in a thread of this process")
    parser.add_argument("--database-url", help="a database that does not exist yet; created and dropped")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    for name, least in (("recipients", 2), ("rate", 1), ("sample", 2), ("threads", 1)):
        if getattr(args, name) < least:
            parser.error(f"--{name} must be at least {least}")
    if args.delay < 0:
        parser.error("--delay must not be negative")
    args.sample = min(args.sample, args.recipients * (2 if args.mix == "both" else 1))

    database = prepare_database(args.database_url or _server_of(os.environ.get("DATABASE_URL", "")))
    data_dir = tempfile.mkdtemp(prefix="contingency-bench-data-")
    try:
        return run(args, database.url, Path(data_dir))
    finally:
        database.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def _server_of(url: str) -> str | None:
    """With DATABASE_URL on a PostgreSQL server, a fresh database there (never the one it names)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return urlunsplit(urlsplit(url)._replace(path=f"/contingency_bench_notify_{os.getpid()}"))


def run(args: argparse.Namespace, url: str, data_dir: Path) -> int:
    from benchmarks.database import TEMPLATE

    kept = ("CONTINGENCY_DATA_DIR", TEMPLATE)  # and the migrated copy to start from, where the tests name one
    for name in [k for k in os.environ if k.startswith("CONTINGENCY_") and k not in kept]:
        del os.environ[name]  # no channel but the benchmark's own
    setup_django(url, str(data_dir))
    from django.db import connection
    from django.db.models import Count

    from benchmarks.database import migrate
    from contingency.notify.channels import registry
    from contingency.notify.models import Notification

    migrate()
    incident = make_incident()
    servers = start_servers(args.delay, args.rate)
    base_servers = start_servers(args.delay, args.rate)
    try:
        os.environ.update(servers.environ(args.rate))
        registry.reset()
        worker = Worker(in_process=args.in_process, threads=args.threads, env=dict(os.environ), log_dir=data_dir)
        try:
            worker.start()
            total = outbox(incident, args.recipients, "bench", half=args.mix == "half")
            started = time.monotonic()
            # Three times the texts' time at the limit, and two minutes: long enough, short of forever.
            deadline = started + 120 + 3 * total / args.rate * 60
            while servers.received() < total and time.monotonic() < deadline:
                if not worker.alive():
                    sys.exit(f"the delivery worker stopped:\n{worker.log()[-3000:]}")
                time.sleep(0.05)
            # Every message has arrived; the last outcomes are recorded within moments.
            mine = Notification.objects.filter(key__startswith="bench:")
            recorded = time.monotonic() + 30
            while mine.filter(state__in=("pending", "sending")).exists() and time.monotonic() < recorded:
                time.sleep(0.05)
        finally:
            worker.stop()
        texts = sorted(n.received_at - started for n in servers.notify.notifications)
        emails = sorted(m.received_at - started for m in servers.smtp.messages)
        states = dict(mine.order_by().values_list("state").annotate(n=Count("id")))
        retried = mine.filter(attempts__gt=1).count()
        marked = mine.filter(maybe_duplicate=True).count()
        limited = servers.notify.rate_limited
        busiest = servers.notify.max_in_window(WINDOW)
        base_seconds, base_texts, base_emails = one_at_a_time(incident, args.sample, base_servers)
    finally:
        for pair in (servers, base_servers):
            pair.smtp.stop()
            pair.notify.stop()
    if not texts or not emails:
        print(f"NOT OK: {len(texts)} texts and {len(emails)} e-mails arrived; rows {states}")
        return 1

    reach = max(texts[-1], emails[-1])
    # Achieved: every text over the time from the commit to the last one (the start-up included).
    text_rate = len(texts) / texts[-1] * 60
    per_message = base_seconds / args.sample
    full_sample = args.sample == total
    baseline_total = base_seconds if full_sample else per_message * total
    figures = {
        "database": connection.vendor,
        "machine_cores": os.cpu_count(),
        "recipients": args.recipients,
        "mix": args.mix,
        "messages": total,
        "texts": len(texts),
        "emails": len(emails),
        "worker": "in-process thread" if args.in_process else "contingency worker process",
        "send_threads": args.threads,
        "sms_delay_s": args.delay,
        "rate_limit_per_minute": args.rate,
        "seconds_to_reach_everyone": round(reach, 2),
        "seconds_to_send_all_emails": round(emails[-1], 2),
        "seconds_to_send_all_texts": round(texts[-1], 2),
        "first_text_after_s": round(texts[0], 3),
        "text_rate_per_minute": round(text_rate, 1),
        "text_rate_ratio": round(text_rate / args.rate, 3),
        "busiest_60s_texts": busiest,
        "busiest_60s_ratio": round(busiest / args.rate, 3),
        "rate_limited_answers": limited,
        "rows": states,
        "rows_retried": retried,
        "rows_maybe_duplicate": marked,
        "baseline_sample": args.sample,
        "baseline_sample_texts": base_texts,
        "baseline_sample_emails": base_emails,
        "baseline_sample_seconds": round(base_seconds, 2),
        "baseline_ms_per_message": round(per_message * 1000, 1),
        "baseline_seconds_for_all": round(baseline_total, 1),
        "baseline_extrapolated": not full_sample,
        "ratio_vs_one_at_a_time": round(baseline_total / reach, 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }
    ok = states == {"sent": total} and limited == 0 and len(texts) + len(emails) == total
    if args.json:
        print(json.dumps({**figures, "ok": ok}))
        return 0 if ok else 1
    f = figures
    print(
        f"{f['recipients']} recipients, "
        + ("each sent a text and an e-mail" if args.mix == "both" else "half sent a text, half an e-mail")
        + f": {total} messages written straight into "
        f"the outbox (one transaction, one incident of the demo PACS plan); {f['database']}, {f['machine_cores']} cores"
    )
    print(
        f"SMS: fake GOV.UK Notify answering after {args.delay:g} s, limit {args.rate}/min (rolling {WINDOW:g} s); "
        f"e-mail: aiosmtpd; delivery: {f['worker']}, {args.threads} sending threads"
    )
    print()
    print(
        f"everyone reached (all {total} messages accepted) in {reach:.1f} s: e-mails done at {emails[-1]:.1f} s, "
        f"texts at {texts[-1]:.1f} s (first text at {texts[0]:.2f} s)"
    )
    print(
        f"SMS rate: {len(texts)} texts in {texts[-1]:.1f} s = {text_rate:.0f}/min = {f['text_rate_ratio']:.3f} of the "
        f"{args.rate}/min limit (target >= 0.90, never above 1.0)"
    )
    print(
        f"busiest {WINDOW:g} s: {busiest} texts = {f['busiest_60s_ratio']:.3f} of the limit; "
        f"answers refused by the fake's own limit (429): {limited}"
    )
    how = "the whole run" if full_sample else f"a {args.sample}-message sample"
    print(
        f"one at a time (transport.send then record, for each message): {how} ({base_texts} texts, "
        f"{base_emails} e-mails) in {base_seconds:.1f} s = {f['baseline_ms_per_message']:.0f} ms a message"
        + ("" if full_sample else f" -> {total} messages in ~{baseline_total:.0f} s (extrapolated)")
    )
    print(f"ratio: {f['ratio_vs_one_at_a_time']:.1f}x the one-at-a-time sender's speed")
    print(
        f"rows: {', '.join(f'{n} {s}' for s, n in sorted(states.items()))}; {retried} retried; "
        f"{marked} marked maybe_duplicate; load average {f['load_average_1min']}"
    )
    if not ok:
        print("NOT OK: every message should be sent once, with no answer refused by the rate limit")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
