"""Who may do what: roles grant capabilities, per organisation.

Pure data and plain functions; `core.access` reads memberships from the database.
Approvers do not edit and editors do not approve, so no one approves their own words
alone; a person who must do both holds both roles, which the audit log shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .models import Role


class Capability(StrEnum):
    VIEW = "view"  # read plans, contacts, history
    RESPOND = "respond"  # report and run incidents
    EDIT = "edit"  # change plans, upload YAML, submit for approval
    APPROVE = "approve"  # approve, return and issue plans; record reviews
    ADMINISTER = "administer"  # members, roles and the organisation's audit log


GRANTS: dict[Role, frozenset[Capability]] = {
    Role.VIEWER: frozenset({Capability.VIEW}),
    Role.RESPONDER: frozenset({Capability.VIEW, Capability.RESPOND}),
    Role.EDITOR: frozenset({Capability.VIEW, Capability.RESPOND, Capability.EDIT}),
    Role.APPROVER: frozenset({Capability.VIEW, Capability.RESPOND, Capability.APPROVE}),
    Role.ADMINISTRATOR: frozenset({Capability.VIEW, Capability.RESPOND, Capability.ADMINISTER}),
}


def capabilities_of(roles: Iterable[str]) -> frozenset[Capability]:
    """Everything the given roles allow together."""
    granted: set[Capability] = set()
    for role in roles:
        granted |= GRANTS[Role(role)]
    return frozenset(granted)
