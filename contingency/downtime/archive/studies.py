"""The plain data reconciliation works on: studies we expect to find, and studies the archive holds.

`ExpectedStudy` comes from a downtime record (an examination done during the outage), a CSV typed up from
the paper log, or a CD's DICOMDIR. `ArchiveStudy` is one study-level answer from the archive (C-FIND or
QIDO-RS). Both are frozen, slotted and small, so tens of thousands fit in a few megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


def normal_id(value: str) -> str:
    """An identifier as compared: no surrounding or inner spaces, upper case (`rx 123 4` == `RX1234`)."""
    return "".join(value.split()).upper()


@dataclass(frozen=True, slots=True)
class ExpectedStudy:
    """A study that should be in the archive, from a downtime record (or a CD)."""

    record_id: str  # the downtime record's id (or a CD's `cd:<label>:<n>`), unique in one reconciliation
    accession_number: str = ""
    patient_id: str = ""
    study_uid: str = ""
    expected_instances: int | None = None
    done_at: datetime | None = None  # when the examination was done (aware), if known
    source: str = ""  # where it came from, for messages: `log.csv:12`, `CD 2026-03-02 robot 1`

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "accession_number": self.accession_number,
            "patient_id": self.patient_id,
            "study_uid": self.study_uid,
            "expected_instances": self.expected_instances,
            "done_at": self.done_at.isoformat() if self.done_at else None,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class ArchiveStudy:
    """One study the archive answered with (study level), as the archive has it."""

    study_uid: str
    accession_number: str = ""
    patient_id: str = ""
    study_date: str = ""  # DICOM DA, YYYYMMDD (local time of the modality)
    study_time: str = ""  # DICOM TM, HHMMSS[.ffffff]
    modalities: tuple[str, ...] = ()
    instances: int | None = None  # NumberOfStudyRelatedInstances, when the archive says

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.study_date, self.study_time, self.study_uid)

    def to_json(self) -> dict[str, Any]:
        return {
            "study_uid": self.study_uid,
            "accession_number": self.accession_number,
            "patient_id": self.patient_id,
            "study_date": self.study_date,
            "study_time": self.study_time,
            "modalities": list(self.modalities),
            "instances": self.instances,
        }


def parse_count(value: object) -> int | None:
    """An IS value (`'3'`, 3, `' 3 '`) as an int; None when absent or not a whole number >= 0."""
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number >= 0 else None
