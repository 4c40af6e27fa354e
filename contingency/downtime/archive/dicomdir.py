"""A CD's DICOMDIR (IHE PDI): its patients and studies, which then reconcile like any downtime record.

    studies = read_dicomdir(Path("/media/cdrom"))          # the CD's root, or the DICOMDIR file itself
    expected = expected_from_cd(studies, label="CD 2026-03-02 robot 1")

Bad input gets a clear `DicomdirError` naming the file: not there, not a DICOM file, a DICOM file that is
not a DICOMDIR, truncated or corrupt, larger than `MAX_BYTES`, records that point nowhere or in a loop.
The directory records are followed by their offsets (patient -> study -> series -> instance), each visited
once; when the offsets do not resolve, records are taken in file order, as writers lay them out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .studies import ExpectedStudy

if TYPE_CHECKING:
    from pydicom.dataset import Dataset

MAX_BYTES = 64 * 1024 * 1024  # a DICOMDIR of 100,000 images is about 40 MB
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
_INSTANCE_LEVEL = {"IMAGE", "RT DOSE", "RT STRUCTURE SET", "RT PLAN", "RT TREAT RECORD", "PRESENTATION", "WAVEFORM",
                   "SR DOCUMENT", "KEY OBJECT DOC", "SPECTROSCOPY", "RAW DATA", "REGISTRATION", "FIDUCIAL",
                   "ENCAP DOC", "HL7 STRUC DOC", "STEREOMETRIC", "MEASUREMENT", "SURFACE", "PLAN", "IMPLANT",
                   "SURFACE SCAN", "TRACT", "ASSESSMENT", "RADIOTHERAPY", "ANNOTATION", "INVENTORY"}  # fmt: skip


class DicomdirError(Exception):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True, slots=True)
class CdStudy:
    """One study on a CD, as its DICOMDIR lists it."""

    patient_id: str
    study_uid: str
    accession_number: str
    study_date: str
    study_time: str
    description: str
    series: int
    instances: int


def _text(record: Dataset, keyword: str) -> str:
    value = record.get(keyword)
    return "" if value is None else str(value).strip()


def _find(path: Path) -> Path:
    if path.is_dir():
        for name in ("DICOMDIR", "dicomdir", "DicomDir"):
            if (path / name).is_file():
                return path / name
        raise DicomdirError(path, "no DICOMDIR in this folder (is it the CD's top folder?)")
    if not path.is_file():
        raise DicomdirError(path, "no such file or folder")
    return path


def _load(path: Path, max_bytes: int) -> Dataset:
    size = path.stat().st_size
    if size > max_bytes:
        raise DicomdirError(
            path, f"is {size / 1048576:.0f} MB; a DICOMDIR larger than {max_bytes // 1048576} MB is not read"
        )
    # Imported here: pydicom costs a start-up that only the processes reading a CD should pay.
    from pydicom import dcmread
    from pydicom.errors import InvalidDicomError

    try:
        ds = dcmread(path, force=False)
    except InvalidDicomError:
        raise DicomdirError(path, "is not a DICOM file (no DICM marker): not a DICOMDIR") from None
    except (EOFError, OSError, ValueError, KeyError, IndexError, TypeError, NotImplementedError) as exc:
        raise DicomdirError(path, f"could not be read, truncated or corrupt ({type(exc).__name__}: {exc})") from None
    sop_class = str(getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", "") or "")
    if sop_class != MEDIA_STORAGE_DIRECTORY:
        name = getattr(getattr(ds.file_meta, "MediaStorageSOPClassUID", None), "name", "") or sop_class or "unknown"
        raise DicomdirError(path, f"is a DICOM file but not a DICOMDIR (it is a {name})")
    return ds


_SEQUENCE_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"  # (FFFE,E0DD), little endian, length 0


def _check_complete(path: Path, ds: Dataset) -> None:
    """The directory records must end where the file says they do (pydicom reads a cut-off record quietly)."""
    raw = ds.get_item(0x00041220)  # DirectoryRecordSequence, still raw: its stated length and position
    length, start = getattr(raw, "length", None), getattr(raw, "value_tell", None)
    if length is None or start is None:
        return
    size = path.stat().st_size
    if length == 0xFFFFFFFF:
        with path.open("rb") as f:
            f.seek(max(0, size - 8))
            complete = f.read(8) == _SEQUENCE_END
    else:
        complete = start + length <= size
    if not complete:
        raise DicomdirError(path, "is truncated: its directory records stop before their stated end")


def _records(path: Path, ds: Dataset) -> list[Dataset]:
    if "DirectoryRecordSequence" not in ds:
        raise DicomdirError(path, "has no directory records: truncated, or not a finished DICOMDIR")
    _check_complete(path, ds)
    try:
        return list(ds.get("DirectoryRecordSequence") or [])
    except Exception as exc:  # the sequence is parsed lazily: a truncated file fails here
        raise DicomdirError(path, f"its directory records could not be read, truncated or corrupt ({exc})") from None


def _by_offset(path: Path, ds: Dataset, records: list[Dataset]) -> Iterator[tuple[int, Dataset]]:
    """(depth, record) in tree order, following the offsets; each record at most once."""
    at = {getattr(r, "seq_item_tell", None): r for r in records}
    seen: set[int] = set()
    stack: list[tuple[int, int]] = [(0, int(ds.get("OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity", 0) or 0))]
    while stack:
        depth, offset = stack.pop()
        while offset:
            if offset in seen:
                raise DicomdirError(path, f"its directory records loop (offset {offset} is reached twice)")
            record = at.get(offset)
            if record is None:
                raise DicomdirError(path, f"a directory record points to offset {offset}, where there is none")
            seen.add(offset)
            yield depth, record
            child = int(record.get("OffsetOfReferencedLowerLevelDirectoryEntity", 0) or 0)
            following = int(record.get("OffsetOfTheNextDirectoryRecord", 0) or 0)
            if child:
                stack.append((depth, following))
                depth, offset = depth + 1, child
            else:
                offset = following


def _in_file_order(records: list[Dataset]) -> Iterator[tuple[int, Dataset]]:
    depths = {"PATIENT": 0, "STUDY": 1, "SERIES": 2}
    for record in records:
        kind = _text(record, "DirectoryRecordType").upper()
        yield depths.get(kind, 3), record


def read_dicomdir(path: Path, *, max_bytes: int = MAX_BYTES) -> list[CdStudy]:
    """The studies a CD's DICOMDIR lists, in the order it lists them."""
    path = _find(path)
    ds = _load(path, max_bytes)
    records = _records(path, ds)
    resolvable = all(getattr(r, "seq_item_tell", None) is not None for r in records)
    walk = (
        _by_offset(path, ds, records)
        if resolvable and ds.get("OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity")
        else _in_file_order(records)
    )
    studies: list[dict[str, Any]] = []
    patient = ""
    try:
        for _, record in walk:
            kind = _text(record, "DirectoryRecordType").upper()
            if kind == "PATIENT":
                patient = _text(record, "PatientID")
            elif kind == "STUDY":
                studies.append(
                    {
                        "patient_id": patient or _text(record, "PatientID"),
                        "study_uid": _text(record, "StudyInstanceUID"),
                        "accession_number": _text(record, "AccessionNumber"),
                        "study_date": _text(record, "StudyDate"),
                        "study_time": _text(record, "StudyTime"),
                        "description": _text(record, "StudyDescription"),
                        "series": 0,
                        "instances": 0,
                    }
                )
            elif kind == "SERIES" and studies:
                studies[-1]["series"] += 1
            elif kind in _INSTANCE_LEVEL and studies:
                studies[-1]["instances"] += 1
    except DicomdirError:
        raise
    except Exception as exc:
        raise DicomdirError(path, f"a directory record could not be read ({type(exc).__name__}: {exc})") from None
    if not studies:
        raise DicomdirError(path, "lists no studies")
    return [CdStudy(**s) for s in studies]


def _when(study: CdStudy, zone: ZoneInfo) -> datetime | None:
    # DICOM dates and times are the modality's wall clock, with no zone: read them so, then place them.
    try:
        moment = datetime.strptime(  # noqa: DTZ007
            study.study_date + (study.study_time.split(".")[0] or "000000").ljust(6, "0"), "%Y%m%d%H%M%S"
        )
    except ValueError:
        return None
    return moment.replace(tzinfo=zone)


def expected_from_cd(studies: list[CdStudy], *, label: str, zone: ZoneInfo | None = None) -> list[ExpectedStudy]:
    """The CD's studies as expected studies: record ids `<label>:<n>`, instance counts as on the CD."""
    zone = zone or ZoneInfo("Europe/London")
    return [
        ExpectedStudy(
            record_id=f"{label}:{n}",
            accession_number=study.accession_number,
            patient_id=study.patient_id,
            study_uid=study.study_uid,
            expected_instances=study.instances or None,
            done_at=_when(study, zone),
            source=f"{label}, study {n}",
        )
        for n, study in enumerate(studies, 1)
    ]
