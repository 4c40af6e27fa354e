"""A CD's DICOMDIR (IHE PDI) read back, bad CDs refused with clear words, and a CD's studies reconciled."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from pydicom import dcmread

from contingency.downtime.archive import Bucket, DicomdirError, expected_from_cd, read_dicomdir, reconcile
from contingency.downtime.archive.synthetic import SyntheticStudy, instances, write_cd

from ..support.orthanc import WINDOW_END, WINDOW_START, LoadedArchive

CD = [
    SyntheticStudy("CD-A1", "RX100", datetime(2026, 3, 2, 8, 5), "CT", 3),
    SyntheticStudy("CD-A2", "RX100", datetime(2026, 3, 2, 9, 5), "MR", 2),
    SyntheticStudy("CD-A3", "RX200", datetime(2026, 3, 2, 10, 5), "CR", 1),
]


def test_a_dicomdir_written_with_pydicom_is_read_back(tmp_path: Path):
    write_cd(tmp_path, CD)
    studies = read_dicomdir(tmp_path)  # the CD's top folder
    assert [(s.patient_id, s.accession_number, s.study_uid, s.instances, s.series) for s in studies] == [
        (c.patient_id, c.accession_number, c.study_uid, c.instances, 1) for c in CD
    ]
    assert read_dicomdir(tmp_path / "DICOMDIR") == studies
    expected = expected_from_cd(studies, label="CD 2026-03-02 robot 1")
    assert expected[0].record_id == "CD 2026-03-02 robot 1:1"
    assert expected[0].expected_instances == 3 and expected[0].done_at is not None
    assert expected[0].done_at.isoformat() == "2026-03-02T08:05:00+00:00"


def test_records_in_any_file_order_are_followed_by_their_offsets(tmp_path: Path):
    write_cd(tmp_path, CD)
    ds = dcmread(tmp_path / "DICOMDIR")
    # pydicom writes records depth-first; a sequential reading would agree, so check the offsets are used:
    assert ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity
    assert len(read_dicomdir(tmp_path)) == 3


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 a zip file"), "is not a DICOM file (no DICM marker)"),
        (lambda p: p.write_bytes(b""), "is not a DICOM file"),
        (lambda p: next(instances(CD[0])).save_as(p, enforce_file_format=True), "is a DICOM file but not a DICOMDIR"),
    ],
)
def test_not_a_dicomdir(tmp_path: Path, make, words):
    path = tmp_path / "DICOMDIR"
    make(path)
    with pytest.raises(DicomdirError) as caught:
        read_dicomdir(path)
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_truncated(tmp_path: Path):
    write_cd(tmp_path, CD)
    whole = (tmp_path / "DICOMDIR").read_bytes()
    for keep in (len(whole) // 2, len(whole) - 40, 200):
        (tmp_path / "DICOMDIR").write_bytes(whole[:keep])
        with pytest.raises(DicomdirError) as caught:
            read_dicomdir(tmp_path)
        message = str(caught.value)
        assert message.startswith(f"{tmp_path / 'DICOMDIR'}: ")
        assert "truncated" in message


def test_too_big_and_absent(tmp_path: Path):
    write_cd(tmp_path, CD)
    with pytest.raises(DicomdirError, match="larger than 0 MB is not read"):
        read_dicomdir(tmp_path, max_bytes=100)
    with pytest.raises(DicomdirError, match="no DICOMDIR in this folder"):
        read_dicomdir(tmp_path / "PT000000")  # a folder of the CD, not its top
    with pytest.raises(DicomdirError, match="no such file or folder"):
        read_dicomdir(tmp_path / "nowhere")


def test_records_that_loop_are_refused(tmp_path: Path):
    write_cd(tmp_path, CD)
    ds = dcmread(tmp_path / "DICOMDIR")
    records = ds.DirectoryRecordSequence
    first = ds.OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity
    patients = [r for r in records if r.DirectoryRecordType == "PATIENT"]
    patients[-1].OffsetOfTheNextDirectoryRecord = first  # the last patient points back to the first
    ds.save_as(tmp_path / "DICOMDIR")
    # pydicom recomputes nothing on save_as of a plain dataset, so the loop is on disk
    with pytest.raises(DicomdirError, match="loop"):
        read_dicomdir(tmp_path)


def test_a_cds_studies_are_reconciled(archive: LoadedArchive, tmp_path: Path):
    loaded = archive.scenario.loaded[10:13]  # on the archive
    received = [SyntheticStudy("OTHER-1", "RX555", datetime(2026, 3, 2, 11, 0), "CT", 2)]  # from another hospital
    write_cd(tmp_path, [*loaded, *received])
    expected = expected_from_cd(read_dicomdir(tmp_path), label="CD from St Elsewhere")
    run = reconcile(expected, archive.config(), start=WINDOW_START, end=WINDOW_END)
    assert run.ok and run.matching is not None
    buckets = {m.expected.record_id: m.bucket for m in run.matching.matches}
    assert buckets == {
        "CD from St Elsewhere:1": Bucket.PRESENT,
        "CD from St Elsewhere:2": Bucket.PRESENT,
        "CD from St Elsewhere:3": Bucket.PRESENT,
        "CD from St Elsewhere:4": Bucket.MISSING,  # not yet imported into the archive
    }
    assert all(m.matched_by == "study-uid" for m in run.matching.matches[:3])
