"""Request and response shapes of the downtime endpoints (camelCase in JSON, as in the rest of the API)."""

from __future__ import annotations

from datetime import date
from typing import Any

from ninja import Field

from .incident_schemas import In, Instant, Line, Prose
from .schemas import Out

Value = str | int | float | bool | None


class RecordIn(In):
    kind: Line = Field(description="The record kind's id, e.g. examination (see GET .../downtime).")
    values: dict[Line, Value] = Field(
        description="Field name -> value as written, e.g. {'nhs-number': '943 476 5919'}."
    )
    client_key: Line = Field("", description="A key of your own: sending the same key again makes no second record.")


class ReenterIn(In):
    system_reference: Line = Field(description="The system's own reference for the record once typed in.")


class CheckIn(In):
    matches: bool = Field(description="true: the system holds the record as written; false: say why in `reason`.")
    reason: Prose = ""


class ResolveIn(In):
    resolution: Prose = Field(description="How the discrepancy was put right.")


class RangeIn(In):
    prefix: Line = Field(description="1-8 capital letters, e.g. CT.")
    first: int = Field(ge=0)
    last: int = Field(ge=0)
    digits: int = Field(6, ge=1, le=12, description="The serial number is zero-padded to this many digits.")
    allocated_to: Line = Field(description="The site or department the IDs are for.")
    forms: Line = Field("", description="The paper forms they are printed on.")


class FieldOut(Out):
    name: str
    type: str
    label: str
    required: bool
    choices: list[str]


class KindOut(Out):
    function: str
    kind: str
    name: str
    system: str = Field(description="The system every record of this kind must reach.")
    fields: list[FieldOut]


class KindProgressOut(Out):
    function: str
    kind: str
    total: int
    to_reenter: int
    checks_due: int
    by_state: dict[str, int]


class DowntimeOut(Out):
    kinds: list[KindOut]
    progress: list[KindProgressOut]
    summary: str
    outstanding: int = Field(description="Records still to re-enter, spot checks due and discrepancies not resolved.")


class RecordOut(Out):
    number: int
    function: str
    kind: str
    system: str
    state: str
    values: dict[str, Any]
    downtime_id: str | None
    accession_number: str | None
    patient_id: str | None = Field(description="The hospital number, else the NHS number (DICOM PatientID).")
    study_uid: str | None
    expected_instances: int | None
    occurred_at: Instant | None
    local: str | None
    recorded_at: Instant
    recorded_by: str
    recorded_via: str
    reentered_at: Instant | None
    reentered_by: str | None
    system_reference: str | None
    sampled: bool = Field(description="Drawn for a spot check.")
    checked_at: Instant | None
    checked_by: str | None
    discrepancy: str | None
    resolved_at: Instant | None
    resolution: str | None


class DrawOut(Out):
    kind: str
    day: date
    seed: str
    share: int
    target: int
    population: list[int]
    drawn: list[int]


class ImportOut(Out):
    imported: int
    first: int
    last: int


class RangeOut(Out):
    prefix: str
    first: int
    last: int
    digits: int
    allocated_to: str
    forms: str
    size: int
    used: int
    example: str = Field(description="The first ID as printed, e.g. CT-000001-Q.")


class RunCountsOut(Out):
    present: int
    missing: int
    count_mismatch: int
    identity_mismatch: int = Field(description="Found, but under another patient (or accession): needs a correction.")
    not_logged: int = Field(description="Studies in the archive from the downtime that no record claims.")


class RunOut(Out):
    number: int
    status: str = Field(description="ok: the archive answered every query; failed: see `failure`, no outcome.")
    clean: bool = Field(description="Every record present and complete, and nothing in the archive not logged.")
    failure: str | None
    failure_kind: str | None = Field(description="refused, unreachable, timeout, rejected, aborted, status, ...")
    run_by: str
    via: str
    started_at: Instant
    finished_at: Instant
    window_start: Instant
    window_end: Instant
    archive: str
    systems: list[str]
    expected: int = Field(description="Studies looked for: one per record, or one per study on a record's CD.")
    counts: RunCountsOut
    archive_studies: int
    queries: int
    digest: str = Field(description="SHA-256 of the outcome alone: two runs with the same outcome, the same digest.")


class StudyOut(Out):
    study_uid: str
    accession_number: str
    patient_id: str
    study_date: str
    study_time: str
    modalities: str
    instances: int | None


class OutcomeOut(Out):
    record: int = Field(description="The record's number in the incident.")
    cd_study: int | None = Field(description="The study's place on the record's CD, when it was looked for by a CD.")
    bucket: str = Field(description="present, missing, count-mismatch or identity-mismatch.")
    matched_by: str
    note: str
    expected_accession_number: str
    expected_patient_id: str
    expected_study_uid: str
    expected_instances: int | None
    archive: StudyOut | None = Field(description="The study the archive has for it.")


class RunReportOut(RunOut):
    outcomes: list[OutcomeOut]
    not_logged_studies: list[StudyOut]
