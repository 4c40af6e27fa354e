"""The export file: writing it, and reading it back with every problem located by line and field.

{"format": "contingency-incidents", "version": 1, "organisation": "<slug>", "exportedAt": ...,
 "source": {...}, "incidents": [{"originKey": "<uuid>", "number": 3, "sections": {"incident": [...],
 "tasks": [...], ...}}]}. Each row has an `originKey` ("<incident uuid>/<section>/<id there>"), the
origin of its parent and of the rows it refers to, and its fields in camelCase (a section's `optional`
fields may be missing: a file written before they were carried). A file is read in
full before anything is written; a problem names the file, line and column, and the JSON path.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import models
from django.db.models.fields import PositiveIntegerRelDbTypeMixin
from django.utils.dateparse import parse_duration

from contingency.plans import yamlio
from contingency.plans.problems import Location, Path, PlanInvalid, Problem

from .sections import ORIGIN, Section, json_name, section, sections

FORMAT = "contingency-incidents"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
MAX_TEXT = 1024 * 1024  # the longest text a single field may hold
# An ISO 8601 duration in days, hours, minutes and seconds (as duration_iso_string writes it, or shorter: "PT2H"),
# with at least one number; not the other forms parse_duration reads ("3 days, 10:00:00").
_ISO_DURATION = re.compile(r"^[-+]?P(?=\d|T\d)(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d{1,6})?S)?)?$")
_ROW_ORIGIN = re.compile(r"^(?P<incident>[0-9a-f-]{36})/(?P<section>[A-Za-z]+)/(?P<id>[1-9][0-9]{0,18})$")


class TransferInvalid(Exception):
    """The file cannot be imported: every problem, located."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass(frozen=True)
class RowIn:
    origin: str
    raw: dict[str, Any]  # as the file has it (its digest tells whether the laptop changed it)
    values: dict[str, Any]  # the fields as the columns take them; links as origins


@dataclass
class IncidentIn:
    origin: str
    number: int
    rows: dict[str, list[RowIn]] = field(default_factory=dict)  # section -> rows


@dataclass
class Bundle:
    organisation: str
    exported_at: str
    source: dict[str, Any]
    incidents: list[IncidentIn]


