"""Listening to incident events: each receiver runs inside the event's transaction (see incidents/events.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from contingency.incidents import events, schedule
from contingency.incidents.models import Incident, InformTarget, ReviewAction, Task, TaskSource, TimelineEntry
from contingency.incidents.snapshot import document_of

from . import board, dispatch
from .calltree import call_tree


def on_trigger_fired(
    sender: Any, *, incident: Incident, trigger_key: str, sequence: int, at: datetime, **kwargs: Any
) -> None:
    document = document_of(incident)
    trigger = schedule.trigger(document, trigger_key)
    tree = call_tree(document, trigger.call_tree) if trigger else None
    if trigger is None or tree is None:
        return
    dispatch.start(
        incident=incident,
        tree=tree,
        event=f"trigger:{trigger.id}:{sequence}",
        label=schedule.occurrence_name(trigger, sequence),
        message_key=trigger.message,
        at=at,
    )


def on_tasks_added(sender: Any, *, incident: Incident, tasks: list[Task], at: datetime, **kwargs: Any) -> None:
    informs = [t for t in tasks if t.kind == "inform" and t.step_key]
    if not informs:
        return
    document = document_of(incident)
    steps = {s.id: s for p in document.procedures for s in p.steps if s.id}
    for task in informs:
        step = steps.get(task.step_key)
        tree = call_tree(document, step.call_tree) if step else None
        if step is None or tree is None:
            continue
        dispatch.start(
            incident=incident,
            tree=tree,
            event=f"task:{task.key}",
            label=task.text,
            message_key=step.message,
            at=at,
            inform_task=task,
        )


def on_task_finished(
    sender: Any, *, task: Task, done: bool, outcome: str, actor_name: str, at: datetime, **kw: Any
) -> None:
    if task.source == TaskSource.CALL:
        dispatch.call_outcome(task, done=done, outcome=outcome, by=actor_name, at=at)


def on_target_told(sender: Any, *, target: InformTarget, how: str, actor_name: str, at: datetime, **kw: Any) -> None:
    dispatch.target_told(target, how=how, by=actor_name, at=at)


def on_incident_closed(sender: Any, *, incident: Incident, at: datetime, **kwargs: Any) -> None:
    dispatch.cancel(incident, at)


def on_briefing_published(
    sender: Any, *, incident: Incident, entry: TimelineEntry, who: list[str], at: datetime, **kwargs: Any
) -> None:
    board.send_briefing(incident=incident, entry=entry, who=who, at=at)


def on_review_action_due(
    sender: Any, *, incident: Incident, action: ReviewAction, sequence: int, at: datetime, **kwargs: Any
) -> None:
    board.remind(incident=incident, action=action, sequence=sequence, at=at)


def connect() -> None:
    events.trigger_fired.connect(on_trigger_fired, dispatch_uid="notify.trigger_fired")
    events.tasks_added.connect(on_tasks_added, dispatch_uid="notify.tasks_added")
    events.task_finished.connect(on_task_finished, dispatch_uid="notify.task_finished")
    events.target_told.connect(on_target_told, dispatch_uid="notify.target_told")
    events.incident_closed.connect(on_incident_closed, dispatch_uid="notify.incident_closed")
    events.briefing_published.connect(on_briefing_published, dispatch_uid="notify.briefing_published")
    events.review_action_due.connect(on_review_action_due, dispatch_uid="notify.review_action_due")
