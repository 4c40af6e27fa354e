"""My next actions: one short page for the signed-in person, the default on a phone.

What I must do now, in order, each with the numbers to ring and one button to mark it done; then
what is mine later and the trigger points coming, with their times; everyone else's open tasks
folded away. A task is mine when it is assigned to me, or when nobody has it and the plan names me
for it (my e-mail is a person's in the plan's directory, or a post I hold: incidents.selves).
Each contact's card is shown once, below the tasks, however many tasks name them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from contingency.core.permissions import Capability
from contingency.incidents import selves
from contingency.incidents.models import DueAction, Incident, InformTarget, State, Task, TaskState
from contingency.incidents.queries import next_due
from contingency.incidents.snapshot import calendar_of, document_of, resolver_for
from contingency.plans import people
from contingency.plans.guidance import Callee, Number
from contingency.web.access import OrgContext, org_page

from .present import incident_of


@dataclass(frozen=True)
class Ring:
    """Someone a task asks me to reach: their name and the first number answered now (None: see the card)."""

    key: str
    name: str
    number: Number | None


@dataclass(frozen=True)
class MyTask:
    task: Task
    ring: tuple[Ring, ...]
    overdue: bool
    due_now: bool


@dataclass
class MyActions:
    now: list[MyTask] = field(default_factory=list)
    later: list[MyTask] = field(default_factory=list)
    coming: list[DueAction] = field(default_factory=list)
    others: list[Task] = field(default_factory=list)
    contacts: list[Callee] = field(default_factory=list)
    named: bool = False  # the reader is someone in the plan's directory


def _dialled(callee: Callee | None) -> Number | None:
    return next((n for n in callee.numbers if n.href), None) if callee else None


def my_actions(incident: Incident, user: Any, now: datetime) -> MyActions:
    """The reader's open tasks in the order to do them, what comes next, and everyone else's."""
    document = document_of(incident)
    email = getattr(user, "email", "") or ""
    linked = people.keys_of(incident.organisation, [user.pk]) if getattr(user, "pk", None) else {}
    mine_keys = selves.keys_for(document, [email], linked.values())
    resolver = resolver_for(incident, now)
    tasks = list(
        Task.objects.filter(incident=incident, state__in=(TaskState.OPEN, TaskState.STARTED))
        .select_related("assignee")
        .order_by("position")
    )
    targets: dict[int, list[InformTarget]] = {}
    for target in InformTarget.objects.filter(task__in=tasks, told_at=None).order_by("task_id", "position"):
        targets.setdefault(target.task_id, []).append(target)
    found = MyActions(named=bool(mine_keys), coming=next_due(incident, 3))
    cards: dict[str, Callee] = {}

    def callee(key: str) -> Callee | None:
        if key not in cards:
            made = resolver.callee(key)
            if made is None:
                return None
            cards[key] = made
        return cards[key]

    def is_mine(task: Task) -> bool:
        if task.assignee_id is not None:
            return bool(task.assignee_id == user.pk)
        return bool(task.who_key) and task.who_key in mine_keys

    for task in sorted(tasks, key=lambda t: (t.due_at or t.created_at, t.position)):
        if not is_mine(task):
            found.others.append(task)
            continue
        ring = tuple(
            Ring(t.key, t.name, _dialled(callee(t.key))) for t in targets.get(task.pk, []) if t.key not in mine_keys
        )
        item = MyTask(task, ring, task.is_overdue(now), task.is_due_now(now))
        (found.later if task.due_at is not None and task.due_at > now else found.now).append(item)
    shown = {r.key for item in (*found.now, *found.later) for r in item.ring}
    found.contacts = [c for key, c in cards.items() if key in shown]
    found.others.sort(key=lambda t: t.position)
    return found


@org_page(Capability.VIEW)
@require_GET
def mine(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    now = timezone.now()
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "mine": my_actions(incident, request.user, now),
        "running": incident.state in (State.INVOKED, State.RESTORED),
        "zone": calendar_of(incident).zone,
        "now": now,
    }
    return render(request, "web/incidents/mine.html", context)
