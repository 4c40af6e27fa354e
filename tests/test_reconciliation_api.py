"""Reconciliation runs over the API: POST checks the archive (respond), GET lists and reads runs (view); another
organisation sees nothing; with no archive configured, 409 saying what to set."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from contingency.downtime.models import ReconciliationRun

from .reconcile_support import log_records, numbers, scenario_incident
from .support.orthanc import LoadedArchive
from .web import HOME_ORG, OTHER_ORG

pytestmark = pytest.mark.usefixtures("demo_plans")


def runs_url(number: int, org: str = HOME_ORG) -> str:
    return f"/api/v1/organisations/{org}/incidents/{number}/downtime/archive/runs"


def test_check_list_and_read_runs(archive_configured: LoadedArchive, api_as: Callable[..., Client]) -> None:
    scenario = archive_configured.scenario
    incident = scenario_incident()
    log_records(incident, scenario)
    responder, viewer = api_as("responder"), api_as("viewer")
    assert viewer.post(runs_url(incident.number)).status_code == 403
    assert not ReconciliationRun.objects.exists()
    made = responder.post(runs_url(incident.number))
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["number"], body["status"], body["clean"], body["via"]) == (1, "ok", False, "api")
    assert body["runBy"] == responder.username  # type: ignore[attr-defined]
    assert body["counts"] == {"present": 488, "missing": 7, "countMismatch": 3, "identityMismatch": 4, "notLogged": 5}
    assert body["expected"] == 502 and body["systems"] == ["pacs"] and len(body["digest"]) == 64

    listed = viewer.get(runs_url(incident.number))
    assert listed.status_code == 200 and [r["number"] for r in listed.json()] == [1]
    report = viewer.get(runs_url(incident.number) + "/1?bucket=identity-mismatch")
    assert report.status_code == 200
    found = report.json()
    assert {o["record"] for o in found["outcomes"]} == numbers(scenario.identity)
    first = found["outcomes"][0]
    assert first["archive"]["patientId"] != first["expectedPatientId"] and first["matchedBy"] == "accession"
    assert {s["studyUid"] for s in found["notLoggedStudies"]} == scenario.not_logged
    whole = viewer.get(runs_url(incident.number) + "/1").json()
    assert len(whole["outcomes"]) == 502
    missing = [o for o in whole["outcomes"] if o["bucket"] == "missing"]
    assert {o["record"] for o in missing} == numbers(scenario.left_out) and all(o["archive"] is None for o in missing)
    assert viewer.get(runs_url(incident.number) + "/2").status_code == 404
    assert viewer.get(runs_url(incident.number) + "/1?bucket=lost").status_code == 422


@pytest.mark.usefixtures("archive_unconfigured")
def test_no_archive_configured_is_409_with_what_to_set(api_as: Callable[..., Client]) -> None:
    incident = scenario_incident()
    refused = api_as("responder").post(runs_url(incident.number))
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("no imaging archive is configured: the system administrator sets")
    assert not ReconciliationRun.objects.exists()


def test_another_organisation_and_anonymous_see_nothing(api_as: Callable[..., Client]) -> None:
    incident = scenario_incident()
    outsider = api_as("responder", "viewer", organisation=OTHER_ORG)
    assert outsider.get(runs_url(incident.number)).status_code == 404
    assert outsider.post(runs_url(incident.number)).status_code == 404
    assert outsider.get(runs_url(incident.number, OTHER_ORG)).status_code == 404  # no such incident there
    assert Client().get(runs_url(incident.number)).status_code == 401
    assert Client().post(runs_url(incident.number)).status_code == 401
