"""A CD's DICOMDIR listed on the record of the CD (burnt or received): its studies, reconciled like the rest.

    studies = read(Path("/media/cdrom"), "cdrom")            # or read_upload(data, "DICOMDIR"): DowntimeError
    listed = list_cd(record=record, studies=studies, source="cdrom", actor=user, via="command line")

The DICOMDIR is read whole before anything is written (downtime/archive/dicomdir.py); a file that is not a
DICOMDIR, is truncated or corrupt, too large, or lists no studies is refused naming the file, and nothing
changes. Listing a CD again replaces the studies listed before (the audit entry keeps both lists). Only a
record of a kind that names a study (an accession-number or study-uid field) takes a CD.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.incidents.firing import note
from contingency.incidents.models import EventKind
from contingency.incidents.services import Actor
from contingency.incidents.snapshot import document_of

from .archive import CdStudy as ListedStudy
from .archive import DicomdirError, read_dicomdir
from .archive.dicomdir import MAX_BYTES
from .models import CdStudy, DowntimeRecord
from .reconciliation import names_a_study
from .services import DowntimeError, record_key

MAX_STUDIES = 1000  # a patient's CD holds a handful; a DICOMDIR listing more is not a patient CD


def _listed(studies: list[CdStudy]) -> list[dict[str, object]]:
    return [
        {"studyUid": s.study_uid, "accession": s.accession_number, "patientId": s.patient_id, "instances": s.instances}
        for s in studies
    ]


def read_upload(data: bytes, name: str) -> list[ListedStudy]:
    """The studies of an uploaded DICOMDIR (bytes); DowntimeError naming the file when it cannot be read."""
    if len(data) > MAX_BYTES:
        raise DowntimeError(f"{name}: is larger than {MAX_BYTES // 1048576} MB: not a CD's DICOMDIR", "file")
    with tempfile.TemporaryDirectory(prefix="contingency-cd-") as folder:
        path = Path(folder) / "DICOMDIR"
        path.write_bytes(data)
        return read(path, name)


def read(path: Path, name: str) -> list[ListedStudy]:
    try:
        return list(read_dicomdir(path))
    except DicomdirError as exc:
        raise DowntimeError(f"{name}: {exc.message}", "file") from None


def list_cd(
    *,
    record: DowntimeRecord,
    studies: list[ListedStudy],
    source: str,
    actor: Actor,
    via: str = "web",
    at: datetime | None = None,
) -> list[CdStudy]:
    """List the CD's studies (as read by `read` or `read_upload`) on the record, replacing any listed before."""
    now = at or timezone.now()
    read_studies = list(studies)
    if not read_studies:
        raise DowntimeError(f"{source}: lists no studies", "file")
    if len(read_studies) > MAX_STUDIES:
        raise DowntimeError(
            f"{source}: lists {len(read_studies):,} studies; a patient's CD holds at most {MAX_STUDIES:,}", "file"
        )
    with transaction.atomic():
        record = (
            DowntimeRecord.objects.select_for_update()
            .select_related("incident__organisation", "organisation")
            .get(pk=record.pk)
        )
        kind = next((k for k in document_of(record.incident).record_kinds if k.id == record.kind_key), None)
        if kind is None or not names_a_study(kind):
            raise DowntimeError(
                f"record {record.number} is a {kind.name if kind else record.kind_key}: only a record of a kind "
                "that names a study (accession number or study UID) takes a CD",
                "file",
            )
        before = list(record.cd_studies.all())
        record.cd_studies.all().delete()
        name = audit.actor_name(actor, via)
        made = CdStudy.objects.bulk_create(
            CdStudy(
                record=record,
                position=n,
                patient_id=s.patient_id[:64],
                study_uid=s.study_uid[:64],
                accession_number=s.accession_number[:64],
                study_date=s.study_date[:8],
                study_time=s.study_time[:16],
                description=s.description[:200],
                series=s.series,
                instances=s.instances,
                source=source[:200],
                listed_at=now,
                listed_by_name=name,
            )
            for n, s in enumerate(read_studies, 1)
        )
        images = sum(s.instances for s in made)
        note(
            record.incident,
            EventKind.DOWNTIME,
            f"CD listed on downtime record {record.number} ({record.kind_key}) from {source}: "
            f"{len(made)} study(ies), {images} image(s)" + (" (replacing the CD listed before)." if before else "."),
            at=now,
            actor=name,
        )
        audit.record(
            organisation=record.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="downtime-record",
            object_key=record_key(record),
            label=f"Downtime record {record.number} of #{record.incident.number} ({record.kind_key})",
            before={"cd": _listed(before)} if before else None,
            after={"cd": _listed(made), "source": source},
            note="CD listed",
            via=via,
        )
    return made
