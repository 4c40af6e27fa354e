"""Reconciliation runs kept: from a PACS incident's downtime records to a run against a real Orthanc that names
exactly the missing studies and the identity mismatches; failed runs kept as failed with nothing else; re-runs."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any, NoReturn

import pytest

from contingency.core.models import AuditEntry, Role
from contingency.downtime import proof
from contingency.downtime.archive import ArchiveError, Failure
from contingency.downtime.models import Outcome, ReconciliationRun, RecordState, UnloggedStudy
from contingency.downtime.reconciliation import ReconciliationError, run_reconciliation, window_of
from contingency.incidents.models import EventKind

from .reconcile_support import config_for, log_records, numbers, scenario_incident
from .support.orthanc import LoadedArchive
from .web import HOME_ORG, make_user

pytestmark = pytest.mark.usefixtures("demo_plans")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _by_bucket(run: ReconciliationRun, bucket: str) -> set[int]:
    return set(run.outcomes.filter(bucket=bucket).values_list("record__number", flat=True))


def test_a_run_names_exactly_the_missing_and_the_identity_mismatches(archive: LoadedArchive) -> None:
    scenario = archive.scenario
    incident = scenario_incident()
    log_records(incident, scenario)
    lead = make_user("pacs-lead", HOME_ORG, Role.RESPONDER)
    run = run_reconciliation(incident=incident, actor=lead, via="test", config=config_for(archive))
    assert run.ok and not run.is_clean and run.number == 1
    assert (run.run_by, run.run_by_name, run.via) == (lead, "pacs-lead", "test")
    assert _by_bucket(run, "missing") == numbers(scenario.left_out)
    assert _by_bucket(run, "identity-mismatch") == numbers(scenario.identity)
    assert _by_bucket(run, "count-mismatch") == numbers(scenario.counts)
    assert set(run.unlogged.values_list("study_uid", flat=True)) == scenario.not_logged
    assert (run.expected, run.missing, run.identity_mismatch, run.count_mismatch, run.not_logged) == (502, 7, 4, 3, 5)
    assert run.present == 502 - 7 - 4 - 3 == run.outcomes.filter(bucket="present").count()
    assert (run.window_start, run.window_end) == (incident.began_at, incident.restored_at)
    # The archive's side is kept beside the record's: an identity mismatch shows both patients.
    wrong = run.outcomes.filter(bucket="identity-mismatch").select_related("record").first()
    assert wrong is not None and wrong.patient_id != wrong.expected_patient == wrong.record.patient_id
    assert wrong.study_uid and "the archive has patient ID" in wrong.note
    assert run.result["digest"] == run.digest and run.result["counts"]["missing"] == 7
    # Reconciliation proves; it never moves a record through re-entry.
    assert set(incident.downtime_records.values_list("state", flat=True)) == {RecordState.RECORDED}
    said = incident.timeline.filter(kind=EventKind.DOWNTIME).latest("id").text
    assert said.startswith("Archive reconciliation 1: 502 looked for - 488 present and complete, 7 missing")
    entry = AuditEntry.objects.get(object_type="reconciliation-run")
    assert entry.object_key == f"incident/{incident.number}/downtime/archive/1"
    assert entry.after is not None and entry.after["digest"] == run.digest
    # What is still to prove: every record not present, and the studies nobody logged.
    standing = proof.standing_of(incident, config_for(archive))
    assert (standing.bound, standing.unproved, standing.count) == (502, 14, 19)
    words, _ = proof.summary(incident, standing)
    assert words.startswith("14 of 502 record(s) not yet proved in the archive; the last run (#1, ")
    assert "found 7 missing, 4 identity mismatch(es) (needs a correction in the archive (IHE PIR / IOCM))" in words

    # Run again: a second run kept beside the first, the same outcome (digest), nothing duplicated.
    again = run_reconciliation(incident=incident, actor=None, via="command line", config=config_for(archive))
    assert again.digest == run.digest, _difference(run, again)
    assert again.number == 2 and again.run_by_name == "command line"
    assert Outcome.objects.filter(run__incident=incident).count() == 2 * 502
    assert UnloggedStudy.objects.filter(run__incident=incident).count() == 2 * 5


def test_records_made_after_a_run_are_not_proved_by_it(archive: LoadedArchive) -> None:
    scenario = archive.scenario
    incident = scenario_incident()
    made = log_records(incident, scenario, limit=40)
    run = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive))
    before = proof.standing_of(incident, config_for(archive))
    assert before.unproved == run.outcomes.exclude(bucket="present").count() == 40 - run.present
    # A record logged late: not proved until a run has looked for it.
    late = made[0]
    late.pk, late.number, late.accession_number = None, 41, scenario.expected[40].accession_number
    late.save()
    after = proof.standing_of(incident, config_for(archive))
    assert after.unproved == before.unproved + 1 and after.bound == before.bound + 1


def test_an_archive_that_refuses_is_a_failed_run_and_nothing_else(archive: LoadedArchive) -> None:
    incident = scenario_incident()
    log_records(incident, archive.scenario, limit=20)
    run = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive, port=_free_port()))
    assert run.status == "failed" and not run.ok and run.failure_kind == Failure.REFUSED
    assert run.failure.startswith("Nothing is listening at 127.0.0.1:")
    assert (run.present, run.missing, run.not_logged) == (0, 0, 0)
    assert not run.outcomes.exists() and not run.unlogged.exists()
    assert run.result["buckets"] == {} and run.result["failure"]["kind"] == "refused"
    said = incident.timeline.filter(kind=EventKind.DOWNTIME).latest("id").text
    assert said.startswith("Archive reconciliation 1 failed: Nothing is listening")
    standing = proof.standing_of(incident, config_for(archive))
    assert standing.latest == run and standing.latest_ok is None and standing.unproved == 20
    assert "run #1 failed: Nothing is listening" in proof.summary(incident, standing)[0]


def test_an_archive_dropped_mid_query_is_a_failed_run_with_nothing_half_written(archive: LoadedArchive) -> None:
    incident = scenario_incident()
    log_records(incident, archive.scenario)
    forwarder = archive.orthanc.dicom
    assert forwarder is not None
    forwarder.drop_after(6_000)  # a few dozen answers into the first windows
    run = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive))
    assert run.status == "failed" and run.failure_kind == Failure.ABORTED, run.failure
    assert "dropped the association during a query" in run.failure
    assert not Outcome.objects.filter(run__incident=incident).exists()
    assert not UnloggedStudy.objects.filter(run__incident=incident).exists()
    # The archive is back: the next run is kept as run 2, whole.
    again = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive))
    assert again.ok and again.number == 2 and again.outcomes.count() == 502


def test_an_archive_fault_nobody_foresaw_is_a_failed_run_too(archive: LoadedArchive) -> None:
    incident = scenario_incident()
    log_records(incident, archive.scenario, limit=5)

    def refuse(config: object, deadline: float | None = None) -> NoReturn:
        raise ArchiveError(Failure.TIMEOUT, "The archive did not answer within 0.1 s")

    run = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive), archive=refuse)
    assert run.status == "failed" and run.failure == "The archive did not answer within 0.1 s"


@pytest.mark.usefixtures("archive_unconfigured")
def test_no_archive_configured_is_refused_with_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    incident = scenario_incident()
    with pytest.raises(ReconciliationError) as caught:
        run_reconciliation(incident=incident, actor=None, via="test")
    assert "no imaging archive is configured" in caught.value.message
    assert "CONTINGENCY_ARCHIVE_SYSTEM" in caught.value.message
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_HOST", "127.0.0.1")
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "PACS")
    with pytest.raises(ReconciliationError) as caught:
        run_reconciliation(incident=incident, actor=None, via="test")
    assert "not which of the plan's systems it is: set CONTINGENCY_ARCHIVE_SYSTEM" in caught.value.message
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_SYSTEM", "PACS!")
    with pytest.raises(ReconciliationError) as caught:
        run_reconciliation(incident=incident, actor=None, via="test")
    assert "CONTINGENCY_ARCHIVE_SYSTEM: 'PACS!': a plan's system id is lower-case" in caught.value.message
    assert not ReconciliationRun.objects.exists()


def test_a_reported_incident_has_no_downtime_to_reconcile(archive: LoadedArchive) -> None:
    from contingency.incidents import services
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=HOME_ORG, key="pacs-bcdr")
    reported = services.report(plan=plan, subject="system:pacs", actor=None, via="test")
    with pytest.raises(ReconciliationError) as caught:
        run_reconciliation(incident=reported, actor=None, via="test", config=config_for(archive))
    assert "once the plan is invoked" in caught.value.message
    assert not ReconciliationRun.objects.exists()


def test_the_window_is_the_downtime_itself() -> None:
    incident = scenario_incident()
    assert incident.restored_at is not None
    assert window_of(incident, incident.restored_at + timedelta(days=1)) == (incident.began_at, incident.restored_at)
    incident.restored_at = None
    now = incident.began_at + timedelta(hours=3)
    assert window_of(incident, now) == (incident.began_at, now)


def _difference(first: Any, second: Any) -> str:
    """What two runs' outcomes differ in (a digest that differed once in CI and never alone): which records,
    which studies not logged, and what each run warned of or could not read."""

    def rows(run: Any) -> set[tuple[Any, ...]]:
        return {(o.record_id, o.bucket, o.study_uid, o.note) for o in run.outcomes.all()}

    def unlogged(run: Any) -> set[str]:
        return set(run.unlogged.values_list("study_uid", flat=True))

    return (
        f"only in the first: {rows(first) - rows(second)}; only in the second: {rows(second) - rows(first)}; "
        f"not logged in one only: {unlogged(first) ^ unlogged(second)}; "
        f"warnings {first.result.get('warnings')} / {second.result.get('warnings')}; "
        f"unreadable {first.result.get('unreadable')} / {second.result.get('unreadable')}"
    )
