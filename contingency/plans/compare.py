"""What changed between two versions of a plan, part by part (pure: works on plan data).

A plan's parts are the items of its collections, found by id (or by level, or by position
for collections without ids), plus its single sections (header, organisation, document
control, risk matrix). Used for the audit log of an edit and for the diff between issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Collections in file order, with the field that identifies an item (None: by position).
COLLECTION_KEYS: dict[str, str | None] = {
    "sites": "id",
    "people": "id",
    "roles": "id",
    "lists": "id",
    "suppliers": "id",
    "systems": "id",
    "functions": "id",
    "recordKinds": "id",
    "risks": "id",
    "escalation": "level",
    "procedures": "id",
    "triggers": "id",
    "callTrees": "id",
    "messages": "id",
    "monitoring": None,
}
SINGLE_SECTIONS = ("header", "organisation", "document", "riskMatrix")
HEADER_FIELDS = ("id", "title", "aim", "objectives", "audience", "scope")
SECTION_NAMES = {
    "header": "plan",
    "organisation": "organisation",
    "document": "document control",
    "riskMatrix": "risk matrix",
    "sites": "site",
    "people": "person",
    "roles": "role",
    "lists": "contact list",
    "suppliers": "supplier",
    "systems": "system",
    "functions": "critical function",
    "recordKinds": "record kind",
    "risks": "risk",
    "escalation": "escalation level",
    "procedures": "procedure",
    "triggers": "trigger point",
    "callTrees": "call tree",
    "messages": "message template",
    "monitoring": "monitoring activity",
}


@dataclass(frozen=True)
class PartChange:
    section: str  # "functions", "document", ...
    key: str  # the item's id, level or 1-based position; the section name for single sections
    before: Any  # None when created
    after: Any  # None when deleted

    @property
    def verb(self) -> str:
        return "create" if self.before is None else "delete" if self.after is None else "change"

    @property
    def label(self) -> str:
        return f"{SECTION_NAMES[self.section]} {self.key}" if self.section in COLLECTION_KEYS else self.key


def item_key(section: str, item: Any, index: int) -> str:
    field = COLLECTION_KEYS[section]
    if field is None or not isinstance(item, dict) or field not in item:
        return str(index + 1)
    return str(item[field])


def parts(data: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """Every part of plan data (the canonical JSON form), keyed by (section, key), in file order."""
    found: dict[tuple[str, str], Any] = {}
    header = {name: data[name] for name in HEADER_FIELDS if name in data}
    found[("header", "plan")] = header
    for section in SINGLE_SECTIONS[1:]:
        if section in data:
            found[(section, SECTION_NAMES[section])] = data[section]
    for section in COLLECTION_KEYS:
        for index, item in enumerate(data.get(section, [])):
            found[(section, item_key(section, item, index))] = item
    return found


def part_changes(old: dict[str, Any], new: dict[str, Any]) -> list[PartChange]:
    """Parts created, changed or deleted from `old` to `new`, in the new file's order then deleted ones."""
    before, after = parts(old), parts(new)
    changed = [
        PartChange(section, key, before.get((section, key)), value)
        for (section, key), value in after.items()
        if before.get((section, key)) != value
    ]
    deleted = [
        PartChange(section, key, value, None) for (section, key), value in before.items() if (section, key) not in after
    ]
    return changed + deleted
