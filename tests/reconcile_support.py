"""Shared by the reconciliation run tests: a PACS outage over the Orthanc scenario's window, its examination log
as downtime records (record n is the scenario's `DT-000n`), and the archive configuration naming `pacs`."""

from __future__ import annotations

from datetime import datetime, timedelta

from contingency.downtime.archive import ArchiveConfig, ExpectedStudy
from contingency.downtime.archive.localorthanc import CALLER_AET
from contingency.downtime.archive.synthetic import SyntheticStudy
from contingency.downtime.models import DowntimeRecord, RecordState
from contingency.incidents import services
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of
from contingency.plans.models import Plan

from .support.orthanc import ARCHIVE_AET, CAP, LONDON, WINDOW_END, WINDOW_START, LoadedArchive, Scenario
from .web import HOME_ORG, PACS

SYSTEMS = ("pacs",)


def scenario_incident(began: datetime = WINDOW_START, restored: datetime = WINDOW_END) -> Incident:
    """A PACS outage of Northwick over the scenario's window (or the part given), invoked and restored."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    found = services.report(plan=plan, subject="system:pacs", actor=None, began_at=began, via="test", at=began)
    found = services.invoke(incident=found, actor=None, via="test", at=began + timedelta(minutes=5))
    return services.restore(incident=found, actor=None, restored_at=restored, via="test", at=restored)


def log_records(
    incident: Incident, scenario: Scenario, *, limit: int | None = None, state: str = RecordState.RECORDED
) -> list[DowntimeRecord]:
    """The scenario's examination log as records (written straight to the table: the ledger is not under test)."""
    return records_of(incident, scenario.expected[:limit], state=state)


def as_logged(studies: list[SyntheticStudy], start: datetime, end: datetime) -> list[ExpectedStudy]:
    """The studies taken in [start, end] as a log that matches the archive exactly (a clean run)."""
    found = []
    for n, study in enumerate(sorted(studies, key=lambda s: s.performed_at), 1):
        at = study.performed_at.replace(tzinfo=LONDON)
        if start <= at <= end:
            found.append(ExpectedStudy(f"OK-{n}", study.accession_number, study.patient_id, "", study.instances, at))
    return found


def records_of(
    incident: Incident, log: list[ExpectedStudy], *, state: str = RecordState.RECORDED
) -> list[DowntimeRecord]:
    zone = calendar_of(incident).zone
    rows = []
    for n, expected in enumerate(log, 1):
        assert expected.done_at is not None
        rows.append(
            DowntimeRecord(
                organisation=incident.organisation,
                incident=incident,
                number=n,
                function_key="image-acquisition",
                kind_key="examination",
                system_key="pacs",
                values={"accession-number": expected.accession_number, "hospital-number": expected.patient_id},
                hospital_number=expected.patient_id,
                accession_number=expected.accession_number,
                occurred_at=expected.done_at,
                expected_instances=expected.expected_instances,
                day=expected.done_at.astimezone(zone).date(),
                recorded_at=expected.done_at,
                recorded_by_name="test",
                recorded_via="test",
                state=state,
            )
        )
    return DowntimeRecord.objects.bulk_create(rows)


def numbers(scenario_ids: set[str]) -> set[int]:
    """Record numbers of scenario record ids (`DT-0012` is record 12)."""
    return {int(record_id.removeprefix("DT-")) for record_id in scenario_ids}


def config_for(archive: LoadedArchive, **changes: object) -> ArchiveConfig:
    return archive.config(systems=SYSTEMS, **changes)


def archive_environ(archive: LoadedArchive) -> dict[str, str]:
    """The installation's variables for the session's Orthanc, standing for the plan's `pacs`."""
    return {
        "CONTINGENCY_ARCHIVE_HOST": "127.0.0.1",
        "CONTINGENCY_ARCHIVE_PORT": str(archive.orthanc.dicom_port),
        "CONTINGENCY_ARCHIVE_CALLED_AET": ARCHIVE_AET,
        "CONTINGENCY_ARCHIVE_CALLING_AET": CALLER_AET,
        "CONTINGENCY_ARCHIVE_RESULT_CAP": str(CAP),
        "CONTINGENCY_ARCHIVE_SYSTEM": ",".join(SYSTEMS),
    }
