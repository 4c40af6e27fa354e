"""Working the checklist: assign, start, complete, skip, add ad hoc, record who was told; status updates.

Each call is one transaction with a timeline entry and an audit entry. Refusals raise
IncidentError naming the field at fault, and change nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contingency.core import audit

from . import events
from .firing import add_tasks, note
from .models import OPEN_TASK_STATES, Audience, EventKind, Incident, InformTarget, Task, TaskState, touch
from .routing import TaskSpec
from .services import Actor, IncidentError, _name, incident_key

RUNNING = ("invoked", "restored")


def _task_state(task: Task) -> dict[str, Any]:
    return {
        "state": task.state,
        "assignee": task.assignee.get_username() if task.assignee else None,
        "outcome": task.outcome,
    }


def _audit_task(task: Task, *, actor: Actor, via: str, verb: str, before: Any, what: str) -> None:
    incident = task.incident
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=verb,
        object_type="incident-task",
        object_key=f"{incident_key(incident)}/tasks/{task.pk}",
        label=task.text[:200],
        before=before,
        after=_task_state(task),
        note=what,
        via=via,
    )


def _lock_incident(incident_id: int) -> None:
    """Lock the incident row before any other: every change to an incident takes its locks in that order."""
    list(Incident.objects.select_for_update().filter(pk=incident_id).values_list("pk", flat=True))


def _locked_task(task: Task) -> Task:
    _lock_incident(task.incident_id)
    task = (
        Task.objects.select_for_update(of=("self",))
        .select_related("incident__organisation", "assignee")
        .get(pk=task.pk)
    )
    if task.incident.state not in RUNNING:
        raise IncidentError(f"incident #{task.incident.number} is {task.incident.state}: its tasks are closed")
    return task


def assign(*, task: Task, assignee_id: int | None, actor: Actor, via: str = "web", at: datetime | None = None) -> Task:
    """Give the task to a member of the organisation (None: nobody)."""
    now = at or timezone.now()
    with transaction.atomic():
        task = _locked_task(task)
        before = _task_state(task)
        user = None
        if assignee_id is not None:
            user = (
                get_user_model()
                .objects.filter(pk=assignee_id, memberships__organisation=task.incident.organisation, is_active=True)
                .first()
            )
            if user is None:
                raise IncidentError("that person is not a member of this organisation", "assignee")
        task.assignee = user
        task.save(update_fields=["assignee"])
        who = (user.get_full_name() or user.get_username()) if user else "nobody"
        note(task.incident, EventKind.TASK, f"'{task.text}' assigned to {who}.", at=now, actor=_name(actor, via))
        touch(task.incident_id)
        _audit_task(task, actor=actor, via=via, verb=audit.Verb.CHANGE, before=before, what="assigned")
    return task


def start(*, task: Task, actor: Actor, via: str = "web", at: datetime | None = None) -> Task:
    now = at or timezone.now()
    with transaction.atomic():
        task = _locked_task(task)
        if task.state != TaskState.OPEN:
            raise IncidentError(f"the task is {task.get_state_display()}: only an open task is started")
        before = _task_state(task)
        task.state = TaskState.STARTED
        task.started_at = now
        if task.assignee is None and actor is not None and actor.is_authenticated:
            task.assignee = actor  # type: ignore[assignment]
        task.save(update_fields=["state", "started_at", "assignee"])
        note(task.incident, EventKind.TASK, f"Started: '{task.text}'.", at=now, actor=_name(actor, via))
        touch(task.incident_id)
        _audit_task(task, actor=actor, via=via, verb=audit.Verb.CHANGE, before=before, what="started")
    return task


def finish(
    *, task: Task, actor: Actor, done: bool, text: str = "", via: str = "web", at: datetime | None = None
) -> Task:
    """Complete the task with a note, or skip it with a reason (a reason is required)."""
    now = at or timezone.now()
    text = text.strip()
    if not done and not text:
        raise IncidentError("say why the task is skipped", "reason")
    with transaction.atomic():
        task = _locked_task(task)
        if not task.is_open:
            raise IncidentError(f"the task is already {task.get_state_display()}")
        before = _task_state(task)
        task.state = TaskState.DONE if done else TaskState.SKIPPED
        task.outcome = text
        task.finished_at = now
        task.finished_by_name = _name(actor, via)
        task.save(update_fields=["state", "outcome", "finished_at", "finished_by_name"])
        verb = "Done" if done else "Skipped"
        note(
            task.incident,
            EventKind.TASK,
            f"{verb}: '{task.text}'." + (f" {text}" if text else ""),
            at=now,
            actor=_name(actor, via),
        )
        _audit_task(task, actor=actor, via=via, verb=audit.Verb.CHANGE, before=before, what=verb.lower())
        touch(task.incident_id)
        events.task_finished.send(
            sender=Task, task=task, done=done, outcome=text, actor_name=task.finished_by_name, at=now
        )
    return task


def reopen(*, task: Task, actor: Actor, via: str = "web", at: datetime | None = None) -> Task:
    """Undo a completion or skip made by mistake."""
    now = at or timezone.now()
    with transaction.atomic():
        task = _locked_task(task)
        if task.state not in (TaskState.DONE, TaskState.SKIPPED):
            raise IncidentError("only a done or skipped task is reopened")
        before = _task_state(task)
        task.state = TaskState.OPEN
        task.finished_at = None
        task.finished_by_name = ""
        task.save(update_fields=["state", "finished_at", "finished_by_name"])
        note(task.incident, EventKind.TASK, f"Reopened: '{task.text}'.", at=now, actor=_name(actor, via))
        touch(task.incident_id)
        _audit_task(task, actor=actor, via=via, verb=audit.Verb.CHANGE, before=before, what="reopened")
    return task


def add_ad_hoc(
    *, incident: Incident, text: str, actor: Actor, who: str = "", via: str = "web", at: datetime | None = None
) -> Task:
    now = at or timezone.now()
    text = text.strip()
    if not text:
        raise IncidentError("write what needs doing", "text")
    if len(text) > 2000:
        raise IncidentError("keep the task under 2,000 characters", "text")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.state not in RUNNING:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: no tasks can be added")
        count = Task.objects.filter(incident=incident, source="ad-hoc").count()
        spec = TaskSpec(
            key=f"ad-hoc/{count + 1}", source="ad-hoc", origin="Added during the incident", text=text, who_name=who
        )
        task = add_tasks(incident, [spec], at=now)[0]
        note(incident, EventKind.TASK, f"Task added: '{text}'.", at=now, actor=_name(actor, via))
        touch(incident.pk)
        _audit_task(task, actor=actor, via=via, verb=audit.Verb.CREATE, before=None, what="added")
    return task


def told(
    *,
    target: InformTarget,
    actor: Actor,
    how: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> InformTarget:
    """Record that the target was told (by whom, when, how); telling them again keeps the first record."""
    now = at or timezone.now()
    with transaction.atomic():
        _lock_incident(Task.objects.filter(pk=target.task_id).values_list("incident_id", flat=True).get())
        target = (
            InformTarget.objects.select_for_update().select_related("task__incident__organisation").get(pk=target.pk)
        )
        task = target.task
        if task.incident.state not in RUNNING:
            raise IncidentError(f"incident #{task.incident.number} is {task.incident.state}: nothing more is recorded")
        if target.told_at is not None:
            raise IncidentError(f"{target.name} was already told at {target.told_at:%H:%M} by {target.told_by_name}")
        target.told_at = now
        target.told_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
        target.told_by_name = _name(actor, via)
        target.how = how.strip()[:200]
        target.save(update_fields=["told_at", "told_by", "told_by_name", "how"])
        events.target_told.send(
            sender=InformTarget, target=target, how=target.how, actor_name=target.told_by_name, at=now
        )
        note(
            task.incident,
            EventKind.INFORMED,
            f"{target.name} told" + (f" ({target.how})" if target.how else "") + f": '{task.text}'.",
            at=now,
            actor=_name(actor, via),
        )
        audit.record(
            organisation=task.incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="incident-task",
            object_key=f"{incident_key(task.incident)}/tasks/{task.pk}",
            label=task.text[:200],
            after={"told": target.key, "how": target.how},
            note="told",
            via=via,
        )
        touch(task.incident_id)
    return target


def post_update(
    *,
    incident: Incident,
    text: str,
    audience: str,
    actor: Actor,
    decision: bool = False,
    via: str = "web",
    at: datetime | None = None,
) -> None:
    """A status update for staff, the board or commissioners, or a decision for the record."""
    now = at or timezone.now()
    text = text.strip()
    if not text:
        raise IncidentError("write the update", "text")
    if not decision and audience not in Audience.values:
        raise IncidentError(f"audience must be one of {', '.join(Audience.values)}", "audience")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.state in ("not-a-failure",):
            raise IncidentError("this report was closed as not a failure")
        kind = EventKind.DECISION if decision else EventKind.UPDATE
        note(incident, kind, text, at=now, actor=_name(actor, via), audience="" if decision else audience)
        touch(incident.pk)
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="incident-update",
            object_key=incident_key(incident),
            label=f"#{incident.number} {incident.title}",
            after={"kind": kind, "audience": audience, "text": text},
            via=via,
        )


def finish_group(
    *,
    incident: Incident,
    source: str,
    origin: str,
    actor: Actor,
    done: bool,
    reason: str,
    via: str = "web",
    at: datetime | None = None,
) -> list[Task]:
    """Complete (or skip) every open task of one trigger point or procedure (source and origin, as the
    checklist groups them) with one reason: one transaction, one timeline entry, one audit entry."""
    now = at or timezone.now()
    reason = reason.strip()
    if not reason:
        raise IncidentError("say why these tasks are " + ("closed together" if done else "skipped"), "reason")
    if len(reason) > 2000:
        raise IncidentError("keep the reason under 2,000 characters", "reason")
    with transaction.atomic():
        _lock_incident(incident.pk)
        incident = Incident.objects.select_related("organisation").defer("snapshot").get(pk=incident.pk)
        if incident.state not in RUNNING:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: its tasks are closed")
        chosen = list(
            Task.objects.select_for_update()
            .filter(incident=incident, source=source, origin=origin, state__in=OPEN_TASK_STATES)
            .order_by("position")
        )
        if not chosen:
            raise IncidentError("no open tasks in that group", "group")
        name = _name(actor, via)
        state = TaskState.DONE if done else TaskState.SKIPPED
        before = [{"task": t.pk, **_task_state(t)} for t in chosen]
        Task.objects.filter(pk__in=[t.pk for t in chosen]).update(
            state=state, outcome=reason, finished_at=now, finished_by_name=name
        )
        for task in chosen:
            task.state, task.outcome, task.finished_at, task.finished_by_name = state, reason, now, name
        group = origin or source
        verb = "Closed" if done else "Skipped"
        note(incident, EventKind.TASK, f"{verb} {len(chosen)} open task(s) of {group}: {reason}", at=now, actor=name)
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="incident-task-group",
            object_key=f"{incident_key(incident)}/tasks/{source}/{origin}"[:200],
            label=f"{group} ({len(chosen)} task(s))"[:200],
            before=before,
            after={"state": state, "outcome": reason, "tasks": [t.pk for t in chosen]},
            note="done together" if done else "skipped together",
            via=via,
        )
        touch(incident.pk)
        for task in chosen:  # what listens to one task (a call tree's telephone call) hears of each
            task.incident = incident
            events.task_finished.send(sender=Task, task=task, done=done, outcome=reason, actor_name=name, at=now)
    return chosen
