"""`contingency downtime ...`: the imaging archive - test the connection, reconcile a downtime log, list a CD.

The archive comes from CONTINGENCY_ARCHIVE_* variables (docs/operator-guide.md). Exit codes: 0 done (and, for
reconcile, clean); 1 reconcile found discrepancies; 2 bad input or configuration, nothing done; 3 the archive
could not be reached or failed mid-run (nothing recorded).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from .common import EXIT_INVALID, _error

if TYPE_CHECKING:
    from ..downtime.archive import ArchiveConfig, ArchiveError, ExpectedStudy, Reconciliation

EXIT_DISCREPANCIES = 1
EXIT_ARCHIVE = 3


@click.group()
def archive() -> None:
    """The imaging archive's commands; contingency/cli/__init__.py adds them to `contingency downtime`."""


def _config() -> ArchiveConfig:
    import logging

    from ..downtime.archive import ArchiveConfigError, load_config

    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # our own messages say what went wrong
    try:
        config = load_config(os.environ)
    except ArchiveConfigError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s) in the archive configuration.", err=True)
        sys.exit(EXIT_INVALID)
    if config is None:
        _error("CONTINGENCY_ARCHIVE_HOST", "no archive is configured (set it, or CONTINGENCY_ARCHIVE_DICOMWEB_URL)")
    return config


def _failed(error: ArchiveError) -> NoReturn:
    click.echo(f"error: {error.message}", err=True)
    if error.hint:
        click.echo(f"hint: {error.hint}", err=True)
    sys.exit(EXIT_ARCHIVE)


@archive.command()
def echo() -> None:
    """Test the archive connection (DICOM C-ECHO; QIDO-RS when only DICOMweb is configured)."""
    from ..downtime.archive import ArchiveError
    from ..downtime.archive import echo as echo_archive

    config = _config()
    try:
        result = echo_archive(config)
    except ArchiveError as exc:
        _failed(exc)
    click.echo(f"The archive answered in {result.milliseconds:.1f} ms: {result.archive}")
    if not result.queries_allowed:
        click.echo("warning: it does not accept our study queries (Study Root C-FIND): reconciliation will fail")
        sys.exit(EXIT_ARCHIVE)


def _moment(value: str | None, option: str, config: ArchiveConfig) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _error(option, f"{value!r} is not a date and time such as 2026-03-02T07:00")
    return moment if moment.tzinfo else moment.replace(tzinfo=config.zone)


