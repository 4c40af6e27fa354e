"""Reconciliation runs: an incident's records proved (or not) in the imaging archive, every run kept.

    run = run_reconciliation(incident=incident, actor=user, via="web")

Which records: those of the incident's record kinds that must reach a system the archive stands for
(CONTINGENCY_ARCHIVE_SYSTEM, e.g. `pacs`) and that name a study (an accession-number or study-uid field).
A record is looked for by its own identifiers, or - when a CD's DICOMDIR is listed on it (cds.py) - by the
studies on the CD. The window is the downtime itself: from when the service was lost to its restoration
(or now). The archive is queried outside any transaction (downtime/archive/ never writes); then the run, an
outcome per study looked for, the studies nobody logged, a timeline entry and the audit entry are written
in one transaction. A run the archive failed is kept as failed, with its reason and nothing else; a run
killed on the way writes nothing. A record's re-entry state is never changed by a run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.incidents.firing import note
from contingency.incidents.models import EventKind, Incident, State
from contingency.incidents.services import Actor, incident_key
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.plans.spec.records import FieldType, RecordKind

from .archive import BUCKET_LABELS, ArchiveConfig, ArchiveConfigError, Bucket, ExpectedStudy, load_config, reconcile
from .archive.matching import UNLOGGED
from .archive.reconcile import Archive, Reconciliation
from .archive.studies import ArchiveStudy, normal_id
from .models import DowntimeRecord, Outcome, ReconciliationRun, RunStatus, UnloggedStudy

RECONCILABLE = (State.INVOKED, State.RESTORED, State.STOOD_DOWN)
STUDY_FIELDS = frozenset({FieldType.ACCESSION_NUMBER, FieldType.STUDY_UID})
BATCH = 1000
HOW_TO_CONFIGURE = (
    "the system administrator sets CONTINGENCY_ARCHIVE_HOST (or CONTINGENCY_ARCHIVE_DICOMWEB_URL), "
    "CONTINGENCY_ARCHIVE_CALLED_AET and CONTINGENCY_ARCHIVE_SYSTEM (the plan's system id, e.g. pacs): "
    "see the operator guide, Imaging archive"
)
CORRECTION = "needs a correction in the archive (IHE PIR / IOCM)"


class ReconciliationError(Refused):
    """A run that was not started: no archive configured, a wrong configuration, an incident not yet invoked."""

    code = "downtime.reconciliation"


# ---------------------------------------------------------------- configuration


def configured(environ: Mapping[str, str] | None = None) -> ArchiveConfig | None:
    """The installation's archive, or None; ReconciliationError naming every wrong variable."""
    try:
        return load_config(os.environ if environ is None else environ)
    except ArchiveConfigError as exc:
        raise ReconciliationError(
            "the imaging archive's configuration is wrong: " + "; ".join(exc.problems), kind=Kind.CONFLICT
        ) from None


def usable(config: ArchiveConfig | None) -> ArchiveConfig:
    """`config` if a run can use it; ReconciliationError saying what to set otherwise."""
    if config is None:
        raise ReconciliationError(f"no imaging archive is configured: {HOW_TO_CONFIGURE}", kind=Kind.CONFLICT)
    if not config.systems:
        raise ReconciliationError(
            "the archive is configured, but not which of the plan's systems it is: set CONTINGENCY_ARCHIVE_SYSTEM "
            "(e.g. pacs; several separated by commas)",
            kind=Kind.CONFLICT,
        )
    return config


# ---------------------------------------------------------------- what is looked for


def names_a_study(kind: RecordKind) -> bool:
    return any(f.type in STUDY_FIELDS for f in kind.fields)


def archive_kinds(incident: Incident, systems: tuple[str, ...] | list[str]) -> dict[str, RecordKind]:
    """The plan's record kinds that must reach one of `systems` and name a study, by id."""
    wanted = set(systems)
    return {k.id: k for k in document_of(incident).record_kinds if k.system in wanted and names_a_study(k)}


