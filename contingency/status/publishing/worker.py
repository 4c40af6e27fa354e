"""The publishing worker: claim due publish rows, push the organisation's bundle to the target, record it.

Rows are written by every change in its own transaction (versions.changed), one per configured
target, and at the moments maintenance starts and ends. A pass claims, per (organisation, target),
the oldest due row with a conditional update (pending -> running, with a lease; SKIP LOCKED on
PostgreSQL), builds the bundle as it is now, and pushes it outside any transaction. Success marks
the row done and every other row of that organisation and target that was due by the claim as
covered by it (the bundle already shows their change). Failure puts the row back with its tries
counted, the error kept and a growing delay (BACKOFF), never dropped: the admin page shows it. A
worker that dies mid-push leaves its row running until the lease ends; then any worker retakes it.
See docs/decisions/0021-status-page-published-by-the-worker.md.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.notify.models import MessageKind, Notification, NotificationState

from .. import readmodel, render
from ..models import JobState, PublishJob, Throttle
from .base import PublishError
from .targets import from_settings

log = logging.getLogger("contingency.status")
BACKOFF = (5, 15, 60, 300, 900, 3600)  # seconds before try 2, 3, ...; then hourly
LEASE = timedelta(minutes=5)
BATCH = 20


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF[min(attempts, len(BACKOFF)) - 1])


def _due(now: datetime) -> Q:
    pending = Q(state=JobState.PENDING, due_at__lte=now) & (Q(retry_at=None) | Q(retry_at__lte=now))
    return pending | Q(state=JobState.RUNNING, lease_until__lt=now)


@dataclass(frozen=True)
class Claimed:
    id: int
    organisation_id: int
    slug: str
    target: str
    attempts: int
    claimed_at: datetime


def claim(*, worker: str, now: datetime, limit: int = BATCH) -> list[Claimed]:
    """The oldest due row of each (organisation, target) not being published by another worker."""
    busy = set(
        PublishJob.objects.filter(state=JobState.RUNNING, lease_until__gte=now).values_list("organisation_id", "target")
    )
    seen: set[tuple[int, str]] = set()
    claimed: list[Claimed] = []
    rows = PublishJob.objects.filter(_due(now)).order_by("due_at", "id").select_related("organisation")
    for row in rows[: limit * 10]:
        pair = (row.organisation_id, row.target)
        if pair in seen or pair in busy or len(claimed) >= limit:
            continue
        seen.add(pair)
        with transaction.atomic():
            mine = PublishJob.objects.filter(pk=row.pk, state=row.state, attempts=row.attempts)
            locking = connection.features.has_select_for_update_skip_locked
            if locking and not mine.select_for_update(skip_locked=True).exists():
                continue
            if not mine.update(state=JobState.RUNNING, claimed_by=worker, lease_until=now + LEASE):
                continue  # another worker took it first
        claimed.append(Claimed(row.pk, row.organisation_id, row.organisation.slug, row.target, row.attempts, now))
    return claimed


def publish(job: Claimed, *, now: datetime) -> tuple[str, str]:
    """Build the bundle and push it: (version published, what was done). Raises PublishError."""
    target = from_settings().get(job.target)
    if target is None:
        raise PublishError(f"no publishing target named {job.target!r} is configured (CONTINGENCY_STATUS_...)")
    stamp = readmodel.stamp(job.slug, now)
    if stamp is None:
        return "", "the page is not published: nothing to push"
    files = render.bundle(readmodel.page(stamp, now).data)
    return stamp.version, target.publish(job.slug, files)


def record(job: Claimed, *, worker: str, now: datetime, version: str = "", error: str = "") -> None:
    """The outcome, if this worker still holds the claim."""
    with transaction.atomic():
        mine = PublishJob.objects.filter(pk=job.id, state=JobState.RUNNING, claimed_by=worker)
        if error:
            attempts = job.attempts + 1
            changed = mine.update(
                state=JobState.PENDING,
                attempts=F("attempts") + 1,
                retry_at=now + backoff(attempts),
                last_error=error[:2000],
                lease_until=None,
            )
        else:
            changed = mine.update(
                state=JobState.DONE, finished_at=now, version=version, last_error="", lease_until=None
            )
            if changed:
                PublishJob.objects.filter(
                    organisation_id=job.organisation_id,
                    target=job.target,
                    state=JobState.PENDING,
                    due_at__lte=job.claimed_at,
                ).update(state=JobState.DONE, finished_at=now, version=version, covered_by_id=job.id)
        if not changed:
            log.warning("publish job #%s: claim lost before its outcome was recorded", job.id)


def run_once(*, worker: str = "inline", now: datetime | None = None) -> tuple[int, int]:
    """One pass: publish what is due; (published, failed). `now` fixes the clock (tests)."""

    def clock() -> datetime:
        return now or timezone.now()

    done = failed = 0
    for job in claim(worker=worker, now=clock()):
        try:
            version, what = publish(job, now=clock())
        except Exception as exc:  # a target's refusal, or a bug: either way the row is retried, never lost
            failed += 1
            message = exc.message if isinstance(exc, PublishError) else f"unexpected error: {exc!r}"
            if isinstance(exc, PublishError):
                log.warning("publishing %s to %s failed (try %d): %s", job.slug, job.target, job.attempts + 1, message)
            else:
                log.exception("publishing %s to %s failed unexpectedly", job.slug, job.target)
            record(job, worker=worker, now=clock(), error=message)
            continue
        done += 1
        log.info("published %s to %s: %s", job.slug, job.target, what)
        record(job, worker=worker, now=clock(), version=version)
    housekeeping(clock())
    return done, failed


def housekeeping(now: datetime) -> None:
    """Wipe sent confirmations' addresses and links; forget old request counts."""
    Notification.objects.filter(
        kind=MessageKind.STATUS_CONFIRMATION,
        state__in=(NotificationState.SENT, NotificationState.FAILED, NotificationState.CANCELLED),
    ).exclude(address="").update(address="", recipient_name="(removed)", body="(removed once sent)")
    Throttle.objects.filter(window__lt=now - timedelta(days=1)).delete()


def loop(stop: threading.Event, *, poll: float = 2.0, worker: str) -> None:
    """Publish until `stop` is set (core.poller's loop)."""

    def tick() -> float | None:
        done, failed = run_once(worker=worker)
        return 0.05 if done + failed >= BATCH else None  # more may be waiting

    Poller(f"publisher {worker}", stop=stop, poll=poll, log=log, about=f", polling every {poll:g}s").run(tick)


def start_thread(*, poll: float = 2.0, worker: str) -> tuple[threading.Thread, threading.Event]:
    """The in-process publisher of `contingency serve`: set the event, then join the thread, to stop it."""
    return start_poller(loop, name="contingency-publisher", poll=poll, worker=worker)
