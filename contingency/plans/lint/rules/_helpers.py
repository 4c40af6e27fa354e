"""What several rules need to know about a plan: who is reachable when, who holds what."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from ...problems import Path
from ...spec.directory import Contact, Phone, RoleKind
from ...spec.plan import When
from ...spec.types import ServiceHours
from ..engine import Context


def phones_out_of_hours(phones: list[Phone]) -> bool:
    return any(p.usable_out_of_hours for p in phones)


def _contact_out_of_hours(ctx: Context, contact: Contact | None) -> bool:
    if contact is None:
        return False
    if phones_out_of_hours(contact.phones):
        return True
    return contact.person is not None and reachable_out_of_hours(ctx, contact.person)


def reachable_out_of_hours(ctx: Context, key: str) -> bool:
    """Whether someone can ring this person, role or supplier at 02:00 on a Sunday.

    A role counts only through its out-of-hours contact or numbers staffed around the clock,
    not through its members' mobiles: a team's members are not on call by being members.
    """
    item, kind = ctx.item(key), ctx.kind(key)
    if kind == "person":
        return phones_out_of_hours(item.phones)
    if kind == "role":
        if item.out_of_hours is not None:
            return _contact_out_of_hours(ctx, item.out_of_hours)
        return item.in_hours is not None and phones_out_of_hours(item.in_hours.phones)
    if kind == "supplier":
        desk = item.helpdesk
        if desk is None or not desk.phones:
            return False
        # No hours stated means the organisation's working hours; hours in words cannot be relied on.
        always = isinstance(desk.hours, ServiceHours) and desk.hours.always
        return always and phones_out_of_hours(desk.phones)
    return True  # lists are checked member by member


_BROADCAST = re.compile(
    r"^\s*(all|every)\b|\b(everyone|everybody|all staff|all users|users|the public|patients)\b", re.I
)


def is_broadcast(ctx: Context, key: str) -> bool:
    """Whether a list or team is an audience told by broadcast ("All staff", "Users"), not people
    to ring: nobody needs its members' out-of-hours numbers."""
    item = ctx.item(key)
    if ctx.kind(key) == "list" or (ctx.kind(key) == "role" and item.kind in {RoleKind.TEAM, RoleKind.DEPARTMENT}):
        return bool(_BROADCAST.search(item.name))
    return False


def members(ctx: Context, key: str, seen: frozenset[str] = frozenset()) -> Iterator[str]:
    """A list's members, flattened through nested lists; anything else is itself."""
    if ctx.kind(key) != "list":
        yield key
        return
    for member in ctx.item(key).members:
        if member not in seen:
            yield from members(ctx, member, seen | {key})


def needed_out_of_hours(ctx: Context) -> Iterator[tuple[Path, str]]:
    """Every (path, contact) that a plan may need outside working hours: who and targets of steps
    that run out of hours or always, and trigger chairs and attendees (triggers keep time, not hours)."""
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            if step.when is When.IN_HOURS:
                continue
            where: Path = ("procedures", i, "steps", j)
            if step.who:
                yield (*where, "who"), step.who
            for k, target in enumerate(step.targets):
                if is_broadcast(ctx, target):
                    continue
                for member in members(ctx, target):
                    yield (*where, "targets", k), member
    for i, trigger in enumerate(ctx.plan.triggers):
        if trigger.chair:
            yield ("triggers", i, "chair"), trigger.chair
        for k, attendee in enumerate(trigger.attendees):
            if is_broadcast(ctx, attendee):
                continue
            for member in members(ctx, attendee):
                yield ("triggers", i, "attendees", k), member


def responsibilities(ctx: Context) -> dict[str, list[tuple[Path, str]]]:
    """For each person: the duties the plan gives them by name (not through a role)."""
    held: dict[str, list[tuple[Path, str]]] = defaultdict(list)
    plan = ctx.plan

    def add(key: str | None, path: Path, duty: str) -> None:
        if key and ctx.kind(key) == "person":
            held[key].append((path, duty))

    add(plan.document.owner, ("document", "owner"), "owns the plan document")
    for i, fn in enumerate(plan.functions):
        add(fn.owner, ("functions", i, "owner"), f"owns {fn.name}")
        add(fn.deputy, ("functions", i, "deputy"), f"deputises for {fn.name}")
        if fn.data_recovery:
            add(fn.data_recovery.owner, ("functions", i, "dataRecovery", "owner"), f"recovers data for {fn.name}")
        for j, rule in enumerate(fn.duration_rules):
            add(rule.owner, ("functions", i, "durationRules", j, "owner"), f"acts when {fn.name} is out {rule.after}")
    for i, risk in enumerate(plan.risks):
        add(risk.owner, ("risks", i, "owner"), f"owns the risk {risk.title}")
    for i, trigger in enumerate(plan.triggers):
        add(trigger.chair, ("triggers", i, "chair"), f"chairs {trigger.name}")
    for i, procedure in enumerate(plan.procedures):
        people = {step.who for step in procedure.steps if step.who}
        for person in sorted(p for p in people if p):
            add(person, ("procedures", i), f"carries out steps of {procedure.title}")
    for i, role in enumerate(plan.roles):
        for contact, when in ((role.in_hours, "in hours"), (role.out_of_hours, "out of hours")):
            if contact and contact.person:
                add(contact.person, ("roles", i), f"is the {when} contact for {role.name}")
    return held
