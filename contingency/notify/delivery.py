"""The delivery worker: claims outbox rows, sends them at the pace each channel allows, records outcomes.

Claiming is a conditional update (and SKIP LOCKED on PostgreSQL), so several workers share the outbox
and each row is sent by one of them. A claim first locks the transport's ChannelPace row and hands
each message the next free send slot, so the rate limit holds across every worker together. Just
before a message is handed to its transport, its attempt is marked started (a committed row), and
the lease is renewed for the transport's own timeout. A row claimed by a worker that then died stays
`sending` until its lease ends; the next claim sends it again with the same idempotency key. Only if
the dead worker's attempt had started is the row marked as possibly sent already (`maybe_duplicate`,
the attempt `interrupted`); a claim it never began sending is `abandoned` and not flagged: at least
once, never silently twice, and no false alarm for the messages a worker had only claimed ahead.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.incidents.models import touch

from . import dispatch
from .channels.base import Outgoing, Receipt, Transport, TransportError
from .channels.registry import from_settings
from .models import Attempt, Callout, CalloutState, ChannelPace, Notification, NotificationState, Outcome

log = logging.getLogger("contingency.notify")

HORIZON = timedelta(seconds=2)  # how far ahead one claim reserves send slots
LEASE_MARGIN = timedelta(seconds=5)  # beyond the transport's timeout, before a claim counts as abandoned
BACKOFF = (5, 30, 120, 600, 1800)  # seconds before attempt 2, 3, ...
MAX_ATTEMPTS = len(BACKOFF) + 1
# Pace a little under the limit: jitter between slot and arrival must never take a provider's
# rolling window over its limit.
SAFETY = 0.98

Clock = Callable[[], datetime]


@dataclass(order=True)
class Job:
    slot: datetime
    id: int = field(compare=False)
    number: int = field(compare=False)
    transport: Transport = field(compare=False)
    message: Outgoing = field(compare=False)
    incident_id: int | None = field(default=None, compare=False)
    attempt_id: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    receipt: Receipt | None = None
    error: str = ""
    retry_after: float | None = None
    maybe_sent: bool = False


def interval(transport: Transport) -> timedelta:
    rate = transport.rate_per_minute
    return timedelta(seconds=60 / (rate * SAFETY)) if rate else timedelta(0)


def lease(transport: Transport) -> timedelta:
    """How long a claim holds once sending starts: the transport's timeout, and a margin to record it."""
    return timedelta(seconds=transport.timeout) + LEASE_MARGIN


def backoff(number: int, retry_after: float | None) -> timedelta:
    """The wait before the next attempt after attempt `number` failed for now."""
    wait_s = BACKOFF[min(number, len(BACKOFF)) - 1]
    return timedelta(seconds=max(wait_s, retry_after or 0))


def _due(now: datetime) -> Q:
    return Q(state=NotificationState.PENDING, next_attempt_at__lte=now) | Q(
        state=NotificationState.SENDING, lease_until__lt=now
    )


