"""An incident's checklist, timeline and trigger points over the API.

Tasks are worked with PATCH `{action: assign|start|complete|skip|reopen}`; an "inform" or
"call" task lists its targets, each marked told (when, by whom, how) with POST .../told.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.core.permissions import Capability
from contingency.incidents import tasks as task_services
from contingency.incidents.models import (
    DueAction,
    DueState,
    Incident,
    InformTarget,
    Task,
    TimelineEntry,
)

from . import incident_schemas as i
from .auth import caller
from .incident_access import (
    CHANGED,
    INCIDENT,
    LARGEST,
    incident_for,
    local,
    member_named,
)
from .plans import DENIED

router = Router(by_alias=True)

TASK = INCIDENT + "/tasks/{task}"


def task_for(incident: Incident, task: int) -> Task:
    found = (
        Task.objects.filter(incident=incident, pk=task).select_related("incident__organisation", "assignee").first()
        if 0 < task <= LARGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no task {task}.")
    return found


def task_out(task: Task, now: datetime) -> dict[str, Any]:
    incident = task.incident
    return {
        "id": task.pk,
        "key": task.key,
        "position": task.position,
        "source": task.source,
        "origin": task.origin,
        "step_key": task.step_key,
        "text": task.text,
        "kind": task.kind,
        "when": task.when,
        "who": task.who_name,
        "who_key": task.who_key,
        "note": task.note,
        "due_at": task.due_at,
        "due_local": local(incident, task.due_at),
        "overdue": task.is_overdue(now),
        "state": task.state,
        "assignee": task.assignee.get_username() if task.assignee else None,
        "outcome": task.outcome,
        "created_at": task.created_at,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "finished_by": task.finished_by_name,
        "replaced_by": task.replaced_by_id,
        "targets": [
            {
                "key": t.key,
                "name": t.name,
                "contact": t.contact,
                "told_at": t.told_at,
                "told_local": local(incident, t.told_at),
                "told_by": t.told_by_name,
                "how": t.how,
            }
            for t in task.targets.all()
        ],
    }


def fresh(task: Task) -> dict[str, Any]:
    found = (
        Task.objects.select_related("incident__organisation", "assignee").prefetch_related("targets").get(pk=task.pk)
    )
    return task_out(found, timezone.now())


@router.get(INCIDENT + "/tasks", response={200: list[i.TaskOut], **DENIED}, url_name="incident-tasks")
def tasks(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """The checklist in order, re-routed tasks included (with the id of the task that replaced each)."""
    incident = incident_for(request, org, number, Capability.VIEW)
    now = timezone.now()
    rows = Task.objects.filter(incident=incident).select_related("assignee").prefetch_related("targets")
    found = []
    for task in rows.order_by("position"):
        task.incident = incident
        found.append(task_out(task, now))
    return found


@router.post(INCIDENT + "/tasks", response={201: i.TaskOut, **CHANGED}, url_name="incident-tasks")
def add_task(request: HttpRequest, org: str, number: int, body: i.AdHocTaskIn) -> Status[dict[str, Any]]:
    """Add a task that the plan does not have (while the incident is invoked or restored)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    task = task_services.add_ad_hoc(incident=incident, text=body.text, who=body.who, actor=caller(request), via="api")
    return Status(201, fresh(task))


@router.get(TASK, response={200: i.TaskOut, **DENIED}, url_name="incident-task")
def get_task(request: HttpRequest, org: str, number: int, task: int) -> dict[str, Any]:
    """One task and its targets."""
    incident = incident_for(request, org, number, Capability.VIEW)
    return fresh(task_for(incident, task))