def read_bundle(raw: bytes, file: str) -> Bundle:
    """The file's incidents, checked throughout; raise TransferInvalid naming every problem."""
    if len(raw) > MAX_BYTES:
        raise TransferInvalid([Problem("file.size", f"larger than {MAX_BYTES // (1024 * 1024)} MB", (), file)])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TransferInvalid([Problem("file.encoding", f"not UTF-8 text (byte {exc.start})", (), file)]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem("json.syntax", f"not valid JSON: {exc.msg}", (), file, Location(exc.lineno, exc.colno))
        raise TransferInvalid([problem]) from None
    reader = _Reader(file)
    bundle = reader.bundle(data)
    if reader.problems:
        raise TransferInvalid(_located(reader.problems, text, file))
    assert bundle is not None
    return bundle


def _located(problems: list[Problem], text: str, file: str) -> list[Problem]:
    """The problems with their line and column (found by reading the file again, with positions)."""
    try:
        _, positions = yamlio.parse(text, file)
    except PlanInvalid:
        return problems
    return [Problem(p.code, p.message, p.path, file, positions.locate(p.path)) for p in problems]


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.origins: set[str] = set()

    def problem(self, path: Path, message: str, code: str = "transfer.value") -> None:
        self.problems.append(Problem(code, message, path, self.file))

    def bundle(self, data: Any) -> Bundle | None:
        if not isinstance(data, dict):
            self.problem((), "expected a JSON object: an export of incidents", "transfer.shape")
            return None
        if data.get("format") != FORMAT:
            self.problem(("format",), f"expected {FORMAT!r}: this is not an export of incidents", "transfer.format")
            return None
        if data.get("version") != VERSION:
            got = data.get("version")
            self.problem(("version",), f"version {got!r}: this install reads version {VERSION}", "transfer.version")
            return None
        organisation = data.get("organisation")
        if not isinstance(organisation, str) or not organisation:
            self.problem(("organisation",), "expected the organisation's id")
        incidents = data.get("incidents")
        if not isinstance(incidents, list):
            self.problem(("incidents",), "expected a list of incidents")
            incidents = []
        given = data.get("source")
        source: dict[str, Any] = given if isinstance(given, dict) else {}
        found = [self.incident(item, ("incidents", i)) for i, item in enumerate(incidents)]
        return Bundle(str(organisation), str(data.get("exportedAt", "")), source, [i for i in found if i])

    def incident(self, item: Any, path: Path) -> IncidentIn | None:
        if not isinstance(item, dict):
            self.problem(path, "expected an incident (a JSON object)")
            return None
        origin, number, found = item.get(ORIGIN), item.get("number"), item.get("sections")
        if not isinstance(origin, str) or not _is_uuid(origin):
            self.problem((*path, ORIGIN), "expected the incident's uid (a UUID)")
            return None
        if origin in self.origins:
            self.problem((*path, ORIGIN), "this incident is in the file twice")
            return None
        self.origins.add(origin)
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            self.problem((*path, "number"), "expected the incident's number (a whole number from 1)")
        if not isinstance(found, dict):
            self.problem((*path, "sections"), "expected the sections of the incident (a JSON object)")
            return None
        incoming = IncidentIn(origin, int(number) if isinstance(number, int) else 0)
        for name, rows in found.items():
            where = (*path, "sections", name)
            sec = section(name)
            if sec is None:
                known = ", ".join(s.name for s in sections())
                self.problem(where, f"unknown section {name!r}: this install knows {known}", "transfer.section")
            elif not isinstance(rows, list):
                self.problem(where, "expected a list of rows")
            else:
                read = [self.row(sec, origin, row, (*where, j)) for j, row in enumerate(rows)]
                incoming.rows[name] = [row for row in read if row is not None]
        itself = incoming.rows.get("incident", [])
        if len(itself) != 1 or itself[0].origin != origin:
            self.problem((*path, "sections", "incident"), "expected exactly one row: the incident itself")
        self.references(incoming, path)
        return incoming

    def row(self, sec: Section, incident: str, data: Any, path: Path) -> RowIn | None:
        if not isinstance(data, dict):
            self.problem(path, "expected a row (a JSON object)")
            return None
        origin = data.get(ORIGIN)
        if sec.name == "incident":
            expected_ok = origin == incident
        else:
            match = _ROW_ORIGIN.match(origin) if isinstance(origin, str) else None
            expected_ok = bool(match and match["incident"] == incident and match["section"] == sec.name)
        if not expected_ok or not isinstance(origin, str):
            self.problem((*path, ORIGIN), f"expected {incident}/{sec.name}/<id> for a row of this incident")
            return None
        if origin in self.origins and sec.name != "incident":
            self.problem((*path, ORIGIN), "this row is in the file twice")
            return None
        self.origins.add(origin)
        out: dict[str, Any] = {}
        links = ([sec.parent[0]] if sec.parent[0] else []) + sorted(sec.refs)
        allowed = {ORIGIN, *(json_name(n) for n in links), *(json_name(n) for n in sec.fields)}
        for key in data:
            if key not in allowed:
                self.problem((*path, key), f"unknown field of a {sec.name} row", "transfer.field")
        for name in links:
            value = data.get(json_name(name), None)
            required = name == sec.parent[0]
            if (required and not isinstance(value, str)) or not (value is None or isinstance(value, str)):
                self.problem((*path, json_name(name)), "expected the origin of the row it belongs to")
            out[name] = value
        for name in sec.fields:
            key = json_name(name)
            if key not in data and name in sec.optional:
                out[name] = None  # an older file, written before the field was carried: it stays empty
                continue
            if key not in data:
                self.problem((*path, key), "this is required", "transfer.missing")
                continue
            value, error = convert(sec.model_field(name), data[key])
            if error:
                self.problem((*path, key), error)
            out[name] = value
        return RowIn(origin, data, out)

    def references(self, incoming: IncidentIn, path: Path) -> None:
        """Every parent and reference names a row of the right section of this incident."""
        by_origin = {row.origin: name for name, rows in incoming.rows.items() for row in rows}
        for name, rows in incoming.rows.items():
            sec = section(name)
            assert sec is not None
            links = {**({sec.parent[0]: sec.parent[1]} if sec.parent[0] else {}), **sec.refs}
            for j, row in enumerate(rows):
                for link, target in links.items():
                    value = row.values.get(link)
                    if value is not None and by_origin.get(value) != target:
                        where = (*path, "sections", name, j, json_name(link))
                        self.problem(where, f"names {value!r}, which is not a {target} row of this incident")
            self.distinct(sec, rows, (*path, "sections", name))

    def distinct(self, sec: Section, rows: list[RowIn], path: Path) -> None:
        """Rows that must differ (two tasks of one key, two reviews of one incident) do."""
        if sec.natural is None:
            return
        seen: dict[tuple[Any, ...], int] = {}
        for j, row in enumerate(rows):
            key = (row.values.get(sec.parent[0]), *(repr(row.values.get(n)) for n in sec.natural))
            if key in seen:
                what = ", ".join(json_name(n) for n in sec.natural) or "its parent"
                self.problem((*path, j), f"the same {what} as row {seen[key]}: each must differ")
            seen.setdefault(key, j)


def convert(model_field: models.Field[Any, Any], value: Any) -> tuple[Any, str]:
    """The value as the column takes it, or an error saying what was expected."""
    if value is None:
        return (None, "") if model_field.null else (None, "must not be null")
    if isinstance(model_field, models.JSONField):
        return value, ""
    if isinstance(model_field, models.DurationField):
        length = _parse(parse_duration, value) if isinstance(value, str) and _ISO_DURATION.match(value) else None
        return (length, "") if length is not None else (None, "expected a duration, e.g. P1DT02H30M00S")
    if isinstance(model_field, models.DateTimeField):
        moment = _parse(datetime.fromisoformat, value)
        if moment is None or moment.tzinfo is None:
            return None, "expected a time with its offset, e.g. 2026-03-01T02:10:00+00:00"
        return moment, ""
    if isinstance(model_field, models.DateField):
        day = _parse(date.fromisoformat, value)
        return (day, "") if day is not None else (None, "expected a date, e.g. 2026-03-01")
    if isinstance(model_field, models.BooleanField):
        return (value, "") if isinstance(value, bool) else (None, "expected true or false")
    if isinstance(model_field, models.IntegerField):
        if not isinstance(value, int) or isinstance(value, bool):
            return None, "expected a whole number"
        low, high = _bounds(model_field)
        return (value, "") if low <= value <= high else (None, f"expected a whole number from {low} to {high}")
    if isinstance(model_field, models.CharField | models.TextField):
        if not isinstance(value, str):
            return None, "expected text"
        limit = model_field.max_length or MAX_TEXT
        if len(value) > limit:
            return None, f"at most {limit} characters"
        allowed = [str(choice[0]) for choice in model_field.choices or []]
        if allowed and value not in allowed:
            return None, f"{value!r} is not one of: {', '.join(allowed)}"
        return value, ""
    return None, f"cannot be imported ({type(model_field).__name__})"


def _parse(parse: Any, value: Any) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return parse(value)
    except (ValueError, OverflowError):
        return None


def _bounds(model_field: models.IntegerField[Any, Any]) -> tuple[int, int]:
    if isinstance(model_field, models.SmallIntegerField):
        high = 32767
    elif isinstance(model_field, models.BigIntegerField):
        high = 2**63 - 1
    else:
        high = 2**31 - 1
    positive = isinstance(model_field, PositiveIntegerRelDbTypeMixin)
    return (0 if positive else -high - 1), high


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False