def _expected(csv_path: Path | None, dicomdir: Path | None, label: str, config: ArchiveConfig) -> list[ExpectedStudy]:
    from ..downtime.archive import DicomdirError, expected_from_cd, read_dicomdir
    from ..downtime.archive.csvinput import CsvError, read_expected

    if (csv_path is None) == (dicomdir is None):
        _error("--csv", "give the downtime log (--csv FILE) or a CD (--dicomdir PATH), one of them")
    try:
        if csv_path is not None:
            return read_expected(csv_path, zone=config.zone)
        assert dicomdir is not None
        return expected_from_cd(read_dicomdir(dicomdir), label=label or f"CD {dicomdir.name}", zone=config.zone)
    except CsvError as exc:
        for problem in exc.problems:
            click.echo(problem, err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was reconciled.", err=True)
        sys.exit(EXIT_INVALID)
    except DicomdirError as exc:
        _error("--dicomdir", str(exc))


def _write_atomically(path: Path, text: str) -> None:
    """All or nothing: a run killed while writing leaves no half file behind."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@archive.command()
@click.argument("incident", required=False, type=click.IntRange(min=1))
@click.option("--org", "org_slug", help="With INCIDENT: the organisation; the run is kept with the incident.")
@click.option("--as", "username", help="With INCIDENT: the member running it (a username).")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), help="The downtime log typed up (see the guide).")
@click.option("--dicomdir", type=click.Path(path_type=Path), help="A CD's top folder, or its DICOMDIR file.")
@click.option("--label", default="", help="What to call the CD in the result (with --dicomdir).")
@click.option("--from", "start_text", help="Start of the downtime window (default: the first record, less --margin).")
@click.option("--to", "end_text", help="End of the downtime window (default: the last record, plus --margin).")
@click.option("--margin", default=60, show_default=True, help="Minutes added either side of the records' times.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole result as JSON.")
@click.option("--output", type=click.Path(path_type=Path), help="Also write the JSON result to this file.")
def reconcile(
    incident: int | None,
    org_slug: str | None,
    username: str | None,
    csv_path: Path | None,
    dicomdir: Path | None,
    label: str,
    start_text: str | None,
    end_text: str | None,
    margin: int,
    as_json: bool,
    output: Path | None,
) -> None:
    """Prove the downtime's studies reached the archive: missing, mismatched, and not logged.

    `--org ORG INCIDENT` reconciles the incident's downtime records over its downtime and keeps the run (as
    "Check the archive" does); `--csv` or `--dicomdir` reconciles a log or a CD and keeps nothing."""
    if incident is not None or org_slug is not None:
        if incident is None or org_slug is None:
            _error("--org", "give the organisation and the incident: --org ORG INCIDENT")
        if csv_path is not None or dicomdir is not None:
            _error(
                "--csv", "reconcile an incident's records (--org ORG INCIDENT) or a file (--csv, --dicomdir), not both"
            )
        if start_text or end_text:
            _error("--from", "an incident's run covers its downtime: --from and --to are for a file")
        _incident_run(org_slug, incident, username, as_json, output)
        return
    from ..downtime.archive import reconcile as run_reconciliation

    config = _config()
    expected = _expected(csv_path, dicomdir, label, config)
    start, end = _moment(start_text, "--from", config), _moment(end_text, "--to", config)
    times = [e.done_at for e in expected if e.done_at is not None]
    if start is None or end is None:
        if not times:
            _error("--from", "the records have no times: give the downtime window with --from and --to")
        start = start or min(times) - timedelta(minutes=margin)
        end = end or max(times) + timedelta(minutes=margin)
    if end < start:
        _error("--to", f"the window ends ({end.isoformat()}) before it starts ({start.isoformat()})")
    run = run_reconciliation(expected, config, start=start, end=end)
    data = run.to_json()
    if output is not None:
        _write_atomically(output, json.dumps(data, indent=2) + "\n")
    if as_json:
        click.echo(json.dumps(data, indent=2))
    if run.failure is not None:
        _failed(run.failure)
    assert run.matching is not None
    if not as_json:
        click.echo(f"{len(expected)} records, window {start.isoformat()} to {end.isoformat()}, {run.archive}")
        _print_outcome(run)
    sys.exit(0 if run.clean else EXIT_DISCREPANCIES)


def _print_outcome(run: Reconciliation) -> None:
    from ..downtime.archive import BUCKET_LABELS, Bucket

    assert run.matching is not None
    click.echo(
        f"{run.archive_studies} studies in the archive, {len(run.windows)} queries, "
        f"{run.lookups} look-ups, {run.duration:.1f} s"
    )
    for bucket in Bucket:
        click.echo(f"  {BUCKET_LABELS[bucket]}: {run.counts[str(bucket)]}")
    click.echo(f"  in the archive but not logged: {len(run.matching.unlogged)}")
    for m in run.matching.matches:
        if m.bucket != Bucket.PRESENT:
            e = m.expected
            line = f"{m.bucket}: {e.record_id} accession {e.accession_number or '-'} patient {e.patient_id or '-'}"
            click.echo(line + (f" - {m.note}" if m.note else ""))
    for s in run.matching.unlogged:
        click.echo(
            f"not logged: {s.study_date} {s.study_time[:6]} accession {s.accession_number or '-'} "
            f"patient {s.patient_id or '-'} {'/'.join(s.modalities)} {s.study_uid}"
        )
    for warning in run.warnings:
        click.echo(f"warning: {warning}")


def _incident_run(org_slug: str, number: int, username: str | None, as_json: bool, output: Path | None) -> None:
    """An incident's records reconciled through the service, the run kept; its counts, or the failure."""
    import logging

    from .common import refusals
    from .downtime import _incident, _member

    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # our own messages say what went wrong
    found = _incident(org_slug, number)  # Django is set up from here on
    actor = _member(found.organisation, username)
    from ..downtime.archive import BUCKET_LABELS, Bucket
    from ..downtime.models import RunStatus
    from ..downtime.reconciliation import run_reconciliation

    with refusals({}, otherwise="CONTINGENCY_ARCHIVE_HOST"):
        run = run_reconciliation(incident=found, actor=actor, via="command line")
    if output is not None:
        _write_atomically(output, json.dumps(run.result, indent=2) + "\n")
    if as_json:
        click.echo(json.dumps(run.result, indent=2))
    if run.status == RunStatus.FAILED:
        click.echo(f"error: {run.failure}", err=True)
        click.echo(f"run {run.number} of incident #{found.number} is recorded as failed", err=True)
        sys.exit(EXIT_ARCHIVE)
    if not as_json:
        click.echo(
            f"run {run.number} of incident #{found.number}: {run.expected} looked for, window "
            f"{run.window_start.isoformat()} to {run.window_end.isoformat()}, {run.archive}"
        )
        counts = run.result["counts"]
        for bucket in Bucket:
            click.echo(f"  {BUCKET_LABELS[bucket]}: {counts[str(bucket)]}")
        click.echo(f"  in the archive but not logged: {run.not_logged}")
        click.echo("clean" if run.is_clean else f"{run.problems} to put right: see the run's report")
    sys.exit(0 if run.is_clean else EXIT_DISCREPANCIES)


