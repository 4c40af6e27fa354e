"""Packs queued by issuing a plan: a durable row, claimed by one worker, built, recorded once.

Issuing writes a PackJob in the issue's transaction (hooks.py). A worker claims it with a conditional
update that gives it a lease (`state` running, `attempts` + 1, `claimed_by`), builds the PDFs outside
any transaction (WeasyPrint takes seconds; SQLite's write lock is never held meanwhile), then in one
transaction finishes the job with a second conditional update on (running, claimed_by, attempts) and
writes the print record, the kept zip, the audit entry and the messages to copy holders. A worker that
dies mid-build leaves the job running until its lease ends; the next claim builds it again, and a
worker whose lease was taken over cannot finish it: each issue is recorded, and each holder told, once.
See docs/decisions/0016-print-register-feeds-lint.md.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contingency.core import audit
from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.plans.models import Plan

from . import notices
from .models import JobReason, JobState, PackJob
from .register import PackError, build_print, holder_copies, latest_issue_row, write_record

log = logging.getLogger("contingency.packs")
LEASE = timedelta(minutes=15)
MAX_ATTEMPTS = 5
Clock = Callable[[], datetime]


def _user(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def enqueue(*, plan: Plan, issue: int, actor: Any, via: str) -> PackJob:
    """Queue the packs of a new issue for every copy holder (once per issue: asking again is the same job)."""
    job, _ = PackJob.objects.get_or_create(
        plan=plan,
        issue=issue,
        reason=JobReason.ISSUE,
        defaults={"created_at": timezone.now(), "requested_by": _user(actor), "requested_via": via[:32]},
    )
    return job


def request_print(*, plan: Plan, copies: Sequence[int], actor: Any, via: str) -> PackJob:
    """Queue a print of the latest issue for the copies given (every copy holder when empty), audited.

    Refused (PackError) when the plan was never issued here, has no such copy, or has no copy holders.
    """
    numbers = sorted(set(copies))
    with transaction.atomic():
        latest = latest_issue_row(plan)
        if latest is None:
            raise PackError(f"{plan.title} has never been issued here: issue it before printing for its holders.")
        chosen = holder_copies(plan, numbers or None)
        if not chosen:
            raise PackError(f"{plan.title} has no registered copy holders to print for.", "copies")
        job = PackJob.objects.create(
            plan=plan,
            issue=latest.issue,
            reason=JobReason.REQUEST,
            copies=numbers,
            created_at=timezone.now(),
            requested_by=_user(actor),
            requested_via=via[:32],
        )
        audit.record(
            organisation=plan.organisation,
            actor=actor,
            verb="request-print",
            object_type="plan",
            object_key=plan.key,
            label=plan.title,
            after={"issue": latest.issue, "copies": [c.number for c in chosen]},
            note="grab pack queued for printing",
            via=via,
        )
    return job


def _claimable(now: datetime) -> Q:
    return Q(state=JobState.PENDING) | Q(state=JobState.RUNNING, lease_until__lt=now)


def claim(*, worker: str, now: datetime) -> PackJob | None:
    """Take the oldest job that is waiting (or whose worker's lease ran out); None when there is none."""
    candidates = PackJob.objects.filter(_claimable(now)).order_by("created_at", "id")
    for pk, state, attempts in candidates.values_list("pk", "state", "attempts")[:20]:
        taken = PackJob.objects.filter(_claimable(now), pk=pk, state=state, attempts=attempts).update(
            state=JobState.RUNNING, attempts=attempts + 1, claimed_by=worker[:64], lease_until=now + LEASE
        )
        if taken:
            return PackJob.objects.select_related("plan__organisation").get(pk=pk)
    return None


def _mine(job: PackJob, worker: str) -> Any:
    return PackJob.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=worker[:64], attempts=job.attempts)


def _end(job: PackJob, worker: str, *, state: JobState, now: datetime, error: str = "") -> bool:
    return bool(_mine(job, worker).update(state=state, finished_at=now, lease_until=None, last_error=error))


def run(job: PackJob, *, worker: str, clock: Clock = timezone.now) -> bool:
    """Build, record and announce one claimed job; False when it is not ours any more or did not finish."""
    newer = PackJob.objects.filter(plan=job.plan, issue__gt=job.issue, reason=JobReason.ISSUE).order_by("-issue")
    if (superseding := newer.first()) is not None:
        return _end(job, worker, state=JobState.DONE, now=clock(), error=f"superseded by issue {superseding.issue}")
    try:
        built = build_print(job.plan, copies=job.copies or None, issue=job.issue, via="pack worker")
    except PackError as refused:
        return _end(job, worker, state=JobState.DONE, now=clock(), error=f"nothing printed: {refused.message}")
    except Exception as exc:  # a bug or a broken library: try again later, a few times
        log.exception("pack job #%s (plan %s issue %s) failed", job.pk, job.plan.key, job.issue)
        retry = job.attempts < MAX_ATTEMPTS
        with transaction.atomic():
            _mine(job, worker).update(
                state=JobState.PENDING if retry else JobState.FAILED,
                lease_until=None,
                finished_at=None if retry else clock(),
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        return False
    now = clock()
    with transaction.atomic():
        if not _end(job, worker, state=JobState.DONE, now=now):
            log.warning("pack job #%s: the claim was lost before it finished; another worker builds it", job.pk)
            return False
        if job.reason == JobReason.ISSUE:
            note = f"issue {job.issue}: printed for every copy holder"
        else:
            note = f"printed as asked by {job.requested_by or job.requested_via}"
        actor = job.requested_by if job.reason == JobReason.REQUEST else None
        record = write_record(built, actor=actor, via="worker", note=note)
        PackJob.objects.filter(pk=job.pk).update(record=record)
        notices.tell_holders(record, at=now)
    return True


def run_until_idle(*, worker: str = "inline", clock: Clock = timezone.now, limit: int = 100) -> int:
    """Build every queued pack now, one at a time (tests, `worker --once`); returns how many were built."""
    built = 0
    for _ in range(limit):
        job = claim(worker=worker, now=clock())
        if job is None:
            break
        built += run(job, worker=worker, clock=clock)
    return built


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str) -> None:
    """Build queued packs until `stop` is set; the pack being built finishes first (see core.poller)."""

    def tick() -> None:
        while not stop.is_set() and (job := claim(worker=worker, now=timezone.now())) is not None:
            if run(job, worker=worker):
                log.info("packs %s built the packs of %s issue %s", worker, job.plan.key, job.issue)

    Poller(f"packs {worker}", stop=stop, poll=poll, log=log, about=f", polling every {poll:g}s").run(tick)


def start_thread(*, poll: float = 5.0, worker: str) -> tuple[threading.Thread, threading.Event]:
    """The in-process pack builder of `contingency serve`: set the event, then join the thread, to stop it."""
    return start_poller(loop, name="contingency-packs", poll=poll, worker=worker)
