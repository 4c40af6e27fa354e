"""Where a lint finding lies in the edit forms: which part, which field (pure, but for building URLs).

A finding's path runs from the plan's root (`functions[2].rto[0].duration`); a form knows the part
(`functions`, key `image-reporting`) and names its fields from the part (`rto.0.duration`). Used by
the edit forms, to show a part's findings beside its fields, and by the plan page, to link each
finding to the form and field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from contingency.plans.compare import COLLECTION_KEYS, HEADER_FIELDS, item_key
from contingency.plans.lint import Finding
from contingency.plans.problems import Path, format_path

from . import fields as f

SINGLE_SECTIONS = ("organisation", "document", "riskMatrix")


@dataclass(frozen=True)
class Place:
    """A part of the plan and a path within it."""

    section: str
    key: str | None  # the item's key in a collection; None for a single section
    path: Path  # relative to the part


def place_of(data: dict[str, Any], path: Path) -> Place | None:
    """The editable part a plan path lies in, or None (the plan as a whole, or an item that is gone)."""
    if not path:
        return None
    head = path[0]
    if isinstance(head, str) and head in COLLECTION_KEYS:
        items = data.get(head, [])
        if len(path) > 1 and isinstance(path[1], int) and 0 <= path[1] < len(items):
            return Place(head, item_key(head, items[path[1]], path[1]), path[2:])
        return None
    if head in SINGLE_SECTIONS:
        return Place(str(head), None, path[1:])
    if head in HEADER_FIELDS:
        return Place("header", None, path)
    return None


def field_of(place: Place) -> str:
    """The full name of the deepest form field the place reaches ("" for the part as a whole)."""
    return f.field_name(f.form_fields(place.section), place.path)[0]


@dataclass(frozen=True)
class Note:
    """A lint finding shown beside a field of a form."""

    rule: str
    severity: str
    message: str
    where: str  # the finding's path within the part, when deeper than the field (e.g. `[2]` of a list)
    new: bool = False  # found only since the last save


def part_notes(
    findings: list[Finding], data: dict[str, Any], section: str, key: str | None, new: frozenset[str] = frozenset()
) -> dict[str, list[Note]]:
    """The findings within one part by the full name of their field ("" for the part as a whole)."""
    found: dict[str, list[Note]] = {}
    specs = f.form_fields(section)
    for finding in findings:
        place = place_of(data, finding.path)
        if place is None or place.section != section or place.key != key:
            continue
        name, used = f.field_name(specs, place.path)
        rest = place.path[used:]
        where = format_path(rest) if rest else ""
        note = Note(finding.rule, finding.severity.value, finding.message, where, identity(finding) in new)
        found.setdefault(name, []).append(note)
    return found


def identity(finding: Finding) -> str:
    """A finding's identity across saves: its rule, place and message."""
    return f"{finding.rule}|{format_path(finding.path)}|{finding.message}"


def finding_link(org: str, plan: str, data: dict[str, Any], path: Path) -> str | None:
    """The edit form (and field) a finding is about, or None when no form holds it."""
    place = place_of(data, path)
    if place is None:
        return None
    kwargs = {"org": org, "plan": plan, "section": place.section}
    if place.key is None:
        url = reverse("section-edit", kwargs=kwargs)
    else:
        url = reverse("part-edit", kwargs={**kwargs, "key": place.key})
    name = field_of(place)
    return f"{url}#{anchor(name)}" if name else url


def anchor(name: str) -> str:
    """The id of a field's wrapper in a form (`rto.0.duration` -> `w-rto-0-duration`)."""
    return "w-" + name.replace(".", "-")
