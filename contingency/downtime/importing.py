"""Bulk upload of downtime records typed up from the paper forms: a CSV or XLSX file, all or nothing.

The whole file is read and checked before anything is written: its size and row count are capped,
an XLSX is read in openpyxl's read-only mode (its unpacked size capped too), formulas are refused, and
every bad row is reported as `file:row:column: field: message`. The first row names the columns: a
kind's field names (or labels), and `kind` when the file holds more than one kind of record.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind
from contingency.incidents.firing import note
from contingency.incidents.models import EventKind, Incident
from contingency.incidents.services import Actor, incident_key
from contingency.incidents.snapshot import calendar_of

from . import checks
from .models import DowntimeRecord
from .services import RECORDABLE, DowntimeError, KindOf, _locked, _name, _user, check_context, kinds_of

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
MAX_UNPACKED = 100 * 1024 * 1024  # an XLSX is a zip: its unpacked content is capped too
MAX_REPORTED = 500  # problems listed; the rest are counted
KIND_COLUMN = "kind"
_IDENTIFIER_COLUMNS = {"accession_number": "accession number", "study_uid": "study UID", "reference": "reference"}


@dataclass(frozen=True)
class Located:
    file: str
    row: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.field}: {self.message}"


class ImportRefused(DowntimeError):
    """The file was not imported: every problem found, located; nothing was written."""

    code = "downtime.import"

    def __init__(self, located: list[Located], more: int = 0) -> None:
        count = len(located) + more
        super().__init__(f"{count} problem(s) in the file; nothing was imported", "file", kind=Kind.INVALID)
        self.located = located
        self.more = more

    def problems(self) -> list[tuple[str | None, str]]:
        return [("file", str(problem)) for problem in self.located]


@dataclass(frozen=True)
class Row:
    number: int  # the row in the file, 1 is the header
    cells: dict[str, Any]  # by column heading (as written)


# ---------------------------------------------------------------- reading


def read_rows(name: str, data: bytes) -> tuple[list[str], list[Row]]:
    """The header and the non-empty rows of a CSV or XLSX file; ImportRefused when it cannot be read."""
    if len(data) > MAX_BYTES:
        _refuse(name, 0, 0, "file", f"is {len(data) / 1_048_576:.1f} MB: upload at most {MAX_BYTES // 1_048_576} MB")
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        rows = _xlsx_rows(name, data)
    elif lowered.endswith(".csv") or lowered.endswith(".txt"):
        rows = _csv_rows(name, data)
    else:
        _refuse(name, 0, 0, "file", "is neither a .csv nor an .xlsx file")
    header: list[str] = []
    found: list[Row] = []
    for number, cells in rows:
        if not header:
            header = [str(c).strip() if c is not None else "" for c in cells]
            if not any(header):
                _refuse(name, number, 1, "columns", "the first row must name the columns")
            continue
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        if len(found) >= MAX_ROWS:
            _refuse(name, number, 0, "file", f"has more than {MAX_ROWS:,} records: split it into smaller files")
        if len(cells) > len(header) and any(c not in (None, "") for c in cells[len(header) :]):
            _refuse(name, number, len(header) + 1, "columns", "has more cells than the first row has columns")
        found.append(Row(number, {header[i]: cells[i] for i in range(min(len(cells), len(header))) if header[i]}))
    if not header:
        _refuse(name, 0, 0, "file", "is empty")
    return header, found


def _refuse(name: str, row: int, column: int, field: str, message: str) -> Any:
    raise ImportRefused([Located(name, row, column, field, message)])


def _csv_rows(name: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as bad:
        line = data[: bad.start].count(b"\n") + 1
        column = bad.start - (data.rfind(b"\n", 0, bad.start) + 1) + 1
        _refuse(name, line, column, "encoding", "is not UTF-8 text: save the file as CSV UTF-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            yield reader.line_num, list(cells)
    except csv.Error as bad:
        _refuse(name, reader.line_num, 0, "file", f"is not a readable CSV file: {bad}")


def _xlsx_rows(name: str, data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        _refuse(name, 0, 0, "file", "is not an XLSX workbook (save it from Excel as .xlsx, or as CSV UTF-8)")
    if unpacked > MAX_UNPACKED:
        _refuse(name, 0, 0, "file", f"unpacks to {unpacked / 1_048_576:.0f} MB: at most {MAX_UNPACKED // 1_048_576} MB")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as bad:  # openpyxl raises many kinds for a damaged workbook
        _refuse(name, 0, 0, "file", f"is not a readable XLSX workbook ({type(bad).__name__})")
    try:
        sheet = book.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(), start=1):
            values: list[Any] = []
            for column, cell in enumerate(cells, start=1):
                if getattr(cell, "data_type", None) == "f":
                    _refuse(name, number, column, "cell", "holds a formula: paste the values only")
                values.append(getattr(cell, "value", None))
            yield number, values
    finally:
        book.close()


# ---------------------------------------------------------------- checking and writing


@dataclass
class _Checked:
    row: Row
    offered: KindOf
    checked: checks.Checked


def import_file(
    *,
    incident: Incident,
    name: str,
    data: bytes,
    actor: Actor,
    kind: str | None = None,
    via: str = "upload",
    at: datetime | None = None,
) -> list[DowntimeRecord]:
    """Check every row of the file, then write them all in one transaction, or nothing."""
    now = at or timezone.now()
    name = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] or "upload"
    header, rows = read_rows(name, data)
    with transaction.atomic():
        incident = _locked(incident)
        if incident.state not in RECORDABLE:
            raise DowntimeError(
                f"incident #{incident.number} is {incident.state}: records are kept once the plan is invoked"
            )
        checked, problems = _check(incident, name, header, rows, kind, now)
        if problems:
            raise ImportRefused(problems[:MAX_REPORTED], max(0, len(problems) - MAX_REPORTED))
        if not checked:
            raise ImportRefused([Located(name, 1, 0, "file", "holds no records below its first row")])
        start = (DowntimeRecord.objects.filter(incident=incident).aggregate(n=Max("number"))["n"] or 0) + 1
        zone = calendar_of(incident).zone  # once: a calendar per row would cost more than the checks
        made = [
            DowntimeRecord(
                organisation=incident.organisation,
                incident=incident,
                number=start + i,
                function_key=item.offered.function_key,
                kind_key=item.offered.kind.id,
                system_key=item.offered.kind.system,
                values=item.checked.values,
                recorded_at=now,
                recorded_by=_user(actor),
                recorded_by_name=_name(actor, via),
                recorded_via=f"{via}: {name}"[:64],
                day=(item.checked.columns.get("occurred_at") or now).astimezone(zone).date(),
                **item.checked.columns,
            )
            for i, item in enumerate(checked)
        ]
        DowntimeRecord.objects.bulk_create(made, batch_size=500)
        numbers = f"{start}-{start + len(made) - 1}" if len(made) > 1 else str(start)
        note(
            incident,
            EventKind.DOWNTIME,
            f"{len(made)} downtime record(s) imported from {name} (records {numbers}).",
            at=now,
            actor=_name(actor, via),
        )
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="downtime-import",
            object_key=f"{incident_key(incident)}/downtime/import/{start}",
            label=f"{len(made)} downtime records from {name}",
            after={"file": name, "records": numbers, "count": len(made), "rows": len(rows)},
            via=via,
        )
    return made


def _check(
    incident: Incident, name: str, header: Sequence[str], rows: list[Row], kind: str | None, now: datetime
) -> tuple[list[_Checked], list[Located]]:
    offered = {k.kind.id: k for k in kinds_of(incident)}
    problems: list[Located] = []
    positions = {heading: i + 1 for i, heading in enumerate(header)}
    if kind is not None and kind not in offered:
        keeps = ", ".join(offered) or "none"
        return [], [
            Located(name, 0, 0, "kind", f"incident #{incident.number} keeps no record kind {kind!r} (it keeps {keeps})")
        ]
    by_heading = _kind_column(header) if kind is None else None
    if kind is None and by_heading is None:
        return [], [Located(name, 1, 0, "kind", "say which kind of record the file holds, or add a 'kind' column")]
    named = [offered[kind]] if kind is not None else list(offered.values())
    columns = _columns(name, header, named, by_heading, problems)
    if kind is not None:
        _missing(name, offered[kind], columns, problems)
    contexts = {k: check_context(incident, offered[k].kind, now) for k in offered}
    found: list[_Checked] = []
    for row in rows:
        key = kind if kind is not None else str(row.cells.get(by_heading or "", "") or "").strip()
        if key not in offered:
            where = positions.get(by_heading or "", 0)
            problems.append(
                Located(
                    name,
                    row.number,
                    where,
                    KIND_COLUMN,
                    f"{key!r} is not a kind this incident keeps: use one of {', '.join(offered)}",
                )
            )
            continue
        spec = offered[key]
        values = {
            columns[h]: v
            for h, v in row.cells.items()
            if h in columns and columns[h] in {f.name for f in spec.kind.fields}
        }
        stray = [h for h, v in row.cells.items() if h in columns and columns[h] not in values and v not in (None, "")]
        for heading in stray:
            problems.append(
                Located(
                    name, row.number, positions[heading], heading, f"{spec.kind.name} has no field {columns[heading]!r}"
                )
            )
        for heading, value in row.cells.items():
            if isinstance(value, str) and value.lstrip().startswith("="):
                problems.append(
                    Located(name, row.number, positions[heading], heading, "holds a formula: paste the values only")
                )
        checked = checks.check_values(contexts[key], values)
        heading_of = {columns[h]: h for h in columns}
        for field, message in checked.errors:
            problems.append(Located(name, row.number, positions.get(heading_of.get(field, ""), 0), field, message))
        found.append(_Checked(row, spec, checked))
    problems += _duplicates(incident, name, found, positions, columns)
    problems.sort(key=lambda p: (p.row, p.column))
    return found, problems


def _kind_column(header: Sequence[str]) -> str | None:
    return next((h for h in header if h.strip().casefold() == KIND_COLUMN), None)


def _columns(
    name: str, header: Sequence[str], kinds: list[KindOf], by_heading: str | None, problems: list[Located]
) -> dict[str, str]:
    """Heading -> field name, matching a field's name or label; unknown headings are problems."""
    fields = {f.name.casefold(): f.name for k in kinds for f in k.kind.fields}
    fields |= {f.shown.casefold(): f.name for k in kinds for f in k.kind.fields}
    found: dict[str, str] = {}
    seen: dict[str, int] = {}
    for column, heading in enumerate(header, start=1):
        if not heading or heading == by_heading:
            continue
        field = fields.get(heading.casefold())
        if field is None:
            expected = ", ".join(dict.fromkeys(f.name for k in kinds for f in k.kind.fields))
            problems.append(
                Located(name, 1, column, "columns", f"unknown column {heading!r}: the columns are {expected}")
            )
            continue
        if field in seen:
            problems.append(Located(name, 1, column, "columns", f"column {heading!r} repeats column {seen[field]}"))
            continue
        seen[field] = column
        found[heading] = field
    return found


