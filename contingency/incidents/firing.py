"""Firing a due action: what a trigger point, a duration rule or a change of the time of day does.

`fire` runs inside the caller's transaction and first flips the row from pending to fired with
a conditional update; only the caller whose update changed the row goes on, so of several
workers exactly one does the work, and its effects commit with the flip or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from contingency.lib.calendar import WorkingCalendar, from_organisation
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.written import is_reference

from . import clock, events, schedule, selves
from .models import (
    DueAction,
    DueKind,
    DueState,
    EventKind,
    Incident,
    InformTarget,
    ReviewAction,
    State,
    Task,
    TaskState,
    TimelineEntry,
)
from .routing import TaskSpec, reroute, trigger_tasks
from .snapshot import document_of, resolver_for


def note(
    incident: Incident, kind: str, text: str, *, at: datetime, actor: str = "", audience: str = ""
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident, at=at, kind=kind, text=text, actor_name=actor, audience=audience
    )


def add_tasks(incident: Incident, specs: Iterable[TaskSpec], *, at: datetime) -> list[Task]:
    """Create tasks (and their targets) after the incident's last one, skipping keys it already has."""
    specs = list(specs)
    if not specs:
        return []
    # One query for both: the keys already taken and the last position.
    have = dict(Task.objects.filter(incident=incident).values_list("key", "position"))
    start = max(have.values(), default=0) + 1
    fresh = [spec for spec in specs if spec.key not in have]
    made = [
        Task(
            incident=incident,
            key=spec.key,
            position=start + offset,
            source=spec.source,
            origin=spec.origin,
            step_key=spec.step_key,
            text=spec.text,
            kind=spec.kind,
            when=spec.when,
            who_key=spec.who_key,
            who_name=spec.who_name,
            note=spec.note,
            due_at=spec.due_at,
            created_at=at,
        )
        for offset, spec in enumerate(fresh)
    ]
    Task.objects.bulk_create(made)
    if made and made[0].pk is None:  # only backends that return keys from bulk inserts set them
        by_key = {t.key: t for t in Task.objects.filter(incident=incident, key__in=[t.key for t in made])}
        made = [by_key[t.key] for t in made]
    # The person who reported or invoked is never asked to tell themselves: recorded as told.
    knows = selves.who_knows(incident, document_of(incident)) if any(s.targets for s in fresh) else {}
    InformTarget.objects.bulk_create(
        InformTarget(
            task=task,
            position=i,
            key=t.key,
            name=t.name,
            contact=t.contact,
            told_at=at if t.key in knows else None,
            told_by_id=knows[t.key][0] if t.key in knows else None,
            told_by_name=knows[t.key][1] if t.key in knows else "",
            how=f"{knows[t.key][2]} themselves" if t.key in knows else "",
        )
        for task, spec in zip(made, fresh, strict=True)
        for i, t in enumerate(spec.targets)
    )
    if made:
        events.tasks_added.send(sender=Incident, incident=incident, tasks=made, at=at)
    return made


def write_dues(incident: Incident, occurrences: Iterable[schedule.Occurrence]) -> None:
    """Schedule several occurrences at once, skipping those already scheduled (two statements).

    Call with the incident's row locked (as a service does): nothing else schedules for it meanwhile.
    """
    wanted = {(o.kind, o.key, o.sequence): o for o in occurrences}
    if not wanted:
        return
    have = set(DueAction.objects.filter(incident=incident).values_list("kind", "key", "sequence"))
    DueAction.objects.bulk_create(
        DueAction(incident=incident, kind=o.kind, key=o.key, sequence=o.sequence, name=o.name, due_at=o.due_at)
        for ident, o in wanted.items()
        if ident not in have
    )


def write_due(incident: Incident, occurrence: schedule.Occurrence) -> DueAction:
    row, _ = DueAction.objects.get_or_create(
        incident=incident,
        kind=occurrence.kind,
        key=occurrence.key,
        sequence=occurrence.sequence,
        defaults={"name": occurrence.name, "due_at": occurrence.due_at},
    )
    return row


