"""Reading incidents for pages and the API: open incidents ranked by urgency, and what is next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, Q, QuerySet

from contingency.core.models import Organisation

from . import readmodel
from .models import OPEN_STATES, OVERDUE_GRACE, AffectedFunction, DueAction, DueState, Incident, TaskState
from .urgency import IncidentClock, Ranked, rank


@dataclass(frozen=True)
class RankedIncident:
    incident: Incident
    ranked: Ranked
    open_tasks: int
    overdue_tasks: int
    next_due: DueAction | None


def clock_of(incident: Incident) -> IncidentClock:
    """What the ranking reads, from the read model (the affected rows as prefetched)."""
    return IncidentClock(
        id=incident.pk,
        invoked=incident.invoked_at is not None,
        severity=incident.severity,
        functions=[readmodel.function_clock(a) for a in incident.affected.all()],
        stopped_at=readmodel.stopped_at(incident),
    )


def real(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    """Leave out exercises' incidents (contingency.exercises): lists, rankings and figures are of real ones."""
    return incidents.filter(exercise__isnull=True)


def open_incidents(organisation: Organisation) -> QuerySet[Incident]:
    return real(Incident.objects.filter(organisation=organisation, state__in=OPEN_STATES))


def ranked_open(organisation: Organisation, now: datetime) -> list[RankedIncident]:
    """Every open incident of the organisation, most urgent first (see urgency.py), with task counts."""
    rows = list(
        open_incidents(organisation)
        .defer("snapshot")  # the plan as invoked, tens of kB of JSON each: the ranking never reads it
        .select_related("organisation")
        .prefetch_related(Prefetch("affected", queryset=AffectedFunction.objects.order_by("position")))
        .annotate(
            open_count=Count("tasks", filter=Q(tasks__state__in=(TaskState.OPEN, TaskState.STARTED))),
            overdue_count=Count(
                "tasks",
                filter=Q(tasks__state__in=(TaskState.OPEN, TaskState.STARTED), tasks__due_at__lt=now - OVERDUE_GRACE),
            ),
        )
    )
    by_id = {i.pk: i for i in rows}
    upcoming: dict[int, DueAction] = {}
    for due in DueAction.objects.filter(
        incident_id__in=by_id, state=DueState.PENDING, kind__in=("trigger", "duration")
    ).order_by("due_at", "id"):
        upcoming.setdefault(due.incident_id, due)
    return [
        RankedIncident(
            by_id[r.id],
            r,
            getattr(by_id[r.id], "open_count", 0),
            getattr(by_id[r.id], "overdue_count", 0),
            upcoming.get(r.id),
        )
        for r in rank((clock_of(i) for i in rows), now)
    ]


def next_due(incident: Incident, limit: int = 5) -> list[DueAction]:
    return list(
        DueAction.objects.filter(incident=incident, state=DueState.PENDING, kind__in=("trigger", "duration")).order_by(
            "due_at", "id"
        )[:limit]
    )
