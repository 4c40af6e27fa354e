"""Key personnel: named, reachable by phone, and roles that can actually be rung."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...problems import Path
from ..engine import Context, Severity, rule
from ._helpers import responsibilities

Found = Iterator[tuple[Path, str]]

_PLACEHOLDER = re.compile(
    r"^\W*(tbc|tba|tbd|to be (confirmed|appointed|agreed|decided)|vacant|vacancy|unknown|not known|n/?a|none|"
    r"name|awaiting appointment|post holder|\?+|x+)\W*$",
    re.I,
)


@rule("KEY001", "person-without-name", Severity.ERROR, "A key personnel entry has no name")
def no_name(ctx: Context) -> Found:
    """Key personnel tables often carry "TBC" or "Vacant" where a name should be: the entry looks
    filled in, but nobody holds the duty. Name the person, or name the role and who covers it."""
    for i, person in enumerate(ctx.plan.people):
        if _PLACEHOLDER.match(person.name.strip()):
            yield ("people", i, "name"), f"the entry {person.id!r} has {person.name!r} for a name"


def _named_in_directory(ctx: Context) -> dict[str, Path]:
    """People the directory relies on without giving them a duty: members, supplier contacts, deputies."""
    found: dict[str, Path] = {}
    for i, role in enumerate(ctx.plan.roles):
        for j, member in enumerate(role.members):
            found.setdefault(member, ("roles", i, "members", j))
    for i, supplier in enumerate(ctx.plan.suppliers):
        for j, contact in enumerate(supplier.contacts):
            found.setdefault(contact, ("suppliers", i, "contacts", j))
    for i, person in enumerate(ctx.plan.people):
        if person.deputy:
            found.setdefault(person.deputy, ("people", i, "deputy"))
    return found


@rule("KEY002", "key-person-without-numbers", Severity.WARNING, "A member, deputy or supplier contact has no number")
def no_numbers(ctx: Context) -> Found:
    """A team member, a person's deputy or a supplier's named contact is someone the plan expects to
    ring; an entry with no telephone number at all cannot be rung when e-mail is down. (People who
    hold duties by name are reported by CON003.)"""
    dutied = set(responsibilities(ctx))
    for key, where in _named_in_directory(ctx).items():
        person = ctx.item(key)
        if ctx.kind(key) == "person" and key not in dutied and not person.phones:
            yield ctx.ids[key].path, f"{person.name} is relied on (see {'.'.join(map(str, where))}) but has no number"


def _called_roles(ctx: Context) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            for key in (step.who, *step.targets):
                if key:
                    found.setdefault(key, ("procedures", i, "steps", j))
    for i, trigger in enumerate(ctx.plan.triggers):
        for key in (trigger.chair, *trigger.attendees):
            if key:
                found.setdefault(key, ("triggers", i))
    for i, level in enumerate(ctx.plan.escalation):
        for key in level.who:
            found.setdefault(key, ("escalation", i, "who"))
    return found


@rule("KEY003", "role-without-numbers", Severity.ERROR, "A role the plan calls on has no number at all")
def role_unreachable(ctx: Context) -> Found:
    """A team or post named by a step, meeting or escalation level must be reachable: its own
    numbers, a named contact with a number, or members with numbers. A role entry with none of
    them is a name without a way to reach it."""
    for key, where in _called_roles(ctx).items():
        if ctx.kind(key) != "role":
            continue
        role = ctx.item(key)
        contacts = [c for c in (role.in_hours, role.out_of_hours) if c]
        reachable = any(c.phones or (c.person and ctx.item(c.person).phones) for c in contacts)
        reachable = reachable or any(ctx.kind(m) == "person" and ctx.item(m).phones for m in role.members)
        if not reachable:
            yield ctx.ids[key].path, f"{role.name} is called on ({'.'.join(map(str, where))}) but has no number"
