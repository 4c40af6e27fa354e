"""What changed between two versions of a plan, said readably (pure: works on the YAML text).

Two levels of detail: per part ("Added critical function x", "Changed risk r1: likelihood
3 -> 4"), found with compare.part_changes and audit.changes; and the line-by-line unified
diff of the canonical YAML, for anyone who wants every character.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from contingency.core.audit import FieldChange, changes

from . import yamlio
from .compare import COLLECTION_KEYS, SECTION_NAMES, PartChange, part_changes
from .problems import PlanInvalid

VALUE_LIMIT = 120  # characters of a value shown in a sentence; the unified diff has the rest
VERBS = {"create": "Added", "delete": "Removed", "change": "Changed"}


@dataclass(frozen=True)
class PartDiff:
    change: PartChange
    fields: tuple[FieldChange, ...]  # only for a changed part

    @property
    def verb(self) -> str:
        return self.change.verb

    @property
    def what(self) -> str:
        """The part named for a reader: "critical function reporting (Reporting)", "document control"."""
        change = self.change
        if change.section not in COLLECTION_KEYS:
            return SECTION_NAMES[change.section]
        name = _name(change.after if change.after is not None else change.before)
        label = f"{SECTION_NAMES[change.section]} {change.key}"
        return f"{label} ({name})" if name and name != change.key else label

    @property
    def headline(self) -> str:
        return f"{VERBS[self.verb]} {self.what}"

    @property
    def details(self) -> list[str]:
        """One line per changed field: "likelihood 3 -> 4"."""
        return [f"{field.path}: {show(field.before)} -> {show(field.after)}" for field in self.fields]

    @property
    def sentence(self) -> str:
        """The whole change in one line when it is one field; otherwise the headline."""
        if len(self.fields) == 1:
            field = self.fields[0]
            return f"{self.headline}: {field.path} {show(field.before)} -> {show(field.after)}"
        return self.headline


@dataclass(frozen=True)
class VersionDiff:
    old_label: str
    new_label: str
    parts: tuple[PartDiff, ...]
    unified: tuple[str, ...]  # unified-diff lines, without line ends
    problem: str = ""  # set when a version could not be read as YAML (the text diff still shows)

    @property
    def same(self) -> bool:
        return not self.unified


def _name(item: Any) -> str:
    if isinstance(item, dict):
        for field in ("name", "title", "activity"):
            if isinstance(item.get(field), str):
                return str(item[field])
    return ""


def show(value: Any) -> str:
    """A value short enough for a sentence: text quoted, lists and mappings as compact JSON."""
    if value is None:
        return "(none)"
    if isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, bool | int | float):
        text = json.dumps(value)
    elif isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        text = "[" + ", ".join(str(item) for item in value) + "]"
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    return text if len(text) <= VALUE_LIMIT else text[: VALUE_LIMIT - 1] + "…"


def part_diffs(old: dict[str, Any], new: dict[str, Any]) -> list[PartDiff]:
    """Each part added, removed or changed from `old` to `new` plan data, with changed fields."""
    found: list[PartDiff] = []
    for change in part_changes(old, new):
        fields = changes(change.before, change.after) if change.verb == "change" else []
        found.append(PartDiff(change, tuple(fields)))
    return found


def unified(old_text: str, new_text: str, old_label: str, new_label: str, context: int = 3) -> list[str]:
    """The line-by-line diff of two texts (empty when they are equal)."""
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=context
    )
    return list(lines)


def _data(text: str) -> dict[str, Any]:
    data, _ = yamlio.parse(text)
    if not isinstance(data, dict):
        raise PlanInvalid([])
    return data


def diff_texts(old_text: str, new_text: str, *, old_label: str, new_label: str) -> VersionDiff:
    """Compare two versions of a plan's YAML: parts changed, and the line diff."""
    lines = tuple(unified(old_text, new_text, old_label, new_label))
    try:
        old, new = _data(old_text), _data(new_text)
    except PlanInvalid:
        problem = "One version could not be read as a plan, so only the line-by-line differences are shown."
        return VersionDiff(old_label, new_label, (), lines, problem)
    return VersionDiff(old_label, new_label, tuple(part_diffs(old, new)), lines)


def line_kind(line: str) -> str:
    """How a unified-diff line is shown: "added", "removed", "hunk", "file" or "same"."""
    if line.startswith(("+++", "---")):
        return "file"
    if line.startswith("@@"):
        return "hunk"
    if line.startswith("+"):
        return "added"
    if line.startswith("-"):
        return "removed"
    return "same"