@router.patch(TASK, response={200: i.TaskOut, **CHANGED}, url_name="incident-task")
def change_task(request: HttpRequest, org: str, number: int, task: int, body: i.TaskChangeIn) -> dict[str, Any]:
    """Assign (`assignee`: a username, or null), start, complete (`note`), skip (`reason`, required) or reopen."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = task_for(incident, task)
    actor = caller(request)
    if body.action == "assign":
        who = member_named(incident.organisation, body.assignee, "assignee") if body.assignee else None
        task_services.assign(task=found, assignee_id=who.pk if who else None, actor=actor, via="api")
    elif body.action == "start":
        task_services.start(task=found, actor=actor, via="api")
    elif body.action in ("complete", "skip"):
        done = body.action == "complete"
        text = body.note if done else body.reason
        task_services.finish(task=found, actor=actor, done=done, text=text, via="api")
    else:
        task_services.reopen(task=found, actor=actor, via="api")
    return fresh(found)


@router.post(TASK + "/group", response={200: list[i.TaskOut], **CHANGED}, url_name="incident-task-group")
def close_group(request: HttpRequest, org: str, number: int, task: int, body: i.GroupCloseIn) -> list[dict[str, Any]]:
    """Complete or skip every open task of this task's group (its procedure or trigger point) with one reason."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = task_for(incident, task)
    closed = task_services.finish_group(
        incident=incident,
        source=found.source,
        origin=found.origin,
        actor=caller(request),
        done=body.action == "complete",
        reason=body.reason,
        via="api",
    )
    return [fresh(t) for t in closed]


@router.post(TASK + "/targets/{key}/told", response={200: i.TaskOut, **CHANGED}, url_name="incident-task-told")
def told(request: HttpRequest, org: str, number: int, task: int, key: str, body: i.ToldIn) -> dict[str, Any]:
    """Record that one of an inform task's targets was told: now, by you, and how."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = task_for(incident, task)
    target = InformTarget.objects.filter(task=found, key=key).first()
    if target is None:
        raise HttpError(404, f"Task {found.pk} has no target {key!r}.")
    task_services.told(target=target, actor=caller(request), how=body.how, via="api")
    return fresh(found)


# ---------------------------------------------------------------- timeline and trigger points


def entry_out(incident: Incident, entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "local": local(incident, entry.at),
        "kind": entry.kind,
        "text": entry.text,
        "actor": entry.actor_name,
        "audience": entry.audience,
    }


@router.get(INCIDENT + "/timeline", response={200: list[i.EntryOut], **DENIED}, url_name="incident-timeline")
def timeline(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """Every event of the incident, oldest first."""
    incident = incident_for(request, org, number, Capability.VIEW)
    return [entry_out(incident, e) for e in incident.timeline.order_by("at", "id")]


@router.post(INCIDENT + "/updates", response={201: i.EntryOut, **CHANGED}, url_name="incident-updates")
def post_update(request: HttpRequest, org: str, number: int, body: i.UpdateIn) -> Status[dict[str, Any]]:
    """A status update for staff, the board or commissioners, or (`decision: true`) a decision for the record."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    task_services.post_update(
        incident=incident,
        text=body.text,
        audience=body.audience or "",
        decision=body.decision,
        actor=caller(request),
        via="api",
    )
    entry = incident.timeline.order_by("-id").first()
    assert entry is not None
    return Status(201, entry_out(incident, entry))


@router.get(INCIDENT + "/triggers", response={200: list[i.DueOut], **DENIED}, url_name="incident-triggers")
def triggers(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """Every trigger point occurrence and duration rule scheduled for the incident, by due time."""
    incident = incident_for(request, org, number, Capability.VIEW)
    rows = DueAction.objects.filter(incident=incident, kind__in=("trigger", "duration")).order_by("due_at", "id")
    return [
        {
            "key": d.key,
            "kind": d.kind,
            "sequence": d.sequence,
            "name": d.name,
            "due_at": d.due_at,
            "local": local(incident, d.due_at),
            "state": d.state,
            "fired_at": d.fired_at if d.state == DueState.FIRED else None,
            "fired_by": d.fired_by,
            "note": d.note,
        }
        for d in rows
    ]
