"""Pure helpers for the audit pages: readable values, field changes, filter parsing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from contingency.core.audit import changes
from contingency.core.models import Role
from contingency.core.permissions import GRANTS, Capability

EMPTY = "—"


def readable(value: Any) -> str:
    """One before/after value as text: strings as they are, absent as a dash, the rest as compact JSON."""
    if value is None:
        return EMPTY
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=False)


@dataclass(frozen=True)
class ChangeRow:
    field: str
    before: str
    after: str


def change_rows(before: Any, after: Any) -> list[ChangeRow]:
    """The changed fields of one audit entry, ready for a before/after table.

    A list of plain words (such as a member's roles) is shown whole rather than item by item,
    because "roles[1]" means nothing to a reader.
    """
    if _is_word_list(before) or _is_word_list(after):
        if before == after:
            return []
        return [ChangeRow("(whole)", readable(_words(before)), readable(_words(after)))]
    return [ChangeRow(c.path, readable(c.before), readable(c.after)) for c in changes(before, after)]


def _is_word_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _words(value: Any) -> Any:
    return ", ".join(value) if isinstance(value, list) else value


def parse_day(text: str) -> date | None:
    """A yyyy-mm-dd date from a filter form; None when empty or not a date."""
    try:
        return date.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        return None


def day_bounds(start: date | None, end: date | None, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
    """[from, until) instants of whole days in the organisation's time zone (the end day included)."""
    since = datetime.combine(start, time(0), zone) if start else None
    until = datetime.combine(end + timedelta(days=1), time(0), zone) if end else None
    return since, until


@dataclass(frozen=True)
class RoleRow:
    role: str
    label: str
    allowed: tuple[bool, ...]


CAPABILITY_TEXT: dict[Capability, str] = {
    Capability.VIEW: "read plans, contacts and history",
    Capability.RESPOND: "report and run incidents",
    Capability.EDIT: "change plans, upload YAML, submit for approval",
    Capability.APPROVE: "approve, return and issue plans; record reviews",
    Capability.ADMINISTER: "manage members and roles; read the audit log",
}


def role_table() -> list[RoleRow]:
    """What each role may do, one row per role, one column per capability (from core.permissions)."""
    return [RoleRow(role.value, str(role.label), tuple(cap in GRANTS[role] for cap in Capability)) for role in Role]
