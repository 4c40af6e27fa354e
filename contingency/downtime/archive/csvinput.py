"""Expected studies from a CSV typed up from the paper downtime log (until the ledger holds them).

Columns (a header row; names as below, any order, case and spaces ignored): record_id (required),
accession_number, patient_id, study_uid (at least one of accession_number and study_uid), expected_instances,
done_at (ISO 8601; without a zone, the archive's time zone). Every problem is reported at once as
`file:row:column: field: message`; nothing is returned unless the whole file is good. Bounded: UTF-8 only,
at most MAX_BYTES and MAX_ROWS.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from .studies import ExpectedStudy

COLUMNS = ("record_id", "accession_number", "patient_id", "study_uid", "expected_instances", "done_at")
MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000


class CsvError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_expected(path: Path, *, zone: ZoneInfo) -> list[ExpectedStudy]:
    """Every row as an ExpectedStudy, or CsvError listing every problem (file:row:column: field: message)."""
    name = path.name
    if not path.is_file():
        raise CsvError([f"{path}: no such file"])
    if path.stat().st_size > MAX_BYTES:
        raise CsvError([f"{name}: larger than {MAX_BYTES // 1048576} MB; split it"])
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError([f"{name}: not UTF-8 text (byte {exc.start}); save it as CSV UTF-8"]) from None
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower().replace(" ", "_") for h in next(rows, [])]
    problems = [f"{name}:1:{i + 1}: {h or '(blank)'}: unknown column" for i, h in enumerate(header) if h not in COLUMNS]
    if "record_id" not in header:
        problems.append(f"{name}:1: record_id: the column is missing")
    if not {"accession_number", "study_uid"} & set(header):
        problems.append(f"{name}:1: accession_number: give accession_number or study_uid (or both)")
    if problems:
        raise CsvError(problems)
    column = {h: i for i, h in enumerate(header)}
    studies: list[ExpectedStudy] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if number - 1 > MAX_ROWS:
            raise CsvError([f"{name}:{number}: more than {MAX_ROWS:,} rows; split the file"])
        if not any(cell.strip() for cell in row):
            continue

        def cell(field: str, row: list[str] = row) -> str:
            i = column.get(field)
            return row[i].strip() if i is not None and i < len(row) else ""

        def at(field: str, number: int = number) -> str:
            return f"{name}:{number}:{column[field] + 1}: {field}"

        record_id = cell("record_id")
        if not record_id:
            problems.append(f"{at('record_id')}: empty")
        elif record_id in seen:
            problems.append(f"{at('record_id')}: {record_id!r} is also on row {seen[record_id]}")
        else:
            seen[record_id] = number
        for field in ("accession_number", "patient_id", "study_uid", "record_id"):
            if cell(field).startswith(("=", "+", "@")) and field in column:
                problems.append(f"{at(field)}: {cell(field)!r} looks like a spreadsheet formula, not a value")
        if not cell("accession_number") and not cell("study_uid"):
            field = "accession_number" if "accession_number" in column else "study_uid"
            problems.append(f"{at(field)}: empty; an accession number or a study UID is needed to find the study")
        count: int | None = None
        if raw := cell("expected_instances"):
            if raw.isdigit():
                count = int(raw)
            else:
                problems.append(f"{at('expected_instances')}: {raw!r} is not a whole number")
        done: datetime | None = None
        if raw := cell("done_at"):
            try:
                done = datetime.fromisoformat(raw)
                done = done if done.tzinfo else done.replace(tzinfo=zone)
            except ValueError:
                problems.append(f"{at('done_at')}: {raw!r} is not a date and time such as 2026-03-02T08:15")
        studies.append(
            ExpectedStudy(
                record_id=record_id,
                accession_number=cell("accession_number"),
                patient_id=cell("patient_id"),
                study_uid=cell("study_uid"),
                expected_instances=count,
                done_at=done,
                source=f"{name}:{number}",
            )
        )
    if problems:
        raise CsvError(problems)
    return studies
