"""The phone form of a record kind: one input per field, the right keyboard for each, sticky values.

Pure: built from the kind and the plan snapshot's sites and departments; the view fills in the
values, the errors the service gave back, and what the person entered last time (site, department,
modality and who stay the same from one record to the next, so a shift records in a few taps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from contingency.plans.spec.records import MODALITIES, FieldType, RecordKind

# Fields whose value is usually the same for the next record, kept between records.
STICKY = frozenset({FieldType.SITE, FieldType.DEPARTMENT, FieldType.MODALITY, FieldType.PERSON})
HINTS = {
    FieldType.NHS_NUMBER: "10 digits, e.g. 943 476 5919.",
    FieldType.DOWNTIME_ID: "As printed on the form, e.g. CT-000123-H.",
    FieldType.TIME: "Date and time on the hospital's clock.",
    FieldType.STUDY_UID: "Digits separated by dots.",
}


@dataclass
class Input:
    name: str
    label: str
    widget: str  # text, number, datetime, date, select, yesno
    required: bool
    hint: str = ""
    inputmode: str = ""
    capitalise: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)  # (value, label) of a select
    value: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"r-{self.name}"

    @property
    def described_by(self) -> str:
        ids = [f"{self.id}-error"] if self.errors else []
        if self.hint:
            ids.append(f"{self.id}-hint")
        return " ".join(ids)


def inputs(
    kind: RecordKind, sites: Mapping[str, str], departments: Mapping[str, str], now_local: datetime
) -> list[Input]:
    """The inputs of a kind's phone form, in the kind's order, with defaults (the time is now)."""
    found: list[Input] = []
    for spec in kind.fields:
        item = Input(spec.name, spec.shown, "text", spec.required, spec.help or HINTS.get(spec.type, ""))
        t = spec.type
        if t in (FieldType.NHS_NUMBER, FieldType.NUMBER, FieldType.INSTANCE_COUNT):
            item.inputmode = "decimal" if t is FieldType.NUMBER else "numeric"
        elif t in (FieldType.DOWNTIME_ID, FieldType.ACCESSION_NUMBER, FieldType.HOSPITAL_NUMBER):
            item.capitalise = True
        elif t is FieldType.TIME:
            item.widget = "datetime"
            item.value = f"{now_local:%Y-%m-%dT%H:%M}"
        elif t is FieldType.DATE:
            item.widget = "date"
        elif t is FieldType.YES_NO:
            item.widget = "yesno"
        elif t is FieldType.MODALITY:
            item.widget = "select"
            item.options = [(code, code) for code in MODALITIES]
        elif t is FieldType.SITE:
            item.widget = "select"
            item.options = list(sites.items())
        elif t is FieldType.DEPARTMENT:
            item.widget = "select"
            item.options = list(departments.items())
        elif t is FieldType.CHOICE:
            item.widget = "select"
            item.options = [(choice, choice) for choice in spec.choices]
        found.append(item)
    return found


def sticky(kind: RecordKind, values: Mapping[str, str]) -> dict[str, str]:
    """The values to keep for the next record of this kind."""
    names = {spec.name for spec in kind.fields if spec.type in STICKY}
    return {name: value for name, value in values.items() if name in names and value}


def fill(found: list[Input], values: Mapping[str, str], errors: Mapping[str, list[str]]) -> list[Input]:
    for item in found:
        if item.name in values:
            item.value = values[item.name]
        item.errors = list(errors.get(item.name, []))
    return found
