"""Reading what the probes decided: for pages, the API and the public status page (keep these stable).

- `current_state(organisation, system, plan=None)`: the verdict on one system now.
- `states(organisation)`: every monitored system's verdict now.
- `history(organisation, system, plan=None, since=..., until=None)`: the changes of verdict, oldest first,
  starting with the state in force at `since`.
- `sites(organisation, now)`: each probe site with its last report, no-news flag and refusals.

States are the strings of verdict.State: "up", "degraded", "partial", "complete", "probe-suspect",
"no-news"; a system with checks nobody has decided yet is "no-news".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Sum
from django.utils import timezone

from contingency.core.models import Organisation

from .models import ProbeRefusal, ProbeSite, Refusal, StatusChange, SystemStatus
from .services import fresh
from .verdict import WORDS, State


@dataclass(frozen=True)
class SystemState:
    organisation: str  # slug
    plan: str
    system: str
    name: str
    state: str  # a verdict.State value
    words: str  # "complete failure", "up", ...
    since: datetime
    summary: str
    failing_sites: tuple[str, ...]
    silent_sites: tuple[str, ...]
    suspect_sites: tuple[str, ...]
    checked_at: datetime
    incident: int | None  # the number of the open incident the probes opened or follow
    detail: dict[str, Any]


@dataclass(frozen=True)
class StateChange:
    at: datetime
    state: str
    words: str
    summary: str


def _org(organisation: Organisation | str) -> Organisation:
    return organisation if isinstance(organisation, Organisation) else Organisation.objects.get(slug=organisation)


def _state(status: SystemStatus, slug: str) -> SystemState:
    detail = status.detail or {}
    incident = status.incident if status.incident is not None and status.incident.is_open else None
    return SystemState(
        organisation=slug,
        plan=status.plan_key,
        system=status.system_key,
        name=status.name,
        state=status.state,
        words=WORDS[State(status.state)],
        since=status.since,
        summary=status.summary,
        failing_sites=tuple(detail.get("failingSites", ())),
        silent_sites=tuple(detail.get("silentSites", ())),
        suspect_sites=tuple(detail.get("suspectSites", ())),
        checked_at=status.evaluated_at,
        incident=incident.number if incident else None,
        detail=detail,
    )


def states(organisation: Organisation | str) -> list[SystemState]:
    """Every system the probes have decided on, by plan and system."""
    org = _org(organisation)
    rows = SystemStatus.objects.filter(organisation=org).select_related("incident").order_by("plan_key", "system_key")
    return [_state(row, org.slug) for row in rows]


def current_state(organisation: Organisation | str, system: str, plan: str | None = None) -> SystemState | None:
    """The verdict on `system` (in `plan`, or the first plan that has it); None when no probe watches it."""
    org = _org(organisation)
    rows = SystemStatus.objects.filter(organisation=org, system_key=system).select_related("incident")
    row = (rows.filter(plan_key=plan) if plan else rows.order_by("plan_key")).first()
    return _state(row, org.slug) if row is not None else None


def history(
    organisation: Organisation | str,
    system: str,
    plan: str | None = None,
    *,
    since: datetime,
    until: datetime | None = None,
) -> list[StateChange]:
    """The verdicts from `since` to `until`: the one in force at `since` (dated `since`), then each change."""
    org = _org(organisation)
    statuses = SystemStatus.objects.filter(organisation=org, system_key=system)
    status = (statuses.filter(plan_key=plan) if plan else statuses.order_by("plan_key")).first()
    if status is None:
        return []
    changes = StatusChange.objects.filter(status=status)
    before = changes.filter(at__lte=since).order_by("-at", "-id").first()
    later = changes.filter(at__gt=since)
    if until is not None:
        later = later.filter(at__lte=until)
    found = [StateChange(since, before.state, WORDS[State(before.state)], before.summary)] if before else []
    return found + [StateChange(c.at, c.state, WORDS[State(c.state)], c.summary) for c in later.order_by("at", "id")]


@dataclass(frozen=True)
class SiteView:
    pk: int
    name: str
    active: bool
    created_at: datetime
    last_report_at: datetime | None
    reports: int
    every_seconds: int
    no_news: bool
    no_news_since: datetime | None
    refusals: int


@dataclass(frozen=True)
class RefusalCount:
    site: str
    reason: str
    words: str
    count: int
    first_at: datetime
    last_at: datetime


def sites(organisation: Organisation | str, now: datetime | None = None) -> list[SiteView]:
    """The organisation's probe sites, active first, with whether each has news and its refusals."""
    org = _org(organisation)
    now = now or timezone.now()
    refused = dict(
        ProbeRefusal.objects.filter(organisation=org).values_list("site_name").annotate(n=Sum("count")).order_by()
    )
    rows = ProbeSite.objects.filter(organisation=org).order_by("revoked_at", "name")
    return [
        SiteView(
            pk=site.pk,
            name=site.name,
            active=site.active,
            created_at=site.created_at,
            last_report_at=site.last_report_at,
            reports=site.reports,
            every_seconds=site.every_seconds,
            no_news=site.active and not fresh(site, now),
            no_news_since=site.no_news_since,
            refusals=int(refused.get(site.name, 0) or 0),
        )
        for site in rows
    ]


def refusals(organisation: Organisation | str) -> list[RefusalCount]:
    org = _org(organisation)
    rows = ProbeRefusal.objects.filter(organisation=org).order_by("-last_at")
    return [RefusalCount(r.site_name, r.reason, Refusal(r.reason).label, r.count, r.first_at, r.last_at) for r in rows]


def window(now: datetime, hours: int = 24) -> tuple[datetime, datetime]:
    return now - timedelta(hours=hours), now