@archive.command("cd")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", help="With --incident and --record: the organisation.")
@click.option("--incident", "number", type=click.IntRange(min=1), help="The incident the CD's record belongs to.")
@click.option("--record", type=click.IntRange(min=1), help="The record of the CD (burnt or received): its number.")
@click.option("--as", "username", help="The member listing it (a username).")
def cd_command(path: Path, org_slug: str | None, number: int | None, record: int | None, username: str | None) -> None:
    """List the patients and studies on a CD (its DICOMDIR); with --org, --incident and --record, list them on the
    CD's record, so that they are reconciled with the rest (all of them, or nothing)."""
    from ..downtime.archive import DicomdirError, read_dicomdir

    attach = (org_slug, number, record)
    if any(v is not None for v in attach) and not all(v is not None for v in attach):
        _error("--record", "to list the CD on its record, give --org, --incident and --record together")
    try:
        studies = read_dicomdir(path)
    except DicomdirError as exc:
        _error("PATH", str(exc))
    for s in studies:
        click.echo(
            f"patient {s.patient_id or '-'}  study {s.study_date} {s.study_time[:6]}  accession "
            f"{s.accession_number or '-'}  {s.series} series, {s.instances} instances  {s.study_uid}"
        )
    click.echo(f"{len(studies)} studies")
    if org_slug is None or number is None or record is None:
        return
    from .common import refusals
    from .downtime import _incident, _member, _record

    found = _incident(org_slug, number)  # Django is set up from here on
    actor = _member(found.organisation, username)
    from ..downtime import cds

    the_record = _record(found, record)
    with refusals({"file": "PATH"}, otherwise="--record"):
        made = cds.list_cd(record=the_record, studies=studies, source=path.name, actor=actor, via="command line")
    click.echo(f"listed {len(made)} studies on record {record} of incident #{found.number}")


