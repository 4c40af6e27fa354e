"""Reconciliation runs over the API: check the archive for an incident's downtime records, list and read the runs.

POST runs the reconciliation while the request waits (bounded by CONTINGENCY_ARCHIVE_RUN_TIMEOUT) and answers
201 with the run, ok or failed (a failed run is kept, with its reason and no outcome); with no archive
configured it is 409 saying what to set, and nothing is kept. Reading needs the view permission, running
needs respond (a run queries the PACS), as on the pages.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from contingency.core.permissions import Capability
from contingency.downtime.models import Outcome, ReconciliationRun, RunStatus, StudyColumns
from contingency.downtime.reconciliation import run_reconciliation

from . import downtime_schemas as d
from .auth import caller
from .incident_access import CHANGED, INCIDENT, LARGEST, incident_for
from .plans import DENIED

router = Router(by_alias=True)
RUNS = INCIDENT + "/downtime/archive/runs"
RUN = RUNS + "/{run}"


def run_out(run: ReconciliationRun) -> dict[str, Any]:
    return {
        "number": run.number,
        "status": run.status,
        "clean": run.is_clean,
        "failure": run.failure or None,
        "failure_kind": run.failure_kind or None,
        "run_by": run.run_by_name,
        "via": run.via,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "window_start": run.window_start,
        "window_end": run.window_end,
        "archive": run.archive,
        "systems": run.systems,
        "expected": run.expected,
        "counts": {
            "present": run.present,
            "missing": run.missing,
            "count_mismatch": run.count_mismatch,
            "identity_mismatch": run.identity_mismatch,
            "not_logged": run.not_logged,
        },
        "archive_studies": run.archive_studies,
        "queries": run.queries,
        "digest": run.digest,
    }


def _study(found: StudyColumns) -> dict[str, Any]:
    return {
        "study_uid": found.study_uid,
        "accession_number": found.accession_number,
        "patient_id": found.patient_id,
        "study_date": found.study_date,
        "study_time": found.study_time,
        "modalities": found.modalities,
        "instances": found.instances,
    }


def _outcome(o: Outcome) -> dict[str, Any]:
    return {
        "record": o.record.number,
        "cd_study": o.cd_study.position if o.cd_study else None,
        "bucket": o.bucket,
        "matched_by": o.matched_by,
        "note": o.note,
        "expected_accession_number": o.expected_accession,
        "expected_patient_id": o.expected_patient,
        "expected_study_uid": o.expected_study_uid,
        "expected_instances": o.expected_instances,
        "archive": _study(o) if o.study_uid else None,
    }


@router.get(RUNS, response={200: list[d.RunOut], **DENIED}, url_name="incident-downtime-archive-runs")
def runs(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """Every reconciliation run of the incident, newest first, with its counts."""
    incident = incident_for(request, org, number, Capability.VIEW)
    return [run_out(r) for r in ReconciliationRun.objects.filter(incident=incident).order_by("-number")]


@router.post(RUNS, response={201: d.RunOut, **CHANGED}, url_name="incident-downtime-archive-runs")
def check(request: HttpRequest, org: str, number: int) -> Status[dict[str, Any]]:
    """Check the archive now: the incident's records over its downtime; the run is kept, ok or failed."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    made = run_reconciliation(incident=incident, actor=caller(request), via="api")
    return Status(201, run_out(made))


class OutcomeFilter(Schema):
    bucket: Literal["present", "missing", "count-mismatch", "identity-mismatch"] | None = Field(
        None, description="Only the outcomes in this bucket."
    )


@router.get(RUN, response={200: d.RunReportOut, **DENIED}, url_name="incident-downtime-archive-run")
def report(request: HttpRequest, org: str, number: int, run: int, filters: Query[OutcomeFilter]) -> dict[str, Any]:
    """One run: its outcome per study looked for (the record's side and the archive's), and the studies nobody
    logged."""
    incident = incident_for(request, org, number, Capability.VIEW)
    found = ReconciliationRun.objects.filter(incident=incident, number=run).first() if 0 < run <= LARGEST else None
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no reconciliation run {run}.")
    outcomes = found.outcomes.select_related("record", "cd_study").order_by("position")
    if filters.bucket:
        outcomes = outcomes.filter(bucket=filters.bucket)
    return {
        **run_out(found),
        "outcomes": [_outcome(o) for o in outcomes],
        "not_logged_studies": [_study(s) for s in found.unlogged.order_by("position")]
        if found.status == RunStatus.OK
        else [],
    }
