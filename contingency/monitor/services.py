"""Probe services: sites and their tokens, a report received, each system's verdict acted on.

Keyword-only, one transaction each, audited where a person acts. A report is stored and every
monitored system of the organisation decided again in the report's transaction (ADR 0019): a
complete failure held for the plan's `failAfter` opens one suspected incident (incidents.services.
report, with the confirm checks the probes answer) and calls the system's owner through the outbox;
recovery at every site for `recoverAfter` proposes restoration on that incident. The worker's sweep
(worker.py) calls `evaluate` too, when a site falls silent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Organisation
from contingency.incidents import assess
from contingency.incidents import services as incidents
from contingency.incidents.firing import add_tasks, note
from contingency.incidents.models import OPEN_STATES, EventKind, Incident, State, TaskSource
from contingency.incidents.routing import TaskSpec
from contingency.incidents.snapshot import calendar_of
from contingency.lib import probesign
from contingency.notify import dispatch
from contingency.notify.calltree import call_tree
from contingency.plans.graph import Ref
from contingency.plans.models import Plan
from contingency.plans.models import System as SystemRow
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import AudienceEntry, CallTree, Channel
from contingency.plans.spec.directory import System
from contingency.plans.store import export_plan

from . import checklist, events, verdict
from .models import CheckResult, ProbeSite, StatusChange, SystemStatus
from .verdict import WORDS, Run, Site
from .verdict import State as Verdict

Actor = AbstractBaseUser | AnonymousUser | None
VIA = "probes"
NO_NEWS_AFTER = 3  # a site that has not reported for this many of its intervals has no news
HISTORY = 50  # results per check and site read for a verdict (more than any threshold needs)


class MonitorError(Refused):
    code = "monitor.refused"


# ---------------------------------------------------------------- sites and tokens


def _audit_site(site: ProbeSite, *, actor: Actor, via: str, verb: str, before: Any, after: Any, what: str) -> None:
    audit.record(
        organisation=site.organisation,
        actor=actor,
        verb=verb,
        object_type="probe-site",
        object_key=site.name,
        label=f"Probe site {site.name}",
        before=before,
        after=after,
        note=what,
        via=via,
    )


def _site_state(site: ProbeSite) -> dict[str, Any]:
    return {"name": site.name, "key": site.key_id, "revoked": site.revoked_at is not None}


def add_site(
    *, organisation: Organisation, name: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> tuple[ProbeSite, str]:
    """A new probe site and its token (returned here once, never stored)."""
    name = name.strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "-_." for c in name):
        raise MonitorError("a site name is 1 to 64 letters, digits, '-', '_' or '.' (e.g. main-xray)", "name")
    now = at or timezone.now()
    token = probesign.new_token()
    with transaction.atomic():
        if ProbeSite.objects.filter(organisation=organisation, name=name).exists():
            raise MonitorError(f"there is already a probe site {name!r}: revoke it first to make a new token", "name")
        site = ProbeSite.objects.create(
            organisation=organisation,
            name=name,
            key_id=token.key_id,
            signing_key=probesign.signing_key(token.secret).hex(),
            created_at=now,
            created_by_name=audit.actor_name(actor, via),
        )
        _audit_site(
            site,
            actor=actor,
            via=via,
            verb=audit.Verb.CREATE,
            before=None,
            after=_site_state(site),
            what="probe token made",
        )
    return site, str(token)


def revoke_site(*, site: ProbeSite, actor: Actor, via: str = "web", at: datetime | None = None) -> ProbeSite:
    """The site's token stops working at once; its results stay, and its name may be used again."""
    now = at or timezone.now()
    with transaction.atomic():
        site = ProbeSite.objects.select_for_update().get(pk=site.pk)
        if site.revoked_at is not None:
            raise MonitorError(f"the probe site {site.name!r} is already revoked")
        before = _site_state(site)
        site.revoked_at = now
        site.name = f"{site.name}~{site.key_id}"[:64]
        site.save(update_fields=["revoked_at", "name"])
        _audit_site(
            site,
            actor=actor,
            via=via,
            verb=audit.Verb.DELETE,
            before=before,
            after=_site_state(site),
            what="probe token revoked",
        )
        evaluate(site.organisation, at=now)
    return site


