"""When a plan's trigger points and duration rules fall due. Pure code over the plan and a calendar.

- at-invocation: at the moment of invocation.
- recurring: occurrence n (from 0) is due at invocation + `start` + n x `every`; `start`
  defaults to `every` (the at-invocation trigger covers the moment itself). With `until`,
  occurrences after invocation + `until` are not held (inclusive). Only the next occurrence is
  ever written: firing one writes the one after it, so "until restored" needs no horizon.
- after: `after` from when the service was lost (`began_at`), "after 5 days without service".
- on-restoration: at restoration.
- a function's duration rule: `after` from when the service was lost.

Durations keep their meaning (lib.calendar.WorkingCalendar.add): hours are elapsed time, days
keep the wall-clock time across a clock change, working days skip weekends and bank holidays.
Every occurrence is computed from the invocation, never from when the last one actually fired,
so a worker that was down for a while catches up without drifting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration, Unit
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.plan import TriggerKind, TriggerPoint
from contingency.plans.spec.written import duration_of


@dataclass(frozen=True)
class Occurrence:
    kind: str  # "trigger" or "duration" (models.DueKind)
    key: str  # trigger id, or function-id#rule-index
    sequence: int
    due_at: datetime
    name: str


def recurring_due(trigger: TriggerPoint, n: int, invoked_at: datetime, calendar: WorkingCalendar) -> datetime | None:
    """When occurrence n of a recurring trigger is due, or None when it falls after `until`."""
    every = duration_of(trigger.every)
    if every is None:  # "on an agreed basis": held once; the chair agrees the next one
        return None if n else calendar.add(invoked_at, trigger.start or Duration(0, Unit.MINUTES))
    first = calendar.add(invoked_at, trigger.start or every)
    due = calendar.add(first, Duration(every.value * n, every.unit)) if n else first
    # Compared in UTC: aware datetimes sharing a zone compare by wall clock, which repeats an hour in October.
    if trigger.until is not None and due.astimezone(UTC) > calendar.add(invoked_at, trigger.until).astimezone(UTC):
        return None
    return due


def occurrence_name(trigger: TriggerPoint, n: int) -> str:
    return f"{trigger.name} ({_ordinal(n + 1)})" if trigger.kind is TriggerKind.RECURRING else trigger.name


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def at_invocation(
    document: PlanDocument, invoked_at: datetime, began_at: datetime, calendar: WorkingCalendar, functions: list[str]
) -> list[Occurrence]:
    """Everything scheduled when a plan is invoked: each trigger's first occurrence and each duration rule
    of the affected `functions`. On-restoration triggers wait for the restoration."""
    found: list[Occurrence] = []
    for trigger in document.triggers:
        if trigger.kind is TriggerKind.AT_INVOCATION:
            found.append(Occurrence("trigger", trigger.id, 0, invoked_at, trigger.name))
        elif trigger.kind is TriggerKind.RECURRING:
            if (due := recurring_due(trigger, 0, invoked_at, calendar)) is not None:
                found.append(Occurrence("trigger", trigger.id, 0, due, occurrence_name(trigger, 0)))
        elif trigger.kind is TriggerKind.AFTER and (after := duration_of(trigger.after)) is not None:
            # An 'after' with no time ("if prolonged") has no moment to fire: the linter reports it.
            found.append(Occurrence("trigger", trigger.id, 0, calendar.add(began_at, after), trigger.name))
    by_id = {f.id: f for f in document.functions}
    for key in functions:
        for index, rule in enumerate(by_id[key].duration_rules):
            if (after := duration_of(rule.after)) is None:
                continue
            name = f"{by_id[key].name}: after {rule.after}"
            found.append(Occurrence("duration", f"{key}#{index}", 0, calendar.add(began_at, after), name))
    return sorted(found, key=lambda o: (o.due_at, o.kind, o.key))


def on_restoration(document: PlanDocument, restored_at: datetime) -> list[Occurrence]:
    return [
        Occurrence("trigger", t.id, 0, restored_at, t.name)
        for t in document.triggers
        if t.kind is TriggerKind.ON_RESTORATION
    ]


def trigger(document: PlanDocument, key: str) -> TriggerPoint | None:
    return next((t for t in document.triggers if t.id == key), None)


# A review action's owner is reminded at REMIND_AT on the due date, then every REMIND_EVERY while it is open.
REMIND_AT = time(9, 0)
REMIND_EVERY = timedelta(days=7)


def reminder_due(due_on: date, n: int, calendar: WorkingCalendar) -> datetime:
    """Reminder n (from 0) of a review action: at REMIND_AT on the organisation's wall clock, n weeks on."""
    day = due_on + REMIND_EVERY * n
    return datetime.combine(day, REMIND_AT, tzinfo=calendar.zone)


def next_reminder(due_on: date, after: int, at: datetime, calendar: WorkingCalendar) -> tuple[int, datetime]:
    """The reminder after number `after` that falls after `at`: a worker that was down sends one, not a backlog."""
    n = after + 1
    while (due := reminder_due(due_on, n, calendar)).astimezone(UTC) <= at.astimezone(UTC):
        n += 1
    return n, due
