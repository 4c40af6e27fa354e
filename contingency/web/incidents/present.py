"""What the incident pages show, as plain rows: tasks grouped with their owners' contacts, clocks, members.

The views stay short: they fetch the incident and hand it here; the templates only lay out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import Http404

from contingency.core.models import Organisation
from contingency.incidents import readmodel
from contingency.incidents.assess import elapsed_words
from contingency.incidents.models import (
    AffectedFunction,
    EventKind,
    Incident,
    InformTarget,
    State,
    Task,
    TaskSource,
    TaskState,
    TimelineEntry,
)
from contingency.incidents.queries import next_due
from contingency.incidents.readmodel import IncidentState
from contingency.incidents.snapshot import calendar_of, resolver_for
from contingency.plans import people
from contingency.plans.guidance import Callee

SOURCE_TITLES = {
    TaskSource.RESPONSE: "Response",
    TaskSource.TRIGGER: "Trigger points",
    TaskSource.DURATION: "If it lasts (duration rules)",
    TaskSource.RESTORATION: "Restoration",
    TaskSource.AD_HOC: "Added during the incident",
}


@dataclass
class Problem:
    """A refused change: which form, which field, the message, and the id of the input to link to."""

    form: str
    field: str | None
    message: str
    anchor: str = ""


@dataclass
class TargetRow:
    target: InformTarget
    callee: Callee | None


@dataclass
class TaskRow:
    task: Task
    owner: Callee | None
    targets: list[TargetRow]
    overdue: bool
    due_now: bool = False
    problem: Problem | None = None


@dataclass
class TaskGroup:
    source: str
    title: str
    origin: str
    due_at: datetime | None
    rows: list[TaskRow] = field(default_factory=list)

    @property
    def open_rows(self) -> list[TaskRow]:
        return [r for r in self.rows if r.task.is_open]

    @property
    def first_open(self) -> int | None:
        """The id of the group's first open task: the group's close-all form is posted against it."""
        return next((r.task.pk for r in self.rows if r.task.is_open), None)

    @property
    def form_key(self) -> str:
        return f"group-{self.first_open}"


@dataclass(frozen=True)
class FunctionRow:
    affected: AffectedFunction
    rto_left: str
    mtpd_left: str
    rto_over: bool
    mtpd_over: bool
    impact_now: str
    actual: str  # downtime once restored


def incident_of(organisation: Organisation, number: int) -> Incident:
    """The organisation's incident `number`, or 404. The snapshot (tens of kB of JSON) is read only when
    its parsed copy is not cached (incidents.snapshot); the organisation is the one already at hand."""
    try:
        incident = Incident.objects.defer("snapshot").get(organisation=organisation, number=number)
    except Incident.DoesNotExist:
        raise Http404("No such incident.") from None
    incident.organisation = organisation
    return incident


def left(due: datetime | None, now: datetime) -> tuple[str, bool]:
    """ "3 hours 20 minutes" left, or "overdue by 2 hours"; and whether it is past."""
    if due is None:
        return "", False
    return elapsed_words(due - now), due <= now


def functions(state: IncidentState) -> list[FunctionRow]:
    """The functions affected, with their clocks as the read model has them."""
    actual = state.downtime_words if state.stopped else ""
    return [
        FunctionRow(f.affected, f.rto_words, f.mtpd_words, f.rto_over, f.mtpd_over, f.impact_now, actual)
        for f in state.functions
    ]


def task_groups(incident: Incident, now: datetime) -> list[TaskGroup]:
    """Tasks by source and origin (a procedure, a trigger point's occurrence), in the order they came."""
    resolver = resolver_for(incident, now)
    callees: dict[str, Callee | None] = {}  # the same people and departments recur across tasks

    def callee(key: str) -> Callee | None:
        if key not in callees:
            callees[key] = resolver.callee(key)
        return callees[key]

    groups: dict[tuple[str, str], TaskGroup] = {}
    tasks = Task.objects.filter(incident=incident).select_related("assignee", "replaced_by").order_by("position")
    # The targets in one plain query (Django's prefetch costs more than the query here).
    targets_of: dict[int, list[InformTarget]] = {}
    for target in InformTarget.objects.filter(task__incident=incident).order_by("task_id", "position"):
        targets_of.setdefault(target.task_id, []).append(target)
    order = list(SOURCE_TITLES)
    for task in tasks:
        key = (task.source, task.origin)
        group = groups.get(key)
        if group is None:
            title = SOURCE_TITLES.get(TaskSource(task.source), task.source) if task.source in order else task.source
            group = groups[key] = TaskGroup(task.source, str(title), task.origin, task.due_at)
        targets = [TargetRow(t, callee(t.key)) for t in targets_of.get(task.pk, [])]
        row = TaskRow(task, callee(task.who_key), targets, task.is_overdue(now), task.is_due_now(now))
        group.rows.append(row)
    return sorted(groups.values(), key=lambda g: order.index(TaskSource(g.source)) if g.source in order else 99)


def contacts_of(groups: list[TaskGroup]) -> list[Callee]:
    """Everyone the open tasks name, each once, in the order they first appear (the printed directory)."""
    seen: dict[str, Callee] = {}
    for row in rows_of(groups):
        if not row.task.is_open:
            continue
        for callee in (row.owner, *(t.callee for t in row.targets)):
            if callee is not None:
                seen.setdefault(callee.key, callee)
    return list(seen.values())


def rows_of(groups: list[TaskGroup]) -> list[TaskRow]:
    return [row for group in groups for row in group.rows]


def task_counts(groups: list[TaskGroup]) -> dict[str, int]:
    rows = [r for r in rows_of(groups) if r.task.state != TaskState.REROUTED]
    return {
        "open": sum(1 for r in rows if r.task.is_open),
        "overdue": sum(1 for r in rows if r.overdue),
        "due_now": sum(1 for r in rows if r.due_now),
        "done": sum(1 for r in rows if r.task.state == TaskState.DONE),
        "all": len(rows),
    }


def timeline(incident: Incident, order: str, kind: str) -> list[TimelineEntry]:
    entries = TimelineEntry.objects.filter(incident=incident)
    if kind in EventKind.values:
        entries = entries.filter(kind=kind)
    return list(entries.order_by("at", "id") if order == "oldest" else entries.order_by("-at", "-id"))


def clock_facts(state: IncidentState) -> dict[str, Any]:
    calendar = calendar_of(state.incident)
    now = state.now
    return {
        "zone": calendar.zone,
        "in_hours": calendar.is_in_hours(now),
        "why_out": calendar.why_out_of_hours(now),
        "downtime": state.downtime_words,
        "downtime_label": "Downtime" if state.stopped else "Downtime so far",
        "now": now,
    }


def members(organisation: Organisation) -> list[tuple[int, str]]:
    """(id, name) of the organisation's active members, by name: their own name, else the plans' person
    they are linked to, else their user name."""
    return sorted(people.names(organisation).items(), key=lambda item: (item[1].casefold(), item[0]))


def live_context(incident: Incident, now: datetime, order: str = "newest", kind: str = "") -> dict[str, Any]:
    """Everything the live region shows; the full page adds its forms."""
    groups = task_groups(incident, now)
    entries = timeline(incident, order, kind)
    counts = task_counts(groups)
    latest = max(entries, key=lambda e: (e.at, e.id), default=None)
    state = readmodel.state_of(incident, now)
    return {
        "incident": incident,
        "functions": functions(state),
        "groups": groups,
        "contacts": contacts_of(groups),
        "counts": counts,
        "due": next_due(incident),
        "entries": entries,
        "order": order,
        "kind": kind,
        "kinds": EventKind.choices,
        "latest": latest,
        "running": incident.state in (State.INVOKED, State.RESTORED),
        **clock_facts(state),
    }