def bound_records(incident: Incident, systems: tuple[str, ...] | list[str]) -> Any:
    """The incident's records a reconciliation looks for (a queryset)."""
    return DowntimeRecord.objects.filter(incident=incident, kind_key__in=list(archive_kinds(incident, systems)))


@dataclass(frozen=True, slots=True)
class Looked:
    """One study a run looks for, and the record (and CD study) it stands for. Its `record_id` is the record's id,
    zero-padded so that the run's order (by record_id) is the records' order."""

    study: ExpectedStudy
    record: int  # DowntimeRecord pk
    cd_study: int | None = None  # CdStudy pk


def expected_of(incident: Incident, systems: tuple[str, ...] | list[str]) -> list[Looked]:
    """What a run looks for: each record by its identifiers, or by the studies on its CD when one is listed.

    A CD's study is expected under the record's patient (hospital number, else NHS number) when the record
    has one; its accession number counts only when the CD's patient is the record's own (a CD we burnt): a
    CD from another hospital carries that hospital's accession numbers, which our archive replaces on import.
    """
    found: list[Looked] = []
    records = bound_records(incident, systems).prefetch_related("cd_studies").order_by("number")
    zone = calendar_of(incident).zone
    for record in records:
        cds = list(record.cd_studies.all())
        if not cds:
            found.append(
                Looked(
                    ExpectedStudy(
                        f"{record.pk:012d}",
                        record.accession_number,
                        record.patient_id,
                        record.study_uid,
                        record.expected_instances,
                        record.occurred_at,
                        f"record {record.number} ({record.kind_key})",
                    ),
                    record.pk,
                )
            )
            continue
        ours = record.patient_id
        for cd in cds:
            own = not ours or normal_id(cd.patient_id) == normal_id(ours)
            found.append(
                Looked(
                    ExpectedStudy(
                        f"{record.pk:012d}-cd{cd.position:04d}",
                        cd.accession_number if own else "",
                        ours or cd.patient_id,
                        cd.study_uid,
                        cd.instances or None,
                        _cd_time(cd.study_date, cd.study_time, zone),
                        f"record {record.number} ({record.kind_key}), CD study {cd.position}",
                    ),
                    record.pk,
                    cd.pk,
                )
            )
    return found


def _cd_time(day: str, time: str, zone: Any) -> datetime | None:
    try:
        moment = datetime.strptime(day + (time.split(".")[0] or "000000").ljust(6, "0"), "%Y%m%d%H%M%S")  # noqa: DTZ007
    except ValueError:
        return None
    return moment.replace(tzinfo=zone)


def window_of(incident: Incident, now: datetime) -> tuple[datetime, datetime]:
    """The downtime: from when the service was lost to its restoration (or now, while it is still down)."""
    return incident.began_at, max(incident.began_at, incident.restored_at or now)


# ---------------------------------------------------------------- the run


def run_reconciliation(
    *,
    incident: Incident,
    actor: Actor,
    via: str = "web",
    config: ArchiveConfig | None = None,
    archive: Callable[..., Archive] | None = None,
    clock: Callable[[], datetime] = timezone.now,
) -> ReconciliationRun:
    """Query the archive for the incident's downtime, match its records, and keep the run (ok or failed).

    `config` defaults to the installation's (CONTINGENCY_ARCHIVE_*); `archive` opens the connection (tests).
    Refuses (ReconciliationError, nothing written) when no archive or system is configured or the incident
    has no downtime yet; the archive's own faults are a failed run, recorded."""
    config = usable(config if config is not None else configured())
    if incident.state not in RECONCILABLE:
        raise ReconciliationError(
            f"incident #{incident.number} is {incident.state}: there is a downtime to reconcile once the plan is invoked"
        )
    as_of = clock()
    looked = expected_of(incident, config.systems)
    start, end = window_of(incident, as_of)
    result = reconcile([item.study for item in looked], config, start=start, end=end, archive=archive, clock=clock)
    return _save(incident, looked, result, config, as_of=as_of, actor=actor, via=via)


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _study_columns(study: ArchiveStudy | None) -> dict[str, Any]:
    if study is None:
        return {}
    return {
        "study_uid": study.study_uid,
        "accession_number": study.accession_number[:64],
        "patient_id": study.patient_id[:64],
        "study_date": study.study_date[:8],
        "study_time": study.study_time[:16],
        "modalities": "/".join(study.modalities)[:64],
        "instances": study.instances,
    }


