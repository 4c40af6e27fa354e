"""Shared by the reconciliation run tests: a PACS outage over the Orthanc scenario's window, its examination log
as downtime records (record n is the scenario's `DT-000n`), and the archive configuration naming `pacs`."""

from __future__ import annotations

from datetime import timedelta

from contingency.downtime.archive import ArchiveConfig
from contingency.downtime.models import DowntimeRecord
from contingency.incidents import services
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of
from contingency.plans.models import Plan

from .support.orthanc import WINDOW_END, WINDOW_START, LoadedArchive, Scenario
from .web import HOME_ORG, PACS

SYSTEMS = ("pacs",)


def scenario_incident() -> Incident:
    """A PACS outage of Northwick over the scenario's window, invoked and restored."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    found = services.report(
        plan=plan, subject="system:pacs", actor=None, began_at=WINDOW_START, via="test", at=WINDOW_START
    )
    found = services.invoke(incident=found, actor=None, via="test", at=WINDOW_START + timedelta(minutes=5))
    return services.restore(incident=found, actor=None, restored_at=WINDOW_END, via="test", at=WINDOW_END)


def log_records(incident: Incident, scenario: Scenario, *, limit: int | None = None) -> list[DowntimeRecord]:
    """The scenario's examination log as records (written straight to the table: the ledger is not under test)."""
    zone = calendar_of(incident).zone
    rows = []
    for n, expected in enumerate(scenario.expected[:limit], 1):
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
            )
        )
    return DowntimeRecord.objects.bulk_create(rows)


def numbers(scenario_ids: set[str]) -> set[int]:
    """Record numbers of scenario record ids (`DT-0012` is record 12)."""
    return {int(record_id.removeprefix("DT-")) for record_id in scenario_ids}


def config_for(archive: LoadedArchive, **changes: object) -> ArchiveConfig:
    return archive.config(systems=SYSTEMS, **changes)
