"""The demo archive's examinations: a PACS outage's downtime log, and what the archive holds after it.

Deterministic for a window and a seed, all fictional. Most examinations reached the archive; a few were
never re-sent (missing), one was registered under a temporary patient number (identity mismatch), one lost
an image (instance count), and two studies in the archive were never logged. The archive also holds a study
received on CD from another hospital during the outage (`received_cd`), imported under our hospital number
and dated by that hospital before the outage. The ledger's demo outage (downtime/demo.py) logs exactly
`demo_examinations` over its own downtime, and that CD, so that a run from the page finds exactly these.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .studies import ExpectedStudy
from .synthetic import SyntheticStudy

MODALITIES = ("CR", "CR", "DX", "CT", "MR", "US")


@dataclass(frozen=True)
class DemoExamination:
    record_id: str  # the downtime ID on the paper form
    accession_number: str
    patient_id: str  # hospital number
    performed_at: datetime  # aware
    modality: str
    instances: int
    in_archive: bool = True
    archive_patient_id: str = ""  # when the archive has it under another patient (identity mismatch)
    archive_instances: int | None = None  # when the archive has another count

    def study(self, zone: ZoneInfo) -> SyntheticStudy:
        local = self.performed_at.astimezone(zone).replace(tzinfo=None)
        return SyntheticStudy(
            self.accession_number,
            self.archive_patient_id or self.patient_id,
            local,
            self.modality,
            self.archive_instances or self.instances,
        )

    def expected(self) -> ExpectedStudy:
        return ExpectedStudy(
            self.record_id,
            self.accession_number,
            self.patient_id,
            expected_instances=self.instances,
            done_at=self.performed_at,
            source="demo downtime log",
        )


def demo_examinations(start: datetime, end: datetime, *, count: int = 60, seed: int = 2026) -> list[DemoExamination]:
    """`count` examinations spread over [start, end]; 4 not re-sent, 1 identity and 1 count mismatch."""
    rng = random.Random(seed)
    span = (end - start).total_seconds()
    moments = sorted(start.timestamp() + rng.random() * span for _ in range(count))
    special = rng.sample(range(count), 6)
    missing, identity, short = set(special[:4]), special[4], special[5]
    exams = []
    for n, moment in enumerate(moments):
        modality = MODALITIES[n % len(MODALITIES)]
        instances = {"CR": 1, "DX": 2, "US": 4, "CT": 3, "MR": 5}[modality]
        exams.append(
            DemoExamination(
                record_id=f"DT-RAD-{n + 1:04d}",
                accession_number=f"NWG{24_0000 + n * 13}",
                patient_id=f"RX{55_0000 + n * 37}",
                performed_at=datetime.fromtimestamp(moment, tz=start.tzinfo),
                modality=modality,
                instances=instances,
                in_archive=n not in missing,
                archive_patient_id=f"TMP{90_000 + n}" if n == identity else "",
                archive_instances=instances - 1 if n == short and instances > 1 else None,
            )
        )
    return exams


def received_cd(start: datetime, zone: ZoneInfo) -> SyntheticStudy:
    """The study on the CD received from another hospital during the outage, as our archive holds it once imported:
    under our hospital number, dated two days before the outage by the hospital that took it."""
    taken = (start - timedelta(days=2)).astimezone(zone).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    return SyntheticStudy("ASH-77120", "RX5599001", taken, "CT", 4)


def archive_studies(exams: list[DemoExamination], zone: ZoneInfo) -> list[SyntheticStudy]:
    """What the demo archive holds from the outage: the examinations that were re-sent, and two nobody logged."""
    held = [exam.study(zone) for exam in exams if exam.in_archive]
    if exams:
        first, last = exams[0].performed_at, exams[-1].performed_at
        for k, at in enumerate((first + (last - first) / 3, first + (last - first) * 2 / 3)):
            local = at.astimezone(zone).replace(tzinfo=None)
            held.append(SyntheticStudy(f"NWG{25_0000 + k}", f"RX{66_0000 + k}", local, "CR"))
    return held


def write_log(path: Path, exams: list[DemoExamination]) -> None:
    """The downtime log as `contingency downtime reconcile --csv` reads it."""
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["record_id", "accession_number", "patient_id", "expected_instances", "done_at"])
        for exam in exams:
            writer.writerow(
                [exam.record_id, exam.accession_number, exam.patient_id, exam.instances, exam.performed_at.isoformat()]
            )
