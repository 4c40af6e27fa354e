"""The delivery worker against real servers: retries and backoff, temporary and permanent failures, the
call-out moving on to its next channel, crashed claims, and several workers sharing one outbox and one
rate limit.

Most messages come from invoking the demo PACS plan on a Monday morning with every channel configured
against local servers (tests/support): TP1 calls the incident team, which is four text messages
through the fake GOV.UK Notify (e-mail through aiosmtpd is each person's next channel) and one post to
the Teams webhook. The volume tests write rows straight into the outbox. The worker's clock is passed
in (`clock=`), so a backoff of minutes passes at once; the servers and HTTP clients run in real time.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from contingency.incidents import services
from contingency.incidents.models import Incident
from contingency.notify import delivery, dispatch
from contingency.notify.channels import registry
from contingency.notify.channels.base import Receipt
from contingency.notify.models import Attempt, Callout, ChannelPace, Notification, Outcome
from contingency.plans.models import Plan

from .support.fake_notify import FakeNotify
from .support.live_channels import LiveChannels, live_channels

LONDON = ZoneInfo("Europe/London")
AT = datetime(2025, 1, 6, 10, 0, tzinfo=LONDON)  # a Monday morning, in hours
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
TEAM = ["helen-marsh", "julia-fenwick", "marcus-hale", "anita-rao"]  # TP1's call tree, each with a mobile
SMS_PATH = "/v2/notifications/sms"
pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
    reason="threads need a database shared between connections: PostgreSQL (SQLite: test_notify_kill_restart.py)",
)


def at(seconds: float) -> datetime:
    return AT + timedelta(seconds=seconds)


def run(seconds: float = 0, *, worker: str = "test") -> tuple[int, int]:
    """The worker at AT + `seconds`: sends everything due then, one at a time."""
    return delivery.run_until_idle(worker=worker, clock=lambda: at(seconds))


def invoke() -> Incident:
    plan = Plan.objects.get(key="pacs-bcdr")
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test", at=at(-60))
    return services.invoke(incident=reported, actor=None, via="test", at=AT)


def key(incident: Incident, person: str, channel: str = "sms") -> str:
    return f"{incident.pk}:trigger:tp1:0:{person}:{channel}"


def sms() -> list[Notification]:
    return list(Notification.objects.filter(transport="notify-sms").order_by("id"))


def row(key: str) -> Notification:
    return Notification.objects.get(key=key)


def log(key: str) -> list[tuple[int, str, str]]:
    return [(a.number, a.worker, a.outcome) for a in Attempt.objects.filter(notification__key=key).order_by("number")]


def accepted(notify: FakeNotify) -> Counter[str]:
    """How many times Notify accepted each message, by its key (sent as Notify's reference)."""
    return Counter(str(n.reference) for n in notify.notifications)


def sms_answers(notify: FakeNotify) -> list[int]:
    return [r.status for r in notify.requests if r.path == SMS_PATH]


def mailed(live: LiveChannels) -> Counter[tuple[str, str]]:
    """The e-mails the SMTP server received: (recipient, key) -> how many times."""
    return Counter((m.rcpt_tos[0], str(m.message["X-Contingency-Key"])) for m in live.smtp.messages)


def outbox(incident: Incident, count: int, *, transport: str = "notify-sms", created: datetime = AT) -> None:
    """`count` messages written straight into the outbox, due at `created`."""
    channel = "sms" if transport == "notify-sms" else "email"
    start = Notification.objects.count()
    rows = [
        Notification(
            incident=incident,
            key=f"bulk:{channel}:{start + n}",
            channel=channel,
            transport=transport,
            address=f"07700 900{(start + n) % 1000:03d}" if channel == "sms" else f"person-{start + n}@example.org",
            recipient_name=f"Person {start + n}",
            subject="PACS is unavailable",
            body="PACS is unavailable: urgent images will come on CD.",
            short="PACS is unavailable: urgent images will come on CD.",
            next_attempt_at=created,
            created_at=created,
        )
        for n in range(count)
    ]
    Notification.objects.bulk_create(rows)


def configure(monkeypatch: pytest.MonkeyPatch, **variables: str) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(f"CONTINGENCY_{name}", value)
    registry.reset()


@pytest.fixture
def incident(demo_plans: list[object], channels: LiveChannels) -> Incident:
    incident = invoke()
    assert sorted(r.key for r in sms()) == sorted(key(incident, p) for p in TEAM)
    return incident


# --- temporary failures: tried again after the backoff -------------------------------------------


def test_a_429_from_notify_is_tried_again_after_the_backoff_and_then_sent(
    channels: LiveChannels, incident: Incident
) -> None:
    channels.notify.fail_next(1, 429)
    assert run(0) == (5, 0)  # four texts and the Teams post
    [limited] = [r for r in sms() if r.state == "pending"]
    assert (limited.attempts, limited.next_attempt_at) == (1, at(delivery.BACKOFF[0]))
    assert limited.last_error.startswith("GOV.UK Notify is limiting the rate (429): RateLimitError")
    assert log(limited.key) == [(1, "test", "temporary")]
    assert accepted(channels.notify) == {r.key: 1 for r in sms() if r.pk != limited.pk}

    assert run(delivery.BACKOFF[0] - 0.5) == (0, 0)  # not before its time
    assert run(delivery.BACKOFF[0]) == (1, 0)
    limited.refresh_from_db()
    assert (limited.state, limited.attempts, limited.maybe_duplicate, limited.sent_at) == (
        "sent",
        2,
        False,
        at(delivery.BACKOFF[0]),
    )
    assert log(limited.key) == [(1, "test", "temporary"), (2, "test", "sent")]
    assert accepted(channels.notify) == dict.fromkeys((key(incident, p) for p in TEAM), 1)
    assert sms_answers(channels.notify) == [429, 201, 201, 201, 201]


def test_a_webhook_asking_to_retry_after_two_minutes_is_not_tried_sooner(
    channels: LiveChannels, incident: Incident
) -> None:
    channels.webhook.fail_next(1, 429, retry_after="120")
    run(0)
    post = Notification.objects.get(channel="post")
    assert (post.state, post.next_attempt_at) == ("pending", at(120))  # longer than the backoff's 5 s
    assert run(119) == (0, 0)
    assert run(120) == (1, 0)
    post.refresh_from_db()
    assert (post.state, post.attempts) == ("sent", 2)
    assert [p.status for p in channels.webhook.attempts] == [429, 202]
    assert channels.webhook.posts()[0].headers["idempotency-key"] == post.key


def test_5xx_answers_are_temporary_and_tried_again(channels: LiveChannels, incident: Incident) -> None:
    channels.notify.fail_next(1, 500)
    channels.notify.fail_next(1, 503)
    run(0)
    failed = {r.key: r.last_error for r in sms() if r.state == "pending"}
    assert sorted(failed.values()) == [
        "GOV.UK Notify failed (500): Exception: Internal server error",
        # A load balancer's HTML page, which the client does not read: still temporary.
        "GOV.UK Notify failed (503): Request failed",
    ]
    run(delivery.BACKOFF[0])
    assert all(r.state == "sent" for r in sms())
    assert {k: log(k) for k in failed} == {k: [(1, "test", "temporary"), (2, "test", "sent")] for k in failed}
    assert accepted(channels.notify) == {r.key: 1 for r in sms()}
    assert sorted(sms_answers(channels.notify)) == [201] * 4 + [500, 503]


def test_a_slow_answer_past_the_client_timeout_is_temporary(
    channels: LiveChannels, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, NOTIFY_TIMEOUT="0.5")
    channels.notify.slow_next(1, 2.0)
    run(0)
    [slow] = [r for r in sms() if r.state == "pending"]
    assert (slow.last_error, log(slow.key)) == ("GOV.UK Notify did not answer within 0.5 s", [(1, "test", "temporary")])
    run(delivery.BACKOFF[0])
    slow.refresh_from_db()
    assert (slow.state, log(slow.key)) == ("sent", [(1, "test", "temporary"), (2, "test", "sent")])
    # Notify had accepted the first request before it answered too late: the person has it twice.
    assert accepted(channels.notify)[slow.key] == 2


def test_a_resend_after_a_timeout_is_marked_as_a_possible_duplicate(
    channels: LiveChannels, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A timeout after the request went out is an unknown outcome, like a crash mid-send: the resend may
    be a second copy, and the row says so as it does after a crash."""
    configure(monkeypatch, NOTIFY_TIMEOUT="0.5")
    channels.notify.slow_next(1, 2.0)
    run(0)
    run(delivery.BACKOFF[0])
    [twice] = [k for k, n in accepted(channels.notify).items() if n > 1]
    assert row(twice).maybe_duplicate


# --- permanent failures and giving up: the call-out moves on -------------------------------------


def test_a_bad_number_is_permanent_and_the_callout_moves_on_to_email(
    channels: LiveChannels, incident: Incident
) -> None:
    helen = Callout.objects.get(incident=incident, recipient_key="helen-marsh")
    helen.addresses["sms"] = "01632 960000"  # a landline in the directory where the mobile should be
    helen.save()
    Notification.objects.filter(key=key(incident, "helen-marsh")).update(address="01632 960000")

    run(0)
    refused = row(key(incident, "helen-marsh"))
    assert (refused.state, refused.permanent, refused.attempts) == ("failed", True, 1)
    assert (
        refused.last_error
        == "GOV.UK Notify refused the message (400): ValidationError: phone_number Not a UK mobile number"
    )
    assert log(refused.key) == [(1, "test", "permanent")]
    email = row(key(incident, "helen-marsh", "email"))
    assert (email.transport, email.state, email.step, email.attempts) == ("smtp", "sent", 1, 1)
    assert mailed(channels) == {("helen.marsh@northwick.example.org", email.key): 1}
    helen.refresh_from_db()
    assert (helen.state, helen.step, helen.ack_due_at) == ("waiting", 1, AT + timedelta(minutes=15))
    # The others were reached by text and stay on it.
    assert accepted(channels.notify) == {key(incident, p): 1 for p in TEAM[1:]}
    assert sorted(Callout.objects.filter(recipient_key__in=TEAM).values_list("step", flat=True)) == [0, 0, 0, 1]


def test_after_the_last_attempt_the_message_fails_and_the_callout_moves_on(
    channels: LiveChannels, incident: Incident
) -> None:
    # As a call tree waiting three hours for an acknowledgement: only the failure moves the call-outs on.
    Callout.objects.filter(incident=incident).update(ack_due_at=at(3 * 3600))
    channels.notify.fail_next(len(TEAM) * delivery.MAX_ATTEMPTS, 503)
    moment = 0.0
    for number, wait in enumerate((0, *delivery.BACKOFF), start=1):
        moment += wait
        if number > 1:
            assert run(moment - 0.5) == (0, 0)
        # The Teams post goes the first time; the e-mails after the last attempt, in the same run.
        assert run(moment)[0] == len(TEAM) * (2 if number == delivery.MAX_ATTEMPTS else 1) + (number == 1)
        states = Counter((r.state, r.attempts) for r in sms())
        assert states == {("pending" if number < delivery.MAX_ATTEMPTS else "failed", number): len(TEAM)}
        assert not channels.smtp.messages or number == delivery.MAX_ATTEMPTS
    assert moment == sum(delivery.BACKOFF) == 2555
    for r in sms():
        assert (r.permanent, r.last_error) == (
            False,
            f"gave up after {delivery.MAX_ATTEMPTS} attempts: GOV.UK Notify failed (503): Request failed",
        )
        assert [o for _, _, o in log(r.key)] == ["temporary"] * delivery.MAX_ATTEMPTS
    assert channels.notify.notifications == []
    assert sms_answers(channels.notify) == [503] * (len(TEAM) * delivery.MAX_ATTEMPTS)
    emails = {r.key: r.state for r in Notification.objects.filter(transport="smtp")}
    assert emails == {key(incident, p, "email"): "sent" for p in TEAM}
    assert sorted(a for a, _ in mailed(channels)) == sorted(
        f"{p.replace('-', '.')}@northwick.example.org" for p in TEAM
    )
    for callout in Callout.objects.filter(recipient_key__in=TEAM):
        assert (callout.step, callout.ack_due_at) == (1, at(moment) + timedelta(minutes=15))


def test_the_wait_ending_during_the_retries_moves_on_and_an_acknowledgement_stops_them(
    channels: LiveChannels, incident: Incident
) -> None:
    """The plan's 15-minute wait ends while the texts are still being retried: each call-out moves on to
    e-mail once; acknowledging the e-mail cancels the text's remaining attempt."""
    channels.notify.fail_next(1000, 500)  # Notify is down for the whole story

    def texts() -> list[Notification]:  # the team's (the role called by telephone escalates to someone else)
        return [row(key(incident, p)) for p in TEAM]

    for moment in (0, 5, 35, 155, 755):  # attempts 1 to 5, each after its backoff
        run(moment)
    assert {(r.state, r.attempts) for r in texts()} == {("pending", 5)}
    assert not channels.smtp.messages
    run(900)  # the wait ends
    assert Counter(k for _, k in mailed(channels)) == {key(incident, p, "email"): 1 for p in TEAM}
    team = list(Callout.objects.filter(recipient_key__in=TEAM))
    assert {(c.step, c.ack_due_at) for c in team} == {(1, at(900) + timedelta(minutes=15))}
    assert {(r.state, r.attempts, r.next_attempt_at) for r in texts()} == {("pending", 5, at(755 + 1800))}
    for callout in team:
        assert dispatch.acknowledge(callout, via="the link in the e-mail", at=at(901))
    run(755 + 1800)
    assert {(r.state, r.attempts, r.last_error) for r in texts()} == {
        ("cancelled", 5, "acknowledged before it was sent")
    }
    assert {c.state for c in Callout.objects.filter(recipient_key__in=TEAM)} == {"acknowledged"}
    emails = [key(incident, p, "email") for p in TEAM]
    assert Counter(k for _, k in mailed(channels) if k in emails) == dict.fromkeys(emails, 1)


# --- a worker that died holding a claim ----------------------------------------------------------


def test_a_claim_left_by_a_crashed_worker_is_sent_again_and_only_a_started_send_marked(
    channels: LiveChannels, incident: Incident
) -> None:
    jobs = delivery.claim(worker="crashed", now=AT, capacity=100)  # paced, as the loop claims
    assert sorted(j.message.key for j in jobs) == sorted(
        [*(r.key for r in sms()), f"{incident.pk}:trigger:tp1:0:post:radiology-teams"]
    )
    first = next(j for j in jobs if j.message.key == key(incident, "helen-marsh"))
    assert delivery.start([first], worker="crashed", now=AT) == [first]
    delivery.send(first)  # it reached Notify, then the worker died before recording it; the rest never left
    assert accepted(channels.notify) == {first.message.key: 1}
    claimed = Notification.objects.filter(claimed_by="crashed")
    assert set(claimed.values_list("state", flat=True)) == {"sending"} and claimed.count() == len(jobs)

    # The lease holds: nobody takes a claim that may still be in flight.
    held = min(r.lease_until for r in claimed if r.lease_until) - AT - timedelta(seconds=1)
    assert run(held.total_seconds()) == (0, 0)
    restart = max(r.lease_until for r in claimed if r.lease_until) + timedelta(seconds=1)
    # The lease follows the transports' own timeouts (15 s for Notify and SMTP here), not a fixed minute.
    longest = max(j.transport.timeout for j in jobs)
    assert restart - AT <= delivery.HORIZON + timedelta(seconds=longest) + delivery.LEASE_MARGIN + timedelta(seconds=1)
    sent, _ = delivery.run_until_idle(worker="restarted", clock=lambda: restart)
    assert sent == len(jobs)
    for job in jobs:
        again = row(job.message.key)
        began = job is first
        assert (again.state, again.attempts, again.maybe_duplicate, again.claimed_by) == ("sent", 2, began, "restarted")
        before = "interrupted" if began else "abandoned"
        assert log(job.message.key) == [(1, "crashed", before), (2, "restarted", "sent")]
        interrupted = Attempt.objects.get(notification=again, number=1)
        why = "the worker stopped before recording it" if began else "the worker stopped before sending it"
        assert (interrupted.finished_at, interrupted.error) == (restart, why)
    # Exactly the message that had gone out is there twice, and its row says it may be.
    assert accepted(channels.notify) == {
        first.message.key: 2,
        **{k: 1 for k in (r.key for r in sms()) if k != first.message.key},
    }

    # The crashed worker's outcome arriving late (a process paused, not dead) changes nothing.
    delivery.record(first, delivery.Result(Outcome.SENT, Receipt(provider_ref="late")), worker="crashed", now=restart)
    late = row(first.message.key)
    assert (late.claimed_by, late.provider_ref != "late", log(late.key)[0][2]) == ("restarted", True, "interrupted")


def test_a_worker_stopping_gives_back_what_it_had_not_sent(channels: LiveChannels, incident: Incident) -> None:
    jobs = delivery.claim(worker="stopping", now=AT, capacity=100)
    for job in jobs:
        delivery.release(job, worker="stopping")
    assert {(r.state, r.attempts, r.claimed_by) for r in Notification.objects.filter(id__in=[j.id for j in jobs])} == {
        ("pending", 0, "")
    }
    assert not Attempt.objects.exists()
    run(0)
    assert {(r.state, r.attempts, r.maybe_duplicate) for r in sms()} == {("sent", 1, False)}


# --- claiming: pacing shared between workers, and every transport served ------------------------


def test_two_workers_claiming_share_one_pace_and_never_take_a_row_twice(
    channels: LiveChannels, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure(monkeypatch, NOTIFY_RATE_PER_MINUTE="600")
    outbox(incident, 60)
    total = Notification.objects.filter(state="pending").count()  # and the Teams post
    jobs: list[tuple[str, datetime, delivery.Job]] = []
    moment, turn = 0.0, ["a", "b"]
    while len(jobs) < total:
        for worker in turn:
            now = at(moment)
            jobs += [(worker, now, j) for j in delivery.claim(worker=worker, now=now, capacity=25)]
        moment += 0.7
        turn.reverse()  # who claims first changes, as it does between real workers
        assert moment < 60
    ids = [j.id for _, _, j in jobs]
    assert len(ids) == len(set(ids)) == total
    assert {w for w, _, _ in jobs} == {"a", "b"}
    slots = sorted(j.slot for _, _, j in jobs if j.transport.name == "notify-sms")
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 60 / 600  # under the limit: 0.98 of it
    assert max(gaps) < 2 * 60 / 600  # and no slot wasted while there is work
    for _, now, job in jobs:
        assert now <= job.slot <= now + delivery.HORIZON
        assert Notification.objects.get(pk=job.id).not_before == job.slot
    text = next(j for _, _, j in jobs if j.transport.name == "notify-sms").transport
    pace = ChannelPace.objects.get(transport=text.rate_group)
    assert pace.next_slot_at == slots[-1] + delivery.interval(text)


def test_notify_text_and_email_share_the_services_rate_limit(
    channels: LiveChannels, incident: Incident, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GOV.UK Notify's limit is per service, across text and e-mail (both transports' `rate_group` is
    "notify"): their messages share one pace."""
    configure(monkeypatch, EMAIL_VIA="notify", NOTIFY_RATE_PER_MINUTE="600")
    outbox(incident, 10)
    outbox(incident, 10, transport="notify-email")
    jobs = delivery.claim(worker="a", now=AT, capacity=100)
    slots = sorted(j.slot for j in jobs if j.transport.rate_group == "notify")
    assert len(slots) >= 20
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(slots)]
    assert min(gaps) >= 60 / 600


def test_a_backlog_on_one_transport_does_not_hold_up_the_others(channels: LiveChannels, incident: Incident) -> None:
    """Sixty texts queued before one e-mail: a claim with room for all takes the e-mail too (unpaced,
    SMTP has no limit here). The DISTINCT over transports must not take in the model's default ordering,
    which would make every row distinct and give the first fifty rows' transports only."""
    outbox(incident, 60, created=at(1))
    outbox(incident, 1, transport="smtp", created=at(2))
    jobs = delivery.claim(worker="a", now=at(2), capacity=1000)
    assert "smtp" in {j.transport.name for j in jobs}


# --- the real loop, in threads -------------------------------------------------------------------


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


class Loop:
    """delivery.loop in a thread, with a clock that starts at AT and that the test can move on."""

    def __init__(self, worker: str, *, start: datetime = AT) -> None:
        self.offset = timedelta(0)
        self.started = timezone.now()
        self.start_at = start
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, args=(worker,), name=f"test-{worker}")

    def clock(self) -> datetime:
        return self.start_at + (timezone.now() - self.started) + self.offset

    def _run(self, worker: str) -> None:
        try:
            delivery.loop(self.stop, poll=0.05, worker=worker, clock=self.clock)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def __enter__(self) -> Loop:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the delivery loop did not stop"
        assert not self.errors, self.errors


@pytest.mark.django_db(transaction=True)
def test_the_loop_retries_a_429_after_its_backoff_and_moves_a_refused_number_to_email(
    channels: LiveChannels, demo_plans: list[object]
) -> None:
    incident = invoke()
    Notification.objects.filter(key=key(incident, "anita-rao")).update(address="07700 90011")  # a digit short
    # The 429 goes to a good number: whichever text the loop sends first (a busy machine changes the order).
    channels.notify.fail_next(1, 429, only=lambda body: body.get("phone_number") != "07700 90011")
    # The database is the loop's while it runs: the test watches the servers.
    with Loop("loop") as loop:
        wait_until(lambda: 429 in sms_answers(channels.notify), "the 429")
        while len(channels.notify.notifications) < 3 or not channels.smtp.messages:
            loop.offset += timedelta(seconds=delivery.BACKOFF[0] + 1)  # past the backoff, whenever it began
            time.sleep(0.1)
            assert loop.offset < timedelta(minutes=10), "the 429 was not retried"
        wait_until(lambda: len(channels.webhook.posts()) == 1, "the Teams post")
    assert accepted(channels.notify) == {key(incident, p): 1 for p in TEAM[:3]}
    assert Counter(sms_answers(channels.notify)) == {201: 3, 429: 1, 400: 1}
    limited = next(k for k in (key(incident, p) for p in TEAM[:3]) if len(log(k)) == 2)
    assert log(limited) == [(1, "loop", "temporary"), (2, "loop", "sent")]
    assert (row(key(incident, "anita-rao")).state, log(key(incident, "anita-rao"))) == (
        "failed",
        [(1, "loop", "permanent")],
    )
    assert mailed(channels) == {("anita.rao@northwick.example.org", key(incident, "anita-rao", "email")): 1}
    assert row(key(incident, "anita-rao", "email")).state == "sent"
    assert not Notification.objects.filter(state__in=("pending", "sending")).exists()


WINDOW, LIMIT = 4.0, 160  # the fake's limit: twice the 80 in 4 s that 1,200 a minute allows


@pytest.fixture
def limited_channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveChannels]:
    """Notify answering after 50 ms and refusing requests over LIMIT in any WINDOW seconds, with the
    transport configured for 1,200 a minute. The room over the rate is for one claim's lateness (a claim
    made from idle hands out slots from the moment it began, so its first messages leave together once
    it commits, and for a worker the machine stalled: its late messages leave together). At 120, one CI run
    on a machine with a quarter of its CPU stolen saw 122 in 4 s. That the two workers share one rate is
    proved by the slots below (no two closer than the rate allows, none sent before its slot)."""
    with live_channels(notify_delay=0.05, notify_rate=LIMIT) as live:
        live.notify.rate_window = WINDOW
        for name, value in live.environ.items():
            monkeypatch.setenv(name, value)
        configure(monkeypatch, NOTIFY_RATE_PER_MINUTE="1200")
        yield live
    registry.reset()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_loops_send_each_message_once_within_the_rate_limit(
    limited_channels: LiveChannels, demo_plans: list[object]
) -> None:
    live = limited_channels
    incident = invoke()
    dispatch.cancel(incident, AT)  # TP1's call-outs would move on at once: their waits ended long ago
    outbox(incident, 200, created=timezone.now())  # 10 s at the rate: 160 in 4 s if each worker kept its own
    outbox(incident, 60, transport="smtp", created=timezone.now())
    rows = Notification.objects.filter(key__startswith="bulk:")
    total = rows.count()
    # Monotonic arrival times at the server, as wall-clock times (to compare with the slots).
    wall = time.time() - time.monotonic()
    with Loop("a", start=timezone.now()), Loop("b", start=timezone.now()):
        wait_until(
            lambda: len(live.notify.notifications) + len(live.smtp.messages) + len(live.webhook.posts()) >= total,
            "every message",
            timeout=60,
        )
    # Stopping records what was in flight: every outcome is in the database now.
    assert live.notify.rate_limited == 0, f"{live.notify.max_in_window(WINDOW)} accepted in {WINDOW:g} s"
    assert set(accepted(live.notify).values()) == {1}
    assert set(Counter(k for _, k in mailed(live)).values()) == {1}
    assert len(accepted(live.notify)) + len(mailed(live)) + len(live.webhook.posts()) == total
    assert Counter(rows.values_list("state", "attempts", "maybe_duplicate")) == {("sent", 1, False): total}
    by_worker = Counter(rows.values_list("claimed_by", flat=True))
    assert set(by_worker) == {"a", "b"}, by_worker
    slots = dict(rows.filter(transport="notify-sms").values_list("key", "not_before"))
    ordered = sorted(s for s in slots.values() if s)
    assert len(ordered) == len(slots)
    assert min((b - a).total_seconds() for a, b in itertools.pairwise(ordered)) >= 60 / 1200
    arrived = {str(n.reference): n.received_at + wall for n in live.notify.notifications}
    early = [k for k, slot in slots.items() if slot and arrived[k] < slot.timestamp() - 0.01]
    assert not early, f"sent before their slots: {early}"
