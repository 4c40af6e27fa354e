"""A CD's DICOMDIR listed on the CD's record (page and command line): its studies reconciled like the rest; bad
files refused naming the file, nothing written."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contingency.cli import main
from contingency.core.models import AuditEntry, Role
from contingency.downtime import cds
from contingency.downtime.archive.synthetic import SyntheticStudy, instances, write_cd
from contingency.downtime.models import CdStudy, DowntimeRecord, RecordState
from contingency.downtime.reconciliation import expected_of, run_reconciliation
from contingency.downtime.services import DowntimeError
from contingency.incidents.models import EventKind, Incident

from .reconcile_support import SYSTEMS, config_for, scenario_incident
from .support.orthanc import LONDON, LoadedArchive
from .web import HOME_ORG, make_user

pytestmark = pytest.mark.usefixtures("demo_plans")


def wall(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A modality's wall clock (DICOM dates and times carry no zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=LONDON).replace(tzinfo=None)


FOREIGN = [
    SyntheticStudy("ASH-9001", "ASH123", wall(2026, 2, 27, 14, 0), "CT", 3),
    SyntheticStudy("ASH-9002", "ASH123", wall(2026, 2, 28, 9, 30), "MR", 2),
]


def cd_record(incident: Incident, *, kind: str = "cd-received", hospital_number: str = "H4001") -> DowntimeRecord:
    """A CD received (or burnt) during the outage: the ledger's record, written straight to the table."""
    at = incident.began_at
    number = DowntimeRecord.objects.filter(incident=incident).count() + 1
    return DowntimeRecord.objects.create(
        organisation=incident.organisation,
        incident=incident,
        number=number,
        function_key="image-sharing",
        kind_key=kind,
        system_key="pacs",
        values={"hospital-number": hospital_number, "from-hospital": "Ashbrook General Hospital"},
        hospital_number=hospital_number,
        occurred_at=at,
        day=at.date(),
        recorded_at=at,
        recorded_by_name="test",
        recorded_via="test",
    )


def url(name: str, incident: Incident, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": incident.organisation.slug, "number": incident.number, **kwargs})


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def test_a_cd_uploaded_on_the_page_lists_its_studies_on_the_record(
    member: Callable[..., Client], tmp_path: Path
) -> None:
    incident = scenario_incident()
    record = cd_record(incident)
    dicomdir = write_cd(tmp_path, FOREIGN)
    client = member("responder")
    detail = url("downtime-record-detail", incident, record=record.number)
    page = text(client.get(detail))
    assert "A CD for this record?" in page and 'name="dicomdir"' in page and 'enctype="multipart/form-data"' in page
    done = client.post(
        url("downtime-record-cd", incident, record=record.number),
        {"dicomdir": SimpleUploadedFile("DICOMDIR", dicomdir.read_bytes())},
    )
    assert done.status_code == 302 and done["Location"] == detail
    listed = list(record.cd_studies.all())
    assert [(s.position, s.patient_id, s.accession_number, s.instances) for s in listed] == [
        (1, "ASH123", "ASH-9001", 3),
        (2, "ASH123", "ASH-9002", 2),
    ]
    assert [s.study_uid for s in listed] == [s.study_uid for s in FOREIGN]
    page = text(client.get(detail))
    assert "The CD's studies (2, from DICOMDIR)" in page and FOREIGN[0].study_uid in page
    assert "CD listed on record 1: 2 study(ies), 5 image(s)." in page
    entry = AuditEntry.objects.filter(object_type="downtime-record", note="CD listed").get()
    assert entry.after is not None and [s["accession"] for s in entry.after["cd"]] == ["ASH-9001", "ASH-9002"]
    assert incident.timeline.filter(kind=EventKind.DOWNTIME, text__startswith="CD listed on downtime record 1").exists()
    # Looked for by the CD's studies, under our patient; another hospital's accession numbers are not ours.
    looked = expected_of(incident, SYSTEMS)
    assert [(item.study.study_uid, item.study.patient_id, item.study.accession_number) for item in looked] == [
        (FOREIGN[0].study_uid, "H4001", ""),
        (FOREIGN[1].study_uid, "H4001", ""),
    ]
    assert looked[0].study.expected_instances == 3 and looked[0].cd_study == listed[0].pk
    # Listed again (the right CD this time): replaces what was listed.
    write_cd(tmp_path / "again", FOREIGN[:1])
    again = client.post(
        url("downtime-record-cd", incident, record=record.number),
        {"dicomdir": SimpleUploadedFile("DICOMDIR", (tmp_path / "again" / "DICOMDIR").read_bytes())},
    )
    assert again.status_code == 302 and record.cd_studies.count() == 1
    assert record.state == RecordState.RECORDED  # listing a CD is not re-entry


def _cd_of_ours(tmp_path: Path) -> Path:
    return write_cd(tmp_path, [SyntheticStudy("NGH-1", "H4001", wall(2026, 3, 2, 9, 0), "CR", 1)])


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: b"record_id,accession\n1,A\n", "evil.csv: is not a DICOM file (no DICM marker): not a DICOMDIR"),
        (lambda p: b"", "evil.csv: is not a DICOM file"),
        (lambda p: _instance_bytes(p), "evil.csv: is a DICOM file but not a DICOMDIR"),
        (lambda p: _cd_of_ours(p).read_bytes()[:-300], "evil.csv: is truncated"),
    ],
)
def test_a_bad_file_is_refused_naming_it_and_nothing_is_written(
    member: Callable[..., Client], tmp_path: Path, make: Callable[[Path], bytes], words: str
) -> None:
    incident = scenario_incident()
    record = cd_record(incident)
    audited = AuditEntry.objects.count()
    response = member("responder").post(
        url("downtime-record-cd", incident, record=record.number),
        {"dicomdir": SimpleUploadedFile("evil.csv", make(tmp_path))},
    )
    assert response.status_code == 400
    page = text(response)
    assert words in page, page
    assert 'id="cd-dicomdir-error"' in page and 'aria-invalid="true"' in page and 'href="#cd-dicomdir"' in page
    assert not CdStudy.objects.exists() and AuditEntry.objects.count() == audited


