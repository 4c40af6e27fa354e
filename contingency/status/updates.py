"""Posting updates (for the public or for staff), the incident's one-button outage notice, maintenance windows.

Each is a service: keyword-only, `actor` and `via`, one transaction, audited. A public update and
any change to maintenance move the page's version on and queue its publishing in that transaction;
a public update also queues an e-mail to every subscriber (subscriptions.tell_subscribers).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.models import Organisation
from contingency.incidents.firing import note as timeline_note
from contingency.incidents.models import EventKind, Incident

from . import subscriptions, versions
from .current import reach_of
from .models import Audience, MaintenanceWindow, PublishedService, ServiceState, StatusUpdate
from .services import Actor, StatusError, apply_state, line, prose, record, site_of

LONGEST_WINDOW = timedelta(days=31)
NOTICE_KINDS = ("outage", "maintenance")


def _services_of(organisation: Organisation, services: Sequence[PublishedService]) -> list[PublishedService]:
    found = list(PublishedService.objects.filter(organisation=organisation, pk__in=[s.pk for s in services]))
    if len(found) != len({s.pk for s in services}):
        raise StatusError("choose services of this organisation's status page", "services")
    return found


def post_update(
    *,
    organisation: Organisation,
    text: str,
    audience: str,
    actor: Actor,
    text_cy: str = "",
    services: Sequence[PublishedService] = (),
    state: str = "",
    incident: Incident | None = None,
    via: str = "web",
    at: datetime | None = None,
) -> StatusUpdate:
    """Add an update (never changed afterwards).

    `state`, when given, is what the update announces for its services: with an incident, it holds
    while the incident runs (current.py); without one, it becomes their state set by hand.
    """
    now = at or timezone.now()
    text = prose(text, "text", required=True)
    text_cy = prose(text_cy, "text_cy")
    if audience not in Audience.values:
        raise StatusError("choose who the update is for: the public or staff only", "audience")
    if state and state not in ServiceState.values:
        raise StatusError(f"choose one of {', '.join(ServiceState.values)}, or none", "state")
    if state and not services:
        raise StatusError("choose the services the state is for", "services")
    if incident is not None and incident.organisation_id != organisation.pk:
        raise StatusError("that incident is not this organisation's", "incident")
    with transaction.atomic():
        if site_of(organisation) is None:
            raise StatusError("set up the status page first")
        chosen = _services_of(organisation, services)
        update = StatusUpdate.objects.create(
            organisation=organisation,
            incident=incident,
            audience=audience,
            state=state,
            text=text,
            text_cy=text_cy,
            at=now,
            author_id=actor.pk if actor is not None and actor.is_authenticated else None,
            author_name=audit.actor_name(actor, via),
        )
        update.services.set(chosen)
        if state and incident is None:
            for service in chosen:
                apply_state(service, ServiceState(state), f"update #{update.pk}", now)
        if audience == Audience.PUBLIC or (state and incident is None):
            versions.changed(organisation.pk, at=now, reason=f"update #{update.pk} posted")
        if audience == Audience.PUBLIC:
            subscriptions.tell_subscribers(update, at=now)
        record(
            organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CREATE,
            object_type="status-update",
            key=f"status/updates/{update.pk}",
            label=text[:80],
            after={
                "audience": audience,
                "state": state,
                "services": [s.key for s in chosen],
                "incident": incident.number if incident else None,
                "text": text,
                "textCy": text_cy,
            },
        )
    return update


def affected_services(incident: Incident) -> list[PublishedService]:
    """The published services the incident reaches (their system or function fails with its subject)."""
    reach = reach_of(incident)
    return [
        service
        for service in PublishedService.objects.filter(organisation_id=incident.organisation_id)
        if service.plan_key == incident.plan_key and service.subject in reach
    ]


def notice_text(kind: str, services: Sequence[PublishedService]) -> tuple[str, str]:
    """The words of the one-button notice, in English and Welsh (each service by its Welsh name if it has one)."""
    english = _names([s.name for s in services], "and")
    welsh = _names([s.name_cy or s.name for s in services], "a")
    if kind == "maintenance":
        return (
            f"{english}: down for maintenance. We will post an update here when it is back.",
            f"{welsh}: i lawr ar gyfer gwaith cynnal a chadw. Byddwn yn cyhoeddi diweddariad yma pan fydd yn ôl.",
        )
    return (
        f"{english}: not available at the moment. We know about the problem and are working to put it right. "
        "We will post an update here.",
        f"{welsh}: ddim ar gael ar hyn o bryd. Rydym yn gwybod am y broblem ac yn gweithio i'w datrys. "
        "Byddwn yn cyhoeddi diweddariad yma.",
    )


def _names(names: list[str], conjunction: str) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {conjunction} {names[-1]}"


def outage_notice(
    *, incident: Incident, kind: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> StatusUpdate:
    """The eye-care plan's "put up the maintenance page" in one step: a public update announcing an outage
    (or maintenance) of every published service the incident reaches, published at once, and a line
    on the incident's timeline."""
    now = at or timezone.now()
    if kind not in NOTICE_KINDS:
        raise StatusError("choose outage or maintenance", "kind")
    if not incident.is_open:
        raise StatusError(f"incident #{incident.number} has ended: post on the status page instead")
    services = affected_services(incident)
    if not services:
        raise StatusError(
            f"no service on the status page is affected by {incident.subject_name}: publish one first, "
            "or post an update on the status page"
        )
    if kind == "maintenance":
        state = ServiceState.MAINTENANCE
    else:
        state = ServiceState.PARTIAL if incident.assessment == "partial" else ServiceState.MAJOR
    english, welsh = notice_text(kind, services)
    with transaction.atomic():
        update = post_update(
            organisation=incident.organisation,
            text=english,
            text_cy=welsh,
            audience=Audience.PUBLIC,
            services=services,
            state=state,
            incident=incident,
            actor=actor,
            via=via,
            at=now,
        )
        timeline_note(
            incident,
            EventKind.UPDATE,
            f"Status page: {state.label} posted for {', '.join(s.name for s in services)}.",
            at=now,
            actor=audit.actor_name(actor, via),
            audience="public",
        )
    return update


