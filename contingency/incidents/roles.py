"""Who leads an incident by default: the plan's escalation owner for the time of day it is invoked.

Pure code over a PlanDocument. The escalation level that invokes the plan (`invokesPlan: true`, the
lowest such level) names its holders in order. Several holders usually means "this team in hours,
that post out of hours" (the PACS team by day, the senior radiographer on shift at night): the
plan says which by the steps it gives each for the time of day, so the owner now is the first
holder with a step for this time of day (`when: in-hours` or `out-of-hours`), else the first holder.
The deputy is the lead person's own deputy in the directory, else the next holder. A plan without
an escalation ladder falls back on its owner (document control).

A holder that is a person is that person (a member, when an administrator has linked them); a role
whose contact for this time of day names a person is that person; any other role, supplier or name
kept as written is shown in words and linked to no member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import Contact, Person, Role
from contingency.plans.spec.plan import EscalationLevel, ProcedurePhase, When
from contingency.plans.spec.written import AsWritten


@dataclass(frozen=True)
class Holder:
    """Someone the plan names for a role: `name` as shown; `person` the directory person, if one."""

    name: str
    key: str = ""  # the directory key (person, role or supplier); "" for words kept as written
    person: str = ""  # a person's key: a member when one is linked to it

    @property
    def as_written(self) -> bool:
        return not self.key


@dataclass(frozen=True)
class DefaultRoles:
    lead: Holder | None
    deputy: Holder | None
    why: str  # "the plan's escalation owner in hours (level 2, PACS team)"


def _time_words(in_hours: bool) -> str:
    return "in hours" if in_hours else "out of hours"


def invoking_level(document: PlanDocument) -> EscalationLevel | None:
    """The level that invokes the plan, else the lowest level naming anyone."""
    levels = sorted((level for level in document.escalation if level.who), key=lambda level: level.level)
    return next((level for level in levels if level.invokes_plan), levels[0] if levels else None)


def _has_step_now(document: PlanDocument, key: str, in_hours: bool) -> bool:
    now = When.IN_HOURS if in_hours else When.OUT_OF_HOURS
    return any(
        step.who == key and step.when is now
        for procedure in document.procedures
        if procedure.phase is not ProcedurePhase.RESTORATION
        for step in procedure.steps
    )


def holder(document: PlanDocument, ref: str | None, in_hours: bool) -> Holder | None:
    """The person (or the words) a directory key or a name as written stands for at this time of day."""
    if not ref:
        return None
    if isinstance(ref, AsWritten):
        return Holder(str(ref))
    found = {p.id: p for p in document.people}
    if ref in found:
        return Holder(found[ref].name, ref, ref)
    for role in document.roles:
        if role.id == ref:
            contact = _contact_now(role, in_hours)
            if contact is not None and contact.person and contact.person in found:
                return Holder(found[contact.person].name, contact.person, contact.person)
            return Holder(role.name, role.id)
    for supplier in document.suppliers:
        if supplier.id == ref:
            return Holder(supplier.name, supplier.id)
    return Holder(ref)  # a key the plan does not define (the linter reports it): shown as it is


def _contact_now(role: Role, in_hours: bool) -> Contact | None:
    return (role.in_hours if in_hours else role.out_of_hours) or (role.out_of_hours if in_hours else role.in_hours)


def _person(document: PlanDocument, key: str) -> Person | None:
    return next((p for p in document.people if p.id == key), None)


def _deputy_of(document: PlanDocument, lead: Holder, others: Sequence[str], in_hours: bool) -> Holder | None:
    person = _person(document, lead.person) if lead.person else None
    if person is not None and person.deputy:
        return holder(document, person.deputy, in_hours)
    for ref in others:
        candidate = holder(document, ref, in_hours)
        if candidate is not None and candidate != lead:
            return candidate
    return None


def default_roles(document: PlanDocument, in_hours: bool) -> DefaultRoles:
    """The lead and deputy the plan gives for an incident invoked at this time of day."""
    words = _time_words(in_hours)
    level = invoking_level(document)
    if level is not None:
        refs = [str(k) for k in level.who]
        now = [k for k in refs if _has_step_now(document, k, in_hours)]
        ordered = now + [k for k in refs if k not in now]
        lead = holder(document, level.who[refs.index(ordered[0])], in_hours)
        assert lead is not None  # a level with holders gives one
        deputy = _deputy_of(document, lead, [level.who[refs.index(k)] for k in ordered[1:]], in_hours)
        return DefaultRoles(lead, deputy, f"the plan's escalation owner {words} (level {level.level}, {level.name})")
    owner = holder(document, document.document.owner, in_hours)
    if owner is None:
        return DefaultRoles(None, None, "the plan names no escalation owner")
    return DefaultRoles(owner, _deputy_of(document, owner, (), in_hours), "the plan's owner (it has no escalation)")


__all__ = ["DefaultRoles", "Holder", "default_roles", "holder", "invoking_level"]