def _instance_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "instance.dcm"
    next(instances(FOREIGN[0])).save_as(path, enforce_file_format=True)
    return path.read_bytes()


def test_no_file_and_too_large_are_refused(
    member: Callable[..., Client], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = scenario_incident()
    record = cd_record(incident)
    client = member("responder")
    target = url("downtime-record-cd", incident, record=record.number)
    nothing = client.post(target, {})
    assert nothing.status_code == 400 and "Choose the CD's DICOMDIR file" in text(nothing)
    monkeypatch.setattr(cds, "MAX_BYTES", 100)
    with pytest.raises(DowntimeError) as caught:
        cds.read_upload(b"x" * 101, "DICOMDIR")
    assert caught.value.message == "DICOMDIR: is larger than 0 MB: not a CD's DICOMDIR"
    assert not CdStudy.objects.exists()


def test_only_a_record_that_names_a_study_takes_a_cd(tmp_path: Path) -> None:
    from .downtime_support import eye_incident

    incident = eye_incident()
    referral = cd_record(incident, kind="manual-referral")
    studies = cds.read(write_cd(tmp_path, FOREIGN), "DICOMDIR")
    with pytest.raises(DowntimeError) as caught:
        cds.list_cd(record=referral, studies=studies, source="DICOMDIR", actor=None, via="test")
    assert "only a record of a kind that names a study (accession number or study UID) takes a CD" in (
        caught.value.message
    )
    assert not CdStudy.objects.exists()


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_command_line_lists_a_cd_on_its_record(tmp_path: Path) -> None:
    incident = scenario_incident()
    record = cd_record(incident)
    clerk = make_user("pacs-office", HOME_ORG, Role.RESPONDER)
    write_cd(tmp_path / "cd", FOREIGN)
    org, number = incident.organisation.slug, str(incident.number)
    code, _, err = cli("downtime", "cd", str(tmp_path / "cd"), "--org", org, "--record", "1")
    assert code == 2 and "error: --record: to list the CD on its record, give --org, --incident and --record" in err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "DICOMDIR").write_bytes(b"not a dicomdir")
    code, _, err = cli("downtime", "cd", str(tmp_path / "bad"), "--org", org, "--incident", number, "--record", "1")
    assert code == 2 and "is not a DICOM file (no DICM marker)" in err
    assert not CdStudy.objects.exists()
    code, out, err = cli(
        "downtime", "cd", str(tmp_path / "cd"), "--org", org, "--incident", number, "--record", "1",
        "--as", clerk.username,
    )  # fmt: skip
    assert code == 0, err
    assert out.endswith("2 studies\nlisted 2 studies on record 1 of incident #" + number + "\n")
    assert record.cd_studies.count() == 2
    assert record.cd_studies.first().listed_by_name == "pacs-office"  # type: ignore[union-attr]


def test_a_cd_of_ours_is_reconciled_by_its_studies(archive: LoadedArchive, tmp_path: Path) -> None:
    scenario = archive.scenario
    incident = scenario_incident()
    outside = {e.accession_number for e in scenario.expected if e.record_id in scenario.outside}
    ours = next(s for s in scenario.loaded if s.accession_number not in outside)
    burnt = cd_record(incident, kind="cd-burnt", hospital_number=ours.patient_id)
    studies = cds.read(write_cd(tmp_path, [ours, *FOREIGN[:1]]), "DICOMDIR")
    cds.list_cd(record=burnt, studies=studies, source="CD robot B", actor=None, via="test")
    run = run_reconciliation(incident=incident, actor=None, via="test", config=config_for(archive))
    outcomes = list(run.outcomes.order_by("position"))
    assert [(o.record_id, o.cd_study.position if o.cd_study else None) for o in outcomes] == [
        (burnt.pk, 1),
        (burnt.pk, 2),
    ]
    assert (outcomes[0].bucket, outcomes[0].matched_by, outcomes[0].study_uid) == (
        "present",
        "study-uid",
        ours.study_uid,
    )
    assert outcomes[0].expected_accession == ours.accession_number  # our own CD: our accession number counts
    # Another hospital's study on it: looked for by its UID under our patient, and not in our archive.
    assert (outcomes[1].bucket, outcomes[1].expected_accession) == ("missing", "")
    assert run.not_logged == len(scenario.loaded) - len(outside) - 1  # the rest of the window: nobody logged it