def fire(row: DueAction, *, at: datetime, worker: str) -> bool:
    """Do what `row` is due for, if nobody has yet; True when this call did it. Call inside a transaction."""
    claimed = DueAction.objects.filter(pk=row.pk, state=DueState.PENDING).update(
        state=DueState.FIRED, fired_at=at, fired_by=worker[:64]
    )
    if claimed != 1:
        return False
    incident = Incident.objects.select_related("organisation").defer("snapshot").get(pk=row.incident_id)
    document = document_of(incident)
    if row.kind == DueKind.TRIGGER:
        _trigger(incident, document, row, at)
    elif row.kind == DueKind.DURATION:
        _duration(incident, document, row, at)
    elif row.kind == DueKind.ROUTING:
        _routing(incident, document, row, at)
    elif row.kind == DueKind.REVIEW:
        _review_reminder(incident, row, at)
    return True


REMINDER = "review-action:"  # a review reminder's key: this prefix and the action's id


def reminder_key(action: ReviewAction) -> str:
    return f"{REMINDER}{action.pk}"


def write_reminder(incident: Incident, action: ReviewAction, sequence: int, due_at: datetime) -> DueAction:
    name = f"Reminder: {action.text}"
    return write_due(incident, schedule.Occurrence(DueKind.REVIEW, reminder_key(action), sequence, due_at, name[:190]))


def _review_reminder(incident: Incident, row: DueAction, at: datetime) -> None:
    """Remind the owner of an open review action (notifications write the e-mail), and schedule the next."""
    pk = row.key.removeprefix(REMINDER)
    action = (
        ReviewAction.objects.select_related("owner_user").filter(pk=int(pk), review__incident=incident).first()
        if pk.isdigit()
        else None
    )
    if action is None or action.done_at is not None:
        return  # done (or gone) since it was scheduled: nothing to remind of, nothing further
    events.review_action_due.send(sender=Incident, incident=incident, action=action, sequence=row.sequence, at=at)
    calendar = from_organisation(incident.organisation)
    n, due = schedule.next_reminder(action.due_on, row.sequence, at, calendar)
    write_reminder(incident, action, n, due)


def _when(incident: Incident, moment: datetime) -> str:
    local = from_organisation(incident.organisation).local(moment)
    return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"


def _trigger(incident: Incident, document: PlanDocument, row: DueAction, at: datetime) -> None:
    trigger = schedule.trigger(document, row.key)
    if trigger is None:
        return
    resolver = resolver_for(incident, clock.scenario(incident, row.due_at))
    tasks = add_tasks(incident, trigger_tasks(resolver, trigger, row.sequence, row.due_at), at=at)
    if clock.is_scenario(incident):  # an exercise: when it fell due by the scenario's clock, noted as it fires
        when, noted_at = f" (scenario time {_when(incident, clock.scenario(incident, row.due_at))})", at
    else:
        late = (at - row.due_at).total_seconds() > 300
        when, noted_at = (f" (due {_when(incident, row.due_at)})", at) if late else ("", row.due_at)
    chair = resolver.callee(trigger.chair)
    note(
        incident,
        EventKind.TRIGGER,
        f"Trigger point: {row.name}{when}."
        + (f" Chair: {chair.name}." if chair else "")
        + f" {len(tasks)} task(s) added.",
        at=noted_at,
        actor="scheduler",
    )
    if trigger.kind.value == "recurring" and incident.state == State.INVOKED:
        calendar = from_organisation(incident.organisation)
        assert incident.invoked_at is not None
        n = row.sequence + 1
        if (due := schedule.recurring_due(trigger, n, clock.invoked(incident), calendar)) is not None:
            name = schedule.occurrence_name(trigger, n)
            write_due(incident, schedule.Occurrence(DueKind.TRIGGER, trigger.id, n, clock.real(incident, due), name))
    events.trigger_fired.send(
        sender=Incident, incident=incident, trigger_key=trigger.id, sequence=row.sequence, due_at=row.due_at, at=at
    )