def _missing(name: str, offered: KindOf, columns: dict[str, str], problems: list[Located]) -> None:
    present = set(columns.values())
    for spec in offered.kind.fields:
        if spec.required and spec.name not in present:
            problems.append(Located(name, 1, 0, "columns", f"no column {spec.name!r}: {offered.kind.name} requires it"))


def _duplicates(
    incident: Incident, name: str, found: list[_Checked], positions: dict[str, int], columns: dict[str, str]
) -> list[Located]:
    """Identifiers repeated within the file, or already in the database."""
    problems: list[Located] = []
    heading_of = {field: heading for heading, field in columns.items()}
    first: dict[tuple[str, str, str], int] = {}
    wanted_ids = [item.checked.columns["downtime_id"] for item in found if item.checked.columns.get("downtime_id")]
    used_ids = _existing_ids(incident, wanted_ids)
    existing: dict[tuple[str, str, str], int] = {}
    for column in _IDENTIFIER_COLUMNS:
        values = {item.checked.columns[column] for item in found if item.checked.columns.get(column)}
        for chunk in _chunks(sorted(values)):
            rows = DowntimeRecord.objects.filter(incident=incident, **{f"{column}__in": chunk}).values_list(
                "kind_key", column, "number"
            )
            existing |= {(column, kind, value): number for kind, value, number in rows}
    for item in found:
        kind = item.offered.kind
        for column, value in item.checked.columns.items():
            if (column != "downtime_id" and column not in _IDENTIFIER_COLUMNS) or not value:
                continue
            field = next((f.name for f in kind.fields if checks.COLUMNS.get(f.type) == column), column)
            where = positions.get(heading_of.get(field, ""), 0)
            scope = "" if column == "downtime_id" else kind.id
            words = "downtime ID" if column == "downtime_id" else _IDENTIFIER_COLUMNS[column]
            key = (column, scope, str(value))
            if key in first:
                problems.append(
                    Located(name, item.row.number, where, field, f"{words} {value} is also in row {first[key]}")
                )
                continue
            first[key] = item.row.number
            if column == "downtime_id" and value in used_ids:
                problems.append(
                    Located(
                        name, item.row.number, where, field, f"downtime ID {value} is already used by {used_ids[value]}"
                    )
                )
            elif (column, kind.id, value) in existing:
                number = existing[(column, kind.id, value)]
                problems.append(
                    Located(
                        name, item.row.number, where, field, f"{words} {value} is already recorded as record {number}"
                    )
                )
    return problems


def _existing_ids(incident: Incident, codes: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(codes))):
        rows = DowntimeRecord.objects.filter(organisation_id=incident.organisation_id, downtime_id__in=chunk)
        for code, number, incident_number in rows.values_list("downtime_id", "number", "incident__number"):
            found[code] = f"record {number} of incident #{incident_number}"
    return found


def _chunks(values: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