def claim(*, worker: str, now: datetime, capacity: int, paced: bool = True) -> list[Job]:
    """Claim up to `capacity` due messages, each with its send slot, across the transports with work."""
    channels = from_settings()
    jobs: list[Job] = []
    # order_by() clears the model's ordering, which would otherwise make DISTINCT see every row.
    names = list(Notification.objects.filter(_due(now)).order_by().values_list("transport", flat=True).distinct())
    # Each transport's fair share first, so a backlog on one never holds up the others.
    share = max(1, capacity // max(1, len(names)))
    for name in sorted(names):
        if len(jobs) >= capacity:
            break
        transport = channels.by_name(name)
        if transport is None:
            _unconfigured(name, now)
            continue
        room = min(share, capacity - len(jobs))
        jobs += _claim_from(transport, worker=worker, now=now, capacity=room, paced=paced)
    return jobs


def _claim_from(transport: Transport, *, worker: str, now: datetime, capacity: int, paced: bool) -> list[Job]:
    step = interval(transport) if paced else timedelta(0)
    jobs: list[Job] = []
    # One pace row per rate group: Notify's SMS and e-mail share the service's one limit.
    group = transport.rate_group
    ChannelPace.objects.get_or_create(transport=group, defaults={"next_slot_at": now})
    with transaction.atomic():
        # Taking the pace row's lock first orders every worker's claims in this rate group.
        ChannelPace.objects.filter(transport=group).update(transport=F("transport"))
        pace = ChannelPace.objects.get(transport=group)
        slot = max(now, pace.next_slot_at)
        rows = Notification.objects.filter(_due(now), transport=transport.name).order_by("next_attempt_at", "id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        for row in rows[:capacity]:
            if paced and slot > now + HORIZON:
                break
            crashed = row.state == NotificationState.SENDING
            # Only a send that had begun may have reached the provider: a claim made ahead is no alarm.
            began = crashed and _began(row)
            number = row.attempts + 1
            if not Notification.objects.filter(pk=row.pk, state=row.state, attempts=row.attempts).update(
                state=NotificationState.SENDING,
                attempts=number,
                claimed_by=worker,
                not_before=slot,
                lease_until=slot + lease(transport),
                maybe_duplicate=True if began else F("maybe_duplicate"),
            ):
                continue  # another worker took it first
            if crashed:
                Attempt.objects.filter(notification=row, finished_at=None).update(
                    outcome=Outcome.INTERRUPTED if began else Outcome.ABANDONED,
                    finished_at=now,
                    error="the worker stopped before recording it" if began else "the worker stopped before sending it",
                )
            attempt = Attempt.objects.create(notification=row, number=number, worker=worker, claimed_at=now)
            jobs.append(Job(slot, row.pk, number, transport, _outgoing(row), row.incident_id, attempt.pk))
            slot += step
        if paced:
            ChannelPace.objects.filter(pk=pace.pk).update(next_slot_at=slot)
    # No new version for the claim: a claimed message shows as waiting until its outcome is recorded
    # (record() moves the version on). Touching the incident here would hold up the claim, and claims
    # that leave late leave together, over the provider's rate.
    return jobs


def _began(row: Notification) -> bool:
    return Attempt.objects.filter(notification=row, number=row.attempts, started_at__isnull=False).exists()


def start(jobs: list[Job], *, worker: str, now: datetime) -> list[Job]:
    """Mark these attempts started, just before their transports are called; the jobs still ours.

    The mark is committed before any message leaves, so a restart knows which claims may have gone out.
    The lease is renewed from now for each transport's timeout: a message that waited for a free
    sending thread keeps its claim. A job whose lease ended meanwhile (another worker took it) is dropped.
    """
    if not jobs:
        return []
    with transaction.atomic():
        held = {
            (pk, attempts)
            for pk, attempts in Notification.objects.filter(
                pk__in=[j.id for j in jobs], state=NotificationState.SENDING, claimed_by=worker
            ).values_list("pk", "attempts")
        }
        mine = [j for j in jobs if (j.id, j.number) in held]
        by_lease: dict[timedelta, list[int]] = {}
        for job in mine:
            by_lease.setdefault(lease(job.transport), []).append(job.id)
        for length, ids in by_lease.items():  # one update per lease length, not one per message
            Notification.objects.filter(pk__in=ids, state=NotificationState.SENDING, claimed_by=worker).update(
                lease_until=now + length
            )
        Attempt.objects.filter(pk__in=[j.attempt_id for j in mine]).update(started_at=now)
    for lost in {j.id for j in jobs} - {j.id for j in mine}:
        log.warning("notification #%s: claim lost before it was sent", lost)
    return mine


def _outgoing(row: Notification) -> Outgoing:
    return Outgoing(
        key=row.key,
        address=row.address,
        recipient=row.recipient_name,
        subject=row.subject,
        body=row.body,
        short=row.short,
        link=row.link,
        ack_link=row.ack_link,
    )


def _unconfigured(name: str, now: datetime) -> None:
    for row in Notification.objects.filter(_due(now), transport=name)[:100]:
        with transaction.atomic():
            if Notification.objects.filter(pk=row.pk, state=row.state).update(
                state=NotificationState.FAILED, permanent=True, last_error=f"the {name} channel is not configured"
            ):
                dispatch.failed(row, now)
        touch(row.incident_id)


def send(job: Job) -> Result:
    """Send one message (in a pool thread: no database here)."""
    try:
        receipt = job.transport.send(job.message)
    except TransportError as exc:
        outcome = Outcome.PERMANENT if exc.permanent else Outcome.TEMPORARY
        return Result(outcome, error=str(exc), retry_after=exc.retry_after, maybe_sent=exc.maybe_sent)
    except Exception as exc:  # a transport bug must not lose the message: retry, and log it
        log.exception("sending notification #%s failed unexpectedly", job.id)
        return Result(Outcome.TEMPORARY, error=f"unexpected error: {exc!r}")
    return Result(Outcome.SENT, receipt)


def record(job: Job, result: Result, *, worker: str, now: datetime) -> None:
    """Write the outcome of one attempt, if this worker still holds the claim."""
    with transaction.atomic():
        failed_for_good = result.outcome is Outcome.PERMANENT or (
            result.outcome is Outcome.TEMPORARY and job.number >= MAX_ATTEMPTS
        )
        mine = Notification.objects.filter(
            pk=job.id, state=NotificationState.SENDING, claimed_by=worker, attempts=job.number
        )
        if result.outcome is Outcome.SENT:
            assert result.receipt is not None
            changed = mine.update(
                state=NotificationState.SENT,
                sent_at=now,
                provider_ref=result.receipt.provider_ref[:200],
                last_error="",
                lease_until=None,
            )
        elif result.outcome is Outcome.TEMPORARY and job.number < MAX_ATTEMPTS:
            changed = mine.update(
                state=NotificationState.PENDING,
                next_attempt_at=now + backoff(job.number, result.retry_after),
                last_error=result.error,
                lease_until=None,
                # No answer in time: it may have gone, so the retry may be a second copy; say so.
                maybe_duplicate=True if result.maybe_sent else F("maybe_duplicate"),
            )
        else:
            error = (
                result.error
                if result.outcome is Outcome.PERMANENT
                else f"gave up after {job.number} attempts: {result.error}"
            )
            changed = mine.update(
                state=NotificationState.FAILED,
                permanent=result.outcome is Outcome.PERMANENT,
                last_error=error,
                lease_until=None,
            )
        if not changed:
            log.warning("notification #%s: claim lost before its outcome was recorded", job.id)
            return
        Attempt.objects.filter(notification_id=job.id, number=job.number).update(
            finished_at=now, outcome=result.outcome, error=result.error
        )
        if failed_for_good:
            dispatch.failed(Notification.objects.get(pk=job.id), now)
    touch(job.incident_id)


def release(job: Job, *, worker: str) -> None:
    """Give back a claimed message that was never handed to its transport (the worker is stopping)."""
    with transaction.atomic():
        if Notification.objects.filter(
            pk=job.id, state=NotificationState.SENDING, claimed_by=worker, attempts=job.number
        ).update(state=NotificationState.PENDING, attempts=job.number - 1, lease_until=None, claimed_by=""):
            Attempt.objects.filter(notification_id=job.id, number=job.number).delete()
    touch(job.incident_id)


def advance_waits(*, now: datetime, limit: int = 200) -> int:
    """Move on every callout whose wait for an acknowledgement has ended."""
    due = list(
        Callout.objects.filter(state=CalloutState.WAITING, ack_due_at__lte=now)
        .order_by("ack_due_at", "id")
        .values_list("id", "step")[:limit]
    )
    return sum(dispatch.wait_over(pk, step, now) for pk, step in due)


def run_until_idle(*, worker: str = "inline", clock: Clock = timezone.now, limit: int = 10_000) -> tuple[int, int]:
    """Send everything due and move on every ended wait, one at a time, unpaced (tests, --once).

    Returns (messages sent or failed, call-outs moved on).
    """
    sent = moved = 0
    while sent + moved < limit:
        now = clock()
        waits = advance_waits(now=now)
        jobs = claim(worker=worker, now=now, capacity=50, paced=False)
        for job in start(jobs, worker=worker, now=now):
            record(job, send(job), worker=worker, now=clock())
        sent, moved = sent + len(jobs), moved + waits
        if not jobs and not waits:
            break
    return sent, moved


class _Sender:
    """One delivery loop's state: messages claimed ahead (in slot order) and messages being sent."""

    def __init__(self, *, worker: str, threads: int, poll: float, clock: Clock, wake: Callable[[], None]) -> None:
        self.worker = worker
        self.threads = threads
        self.poll = poll
        self.clock = clock
        self.wake = wake
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="contingency-send")
        self.waiting: list[Job] = []  # claimed, in slot order
        self.inflight: dict[Future[Result], Job] = {}
        self.next_claim = 0.0

    def tick(self) -> float:
        """Record what finished, claim ahead by HORIZON when due, hand out what is at its slot; the pause."""
        for future in [f for f in self.inflight if f.done()]:
            # Forgotten only once recorded: if the database fails here, the next pass records it.
            record(self.inflight[future], future.result(), worker=self.worker, now=self.clock())
            del self.inflight[future]
        if time.monotonic() >= self.next_claim:
            # Claim again soon while there is work; otherwise wait out the poll interval.
            self.next_claim = time.monotonic() + self.poll
            now = self.clock()
            advance_waits(now=now)
            room = self.threads * 4 - len(self.waiting) - len(self.inflight)
            if room > 0:
                for job in claim(worker=self.worker, now=now, capacity=room):
                    heapq.heappush(self.waiting, job)
            if self.waiting or self.inflight:
                self.next_claim = time.monotonic() + 0.05
        ready: list[Job] = []
        while self.waiting and self.waiting[0].slot <= self.clock() and len(self.inflight) + len(ready) < self.threads:
            ready.append(heapq.heappop(self.waiting))
        for job in start(ready, worker=self.worker, now=self.clock()):
            future = self.pool.submit(send, job)
            self.inflight[future] = job
            future.add_done_callback(lambda _: self.wake())  # record it at once
        pause = self.next_claim - time.monotonic()
        if self.waiting and len(self.inflight) < self.threads:
            pause = min(pause, (self.waiting[0].slot - self.clock()).total_seconds())
        return max(0.001, min(pause, self.poll))

    def finish(self) -> None:
        """Hand back what was claimed but not sent; record what was being sent."""
        for job in self.waiting:
            release(job, worker=self.worker)
        for future, job in self.inflight.items():
            record(job, future.result(), worker=self.worker, now=self.clock())
        self.pool.shutdown(wait=True)


def loop(
    stop: threading.Event, *, poll: float = 1.0, threads: int = 32, worker: str, clock: Clock = timezone.now
) -> None:
    """Deliver until `stop` is set: claims ahead by HORIZON, hands each message to the pool at its slot.

    The waiting, stopping and error handling are core.poller's, as for the timed actions.
    """
    poller = Poller(f"delivery {worker}", stop=stop, poll=poll, log=log, about=f", {threads} sending threads")
    sender = _Sender(worker=worker, threads=threads, poll=poll, clock=clock, wake=poller.wake)
    poller.run(sender.tick, finish=sender.finish)


def start_thread(*, poll: float = 1.0, worker: str) -> tuple[threading.Thread, threading.Event]:
    """The in-process delivery of `contingency serve`: set the event, then join the thread, to stop it."""
    return start_poller(loop, name="contingency-delivery", poll=poll, worker=worker)
