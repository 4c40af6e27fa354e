"""The checklist for now: tasks from procedure steps, trigger actions and duration rules, and
re-routing when in hours turns to out of hours or back. Pure code over a PlanDocument.

A step for the other time of day is not a task until that time comes. When it comes, an open
task for the time that ended is *re-routed* to its counterpart (the step that says `insteadOf`
it, or that it says `insteadOf`; failing that, the step of the same kind with the same targets),
and the new time's steps become tasks - except a counterpart of a task already done, which
would do the same thing twice. An open step without a counterpart stays open: its owner's
contact for now is resolved when the page is shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from contingency.plans.guidance import Callee, Resolver
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.plan import Procedure, ProcedurePhase, Step, TriggerPoint, When
from contingency.plans.spec.written import AsWritten

OPEN = ("open", "started")
FINISHED = ("done", "skipped")


@dataclass(frozen=True)
class TargetSpec:
    key: str
    name: str
    contact: str = ""


@dataclass(frozen=True)
class TaskSpec:
    key: str
    source: str  # models.TaskSource
    origin: str
    text: str
    kind: str = "do"
    when: str = "always"
    step_key: str = ""
    who_key: str = ""
    who_name: str = ""
    note: str = ""
    due_at: datetime | None = None
    targets: tuple[TargetSpec, ...] = ()


@dataclass(frozen=True)
class Reroute:
    """What changes when the time of day flips."""

    in_hours: bool
    replaced: tuple[tuple[str, TaskSpec], ...] = ()  # (old task key, its counterpart's task)
    added: tuple[TaskSpec, ...] = ()
    still_open: tuple[str, ...] = ()  # open tasks for the time that ended, with no counterpart
    skipped: tuple[str, ...] = field(default=())  # new-time steps not added: their counterpart is done


def step_task_key(procedure: Procedure, index: int, step: Step) -> str:
    return f"step/{procedure.id}/{step.id or index}"


def _contact(callee: Callee) -> str:
    if callee.numbers:
        number = callee.numbers[0]
        return f"{number.kind} {number.number}"
    return callee.email or callee.closed or ""


def targets_of(resolver: Resolver, refs: Iterable[str]) -> tuple[TargetSpec, ...]:
    """Each person, role or supplier to reach; a list is flattened to its members, each once."""
    seen: dict[str, TargetSpec] = {}
    for ref in refs:
        for callee in resolver.callees(ref):
            seen.setdefault(callee.key, TargetSpec(callee.key, callee.name, _contact(callee)))
    return tuple(seen.values())


def _who(resolver: Resolver, key: str | None) -> tuple[str, str]:
    if isinstance(key, AsWritten):  # a name the plan gives, not in its directory: shown, keyed to nobody
        return ("", str(key))
    callee = resolver.callee(key)
    return (key or "", callee.name if callee else (key or ""))


def step_task(resolver: Resolver, procedure: Procedure, index: int, step: Step, source: str) -> TaskSpec:
    who_key, who_name = _who(resolver, step.who)
    return TaskSpec(
        key=step_task_key(procedure, index, step),
        source=source,
        origin=procedure.title,
        text=step.text,
        kind=step.kind.value,
        when=step.when.value,
        step_key=step.id or "",
        who_key=who_key,
        who_name=who_name,
        note=step.note or "",
        targets=targets_of(resolver, step.targets),
    )


def _now(step: Step, in_hours: bool) -> bool:
    return step.when is When.ALWAYS or (step.when is When.IN_HOURS) == in_hours


def _source(procedure: Procedure) -> str:
    return "restoration" if procedure.phase is ProcedurePhase.RESTORATION else "response"


def procedures(document: PlanDocument, keys: Iterable[str]) -> list[Procedure]:
    by_id = {p.id: p for p in document.procedures}
    return [by_id[k] for k in keys if k in by_id]


def tasks_for_now(document: PlanDocument, keys: Iterable[str], resolver: Resolver, in_hours: bool) -> list[TaskSpec]:
    """The steps of these procedures that apply now (always, or this time of day), in plan order."""
    return [
        step_task(resolver, p, i, s, _source(p))
        for p in procedures(document, keys)
        for i, s in enumerate(p.steps)
        if _now(s, in_hours)
    ]


def _explicit_pairs(procedure: Procedure) -> dict[int, int]:
    """Steps paired by `insteadOf`, both ways round, by index."""
    index = {s.id: i for i, s in enumerate(procedure.steps) if s.id}
    pairs: dict[int, int] = {}
    for i, step in enumerate(procedure.steps):
        other = index.get(step.instead_of or "")
        if other is not None:
            pairs[i], pairs[other] = other, i
    return pairs


def counterpart(procedure: Procedure, index: int) -> int | None:
    """The index of the step done in place of step `index` at the other time of day, if any."""
    step = procedure.steps[index]
    if step.when is When.ALWAYS:
        return None
    pairs = _explicit_pairs(procedure)
    if index in pairs:
        return pairs[index]
    other = When.OUT_OF_HOURS if step.when is When.IN_HOURS else When.IN_HOURS
    same = [
        j
        for j, s in enumerate(procedure.steps)
        if s.when is other
        and j not in pairs
        and s.kind is step.kind
        and s.targets
        and set(s.targets) == set(step.targets)
    ]
    return same[0] if len(same) == 1 else None


def reroute(
    document: PlanDocument, keys: Iterable[str], resolver: Resolver, in_hours: bool, existing: Mapping[str, str]
) -> Reroute:
    """Re-route the procedures' tasks for the time of day that has begun; `existing` maps task key to state."""
    ended = When.OUT_OF_HOURS if in_hours else When.IN_HOURS
    replaced: list[tuple[str, TaskSpec]] = []
    added: list[TaskSpec] = []
    still_open: list[str] = []
    skipped: list[str] = []
    for procedure in procedures(document, keys):
        for index, step in enumerate(procedure.steps):
            key = step_task_key(procedure, index, step)
            if step.when is ended and existing.get(key) in OPEN:
                other = counterpart(procedure, index)
                if other is None:
                    still_open.append(key)
                    continue
                spec = step_task(resolver, procedure, other, procedure.steps[other], _source(procedure))
                if existing.get(spec.key) in (None, "rerouted"):  # a re-routed counterpart is taken up again
                    replaced.append((key, spec))
                else:
                    still_open.append(key)
        done_by_counterpart = set()
        for index in range(len(procedure.steps)):
            other = counterpart(procedure, index)
            if other is not None and existing.get(step_task_key(procedure, other, procedure.steps[other])) in FINISHED:
                done_by_counterpart.add(index)
        replacing = {spec.key for _, spec in replaced}
        for index, step in enumerate(procedure.steps):
            key = step_task_key(procedure, index, step)
            if step.when is ended or step.when is When.ALWAYS or key in existing or key in replacing:
                continue
            if index in done_by_counterpart:
                skipped.append(key)
                continue
            added.append(step_task(resolver, procedure, index, step, _source(procedure)))
    return Reroute(in_hours, tuple(replaced), tuple(added), tuple(still_open), tuple(skipped))


def trigger_tasks(resolver: Resolver, trigger: TriggerPoint, sequence: int, due_at: datetime) -> list[TaskSpec]:
    """A trigger point's tasks: convene its meeting (chair and attendees to reach), then each action."""
    base = f"trigger/{trigger.id}#{sequence}"
    chair_key, chair_name = _who(resolver, trigger.chair)
    found: list[TaskSpec] = []
    if trigger.attendees or trigger.chair:
        found.append(
            TaskSpec(
                key=f"{base}/convene",
                source="trigger",
                origin=trigger.name,
                text=f"Convene {trigger.name}" + (f", chaired by {chair_name}" if chair_name else ""),
                kind="inform",
                who_key=chair_key,
                who_name=chair_name,
                due_at=due_at,
                targets=targets_of(resolver, trigger.attendees),
            )
        )
    for index, action in enumerate(trigger.actions):
        who_key, who_name = _who(resolver, action.who or trigger.chair)
        found.append(
            TaskSpec(
                key=f"{base}/{index}",
                source="trigger",
                origin=trigger.name,
                text=action.text,
                who_key=who_key,
                who_name=who_name,
                due_at=due_at,
            )
        )
    return found
