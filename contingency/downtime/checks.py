"""A downtime record's values checked against its kind: pure, no database.

Values come in as typed (form text, a CSV cell, an XLSX cell's number or date, a JSON value) and go
out canonical: an NHS number as 10 digits, a downtime ID as `CT000123H`, a time as `YYYY-MM-DD HH:MM`
on the organisation's clock, a site as its key. Every problem is reported, each naming its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from contingency.lib.checkchars import CheckError, DowntimeId, nhs_number, parse_id
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import RoleKind
from contingency.plans.spec.records import MODALITIES, FieldType, RecordField, RecordKind

MARGIN = timedelta(hours=1)  # a record may be timed this long before the service was lost or after it came back
WALL_CLOCK = "%Y-%m-%d %H:%M"
TEXT_LIMIT = 2000
IDENTIFIER_LIMIT = 64
_UID_RE = re.compile(r"^[0-9]+(\.[0-9]+)*$")
_NUMBER_RE = re.compile(r"^[-+]?[0-9]+(\.[0-9]+)?$")
_YES = {"yes", "y", "true", "1", "on"}
_NO = {"no", "n", "false", "0", "off"}
# Which column of DowntimeRecord each type of field fills.
COLUMNS = {
    FieldType.DOWNTIME_ID: "downtime_id",
    FieldType.NHS_NUMBER: "nhs_number",
    FieldType.HOSPITAL_NUMBER: "hospital_number",
    FieldType.ACCESSION_NUMBER: "accession_number",
    FieldType.STUDY_UID: "study_uid",
    FieldType.REFERENCE: "reference",
    FieldType.TIME: "occurred_at",
    FieldType.SITE: "site_key",
    FieldType.DEPARTMENT: "department_key",
    FieldType.MODALITY: "modality",
    FieldType.INSTANCE_COUNT: "expected_instances",
}


class Invalid(ValueError):
    """One value that cannot be taken; the message says why, in words for the person who typed it."""


@dataclass(frozen=True)
class Context:
    """What a record is checked against: its kind, the plan's sites and departments, the downtime."""

    kind: RecordKind
    sites: Mapping[str, str]  # key -> name
    departments: Mapping[str, str]
    zone: ZoneInfo
    began: datetime
    ended: datetime  # restoration, or now while the system is still down
    known_id: Callable[[DowntimeId], bool] = lambda _: True  # is in a range allocated to the organisation

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.began - MARGIN, self.ended + MARGIN


@dataclass
class Checked:
    values: dict[str, Any] = field(default_factory=dict)  # by field name, canonical
    columns: dict[str, Any] = field(default_factory=dict)  # DowntimeRecord column -> value
    errors: list[tuple[str, str]] = field(default_factory=list)  # (field name, message)


def context_for(
    document: PlanDocument,
    kind: RecordKind,
    zone: ZoneInfo,
    began: datetime,
    ended: datetime,
    known_id: Callable[[DowntimeId], bool] | None = None,
) -> Context:
    sites = {s.id: s.name for s in document.sites}
    departments = {r.id: r.name for r in document.roles if r.kind is RoleKind.DEPARTMENT}
    return Context(kind, sites, departments, zone, began, ended, known_id or (lambda _: True))


def check_values(ctx: Context, raw: Mapping[str, Any]) -> Checked:
    """Every field of the kind from `raw` (by field name), checked; names not in the kind are errors."""
    checked = Checked()
    names = {f.name for f in ctx.kind.fields}
    for name in raw:
        if name not in names:
            checked.errors.append((name, f"{ctx.kind.name} has no field {name!r}: its fields are {', '.join(names)}"))
    for spec in ctx.kind.fields:
        value = raw.get(spec.name)
        if _blank(value):
            if spec.required:
                checked.errors.append((spec.name, f"{spec.shown} is required"))
            continue
        try:
            canonical, column = convert(ctx, spec, value)
        except Invalid as bad:
            checked.errors.append((spec.name, str(bad)))
            continue
        checked.values[spec.name] = canonical
        if spec.type in COLUMNS:
            checked.columns[COLUMNS[spec.type]] = column
    return checked


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def convert(ctx: Context, spec: RecordField, value: Any) -> tuple[Any, Any]:
    """(the value as stored in the record's values, the value of its column); Invalid when it cannot be."""
    kind = spec.type
    if kind is FieldType.TIME:
        moment = parse_time(value, ctx.zone)
        low, high = ctx.window
        if not low <= moment <= high:
            local = moment.astimezone(ctx.zone)
            raise Invalid(
                f"{local:{WALL_CLOCK}} is outside the downtime "
                f"({ctx.began.astimezone(ctx.zone):{WALL_CLOCK}} to {ctx.ended.astimezone(ctx.zone):{WALL_CLOCK}})"
            )
        return f"{moment.astimezone(ctx.zone):{WALL_CLOCK}}", moment.astimezone(UTC)
    if kind is FieldType.DATE:
        return parse_date(value).isoformat(), None
    if kind is FieldType.YES_NO:
        return _yes_no(value), None
    if kind in (FieldType.NUMBER, FieldType.INSTANCE_COUNT):
        number = _number(value, whole=kind is FieldType.INSTANCE_COUNT)
        return number, number
    text = _text(value, TEXT_LIMIT if kind in (FieldType.TEXT, FieldType.PERSON) else IDENTIFIER_LIMIT)
    found = _by_type(ctx, spec, text)
    return found, found