# ---------------------------------------------------------------- a report


@dataclass(frozen=True)
class ResultIn:
    plan: str
    system: str
    check: str
    at: datetime
    ok: bool
    layer: str = ""
    detail: str = ""
    warning: str = ""
    elapsed_ms: int = 0
    certificate_days: int | None = None


@dataclass
class Received:
    accepted: int = 0
    ignored: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # "plan/system": state


def record_report(
    *, site: ProbeSite, results: Sequence[ResultIn], every_seconds: int, at: datetime | None = None
) -> Received:
    """Store a site's round of results (those naming a check the plans still have) and decide again."""
    now = at or timezone.now()
    received = Received()
    with transaction.atomic():
        organisation = site.organisation
        monitored = watched(organisation)
        known = {(p.plan, p.check.id): p for one in monitored for p in one.planned}
        rows = []
        for result in results:
            planned = known.get((result.plan, result.check))
            if planned is None or planned.system != result.system:
                received.ignored.append(f"{result.plan}/{result.system}/{result.check}")
                continue
            rows.append(
                CheckResult(
                    organisation=organisation,
                    site=site,
                    plan_key=result.plan,
                    system_key=result.system,
                    check_key=result.check,
                    at=min(result.at, now),
                    received_at=now,
                    ok=result.ok,
                    layer=result.layer[:32],
                    detail=result.detail[:2000],
                    warning=result.warning[:2000],
                    elapsed_ms=max(0, result.elapsed_ms),
                    certificate_days=result.certificate_days,
                )
            )
        CheckResult.objects.bulk_create(rows)
        received.accepted = len(rows)
        ProbeSite.objects.filter(pk=site.pk).update(
            last_report_at=now, every_seconds=max(1, every_seconds), no_news_since=None, reports=F("reports") + 1
        )
        for status in evaluate(organisation, at=now, monitored=monitored):
            received.states[f"{status.plan_key}/{status.system_key}"] = status.state
    return received


# ---------------------------------------------------------------- deciding


@dataclass(frozen=True)
class Watched:
    """A plan's systems that have checks, read from their rows (the whole plan is exported only to open an incident)."""

    plan: Plan
    systems: tuple[System, ...]
    planned: tuple[checklist.Planned, ...]


Monitored = list[Watched]


def watched(organisation: Organisation) -> Monitored:
    """Every plan of the organisation with systems that have checks, and those checks."""
    rows = (
        SystemRow.objects.filter(plan__organisation=organisation)
        .select_related("plan")
        .order_by("plan__key", "position")
    )
    by_plan: dict[int, tuple[Plan, list[System]]] = {}
    for row in rows:
        if not any(component.get("checks") for component in row.components):
            continue
        spec = System.model_validate(
            {
                "id": row.key,
                "name": row.name,
                "components": row.components,
                "owner": row.owner_key or None,
                "probes": row.probes,
            }
        )
        by_plan.setdefault(row.plan_id, (row.plan, []))[1].append(spec)
    return [
        Watched(plan, tuple(systems), tuple(p for system in systems for p in checklist.system_checks(plan.key, system)))
        for plan, systems in by_plan.values()
    ]


def fresh(site: ProbeSite, now: datetime) -> bool:
    """Whether the site has news: it has reported within NO_NEWS_AFTER of its intervals, and is not flagged."""
    if site.last_report_at is None or site.no_news_since is not None:
        return False
    return now - site.last_report_at <= timedelta(seconds=NO_NEWS_AFTER * site.every_seconds)