@archive.command("demo-archive")
@click.option("--dicom-port", default=4242, show_default=True, help="The DICOM port on 127.0.0.1.")
@click.option("--http-port", default=8042, show_default=True, help="The HTTP (DICOMweb) port on 127.0.0.1.")
@click.option("--from", "start_text", help="Start of the outage (default: the demo outage's, else 36 hours ago).")
@click.option("--to", "end_text", help="End of the outage (default: the demo outage's, else 4 hours ago).")
@click.option("--log", "log_path", type=click.Path(path_type=Path), help="Write the demo downtime log (CSV) here.")
def demo_archive(
    dicom_port: int, http_port: int, start_text: str | None, end_text: str | None, log_path: Path | None
) -> None:
    """Start a local Orthanc holding the demo outage's studies (some missing), until Ctrl-C.

    The outage is the demo incident's (`contingency demo`) when the database has it, so that "Check the archive"
    on its page finds exactly the problems planted here; --from and --to choose another."""
    from ..downtime.archive.config import ArchiveConfig
    from ..downtime.archive.demo import archive_studies, demo_examinations, received_cd, write_log
    from ..downtime.archive.localorthanc import CALLER_AET, LocalOrthanc, LocalOrthancError, OrthancOptions
    from ..downtime.archive.synthetic import store

    zone = ArchiveConfig().zone
    now = datetime.now(zone).replace(minute=0, second=0, microsecond=0)
    start = _moment(start_text, "--from", ArchiveConfig())
    end = _moment(end_text, "--to", ArchiveConfig())
    outage = _demo_outage() if start is None and end is None else None
    if outage is not None:
        start, end = outage.began_at, outage.restored_at
    start = start or now - timedelta(hours=36)
    end = end or now - timedelta(hours=4)
    exams = demo_examinations(start, end)
    orthanc = LocalOrthanc(
        options=OrthancOptions(aet="DEMO-PACS", limit_find_results=25), dicom_port=dicom_port, http_port=http_port
    )
    try:
        orthanc.start()
    except (LocalOrthancError, OSError) as exc:
        _error("orthanc", str(exc))
    try:
        held = archive_studies(exams, zone)
        cd = received_cd(start, zone)  # imported from a CD received during the outage; dated before it
        store([*held, cd], host="127.0.0.1", port=orthanc.dicom_port, called_aet="DEMO-PACS", calling_aet=CALLER_AET)
        if log_path is not None:
            write_log(log_path, exams)
        click.echo(
            f"Demo archive: Orthanc on 127.0.0.1 ({len(held)} studies, {len(exams)} in the downtime log) "
            "and a study imported from a CD"
        )
        click.echo("Set these where `contingency serve` runs (or for `contingency downtime reconcile`):")
        click.echo(f"  export CONTINGENCY_ARCHIVE_HOST=127.0.0.1 CONTINGENCY_ARCHIVE_PORT={orthanc.dicom_port}")
        click.echo(f"  export CONTINGENCY_ARCHIVE_CALLED_AET=DEMO-PACS CONTINGENCY_ARCHIVE_CALLING_AET={CALLER_AET}")
        click.echo("  export CONTINGENCY_ARCHIVE_RESULT_CAP=25 CONTINGENCY_ARCHIVE_SYSTEM=pacs")
        if orthanc.dicomweb_url:
            click.echo(f"  (DICOMweb: CONTINGENCY_ARCHIVE_DICOMWEB_URL={orthanc.dicomweb_url})")
        whose = f" (the demo incident #{outage.number})" if outage is not None else ""
        click.echo(f"Outage window: --from {start.isoformat()} --to {end.isoformat()}{whose}")
        click.echo("Ctrl-C stops it.", nl=True)
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        stop.wait()
    finally:
        orthanc.stop()  # and its temporary storage with it


def _demo_outage() -> Any:
    """The demo outage (an Incident), when the database is set up and has it (nothing is created otherwise)."""
    from .common import _django

    _django()
    from django.conf import settings
    from django.db import DatabaseError

    from ..downtime.demo import outage

    database = settings.DATABASES["default"]
    if "sqlite" in str(database["ENGINE"]) and not Path(str(database["NAME"])).is_file():
        return None  # no database yet: connecting would make an empty one
    try:
        return outage()
    except DatabaseError:  # not migrated, or not reachable: the default window
        return None
