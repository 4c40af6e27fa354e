""" "It's broken - what do I do?": a function's response, filtered to the time it is now.

Pure code over a PlanDocument, a moment and a WorkingCalendar, so it is tested without a
database. Who to call is resolved to names and to the numbers that are answered now: a
person's or role's in-hours numbers are left out at night, and a role's out-of-hours contact
is used out of hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time

from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration
from contingency.lib.phones import tel_href
from contingency.plans.derived import ids_of
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import (
    Contact,
    Person,
    Phone,
    PhoneKind,
    Role,
    Supplier,
)
from contingency.plans.spec.plan import (
    CriticalFunction,
    Procedure,
    ProcedurePhase,
    Step,
    TriggerKind,
    TriggerPoint,
    When,
)
from contingency.plans.spec.types import ServiceHours
from contingency.plans.spec.written import AsWritten
from contingency.plans.validate import Entry

# Numbers you page rather than dial: shown, but not as tel: links.
_NOT_DIALLED = {PhoneKind.BLEEP, PhoneKind.PAGER}
_PHONE_WORDS = {
    PhoneKind.MOBILE: "mobile",
    PhoneKind.LANDLINE: "phone",
    PhoneKind.EXTENSION: "extension",
    PhoneKind.BLEEP: "bleep",
    PhoneKind.PAGER: "pager",
    PhoneKind.SWITCHBOARD: "switchboard",
    PhoneKind.HELPDESK: "helpdesk",
}


class FunctionNotFound(LookupError):
    """The plan has no critical function with that id."""


@dataclass(frozen=True)
class Number:
    kind: str  # "mobile", "extension", ...
    number: str  # as written
    href: str | None  # tel: link with digits only, or None for bleeps and pagers
    note: str | None = None


@dataclass(frozen=True)
class Callee:
    """Someone to ring, with only the numbers answered now."""

    key: str
    name: str
    detail: str | None = None  # job title, or the person a role's contact names
    numbers: tuple[Number, ...] = ()
    note: str | None = None
    email: str | None = None
    closed: str | None = None  # why nobody answers now, e.g. "helpdesk hours Mon-Fri 08:00-18:00"
    portal: str | None = None


@dataclass(frozen=True)
class ConfirmCheck:
    check: str
    if_not: str  # what it means when the statement is not true
    advice: str | None


@dataclass(frozen=True)
class NowStep:
    text: str
    kind: str
    who: Callee | None
    targets: tuple[Callee, ...]
    note: str | None


@dataclass(frozen=True)
class ProcedureNow:
    id: str
    title: str
    checks: tuple[ConfirmCheck, ...]
    steps: tuple[NowStep, ...]
    other_time_steps: int  # steps left out because they are for the other time of day


@dataclass(frozen=True)
class EscalationNow:
    level: int
    name: str
    when: str | None
    who: tuple[Callee, ...]
    responsibilities: tuple[str, ...]
    invokes_plan: bool


@dataclass(frozen=True)
class TriggerNow:
    name: str
    timing: str
    chair: Callee | None
    actions: tuple[str, ...]


@dataclass(frozen=True)
class DurationRuleNow:
    after: str
    action: str
    owner: Callee | None


@dataclass(frozen=True)
class NowGuidance:
    function_id: str
    function_name: str
    description: str | None
    at: datetime  # on the organisation's wall clock
    in_hours: bool
    reason: str | None  # why out of hours: "bank holiday: Boxing Day", "weekend", "after 17:00"
    bank_holiday: str | None
    changes_at: datetime | None
    procedures: tuple[ProcedureNow, ...]
    suppliers: tuple[Callee, ...]
    escalation: tuple[EscalationNow, ...]
    triggers: tuple[TriggerNow, ...]
    duration_rules: tuple[DurationRuleNow, ...]
    later: tuple[str, ...] = field(default=())  # fail-over and restoration procedures, by title

    @property
    def checks(self) -> list[tuple[str, ConfirmCheck]]:
        return [(p.title, c) for p in self.procedures for c in p.checks]

    @property
    def clock(self) -> str:
        """The moment as people say it: "Friday 20 November, 16:40"."""
        return _day_and_time(self.at)

    @property
    def change(self) -> str | None:
        """When the time of day flips: "Out of hours begins at 17:00." or "In hours begins at 08:00 on Monday 23 November."."""
        if self.changes_at is None:
            return None
        begins = "Out of hours" if self.in_hours else "In hours"
        when = self.changes_at
        if when.date() == self.at.date():
            return f"{begins} begins at {when:%H:%M}."
        if when.time() == time(0):
            return f"{begins} begins at midnight, at the start of {when:%A} {when.day} {when:%B}."
        return f"{begins} begins at {when:%H:%M} on {when:%A} {when.day} {when:%B}."


def _day_and_time(at: datetime) -> str:
    return f"{at:%A} {at.day} {at:%B} {at.year}, {at:%H:%M}"


def _numbers(phones: Iterable[Phone], in_hours: bool) -> tuple[Number, ...]:
    return tuple(
        Number(
            _PHONE_WORDS[p.kind],
            p.number,
            None if p.kind in _NOT_DIALLED else tel_href(p.number),
            p.note,
        )
        for p in phones
        if p.usable(in_hours)
    )


def _open(hours: ServiceHours, at: datetime) -> bool:
    """Whether a helpdesk with these hours is open at `at` (already on the organisation's wall clock)."""
    if hours.always:
        return True
    return at.weekday() in hours.days and hours.start <= at.time().replace(tzinfo=None) < hours.end


class Resolver:
    def __init__(self, document: PlanDocument, at: datetime, in_hours: bool) -> None:
        self.ids: dict[str, Entry] = ids_of(document)  # shared with every caller: read only
        self.at = at
        self.in_hours = in_hours

    def kind(self, key: str) -> str | None:
        entry = self.ids.get(key)
        return entry.kind if entry else None

    def callees(self, key: str, seen: frozenset[str] = frozenset()) -> Iterator[Callee]:
        """A person, role or supplier; a list's members, flattened."""
        entry = self.ids.get(key)
        if entry is None:
            return
        if entry.kind == "list":
            for member in entry.item.members:
                if member not in seen:
                    yield from self.callees(member, seen | {key})
            return
        if (callee := self.callee(key)) is not None:
            yield callee

    def callee(self, key: str | None) -> Callee | None:
        if isinstance(key, AsWritten):  # a name the plan gives, not in its directory: shown, not callable
            return Callee(str(key), str(key), "not in the plan's contact directory")
        entry = self.ids.get(key) if key else None
        if entry is None:
            return None
        item = entry.item
        if isinstance(item, Person):
            return self.person(item)
        if isinstance(item, Role):
            return self.role(item)
        if isinstance(item, Supplier):
            return self.supplier(item)
        return Callee(item.id, str(getattr(item, "name", item.id)))

    def person(self, person: Person) -> Callee:
        return Callee(
            person.id, person.name, person.job_title, _numbers(person.phones, self.in_hours), None, person.email
        )

    def role(self, role: Role) -> Callee:
        contact: Contact | None = role.in_hours if self.in_hours else role.out_of_hours
        if contact is None:
            # Only one contact written: use it, keeping only numbers answered now.
            contact = role.out_of_hours if self.in_hours else role.in_hours
        if contact is None:
            return Callee(role.id, role.name)
        numbers = _numbers(contact.phones, self.in_hours)
        detail = None
        if contact.person and (entry := self.ids.get(contact.person)) and isinstance(entry.item, Person):
            detail = entry.item.name
            numbers += _numbers(entry.item.phones, self.in_hours)
        return Callee(role.id, role.name, detail, numbers, contact.note, contact.email)

    def supplier(self, supplier: Supplier) -> Callee:
        desk = supplier.helpdesk
        if desk is None:
            return Callee(supplier.id, supplier.name, "helpdesk")
        if desk.hours is None and not self.in_hours:
            # No hours stated: the organisation's working hours are assumed (ASW013 asks for them).
            return Callee(
                supplier.id,
                supplier.name,
                "helpdesk",
                email=desk.email,
                closed="helpdesk hours not stated, so taken as working hours",
            )
        # Hours as written ("08:00-12:30 and 13:30-17:00") cannot be checked: the desk is shown with them.
        if isinstance(desk.hours, ServiceHours) and not _open(desk.hours, self.at):
            return Callee(
                supplier.id, supplier.name, "helpdesk", email=desk.email, closed=f"helpdesk hours {desk.hours}"
            )
        return Callee(
            supplier.id,
            supplier.name,
            "helpdesk" + (f", {desk.hours}" if desk.hours else ""),
            _numbers(desk.phones, self.in_hours),
            email=desk.email,
            portal=desk.portal,
        )


def _procedures_for(document: PlanDocument, function: CriticalFunction) -> list[Procedure]:
    """The procedures the function names or that apply to it; failing those, the ones for its systems."""
    named = set(function.procedures)
    chosen = [p for p in document.procedures if p.id in named or function.id in p.applies_to]
    if chosen:
        return chosen
    systems = {ref for ref in function.depends_on if any(s.id == ref for s in document.systems)}
    return [p for p in document.procedures if systems & set(p.applies_to)]


def _suppliers_for(document: PlanDocument, function: CriticalFunction) -> list[str]:
    """Suppliers the function depends on, directly or through its systems (and theirs)."""
    systems = {s.id: s for s in document.systems}
    suppliers = {s.id for s in document.suppliers}
    found: list[str] = []
    todo = list(function.depends_on)
    seen: set[str] = set()
    while todo:
        ref = todo.pop(0)
        if ref in seen:
            continue
        seen.add(ref)
        if ref in suppliers and ref not in found:
            found.append(ref)
        elif ref in systems:
            system = systems[ref]
            if system.supplier:
                todo.append(system.supplier)
            todo.extend(system.depends_on)
    return found


def _step_now(step: Step, in_hours: bool) -> bool:
    return step.when is When.ALWAYS or (step.when is When.IN_HOURS) == in_hours


def _timing(trigger: TriggerPoint) -> str:
    if trigger.kind is TriggerKind.AT_INVOCATION:
        return "When the plan is invoked"
    if trigger.kind is TriggerKind.ON_RESTORATION:
        return "When the service is restored"
    if trigger.kind is TriggerKind.AFTER:
        if isinstance(trigger.after, Duration):
            return f"After {trigger.after} without service"
        return f"When the plan says: {trigger.after}" if trigger.after else "After a time the plan does not state"
    if isinstance(trigger.every, Duration):
        text = f"Every {trigger.every}"
    else:  # "on an agreed basis", or no interval at all
        text = f"Repeated {trigger.every}" if trigger.every else "Repeated at an interval the plan does not state"
    if trigger.start:
        text += f", from {_duration(trigger.start)}"
    if trigger.until:
        text += f" until {_duration(trigger.until)}"
    return text


def _duration(value: Duration | str | None) -> str:
    return str(value) if value is not None else ""


_OUTCOMES = {
    "continue": "carry on with the steps anyway",
    "not-a-failure": "it is probably not a system failure",
    "partial-failure": "it is probably a partial failure",
}


def what_to_do(document: PlanDocument, function_id: str, at: datetime, calendar: WorkingCalendar) -> NowGuidance:
    """What to do about `function_id` being down at `at`, by the plan and the organisation's calendar."""
    function = next((f for f in document.functions if f.id == function_id), None)
    if function is None:
        raise FunctionNotFound(function_id)
    local = calendar.local(at)
    in_hours = calendar.is_in_hours(local)
    resolve = Resolver(document, local, in_hours)

    procedures = _procedures_for(document, function)
    responses = [p for p in procedures if p.phase is ProcedurePhase.RESPONSE]
    now = tuple(
        ProcedureNow(
            p.id,
            p.title,
            tuple(ConfirmCheck(c.check, _OUTCOMES[c.if_not.value], c.advice) for c in p.confirm),
            tuple(
                NowStep(
                    s.text,
                    s.kind.value,
                    resolve.callee(s.who),
                    tuple(c for t in s.targets for c in resolve.callees(t)),
                    s.note,
                )
                for s in p.steps
                if _step_now(s, in_hours)
            ),
            sum(1 for s in p.steps if not _step_now(s, in_hours)),
        )
        for p in responses
    )
    suppliers = tuple(c for key in _suppliers_for(document, function) if (c := resolve.callee(key)))
    escalation = tuple(
        EscalationNow(
            e.level,
            e.name,
            e.when,
            tuple(c for key in e.who for c in resolve.callees(key)),
            tuple(e.responsibilities),
            e.invokes_plan,
        )
        for e in sorted(document.escalation, key=lambda e: e.level)
    )
    triggers = tuple(
        TriggerNow(t.name, _timing(t), resolve.callee(t.chair), tuple(a.text for a in t.actions))
        for t in document.triggers
    )
    rules = tuple(DurationRuleNow(str(r.after), r.action, resolve.callee(r.owner)) for r in function.duration_rules)
    return NowGuidance(
        function_id=function.id,
        function_name=function.name,
        description=function.description,
        at=local,
        in_hours=in_hours,
        reason=calendar.why_out_of_hours(local),
        bank_holiday=calendar.bank_holiday_name(local.date()),
        changes_at=calendar.next_change(local),
        procedures=now,
        suppliers=suppliers,
        escalation=escalation,
        triggers=triggers,
        duration_rules=rules,
        later=tuple(p.title for p in procedures if p.phase is not ProcedurePhase.RESPONSE),
    )
