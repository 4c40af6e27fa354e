"""Downtime records over the API: record, list, re-enter, spot-check, resolve, draw samples, import a file.

Every change goes through contingency.downtime's services (one transaction, audited, via "api"),
so the API, the pages and the command line follow the same rules. Reading needs the view
permission, recording and re-entry need respond, allocating downtime ID ranges needs edit. A
refusal naming a field of a record is 422 located at `values.<field>`; an import refusal lists
every problem as `file:row:column: field: message`.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from ninja.files import UploadedFile
from pydantic import Field

from contingency.core.permissions import Capability
from contingency.downtime import importing, progress
from contingency.downtime import services as downtime
from contingency.downtime.models import DowntimeRecord, IdRange, RecordState
from contingency.incidents.models import Incident

from . import downtime_schemas as d
from . import schemas as s
from .access import organisation_for
from .auth import caller
from .errors import where
from .incident_access import CHANGED, INCIDENT, LARGEST, incident_for, local
from .plans import DENIED, ORG

router = Router(by_alias=True)
DOWNTIME = INCIDENT + "/downtime"
RECORDS = DOWNTIME + "/records"
RECORD = RECORDS + "/{record}"
RANGES = ORG + "/downtime-ids"


def record_out(record: DowntimeRecord) -> dict[str, Any]:
    incident = record.incident
    return {
        "number": record.number,
        "function": record.function_key,
        "kind": record.kind_key,
        "system": record.system_key,
        "state": record.state,
        "values": record.values,
        "downtime_id": record.downtime_id or None,
        "accession_number": record.accession_number or None,
        "patient_id": record.patient_id or None,
        "study_uid": record.study_uid or None,
        "expected_instances": record.expected_instances,
        "occurred_at": record.occurred_at,
        "local": local(incident, record.occurred_at),
        "recorded_at": record.recorded_at,
        "recorded_by": record.recorded_by_name,
        "recorded_via": record.recorded_via,
        "reentered_at": record.reentered_at,
        "reentered_by": record.reentered_by_name or None,
        "system_reference": record.system_reference or None,
        "sampled": record.sampled_in_id is not None,
        "checked_at": record.checked_at,
        "checked_by": record.checked_by_name or None,
        "discrepancy": record.discrepancy or None,
        "resolved_at": record.resolved_at,
        "resolution": record.resolution or None,
    }


def _record_for(incident: Incident, number: int) -> DowntimeRecord:
    found = (
        DowntimeRecord.objects.filter(incident=incident, number=number).select_related("incident__organisation").first()
        if 0 < number <= LARGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no downtime record {number}.")
    return found


def _located(error: downtime.DowntimeError) -> Exception:
    """A record's field problems, each located at `values.<field>` of the body (422); others as they are."""
    if not error.errors:
        return error
    found = []
    for field, message in error.errors:
        loc = [field] if field == "kind" else ["values", field]
        found.append({"path": where(loc), "loc": loc, "code": error.code, "message": message})
    return ValidationError(found)