def _runs(site: ProbeSite, plan: str, check: str) -> list[Run]:
    rows = CheckResult.objects.filter(site=site, plan_key=plan, check_key=check).order_by("-at", "-id")[:HISTORY]
    return [Run(r.ok, r.degraded, r.layer, r.detail, r.at) for r in rows]


def sites_for(organisation: Organisation, planned: Sequence[checklist.Planned], now: datetime) -> list[Site]:
    """Every active site with its recent runs of these checks (for the pure verdict)."""
    return [
        Site(
            site.name,
            fresh(site, now),
            {p.check.id: runs for p in planned if (runs := _runs(site, p.plan, p.check.id))},
        )
        for site in ProbeSite.objects.filter(organisation=organisation, revoked_at__isnull=True).order_by("name")
    ]


def evaluate(
    organisation: Organisation, *, at: datetime | None = None, monitored: Monitored | None = None
) -> list[SystemStatus]:
    """Decide every monitored system of the organisation again, and act on what changed."""
    now = at or timezone.now()
    monitored = watched(organisation) if monitored is None else monitored
    everything = [p for one in monitored for p in one.planned]
    statuses = []
    with transaction.atomic():
        # One decision at a time per organisation, each reading what the others committed: two sites'
        # reports arriving together would otherwise each see only its own latest result, and an
        # outage that both complete would open nothing until the next round.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        all_sites = sites_for(organisation, everything, now)
        suspect = verdict.suspects(all_sites)
        for one in monitored:
            plan = one.plan
            for system in one.systems:
                mine = [p for p in one.planned if p.system == system.id]
                ids = {p.check.id for p in mine}
                sites = [Site(s.name, s.fresh, {k: v for k, v in s.runs.items() if k in ids}) for s in all_sites]
                open_on = system.probes.open_on.value if system.probes else "complete"
                found = verdict.system_verdict([p.rule for p in mine], sites, suspect, open_on=open_on)
                since = verdict.began(sites, [v.check for c in found.components for v in c.checks if v.opens], suspect)
                statuses.append(_apply(plan, system, found, since, now))
    return statuses


def _detail(found: verdict.SystemVerdict) -> dict[str, Any]:
    return {
        "components": [
            {
                "name": part.name,
                "state": part.state.value,
                "checks": [
                    {
                        "check": v.check,
                        "label": v.label,
                        "state": v.state.value,
                        "failing": [{"site": site, "what": what} for site, what in v.failing],
                        "passing": list(v.passing),
                        "held": v.held,
                        "upFor": v.up_for,
                    }
                    for v in part.checks
                ],
            }
            for part in found.components
        ],
        "failingSites": list(found.failing_sites),
        "silentSites": list(found.silent_sites),
        "suspectSites": list(found.suspect_sites),
    }


def _status(plan: Plan, system: System, now: datetime) -> SystemStatus:
    status, _ = SystemStatus.objects.get_or_create(
        organisation_id=plan.organisation_id,
        plan_key=plan.key,
        system_key=system.id,
        defaults={"name": system.name, "since": now, "evaluated_at": now, "state": Verdict.NO_NEWS.value},
    )
    return SystemStatus.objects.select_for_update(of=("self",)).select_related("incident").get(pk=status.pk)


def _apply(
    plan: Plan, system: System, found: verdict.SystemVerdict, since: datetime | None, now: datetime
) -> SystemStatus:
    status = _status(plan, system, now)
    if status.state != found.state.value or not status.changes.exists():
        previous = status.state if status.changes.exists() else ""
        StatusChange.objects.create(status=status, state=found.state.value, at=now, summary=found.summary)
        status.state, status.since = found.state.value, now
        events.status_changed.send(
            sender=SystemStatus,
            organisation=plan.organisation,
            plan=plan.key,
            system=system.id,
            name=system.name,
            state=found.state.value,
            previous=previous,
            summary=found.summary,
            at=now,
        )
    status.name, status.summary, status.detail, status.evaluated_at = system.name, found.summary, _detail(found), now
    incident = status.incident if status.incident is not None and status.incident.is_open else None
    if incident is None:
        incident = _open_incident_for(plan, system)
        status.incident = incident
        status.restore_proposed_at = None
    if found.opens is not None and incident is None:
        status.incident = _open(plan, system, found, since or now, now)
    elif found.failing:
        status.restore_proposed_at = None
    elif found.recovered and incident is not None and status.restore_proposed_at is None:
        _propose_restoration(incident, system, status, now)
        status.restore_proposed_at = now
    status.save()
    return status