def _by_type(ctx: Context, spec: RecordField, text: str) -> str:
    kind = spec.type
    try:
        if kind is FieldType.NHS_NUMBER:
            return nhs_number(text)
        if kind is FieldType.DOWNTIME_ID:
            parsed = parse_id(text)
            if not ctx.known_id(parsed):
                raise Invalid(f"{parsed.printed} is not in any range of downtime IDs allocated to this organisation")
            return parsed.code
    except CheckError as bad:
        raise Invalid(str(bad)) from None
    if kind is FieldType.STUDY_UID and not _UID_RE.match(text):
        raise Invalid(f"{text!r} is not a DICOM UID: digits separated by dots, e.g. 1.2.826.0.1.3680043.2.1")
    if kind is FieldType.MODALITY:
        code = text.upper()
        if code not in MODALITIES:
            raise Invalid(f"{text!r} is not a modality: use one of {', '.join(MODALITIES)}")
        return code
    if kind in (FieldType.SITE, FieldType.DEPARTMENT):
        options = ctx.sites if kind is FieldType.SITE else ctx.departments
        return _one_of(text, options, "site" if kind is FieldType.SITE else "department")
    if kind is FieldType.CHOICE:
        for choice in spec.choices:
            if choice.casefold() == text.casefold():
                return choice
        raise Invalid(f"{text!r} is not one of the choices: {', '.join(spec.choices)}")
    return text


def _one_of(text: str, options: Mapping[str, str], what: str) -> str:
    for key, name in options.items():
        if text.casefold() in (key.casefold(), name.casefold()):
            return key
    shown = ", ".join(options.values()) or f"none: the plan names no {what}s"
    raise Invalid(f"{text!r} is not a {what} of the plan: use one of {shown}")


def _text(value: Any, limit: int) -> str:
    text = str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))
    if len(text) > limit:
        raise Invalid(f"is {len(text)} characters long: at most {limit}")
    if any((ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127 for c in text):
        raise Invalid("contains a control character")
    return text


def _number(value: Any, *, whole: bool) -> int | float:
    if isinstance(value, bool):
        raise Invalid("expected a number")
    if isinstance(value, int):
        number: int | float = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else value
    else:
        text = str(value).strip()
        if not _NUMBER_RE.match(text):
            raise Invalid(f"{text!r} is not a number")
        number = float(text) if "." in text else int(text)
    if whole and (not isinstance(number, int) or number < 0):
        raise Invalid(f"{value!r} is not a whole number of 0 or more")
    if isinstance(number, int) and abs(number) > 2_147_483_647:
        raise Invalid(f"{number} is too large")
    return number


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().casefold()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise Invalid(f"{str(value).strip()!r} is not yes or no")


def parse_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(f"{str(value).strip()!r} is not a date: write YYYY-MM-DD") from None


def parse_time(value: Any, zone: ZoneInfo) -> datetime:
    """A moment from `YYYY-MM-DD HH:MM` (or the T form, or ISO with an offset) on the organisation's clock."""
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("T", " ")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise Invalid(f"{str(value).strip()!r} is not a time: write YYYY-MM-DD HH:MM") from None
    if moment.tzinfo is not None:
        return moment
    aware = moment.replace(tzinfo=zone)
    if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
        raise Invalid(f"{moment:{WALL_CLOCK}} does not exist in {zone.key}: the clocks go forward then")
    return aware
