"""The imaging archive pages: "Check the archive", the runs, a run's report side by side (print and CSV), the
record's latest outcome, the review carrying the counts; without an archive configured, how to configure one."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from contingency.downtime.models import ReconciliationRun
from contingency.incidents.models import Incident

from .reconcile_support import log_records, numbers, scenario_incident
from .support.orthanc import LoadedArchive

pytestmark = pytest.mark.usefixtures("demo_plans")


def url(name: str, incident: Incident, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": incident.organisation.slug, "number": incident.number, **kwargs})


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


@pytest.mark.usefixtures("archive_unconfigured")
def test_without_an_archive_the_page_says_how_to_configure_one(member: Callable[..., Client]) -> None:
    incident = scenario_incident()
    responder = member("responder")
    page = text(responder.get(url("downtime-archive", incident)))
    assert "The archive is not set up" in page and "No imaging archive is configured." in page
    assert "CONTINGENCY_ARCHIVE_HOST" in page and "CONTINGENCY_ARCHIVE_SYSTEM" in page
    assert "contingency downtime demo-archive" in page
    assert "Check the archive</button>" not in page
    # Pressed anyway (an old page, a script): the same explanation, nothing written, no error page.
    pressed = responder.post(url("downtime-archive-run", incident), follow=True)
    assert pressed.status_code == 200
    assert "no imaging archive is configured: the system administrator sets" in text(pressed)
    assert not ReconciliationRun.objects.exists()
    overview = text(responder.get(url("incident-downtime", incident)))
    assert url("downtime-archive", incident) in overview and "Check the archive</a>" in overview


def test_check_the_archive_from_the_page_and_read_the_report(
    archive_configured: LoadedArchive, member: Callable[..., Client]
) -> None:
    scenario = archive_configured.scenario
    incident = scenario_incident()
    records = {r.number: r for r in log_records(incident, scenario)}
    viewer, responder = member("viewer"), member("responder")
    before = text(viewer.get(url("downtime-archive", incident)))
    assert "502 of 502 record(s) not yet proved in the archive; no reconciliation has finished yet" in before
    assert "Check the archive</button>" not in before  # viewers read; responders check
    page = text(responder.get(url("downtime-archive", incident)))
    assert "Check the archive</button>" in page and "Examination done during downtime" in page
    assert "queries by c-find" in page and "<code>pacs</code>" in page

    done = responder.post(url("downtime-archive-run", incident))
    assert done.status_code == 302 and done["Location"] == url("downtime-archive-report", incident, run=1)
    report = text(responder.get(done["Location"]))
    run = ReconciliationRun.objects.get(incident=incident, number=1)  # said when it differs: the run's own record
    assert "Run 1: 488 present and complete, 7 missing from the archive, 3 instance count differs" in report, (
        run.status,
        run.failure,
        run.failure_kind,
    )
    assert "Missing from the archive (7)" in report and "Identity mismatch (needs a correction) (4)" in report
    assert "In the archive but not logged (5)" in report and "Instance count differs (3)" in report
    for number in numbers(scenario.identity):
        wrong = records[number]
        link = url("downtime-record-detail", incident, record=number)
        assert f'<a href="{link}">{number}</a>' in report
        row = report.split(f'<a href="{link}">{number}</a>', 1)[1].split("</tr>", 1)[0]
        assert f"patient {wrong.patient_id}" in row  # the record's side
        assert "Needs a correction</strong> (IHE PIR / IOCM)" in row and "The archive has patient ID" in row
    for uid in scenario.not_logged:
        assert uid in report
    assert 'href="?format=csv"' in report and 'class="printable"' in report

    listing = text(viewer.get(url("downtime-archive", incident)))
    assert "14 of 502 record(s) not yet proved in the archive; the last run (#1, " in listing
    assert "19 to put right" in listing

    # The CSV: every outcome and every unlogged study, with the action to take.
    download = viewer.get(url("downtime-archive-report", incident, run=1) + "?format=csv")
    assert download["Content-Disposition"] == f'attachment; filename="incident-{incident.number}-reconciliation-1.csv"'
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert len(rows) == 502 + 5
    by_bucket: dict[str, set[str]] = {}
    for line in rows:
        by_bucket.setdefault(line["bucket"], set()).add(line["record"])
    assert by_bucket["missing"] == {str(n) for n in numbers(scenario.left_out)}
    assert by_bucket["identity-mismatch"] == {str(n) for n in numbers(scenario.identity)}
    assert {line["archive_study_uid"] for line in rows if line["bucket"] == "not-logged"} == scenario.not_logged
    wrong_row = next(line for line in rows if line["bucket"] == "identity-mismatch")
    assert wrong_row["action"] == "needs a correction in the archive (IHE PIR / IOCM)"
    assert wrong_row["expected_patient_id"] != wrong_row["archive_patient_id"]

    # The record's page shows its latest outcome; its re-entry is untouched.
    missing = min(numbers(scenario.left_out))
    detail = text(viewer.get(url("downtime-record-detail", incident, record=missing)))
    assert "Reconciliation <a href=" in detail and "missing from the archive" in detail
    assert "tag state-recorded" in detail


def test_a_failed_run_from_the_page_is_shown_as_failed(
    archive_configured: LoadedArchive, member: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = scenario_incident()
    log_records(incident, archive_configured.scenario, limit=5)
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "NOT-THE-PACS")
    done = member("responder").post(url("downtime-archive-run", incident), follow=True)
    page = text(done)
    assert "Run 1 failed: The archive refused the association: Called AE title not recognised" in page
    assert "The archive could not be reconciled" in page and "Missing from the archive (" not in page


def test_the_review_carries_the_latest_run(archive_configured: LoadedArchive, member: Callable[..., Client]) -> None:
    scenario = archive_configured.scenario
    incident = scenario_incident()
    log_records(incident, scenario)
    member("responder").post(url("downtime-archive-run", incident))
    review = text(member("viewer").get(url("incident-review", incident)))
    assert "Imaging archive reconciliation</h3>" in review
    assert url("downtime-archive-report", incident, run=1) in review
    assert "<td>502</td><td>488</td><td>7</td><td>4</td><td>3</td><td>5</td>" in review
    assert "needs a correction in the archive (IHE PIR / IOCM)" in review
    assert review.count("Not logged: ") == 5
    assert "<h3>Imaging archive</h3>" in review and "14 of 502 record(s) not yet proved in the archive" in review
