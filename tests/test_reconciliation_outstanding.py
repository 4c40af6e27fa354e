"""Records not yet proved in the archive are work still to do: on restoration, the hand-over, the board briefing
and stand-down (which needs a reason while any is left), until a clean run proves them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contingency.core.models import AuditEntry
from contingency.downtime.models import RecordState
from contingency.downtime.reconciliation import run_reconciliation
from contingency.incidents import reports, services
from contingency.incidents.outstanding import open_work
from contingency.incidents.services import IncidentError

from .reconcile_support import as_logged, log_records, records_of, scenario_incident
from .support.orthanc import WINDOW_START, LoadedArchive

pytestmark = pytest.mark.usefixtures("demo_plans")


def test_records_not_proved_are_outstanding_until_stand_down_gives_a_reason(archive_configured: LoadedArchive) -> None:
    incident = scenario_incident()
    log_records(incident, archive_configured.scenario, limit=30, state=RecordState.VERIFIED)  # the ledger is done
    now = timezone.now()
    [work] = open_work(incident, now)
    assert (work.title, work.count) == ("Imaging archive", 30)
    assert work.summary == "30 of 30 record(s) not yet proved in the archive; no reconciliation has finished yet"
    report = reports.handover_report(incident, now)
    assert report.work[-1] == ("Imaging archive", work.summary, ())  # after the ledger's own line
    assert f"Imaging archive: {work.summary}" in reports.briefing(incident, now)

    run = run_reconciliation(incident=incident, actor=None, via="test")  # the installation's archive
    [work] = open_work(incident, timezone.now())
    unproved = 30 - run.present
    assert work.count == unproved + run.not_logged and run.not_logged > 400  # the rest of the scenario
    assert work.summary.startswith(f"{unproved} of 30 record(s) not yet proved in the archive; the last run (#1, ")
    assert f"{run.not_logged} in the archive but not logged" in work.summary
    assert work.lines[0].startswith(f"Run #1 by test: {run.present} present and complete")

    with pytest.raises(IncidentError) as caught:
        services.stand_down(incident=incident, actor=None, via="test")
    assert caught.value.field == "reason" and "not yet proved in the archive" in caught.value.message
    done = services.stand_down(incident=incident, actor=None, reason="PACS team finishing the re-sends", via="test")
    said = done.timeline.filter(kind="stood-down").get().text
    assert "Outstanding: " + work.summary in said
    entry = AuditEntry.objects.filter(object_type="incident", note__startswith="stood down").latest("id")
    assert "not yet proved in the archive" in entry.note


def test_a_failed_run_proves_nothing_and_says_why(
    archive_configured: LoadedArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = scenario_incident()
    log_records(incident, archive_configured.scenario, limit=10, state=RecordState.VERIFIED)
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "NOT-THE-PACS")
    run = run_reconciliation(incident=incident, actor=None, via="test")
    assert run.status == "failed"
    [work] = open_work(incident, timezone.now())
    assert work.count == 10
    assert "no reconciliation has finished yet; run #1 failed: The archive refused the association" in work.summary


def test_a_clean_run_leaves_nothing_to_do(archive_configured: LoadedArchive) -> None:
    end = WINDOW_START + timedelta(hours=2)
    incident = scenario_incident(WINDOW_START, end)
    log = as_logged(archive_configured.scenario.loaded, WINDOW_START, end)
    assert len(log) > 10
    records_of(incident, log, state=RecordState.VERIFIED)
    run = run_reconciliation(incident=incident, actor=None, via="test")
    assert run.is_clean and run.present == len(log) and run.not_logged == 0
    title, summary, _ = reports.handover_report(incident, timezone.now()).work[-1]
    assert title == "Imaging archive"
    assert summary.startswith(f"0 of {len(log)} record(s) not yet proved in the archive; the last run (#1, ")
    assert summary.endswith(") was clean")
    assert open_work(incident, timezone.now()) == []
    assert (
        services.stand_down(incident=incident, actor=None, via="test", reason="tasks left for the review").state
        == "stood-down"
    )


@pytest.mark.usefixtures("archive_unconfigured")
def test_without_an_archive_configured_there_is_no_archive_line() -> None:
    incident = scenario_incident()
    from .support.orthanc import downtime_scenario

    log_records(incident, downtime_scenario(), limit=3, state=RecordState.VERIFIED)
    assert open_work(incident, timezone.now()) == []