def _open_incident_for(plan: Plan, system: System) -> Incident | None:
    return (
        Incident.objects.filter(
            organisation_id=plan.organisation_id,
            plan_key=plan.key,
            subject=f"system:{system.id}",
            state__in=OPEN_STATES,
        )
        .order_by("-reported_at")
        .first()
    )


def _open(plan: Plan, system: System, found: verdict.SystemVerdict, began_at: datetime, now: datetime) -> Incident:
    """A suspected incident with the confirm checks the probes answer, and the owner called."""
    document = export_plan(plan)
    ref = Ref.parse(f"system:{system.id}")
    confirm = [(c.key, c.if_not) for c in assess.checks_for(document, ref)]
    chosen = [(a.check, a.holds.value) for a in system.probes.answers] if system.probes else []
    answers = verdict.answers(confirm, chosen, found)
    complete = found.opens is Verdict.COMPLETE
    incident = incidents.report(
        plan=plan,
        subject=str(ref),
        actor=None,
        answers=answers,
        began_at=min(began_at, now),
        area="" if complete else ", ".join(found.failing_sites),
        description=f"Opened by the probes: {found.summary}",
        title=f"{system.name}: {WORDS[found.opens or Verdict.COMPLETE]} seen by the probes",
        via=VIA,
        at=now,
    )
    _call_owner(incident, document, system, found, now)
    return incident


def owner_tree(document: PlanDocument, system: System) -> CallTree | None:
    """Who the probes call for a system: its probes' call tree, else its owner (SMS, e-mail, telephone)."""
    key = system.probes.call_tree if system.probes else None
    tree = call_tree(document, key) if key else None
    if tree is None and system.owner:
        tree = CallTree(
            id=f"probes-{system.id}"[:64],
            name=f"Owner of {system.name}",
            audience=[AudienceEntry(to=system.owner)],
            channels=[Channel.SMS, Channel.EMAIL, Channel.PHONE],
        )
    return tree


def _call_owner(
    incident: Incident, document: PlanDocument, system: System, found: verdict.SystemVerdict, now: datetime
) -> None:
    tree = owner_tree(document, system)
    if tree is None:
        note(
            incident, EventKind.NOTIFIED, f"Nobody to call: {system.name} has no owner in the plan.", at=now, actor=VIA
        )
        return
    label = f"Probes: {system.name} {WORDS[found.opens or Verdict.COMPLETE]}"
    dispatch.start(incident=incident, tree=tree, event="probes:opened", label=label, message_key=tree.message, at=now)


def _propose_restoration(incident: Incident, system: System, status: SystemStatus, now: datetime) -> None:
    """A timeline entry (and, on an invoked incident, a task): the probes say it is back - restore?"""
    change = status.changes.filter(state__in=[Verdict.UP.value, Verdict.DEGRADED.value]).order_by("-at").first()
    back = change.at if change is not None else now
    local = calendar_of(incident).local(back)
    text = f"Probes say {system.name} is back at every site since {local:%H:%M}: restore?"
    note(incident, EventKind.DECISION, text, at=now, actor=VIA)
    if incident.state == State.INVOKED:
        spec = TaskSpec(
            key=f"probes:restore:{now:%Y%m%dT%H%M%S}",
            source=TaskSource.AD_HOC.value,
            origin="Probes",
            text=f"{text} Check with users and restore the incident if it is.",
            kind="check",
        )
        add_tasks(incident, [spec], at=now)
