"""The probes' periodic sweep: notice sites that stopped reporting, prune old results and nonces.

A report is acted on when it arrives (services.record_report); silence is not an event, so a sweep
looks for it. The sweep is a row (`Sweep`, name "probes") claimed by a conditional update
(`UPDATE ... SET next_at = now + EVERY WHERE name = 'probes' AND next_at <= now`): whichever worker
changes the row runs the sweep for that period, the others do nothing (ADR 0004's pattern). A site
whose last report is older than NO_NEWS_AFTER of its intervals is flagged "no news" once (a
conditional update again) and every system of its organisation is decided again without it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.lib.probesign import WINDOW

from . import services
from .models import KEEP, RETENTION, CheckResult, ProbeNonce, ProbeSite, Sweep

log = logging.getLogger("contingency.monitor")
NAME = "probes"
EVERY = timedelta(seconds=15)  # how often one of the workers sweeps


@dataclass(frozen=True)
class Swept:
    silenced: tuple[str, ...]  # "organisation/site" newly flagged no news
    pruned: int  # results and nonces deleted


def claim(now: datetime, *, worker: str = "") -> bool:
    """Take this period's sweep; False when another worker has it (or it is not due)."""
    due = Sweep.objects.filter(name=NAME).values_list("next_at", flat=True).first()
    if due is None:
        Sweep.objects.get_or_create(name=NAME, defaults={"next_at": now})
    elif due > now:
        return False  # a read only: a worker polling often does not contend for the write lock
    return Sweep.objects.filter(name=NAME, next_at__lte=now).update(next_at=now + EVERY, last_by=worker[:128]) == 1


def silent_sites(now: datetime) -> list[ProbeSite]:
    """Active sites not yet flagged whose last report (or creation) is too old."""
    found = []
    for site in ProbeSite.objects.filter(revoked_at__isnull=True, no_news_since__isnull=True):
        last = site.last_report_at or site.created_at
        if now - last > timedelta(seconds=services.NO_NEWS_AFTER * site.every_seconds):
            found.append(site)
    return found


def sweep(now: datetime) -> Swept:
    """Flag the silent sites (each once) and decide their organisations' systems again; prune."""
    silenced: list[str] = []
    organisations: set[int] = set()
    for site in silent_sites(now):
        with transaction.atomic():
            if ProbeSite.objects.filter(pk=site.pk, no_news_since__isnull=True).update(no_news_since=now) != 1:
                continue  # reported meanwhile, or another sweep flagged it
            log.warning(
                "no news from probe site %s of %s since %s", site.name, site.organisation_id, site.last_report_at
            )
            silenced.append(f"{site.organisation_id}/{site.name}")
            organisations.add(site.organisation_id)
    for organisation in Organisation.objects.filter(pk__in=organisations):
        services.evaluate(organisation, at=now)
    return Swept(tuple(silenced), prune(now))


def prune(now: datetime) -> int:
    """Delete results past RETENTION or beyond KEEP per check and site, and nonces past the signing window."""
    deleted = CheckResult.objects.filter(received_at__lt=now - RETENTION).delete()[0]
    deleted += ProbeNonce.objects.filter(seen_at__lt=now - timedelta(seconds=2 * WINDOW)).delete()[0]
    crowded = (
        CheckResult.objects.values("site_id", "plan_key", "check_key")
        .order_by()
        .annotate(n=Count("id"))
        .filter(n__gt=KEEP)
    )
    for group in crowded:
        keys = Q(site_id=group["site_id"], plan_key=group["plan_key"], check_key=group["check_key"])
        cutoff = CheckResult.objects.filter(keys).order_by("-at", "-id").values_list("at", flat=True)[KEEP - 1]
        deleted += CheckResult.objects.filter(keys, at__lt=cutoff).delete()[0]
    return deleted


def tick(*, now: Callable[[], datetime] = timezone.now, worker: str = "") -> Swept | None:
    """One pass: sweep if this worker wins the period's claim."""
    at = now()
    if not claim(at, worker=worker):
        return None
    return sweep(at)


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str = "") -> None:
    def once() -> None:
        done = tick(worker=worker)
        if done is not None and (done.silenced or done.pruned):
            log.info(
                "probes sweep: no news from %s; %d old row(s) pruned",
                ", ".join(done.silenced) or "nobody new",
                done.pruned,
            )

    Poller(f"probes sweep {worker}".strip(), stop=stop, poll=poll, log=log, about=f", every {EVERY.seconds}s").run(once)


def start_thread(poll: float = 5.0, *, worker: str = "") -> tuple[threading.Thread, threading.Event]:
    return start_poller(loop, name="contingency-probes", poll=poll, worker=worker)