@router.get(DOWNTIME, response={200: d.DowntimeOut, **DENIED}, url_name="incident-downtime")
def overview(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """The record kinds the incident keeps (with their fields), and progress per function and kind."""
    incident = incident_for(request, org, number, Capability.VIEW)
    found = progress.progress_of(incident)
    return {
        "kinds": [
            {
                "function": k.function_key,
                "kind": k.kind.id,
                "name": k.kind.name,
                "system": k.kind.system,
                "fields": [
                    {
                        "name": f.name,
                        "type": f.type.value,
                        "label": f.shown,
                        "required": f.required,
                        "choices": f.choices,
                    }
                    for f in k.kind.fields
                ],
            }
            for k in downtime.kinds_of(incident)
        ],
        "progress": [
            {
                "function": k.function_key,
                "kind": k.kind_key,
                "total": k.total,
                "to_reenter": k.to_reenter,
                "checks_due": k.sampled_unchecked,
                "by_state": k.counts,
            }
            for k in found.kinds
        ],
        "summary": found.summary(),
        "outstanding": found.outstanding,
    }


class RecordFilter(Schema):
    state: RecordState | None = Field(None, description="Only records in this state.")
    kind: str | None = Field(None, description="Only records of this kind.")
    worklist: Literal["all", "mine", "checks"] = Field(
        "all", description="mine: left to re-enter that you recorded; checks: drawn for a spot check, not yet checked."
    )
    department: str | None = Field(None, description="Only records of this department (its key).")


@router.get(RECORDS, response={200: list[d.RecordOut], **DENIED, 422: s.Invalid}, url_name="incident-downtime-records")
def records(request: HttpRequest, org: str, number: int, filters: Query[RecordFilter]) -> list[dict[str, Any]]:
    """The incident's downtime records, oldest first; `worklist` narrows to what is left for you or for checks."""
    incident = incident_for(request, org, number, Capability.VIEW)
    if filters.worklist == "mine":
        found = progress.worklist(incident, recorded_by=caller(request).pk)
    elif filters.worklist == "checks":
        found = progress.checks_due(incident)
    else:
        found = DowntimeRecord.objects.filter(incident=incident).order_by("number")
    if filters.state:
        found = found.filter(state=filters.state)
    if filters.kind:
        found = found.filter(kind_key=filters.kind)
    if filters.department:
        found = found.filter(department_key=filters.department)
    return [record_out(r) for r in found.select_related("incident__organisation")]


@router.post(RECORDS, response={201: d.RecordOut, **CHANGED}, url_name="incident-downtime-records")
def create(request: HttpRequest, org: str, number: int, body: d.RecordIn) -> Status[dict[str, Any]]:
    """Record one thing done by hand; a repeated `clientKey` answers with the record it made the first time."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    try:
        made = downtime.record(
            incident=incident,
            kind=body.kind,
            values=body.values,
            actor=caller(request),
            via="api",
            client_key=body.client_key,
        )
    except downtime.DowntimeError as error:
        raise _located(error) from None
    return Status(201, record_out(made))


@router.get(RECORD, response={200: d.RecordOut, **DENIED}, url_name="incident-downtime-record")
def get_record(request: HttpRequest, org: str, number: int, record: int) -> dict[str, Any]:
    return record_out(_record_for(incident_for(request, org, number, Capability.VIEW), record))


@router.post(RECORD + "/re-enter", response={200: d.RecordOut, **CHANGED}, url_name="incident-downtime-reenter")
def reenter(request: HttpRequest, org: str, number: int, record: int, body: d.ReenterIn) -> dict[str, Any]:
    """The record is now in its system: the system's own reference for it."""
    found = _record_for(incident_for(request, org, number, Capability.RESPOND), record)
    done = downtime.reenter(record=found, system_reference=body.system_reference, actor=caller(request), via="api")
    return record_out(done)


@router.post(RECORD + "/check", response={200: d.RecordOut, **CHANGED}, url_name="incident-downtime-check")
def check(request: HttpRequest, org: str, number: int, record: int, body: d.CheckIn) -> dict[str, Any]:
    """A spot check of a sampled record against the system, by someone other than who re-entered it."""
    found = _record_for(incident_for(request, org, number, Capability.RESPOND), record)
    done = downtime.spot_check(record=found, matches=body.matches, reason=body.reason, actor=caller(request), via="api")
    return record_out(done)


@router.post(RECORD + "/resolve", response={200: d.RecordOut, **CHANGED}, url_name="incident-downtime-resolve")
def resolve(request: HttpRequest, org: str, number: int, record: int, body: d.ResolveIn) -> dict[str, Any]:
    found = _record_for(incident_for(request, org, number, Capability.RESPOND), record)
    done = downtime.resolve(record=found, resolution=body.resolution, actor=caller(request), via="api")
    return record_out(done)


@router.post(DOWNTIME + "/draw", response={200: list[d.DrawOut], **CHANGED}, url_name="incident-downtime-draw")
def draw(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """Draw (or top up) the spot-check sample of every kind and day, as the plan's rule says."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    made = downtime.draw_spot_checks(incident=incident, actor=caller(request), via="api")
    return [
        {
            "kind": m.kind_key,
            "day": m.day,
            "seed": m.seed,
            "share": m.share,
            "target": m.target,
            "population": m.population,
            "drawn": m.drawn,
        }
        for m in made
    ]


@router.post(DOWNTIME + "/import", response={201: d.ImportOut, **CHANGED}, url_name="incident-downtime-import")
def upload(
    request: HttpRequest, org: str, number: int, file: File[UploadedFile], kind: Form[str | None] = None
) -> Status[dict[str, Any]]:
    """A CSV or XLSX file of records typed up from paper: all imported, or none (422 listing every problem)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    if file.size is not None and file.size > importing.MAX_BYTES:
        data = b"x" * (importing.MAX_BYTES + 1)  # refused for its size, without reading it all
    else:
        data = file.read(importing.MAX_BYTES + 1)
    made = importing.import_file(
        incident=incident, name=file.name or "upload", data=data, kind=kind or None, actor=caller(request), via="api"
    )
    return Status(201, {"imported": len(made), "first": made[0].number, "last": made[-1].number})


@router.get(RANGES, response={200: list[d.RangeOut], **DENIED}, url_name="downtime-ids")
def ranges(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    """The ranges of downtime IDs allocated to sites and departments, with how many are used."""
    organisation = organisation_for(request, org, Capability.VIEW)
    return [range_out(r) for r in IdRange.objects.filter(organisation=organisation)]


def range_out(found: IdRange) -> dict[str, Any]:
    return {
        "prefix": found.prefix,
        "first": found.first,
        "last": found.last,
        "digits": found.digits,
        "allocated_to": found.allocated_to,
        "forms": found.forms,
        "size": found.size,
        "used": progress.ids_used(found),
        "example": downtime.ids_of(found, limit=1)[0].printed,
    }


@router.post(RANGES, response={201: d.RangeOut, **CHANGED}, url_name="downtime-ids")
def allocate(request: HttpRequest, org: str, body: d.RangeIn) -> Status[dict[str, Any]]:
    """Reserve a range of downtime IDs for a site or department (ranges of one prefix never overlap)."""
    organisation = organisation_for(request, org, Capability.EDIT)
    made = downtime.allocate_range(
        organisation=organisation,
        prefix=body.prefix,
        first=body.first,
        last=body.last,
        digits=body.digits,
        allocated_to=body.allocated_to,
        forms=body.forms,
        actor=caller(request),
        via="api",
    )
    return Status(201, range_out(made))
