"""What the reconciliation runs have proved: records not yet proved in the archive, the latest runs, a record's outcome.

Read-only. A record is proved by the latest run that finished (status ok) when every study it was looked for
by landed in "present and complete" and no CD was listed on it since that run read the records. A record
made after that run, or one whose study was missing or mismatched, is not yet proved; so are the studies the
run found that nobody logged. `outstanding` is what downtime.progress.reconciliation answers for the
incident page, restoration, hand-over, board briefing, review and stand-down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet

from contingency.incidents import outstanding as registry
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of

from .archive import ArchiveConfig, Bucket
from .models import CdStudy, DowntimeRecord, Outcome, ReconciliationRun, RunStatus, UnloggedStudy
from .reconciliation import CORRECTION, ReconciliationError, bound_records, configured

TITLE = "Imaging archive"


def latest_run(incident: Incident, *, ok: bool = False) -> ReconciliationRun | None:
    runs = ReconciliationRun.objects.filter(incident=incident)
    if ok:
        runs = runs.filter(status=RunStatus.OK)
    return runs.order_by("-number").first()


def proved(records: QuerySet[DowntimeRecord], run: ReconciliationRun) -> QuerySet[DowntimeRecord]:
    """Those of `records` that `run` found present and complete, with no CD listed on them since."""
    mine = Outcome.objects.filter(run=run, record=OuterRef("pk"))
    return (
        records.filter(Exists(mine.filter(bucket=Bucket.PRESENT)))
        .exclude(Exists(mine.exclude(bucket=Bucket.PRESENT)))
        .exclude(Exists(CdStudy.objects.filter(record=OuterRef("pk"), listed_at__gt=run.as_of)))
    )


def unproved(records: QuerySet[DowntimeRecord], run: ReconciliationRun | None) -> QuerySet[DowntimeRecord]:
    return records if run is None else records.exclude(pk__in=proved(records, run).values("pk"))


@dataclass(frozen=True)
class Standing:
    """How far the incident's records are proved in the archive."""

    bound: int  # records to be proved
    unproved: int
    latest: ReconciliationRun | None  # the latest run, whatever its status
    latest_ok: ReconciliationRun | None  # the latest run that finished

    @property
    def count(self) -> int:
        """What is still to do: records not proved, and studies the latest finished run found nobody logged."""
        return self.unproved + (self.latest_ok.not_logged if self.latest_ok else 0)


def standing_of(incident: Incident, config: ArchiveConfig) -> Standing:
    records = bound_records(incident, config.systems)
    latest, latest_ok = latest_run(incident), latest_run(incident, ok=True)
    return Standing(records.count(), unproved(records, latest_ok).count(), latest, latest_ok)


def _when(incident: Incident, at: datetime) -> str:
    local = calendar_of(incident).local(at)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def summary(incident: Incident, standing: Standing) -> tuple[str, tuple[str, ...]]:
    """One sentence, and the detail lines, for the incident's outstanding work."""
    run, latest = standing.latest_ok, standing.latest
    words = f"{standing.unproved} of {standing.bound} record(s) not yet proved in the archive"
    if run is None:
        words += "; no reconciliation has finished yet"
    else:
        found = [
            (run.missing, "missing"),
            (run.identity_mismatch, f"identity mismatch(es) ({CORRECTION})"),
            (run.count_mismatch, "with a different instance count"),
            (run.not_logged, "in the archive but not logged"),
        ]
        shown = ", ".join(f"{n} {what}" for n, what in found if n)
        words += f"; the last run (#{run.number}, {_when(incident, run.finished_at)}) " + (
            f"found {shown}" if shown else "was clean"
        )
    if latest is not None and latest.status == RunStatus.FAILED:
        words += f"; run #{latest.number} failed: {latest.failure}"
    lines: tuple[str, ...] = ()
    if run is not None:
        lines = (
            f"Run #{run.number} by {run.run_by_name}: {run.present} present and complete, {run.missing} missing, "
            f"{run.identity_mismatch} identity mismatch(es), {run.count_mismatch} instance count(s) differ, "
            f"{run.not_logged} not logged",
        )
    return words, lines


def outstanding(
    incident: Incident, now: datetime, environ: Mapping[str, str] | None = None
) -> registry.Outstanding | None:
    """The incident's imaging-archive work, or None when no archive (or none of its systems) is configured, or
    the incident keeps no record that must reach it and no run was made."""
    try:
        config = configured(environ)
    except ReconciliationError:
        return None  # the system check (contingency manage check) names the wrong variables
    if config is None or not config.systems:
        return None
    standing = standing_of(incident, config)
    if not standing.bound and standing.latest is None:
        return None
    words, lines = summary(incident, standing)
    return registry.Outstanding(TITLE, standing.count, words, lines)


def record_outcomes(record: DowntimeRecord) -> list[Outcome]:
    """The record's outcomes in the latest finished run that looked for it (several for a CD), else none."""
    last = Outcome.objects.filter(record=record).order_by("-run__number").values_list("run_id", flat=True).first()
    if last is None:
        return []
    return list(Outcome.objects.filter(record=record, run_id=last).select_related("run").order_by("position"))


@dataclass(frozen=True)
class RunReport:
    """A run's report in short, for the post-incident review: its counts, and what was not proved."""

    run: ReconciliationRun
    problems: list[Outcome]  # the first `limit` outcomes not present, by record
    unlogged: list[UnloggedStudy]
    more: int  # problems and unlogged studies left out


def latest_report(incident: Incident, *, limit: int = 50) -> RunReport | None:
    """The latest run's report (the finished one, else the latest failed), or None when no run was made."""
    run = latest_run(incident, ok=True) or latest_run(incident)
    if run is None:
        return None
    problems = list(
        Outcome.objects.filter(run=run)
        .exclude(bucket=Bucket.PRESENT)
        .select_related("record")
        .order_by("position")[:limit]
    )
    unlogged = list(run.unlogged.order_by("position")[:limit])
    more = run.missing + run.count_mismatch + run.identity_mismatch - len(problems) + run.not_logged - len(unlogged)
    return RunReport(run, problems, unlogged, more)
