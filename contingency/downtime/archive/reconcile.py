"""A reconciliation run: query the archive over the downtime window, match, and say what was found.

    result = reconcile(expected, config, start=downtime_start, end=downtime_end)
    result.ok, result.counts, result.matching.bucket(Bucket.MISSING), result.to_json()

The run writes nothing: it computes everything first and returns one `Reconciliation` (a failed run carries
its `failure` and no buckets), so whoever persists it writes it whole or not at all, and a run killed half
way (SIGKILL) leaves nothing behind; run again, it gives the same result (`digest` is equal) while the
archive has not changed. Steps: the window is swept in query windows (`windows.WindowPlanner`, halving any
capped answer); every study is kept once (by UID); the records are matched (`matching.match`); each record
still missing is looked up once by its UID or accession number with no date (a modality with a wrong clock,
or a study dated by its order), so "missing" means not in the archive at all; studies found that way are
noted "outside the window" and never counted as not logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from .config import VARIABLES, ArchiveConfig
from .errors import ArchiveError, Failure
from .matching import Bucket, Match, Matching, match
from .studies import ArchiveStudy, ExpectedStudy
from .windows import Window, WindowPlanner, local_spans

if TYPE_CHECKING:
    from .dimse import DimseArchive, FindAnswer
    from .qido import QidoArchive

logger = logging.getLogger(__name__)

WINDOW_LIMIT = 5_000  # studies held from one window when the archive's cap is not known
MAX_LOOKUPS = 500  # records still missing after the sweep that are looked up one by one
FORMAT_VERSION = 1


class Archive(Protocol):
    """What a run needs of an archive connection (DimseArchive, QidoArchive)."""

    def find(
        self, *, study_date: str = "", study_time: str = "", accession: str = "", study_uid: str = "", limit: int
    ) -> FindAnswer: ...

    def close(self) -> None: ...


def connect(config: ArchiveConfig, *, deadline: float | None = None) -> DimseArchive | QidoArchive:
    """An open connection to the configured archive, by the configured query protocol."""
    # pynetdicom and the DICOMweb client load here: only the processes that query an archive pay for them.
    from .dimse import DimseArchive
    from .qido import QidoArchive

    if config.via == "qido":
        return QidoArchive(config, deadline=deadline).open()
    return DimseArchive(config, deadline=deadline).open()


@dataclass(frozen=True)
class EchoResult:
    """The archive answered: the round trip, and whether it will answer our study queries."""

    milliseconds: float
    queries_allowed: bool
    archive: str


def echo(config: ArchiveConfig) -> EchoResult:
    """C-ECHO (or, for DICOMweb only, one small QIDO-RS search); ArchiveError if the archive does not answer."""
    from .dimse import DimseArchive
    from .qido import QidoArchive

    if config.host:
        with DimseArchive(config, find=False) as archive:
            return EchoResult(archive.echo(), archive.find_accepted, config.describe())
    with QidoArchive(config) as web:
        return EchoResult(web.echo(), True, config.describe())


@dataclass(frozen=True, slots=True)
class WindowQuery:
    """One query window asked: its label, how many studies came back, whether capped (then split) or kept."""

    window: str
    studies: int
    capped: bool
    kept: bool
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "studies": self.studies,
            "capped": self.capped,
            "kept": self.kept,
            "seconds": round(self.seconds, 4),
        }


@dataclass
class Reconciliation:
    """The outcome of one run, complete or failed; `to_json()` is what to store."""

    start: datetime
    end: datetime
    archive: str
    via: str
    time_zone: str
    expected: int
    started_at: datetime
    finished_at: datetime | None = None
    matching: Matching | None = None
    failure: ArchiveError | None = None
    windows: list[WindowQuery] = field(default_factory=list)
    lookups: int = 0
    archive_studies: int = 0
    unreadable: int = 0
    warnings: list[str] = field(default_factory=list)
    query_seconds: float = 0.0
    match_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failure is None and self.matching is not None

    @property
    def clean(self) -> bool:
        return self.ok and self.matching is not None and self.matching.clean

    @property
    def duration(self) -> float:
        return ((self.finished_at or self.started_at) - self.started_at).total_seconds()

    @property
    def counts(self) -> dict[str, int]:
        return self.matching.counts() if self.matching else {}

    def digest(self) -> str:
        """A hash of the outcome alone (buckets, notes, not-logged studies; no timings): equal runs, equal digests."""
        payload = {
            "failure": str(self.failure.kind) if self.failure else None,
            "matches": [
                (m.expected.record_id, str(m.bucket), m.study.study_uid if m.study else "", m.note)
                for m in (self.matching.matches if self.matching else ())
            ],
            "not_logged": [s.study_uid for s in (self.matching.unlogged if self.matching else ())],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def to_json(self) -> dict[str, Any]:
        matching = self.matching
        return {
            "format": FORMAT_VERSION,
            "ok": self.ok,
            "clean": self.clean,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": round(self.duration, 3),
            "query_seconds": round(self.query_seconds, 3),
            "match_seconds": round(self.match_seconds, 4),
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat(), "time_zone": self.time_zone},
            "archive": self.archive,
            "via": self.via,
            "expected": self.expected,
            "archive_studies": self.archive_studies,
            "counts": self.counts,
            "buckets": {str(b): [m.to_json() for m in matching.bucket(b)] for b in Bucket} if matching else {},
            "not_logged": [s.to_json() for s in matching.unlogged] if matching else [],
            "failure": self.failure.to_json() if self.failure else None,
            "windows": [w.to_json() for w in self.windows],
            "lookups": self.lookups,
            "unreadable": self.unreadable,
            "warnings": self.warnings,
            "digest": self.digest(),
        }


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Part:
    """What one association found over its share of the days."""

    found: dict[str, ArchiveStudy] = field(default_factory=dict)
    windows: list[WindowQuery] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unreadable: int = 0


def _sweep_days(archive: Archive, config: ArchiveConfig, spans: list[Window], stop: threading.Event) -> _Part:
    planner = WindowPlanner(spans, min_width=config.min_window_seconds, cap_hint=config.result_cap)
    limit = config.result_cap or WINDOW_LIMIT
    part = _Part()
    while not stop.is_set() and (window := planner.next()) is not None:
        asked = time.perf_counter()
        answer = archive.find(study_date=window.study_date, study_time=window.study_time, limit=limit)
        capped = answer.capped or bool(config.result_cap and len(answer.studies) >= config.result_cap)
        kept = planner.answered(window, len(answer.studies), capped)
        part.windows.append(WindowQuery(window.label(), len(answer.studies), capped, kept, time.perf_counter() - asked))
        if not kept:
            continue
        part.unreadable += answer.unreadable
        for study in answer.studies:
            part.found.setdefault(study.study_uid, study)
        if len(part.found) > config.max_studies:
            raise _too_many(config)
    part.warnings = [
        f"window {window.label()} still hit the archive's cap at the minimum width "
        f"({config.min_window_seconds} s): studies in it may be missing from the not-logged list"
        for window in planner.unsplittable
    ]
    return part


def _too_many(config: ArchiveConfig) -> ArchiveError:
    return ArchiveError(
        Failure.TOO_LARGE,
        f"The archive holds more than {config.max_studies:,} studies in the window; the run was stopped",
        hint=f"{VARIABLES['max_studies']} sets the bound",
    )


def sweep(
    archive: Archive,
    config: ArchiveConfig,
    start: datetime,
    end: datetime,
    run: Reconciliation,
    *,
    opener: Callable[..., Archive] | None = None,
    deadline: float | None = None,
) -> dict[str, ArchiveStudy]:
    """Every study in the window, once each, by UID; the windows asked go to `run.windows`.

    With `opener`, the days are shared between up to CONTINGENCY_ARCHIVE_ASSOCIATIONS associations asked in
    parallel (the archive computes one answer while we read another); the first failure stops them all."""
    spans = local_spans(start, end, config.zone)
    n = max(1, min(config.associations if opener else 1, len(spans)))
    stop = threading.Event()

    def work(i: int) -> _Part:
        if i == 0:
            return _sweep_days(archive, config, spans[0::n], stop)
        assert opener is not None
        extra = opener(config, deadline=deadline)
        try:
            return _sweep_days(extra, config, spans[i::n], stop)
        finally:
            extra.close()

    if n == 1:
        parts = [work(0)]
    else:
        with ThreadPoolExecutor(n, thread_name_prefix="archive-query") as pool:
            futures = [pool.submit(work, i) for i in range(n)]
            wait(futures, return_when=FIRST_EXCEPTION)
            stop.set()  # the others stop at their next window if one failed; done otherwise
            parts = [future.result() for future in futures]
    found: dict[str, ArchiveStudy] = {}
    for part in parts:
        run.unreadable += part.unreadable
        run.warnings.extend(part.warnings)
        run.windows.extend(part.windows)
        for uid, study in part.found.items():
            found.setdefault(uid, study)
    if len(found) > config.max_studies:
        raise _too_many(config)
    run.windows.sort(key=lambda w: w.window)
    return found


def _look_up(
    archive: Archive, matching: Matching, found: dict[str, ArchiveStudy], run: Reconciliation, max_lookups: int
) -> set[str]:
    """Look up each record still missing by UID, else accession, with no date; the UIDs found that way."""
    outside: set[str] = set()
    missing = [
        m.expected for m in matching.bucket(Bucket.MISSING) if m.expected.study_uid or m.expected.accession_number
    ]
    for record in missing[:max_lookups]:
        run.lookups += 1
        studies = archive.find(study_uid=record.study_uid, limit=10).studies if record.study_uid else []
        if not studies and record.accession_number:
            studies = archive.find(accession=record.accession_number, limit=10).studies
        for study in studies:
            if study.study_uid not in found:
                found[study.study_uid] = study
                outside.add(study.study_uid)
    if len(missing) > max_lookups:
        run.warnings.append(
            f"{len(missing) - max_lookups} missing records were not looked up one by one (only the first "
            f"{max_lookups} are); some may be in the archive outside the window"
        )
    return outside


def _outside_noted(matching: Matching, outside: set[str]) -> Matching:
    def noted(m: Match) -> Match:
        if m.study is None or m.study.study_uid not in outside:
            return m
        where = f"found outside the downtime window (StudyDate {m.study.study_date or 'empty'})"
        return replace(m, note=f"{m.note}; {where}" if m.note else where)

    return Matching(
        tuple(noted(m) for m in matching.matches), tuple(s for s in matching.unlogged if s.study_uid not in outside)
    )


def reconcile(
    expected: Sequence[ExpectedStudy],
    config: ArchiveConfig,
    *,
    start: datetime,
    end: datetime,
    archive: Callable[..., Archive] | None = None,
    max_lookups: int = MAX_LOOKUPS,
    clock: Callable[[], datetime] = _now,
) -> Reconciliation:
    """Query the archive over [start, end], match `expected`, and return the whole outcome (never raises
    for the archive's faults: they are the run's `failure`). `archive(config, deadline=...)` opens the
    connection (default: `connect`)."""
    run = Reconciliation(
        start=start,
        end=end,
        archive=config.describe(),
        via=config.via,
        time_zone=config.time_zone,
        expected=len(expected),
        started_at=clock(),
    )
    deadline = time.monotonic() + config.run_timeout
    opened: Archive | None = None
    try:
        local_spans(start, end, config.zone)  # a bad window is the caller's error, before any connection
    except ValueError as exc:
        run.failure = ArchiveError(Failure.CONFIGURATION, str(exc))
        run.finished_at = clock()
        return run
    try:
        queried = time.perf_counter()
        opened = (archive or connect)(config, deadline=deadline)
        found = sweep(opened, config, start, end, run, opener=archive or connect, deadline=deadline)
        run.query_seconds = time.perf_counter() - queried
        matched = time.perf_counter()
        matching = match(expected, found.values())
        run.match_seconds = time.perf_counter() - matched
        if matching.bucket(Bucket.MISSING):
            queried = time.perf_counter()
            outside = _look_up(opened, matching, found, run, max_lookups)
            run.query_seconds += time.perf_counter() - queried
            if outside:
                matched = time.perf_counter()
                matching = _outside_noted(match(expected, found.values()), outside)
                run.match_seconds += time.perf_counter() - matched
        run.archive_studies = len(found)
        run.matching = matching
    except ArchiveError as exc:
        run.failure = exc
    except Exception as exc:  # a fault in the archive's answers we did not foresee: a failed run, not a crash
        logger.exception("reconciliation failed")
        run.failure = ArchiveError(Failure.PROTOCOL, f"The run failed unexpectedly: {type(exc).__name__}: {exc}")
    finally:
        if opened is not None:
            try:
                opened.close()
            except Exception:
                logger.exception("closing the archive connection")
    if run.failure is not None:
        run.matching = None
    run.finished_at = clock()
    return run