def _duration(incident: Incident, document: PlanDocument, row: DueAction, at: datetime) -> None:
    key, _, index = row.key.partition("#")
    function = next((f for f in document.functions if f.id == key), None)
    if function is None or not index.isdigit() or int(index) >= len(function.duration_rules):
        return
    rule = function.duration_rules[int(index)]
    scenario = clock.is_scenario(incident)
    resolver = resolver_for(incident, clock.scenario(incident, row.due_at))
    owner = resolver.callee(rule.owner)
    spec = TaskSpec(
        key=f"duration/{row.key}",
        source="duration",
        origin=f"{function.name}: after {rule.after}",
        text=rule.action,
        who_key=rule.owner if is_reference(rule.owner) else "",  # a name as written is keyed to nobody
        who_name=owner.name if owner else "",
        due_at=row.due_at,
    )
    add_tasks(incident, [spec], at=at)
    when = f" (scenario time {_when(incident, clock.scenario(incident, row.due_at))})" if scenario else ""
    note(
        incident,
        EventKind.DURATION,
        f"{function.name} has been lost for {rule.after}{when}: {rule.action}",
        at=at if scenario else row.due_at,
        actor="scheduler",
    )


def _routing(incident: Incident, document: PlanDocument, row: DueAction, at: datetime) -> None:
    """The time of day has flipped: re-route the open steps and schedule the next flip."""
    calendar = from_organisation(incident.organisation)
    moment = clock.scenario(incident, row.due_at)  # an exercise's flips are by its scenario time
    in_hours = calendar.is_in_hours(moment)
    if incident.state in (State.INVOKED, State.RESTORED):
        tasks = {t.key: t for t in Task.objects.filter(incident=incident)}
        resolver = resolver_for(incident, moment)
        change = reroute(document, incident.procedures, resolver, in_hours, {k: t.state for k, t in tasks.items()})
        lines = []
        for old_key, spec in change.replaced:
            old = tasks[old_key]
            if spec.key in tasks:  # re-routed earlier the other way: open it again
                back = tasks[spec.key]
                Task.objects.filter(pk=back.pk).update(
                    state=TaskState.OPEN, replaced_by=None, finished_at=None, outcome=""
                )
                new = [back]
            else:
                new = add_tasks(incident, [spec], at=at)
            Task.objects.filter(pk=old.pk).update(
                state=TaskState.REROUTED,
                replaced_by=new[0] if new else None,
                finished_at=at,
                outcome=f"Re-routed at {_when(incident, moment)}: {spec.text}",
            )
            lines.append(
                f"'{old.text}' ({old.who_name or 'no one named'}) is now '{spec.text}' ({spec.who_name or 'no one named'})"
            )
        added = add_tasks(incident, change.added, at=at)
        lines += [f"added '{t.text}' ({t.who_name or 'no one named'})" for t in added]
        lines += [f"still open: '{tasks[k].text}' ({tasks[k].who_name or 'no one named'})" for k in change.still_open]
        why = calendar.why_out_of_hours(moment)
        begins = "In hours" if in_hours else f"Out of hours ({why})" if why else "Out of hours"
        text = f"{begins} began at {_when(incident, moment)}."
        if lines:
            text += " Re-routed: " + "; ".join(lines) + "."
        following = calendar.next_change(moment)
        if following is not None:
            text += f" {'Out of hours' if in_hours else 'In hours'} begins at {_when(incident, following)}."
            holidays = _bank_holidays_between(calendar, moment, following)
            if holidays:
                text += " Bank holiday: " + ", ".join(holidays) + "."
        Incident.objects.filter(pk=incident.pk).update(routing="in-hours" if in_hours else "out-of-hours")
        note(incident, EventKind.ROUTING, text, at=at if clock.is_scenario(incident) else moment, actor="scheduler")
        if following is not None:
            due = clock.real(incident, following)
            write_due(incident, schedule.Occurrence(DueKind.ROUTING, "routing", row.sequence + 1, due, row.name))


def _bank_holidays_between(calendar: WorkingCalendar, start: datetime, end: datetime) -> list[str]:
    """Bank holidays on the organisation's working weekdays from `start` to `end`, as "Monday 31 May (Spring Bank Holiday)"."""
    found = []
    day = calendar.local(start).date()
    while day <= calendar.local(end).date():
        if day.weekday() in calendar.working_days and (name := calendar.bank_holiday_name(day)):
            found.append(f"{day:%A} {day.day} {day:%B} ({name})")
        day += timedelta(days=1)
    return found
