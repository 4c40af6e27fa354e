"""A published service's current state: the worst of what each source reads for it.

`current_state(organisation, service)` is the one question; `states` answers it for many services
with the facts loaded once (the page asks for all of them). The sources are plain functions over
those facts, listed in SOURCES:

- `manual`: the state the organisation set by hand (operational, degraded, partial or major outage,
  maintenance);
- `incidents`: a running incident of one of the organisation's plans that reaches the service (its
  system or function fails with the incident's subject), read by its assessment, or by the state
  its latest public update announced for the service (see states.from_incident);
- `maintenance`: a maintenance window in progress that names the service.

The seam for the probes: a source `probes(situation, service)` reading each system's verdict
(up: nothing; degraded: DEGRADED; partial: PARTIAL; complete: MAJOR; probe suspect and no news:
nothing publicly) is appended to SOURCES, with its facts loaded in `situation()`. Whatever changes
a verdict must then also call `versions.changed` so the page and the published bundle follow.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from contingency.core.models import Organisation
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import document_of
from contingency.plans.graph import BadReference, Ref, build_graph

from .models import MaintenanceWindow, PublishedService, ServiceState, StatusUpdate
from .states import Reading, from_incident, reached, worst

RUNNING = ("reported", "invoked")


@dataclass(frozen=True)
class IncidentFacts:
    number: int
    plan_key: str
    state: str
    assessment: str
    reach: Mapping[str, bool]  # kind:id -> reached only through a redundant part
    announced: Mapping[int, str] = field(default_factory=dict)  # service id -> state its updates announced


@dataclass(frozen=True)
class WindowFacts:
    title: str
    services: frozenset[int]


@dataclass(frozen=True)
class Situation:
    """What the sources read, loaded once for an organisation at a moment."""

    at: datetime
    incidents: tuple[IncidentFacts, ...] = ()
    windows: tuple[WindowFacts, ...] = ()


@dataclass(frozen=True)
class Current:
    state: ServiceState
    readings: tuple[Reading, ...]


Source = Callable[[Situation, PublishedService], Iterable[Reading]]


def manual(situation: Situation, service: PublishedService) -> Iterable[Reading]:
    if service.state != ServiceState.OPERATIONAL:
        yield Reading(ServiceState(service.state), "manual", service.state_note)


def incidents(situation: Situation, service: PublishedService) -> Iterable[Reading]:
    for incident in situation.incidents:
        announced = incident.announced.get(service.pk, "")
        reaches = incident.plan_key == service.plan_key and service.subject in incident.reach
        if not announced and not reaches:
            continue
        state = from_incident(
            state=incident.state,
            assessment=incident.assessment,
            degraded=incident.reach.get(service.subject, False),
            announced=announced,
        )
        if state is not None:
            yield Reading(state, "incident", f"incident #{incident.number}")


def maintenance(situation: Situation, service: PublishedService) -> Iterable[Reading]:
    for window in situation.windows:
        if service.pk in window.services:
            yield Reading(ServiceState.MAINTENANCE, "maintenance", window.title)


SOURCES: list[Source] = [manual, incidents, maintenance]


def situation(organisation: Organisation, at: datetime) -> Situation:
    """The running incidents and the maintenance in progress: three queries."""
    running = list(
        Incident.objects.filter(organisation=organisation, state__in=RUNNING).only(
            "id", "number", "plan_key", "state", "assessment", "subject", "snapshot", "reported_at"
        )
    )
    announced: dict[int, dict[int, str]] = {}
    updates = (
        StatusUpdate.services.through.objects.filter(
            statusupdate__incident__in=[i.pk for i in running], statusupdate__audience="public"
        )
        .exclude(statusupdate__state="")
        .order_by("statusupdate__at", "statusupdate__id")
        .values_list("statusupdate__incident_id", "publishedservice_id", "statusupdate__state")
    )
    for incident_id, service_id, state in updates:
        announced.setdefault(incident_id, {})[service_id] = state  # the latest wins
    windows = MaintenanceWindow.objects.filter(
        organisation=organisation, cancelled_at=None, starts_at__lte=at, ends_at__gt=at
    ).prefetch_related("services")
    return Situation(
        at=at,
        incidents=tuple(
            IncidentFacts(i.number, i.plan_key, i.state, i.assessment, reach_of(i), announced.get(i.pk, {}))
            for i in running
        ),
        windows=tuple(WindowFacts(w.title, frozenset(s.pk for s in w.services.all())) for w in windows),
    )


def states(
    organisation: Organisation,
    services: Iterable[PublishedService],
    *,
    at: datetime | None = None,
    facts: Situation | None = None,
) -> dict[int, Current]:
    """Each service's current state (by id), with the readings that decided it."""
    facts = facts or situation(organisation, at or timezone.now())
    found: dict[int, Current] = {}
    for service in services:
        readings = tuple(reading for source in SOURCES for reading in source(facts, service))
        found[service.pk] = Current(worst(readings), readings)
    return found


def current_state(organisation: Organisation, service: PublishedService, *, at: datetime | None = None) -> Current:
    """The state the status page shows for `service` now (or at `at`), and why."""
    return states(organisation, [service], at=at)[service.pk]


_REACH: OrderedDict[tuple[int, str], Mapping[str, bool]] = OrderedDict()
_LOCK = threading.Lock()


def reach_of(incident: Incident) -> Mapping[str, bool]:
    """What fails with the incident's subject, by its snapshot (which never changes: cached by id)."""
    key = (incident.pk, incident.reported_at.isoformat())
    with _LOCK:
        if key in _REACH:
            return _REACH[key]
    try:
        found = reached(build_graph(document_of(incident)), Ref.parse(incident.subject))
    except BadReference:
        found = {}
    with _LOCK:
        _REACH[key] = found
        while len(_REACH) > 256:
            _REACH.popitem(last=False)
    return found