def _window_state(window: MaintenanceWindow) -> dict[str, object]:
    return {
        "title": window.title,
        "startsAt": window.starts_at.isoformat(),
        "endsAt": window.ends_at.isoformat(),
        "services": sorted(s.key for s in window.services.all()),
        "cancelled": window.cancelled_at is not None,
    }


def schedule_maintenance(
    *,
    organisation: Organisation,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    actor: Actor,
    title_cy: str = "",
    description: str = "",
    description_cy: str = "",
    services: Sequence[PublishedService] = (),
    via: str = "web",
    at: datetime | None = None,
) -> MaintenanceWindow:
    """Plan a maintenance window: shown from now, its services under maintenance while it lasts."""
    now = at or timezone.now()
    title = line(title, "title")
    title_cy = line(title_cy, "title_cy", required=False)
    description = prose(description, "description")
    description_cy = prose(description_cy, "description_cy")
    if starts_at is None:
        raise StatusError("give the start", "starts_at")
    if ends_at is None:
        raise StatusError("give the end", "ends_at")
    if ends_at <= starts_at:
        raise StatusError("the end must come after the start", "ends_at")
    if ends_at <= now:
        raise StatusError("the window has already ended: give an end in the future", "ends_at")
    if ends_at - starts_at > LONGEST_WINDOW:
        raise StatusError("a window lasts at most 31 days", "ends_at")
    with transaction.atomic():
        if site_of(organisation) is None:
            raise StatusError("set up the status page first")
        chosen = _services_of(organisation, services)
        window = MaintenanceWindow.objects.create(
            organisation=organisation,
            title=title,
            title_cy=title_cy,
            description=description,
            description_cy=description_cy,
            starts_at=starts_at,
            ends_at=ends_at,
            created_at=now,
            created_by_name=audit.actor_name(actor, via),
        )
        window.services.set(chosen)
        later = [moment for moment in (starts_at, ends_at) if moment > now]
        versions.changed(organisation.pk, at=now, reason=f"maintenance '{title}' planned", later=later)
        record(
            organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CREATE,
            object_type="status-maintenance",
            key=f"status/maintenance/{window.uid}",
            label=title,
            after=_window_state(window),
        )
    return window


def cancel_maintenance(
    *, window: MaintenanceWindow, actor: Actor, via: str = "web", at: datetime | None = None
) -> MaintenanceWindow:
    """Call off a maintenance window (the calendar feed keeps it, as cancelled)."""
    now = at or timezone.now()
    with transaction.atomic():
        window = MaintenanceWindow.objects.select_for_update().select_related("organisation").get(pk=window.pk)
        if window.cancelled_at is not None:
            raise StatusError("this maintenance is already cancelled")
        if window.ends_at <= now:
            raise StatusError("this maintenance has already ended")
        before = _window_state(window)
        window.cancelled_at = now
        window.sequence += 1
        window.save(update_fields=["cancelled_at", "sequence"])
        versions.changed(window.organisation_id, at=now, reason=f"maintenance '{window.title}' cancelled")
        record(
            window.organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            object_type="status-maintenance",
            key=f"status/maintenance/{window.uid}",
            label=window.title,
            before=before,
            after=_window_state(window),
            note="cancelled",
        )
    return window