def counts_words(counts: Mapping[str, int]) -> str:
    """`54 present and complete, 4 missing from the archive, ...` (every bucket, then not logged)."""
    words = [f"{counts.get(str(b), 0)} {BUCKET_LABELS[b]}" for b in Bucket]
    return ", ".join([*words, f"{counts.get(UNLOGGED, 0)} in the archive but not logged"])


def _save(
    incident: Incident,
    looked: list[Looked],
    result: Reconciliation,
    config: ArchiveConfig,
    *,
    as_of: datetime,
    actor: Actor,
    via: str,
) -> ReconciliationRun:
    by_id = {item.study.record_id: item for item in looked}
    counts = result.counts
    failure = result.failure
    name = audit.actor_name(actor, via)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        number = (ReconciliationRun.objects.filter(incident=incident).aggregate(n=Max("number"))["n"] or 0) + 1
        run = ReconciliationRun.objects.create(
            organisation=incident.organisation,
            incident=incident,
            number=number,
            as_of=as_of,
            started_at=result.started_at,
            finished_at=result.finished_at or result.started_at,
            run_by=_user(actor),
            run_by_name=name,
            via=via,
            status=RunStatus.OK if result.ok else RunStatus.FAILED,
            is_clean=result.clean,
            failure_kind=str(failure.kind) if failure else "",
            failure=str(failure) if failure else "",
            archive=result.archive[:200],
            systems=list(config.systems),
            window_start=result.start,
            window_end=result.end,
            expected=len(looked),
            present=counts.get(Bucket.PRESENT, 0),
            missing=counts.get(Bucket.MISSING, 0),
            count_mismatch=counts.get(Bucket.COUNT_MISMATCH, 0),
            identity_mismatch=counts.get(Bucket.IDENTITY_MISMATCH, 0),
            not_logged=counts.get(UNLOGGED, 0),
            archive_studies=result.archive_studies,
            queries=len(result.windows) + result.lookups,
            digest=result.digest(),
            result=result.to_json(),
        )
        if result.matching is not None:
            Outcome.objects.bulk_create(
                (
                    Outcome(
                        run=run,
                        position=position,
                        record_id=by_id[m.expected.record_id].record,
                        cd_study_id=by_id[m.expected.record_id].cd_study,
                        bucket=str(m.bucket),
                        matched_by=m.matched_by,
                        note=m.note,
                        expected_accession=m.expected.accession_number,
                        expected_patient=m.expected.patient_id,
                        expected_study_uid=m.expected.study_uid,
                        expected_instances=m.expected.expected_instances,
                        **_study_columns(m.study),
                    )
                    for position, m in enumerate(result.matching.matches, 1)
                ),
                batch_size=BATCH,
            )
            UnloggedStudy.objects.bulk_create(
                (
                    UnloggedStudy(run=run, position=position, **_study_columns(study))
                    for position, study in enumerate(result.matching.unlogged, 1)
                ),
                batch_size=BATCH,
            )
        said = (
            f"Archive reconciliation {number} failed: {failure}"
            if failure
            else f"Archive reconciliation {number}{' (clean)' if result.clean else ''}: "
            f"{len(looked)} looked for - {counts_words(counts)}."
        )
        note(incident, EventKind.DOWNTIME, said, at=run.finished_at, actor=name)
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="reconciliation-run",
            object_key=f"{incident_key(incident)}/downtime/archive/{number}",
            label=f"Archive reconciliation {number} of #{incident.number}",
            after={
                "status": run.status,
                "clean": run.is_clean,
                "counts": counts,
                "failure": run.failure,
                "archive": run.archive,
                "window": [run.window_start.isoformat(), run.window_end.isoformat()],
                "digest": run.digest,
            },
            note="failed" if failure else "reconciled",
            via=via,
        )
    return run
