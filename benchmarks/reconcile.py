"""Benchmark: reconciling 10,000 downtime studies against a real Orthanc that holds them.

Starts Debian's Orthanc (in its own network namespace, as the tests do: ADR 0014), loads --studies
synthetic studies (one header-only instance each, spread over a three-day outage) by C-STORE, and
reconciles the same number of downtime records against it three ways, in the same run, same process:

  windowed    `contingency.downtime.archive.reconcile`: C-FIND over the outage in query windows (a day at
              most, halved when an answer is capped), every study once, matched into buckets
  bulk        one C-FIND of the whole outage (StudyDate range, no time), every answer streamed, then the
              same matching: the floor, when an archive answers everything at once (most cap it)
  per-study   one C-FIND by AccessionNumber for each record, over one association: how a script or a
              person checks a list; run for a --sample of records and extrapolated to all

It prints each time (median of --repeat runs after one warm-up; the per-study sample once), the ratios
(goals: windowed >= 20x faster than per-study, <= 2x bulk), the queries each made, and memory: the peak
Python heap of one windowed reconciliation (tracemalloc, in a separate untimed run) and this process's
peak resident size (goal < 300 MB). With --cap N Orthanc caps every answer at N (LimitFindResults) and the
windowed run is told the cap; the bulk query then cannot return everything, which the output says.

    .venv/bin/python benchmarks/reconcile.py [--studies 10000] [--sample 300] [--repeat 3] [--cap 0] [--json]

Exits 1 (NOT OK) if the windowed run does not find every loaded study present, or Orthanc is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contingency.downtime.archive import ArchiveConfig, Bucket, ExpectedStudy, match, reconcile  # noqa: E402
from contingency.downtime.archive.dimse import DimseArchive  # noqa: E402
from contingency.downtime.archive.localorthanc import (  # noqa: E402
    CALLER_AET,
    LocalOrthanc,
    OrthancOptions,
    orthanc_binary,
)
from contingency.downtime.archive.synthetic import SyntheticStudy, store  # noqa: E402

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 2, 7, 0, tzinfo=LONDON)
HOURS = 72
AET = "BENCH-PACS"


def studies(n: int) -> tuple[list[SyntheticStudy], list[ExpectedStudy]]:
    loaded, expected = [], []
    for k in range(n):
        at = START + timedelta(seconds=HOURS * 3600 * (k + 0.5) / n)
        study = SyntheticStudy(f"BEN{k:07d}", f"RX{k * 7:08d}", at.replace(tzinfo=None), ("CR", "CT", "MR")[k % 3])
        loaded.append(study)
        expected.append(
            ExpectedStudy(f"DT-{k:06d}", study.accession_number, study.patient_id, expected_instances=1, done_at=at)
        )
    return loaded, expected


def median_of(runs: list[float]) -> float:
    return statistics.median(runs) if runs else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--studies", type=int, default=10_000, help="studies loaded and records reconciled (10000)")
    parser.add_argument("--sample", type=int, default=300, help="records the per-study loop queries (300)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of windowed and bulk (3)")
    parser.add_argument("--cap", type=int, default=0, help="Orthanc's LimitFindResults (0: no cap)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if orthanc_binary() is None:
        print(
            "NOT OK: Orthanc is not installed (Debian package orthanc; scripts/setup.sh installs it)", file=sys.stderr
        )
        return 1

    loaded, expected = studies(args.studies)
    end = START + timedelta(hours=HOURS)
    workdir = Path(tempfile.mkdtemp(prefix="orthanc-bench-"))
    try:
        with LocalOrthanc(workdir, OrthancOptions(aet=AET, limit_find_results=args.cap, dicomweb=False)) as orthanc:
            began = time.perf_counter()
            stored = store(
                loaded,
                host="127.0.0.1",
                port=orthanc.dicom_port,
                called_aet=AET,
                calling_aet=CALLER_AET,
                associations=2,
            )
            load_seconds = time.perf_counter() - began
            config = ArchiveConfig(
                host="127.0.0.1",
                port=orthanc.dicom_port,
                called_aet=AET,
                result_cap=args.cap,
                query_timeout=120,
                run_timeout=3600,
            )
            figures = measure(args, config, expected, end)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    figures.update(
        studies=args.studies,
        instances_stored=stored,
        load_seconds=round(load_seconds, 2),
        cap=args.cap,
        cores=os.cpu_count(),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    )
    ok = figures["windowed_present"] == args.studies
    if args.json:
        print(json.dumps({**figures, "ok": ok}))
    else:
        report(figures)
    if not ok:
        print(f"NOT OK: the windowed run found {figures['windowed_present']} of {args.studies} studies present")
        return 1
    return 0


def measure(
    args: argparse.Namespace, config: ArchiveConfig, expected: list[ExpectedStudy], end: datetime
) -> dict[str, Any]:
    windowed: list[float] = []
    bulk: list[float] = []
    run = None
    bulk_count = 0
    bulk_capped = False
    for attempt in range(args.repeat + 1):  # the first of each is a warm-up
        began = time.perf_counter()
        run = reconcile(expected, config, start=START, end=end)
        if attempt:
            windowed.append(time.perf_counter() - began)
        assert run.ok, run.failure

        began = time.perf_counter()
        with DimseArchive(config) as archive:
            answer = archive.find(
                study_date=f"{START.strftime('%Y%m%d')}-{end.strftime('%Y%m%d')}", limit=args.studies * 2
            )
        matching = match(expected, answer.studies)
        if attempt:
            bulk.append(time.perf_counter() - began)
        bulk_count, bulk_capped = len(answer.studies), answer.capped
        assert matching.counts()["present"] == bulk_count or bulk_capped

    sample = expected[:: max(1, len(expected) // max(1, args.sample))][: args.sample]
    began = time.perf_counter()
    found = 0
    with DimseArchive(config) as archive:
        for record in sample:
            found += len(archive.find(accession=record.accession_number, limit=10).studies)
    per_query = (time.perf_counter() - began) / max(1, len(sample))
    per_study_total = per_query * len(expected)

    tracemalloc.start()
    reconcile(expected, config, start=START, end=end)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert run is not None
    w, b = median_of(windowed), median_of(bulk)
    return {
        "windowed_seconds": round(w, 3),
        "windowed_max_seconds": round(max(windowed), 3),
        "windowed_queries": len(run.windows) + run.lookups,
        "windowed_capped_windows": sum(q.capped for q in run.windows),
        "windowed_present": run.counts.get(str(Bucket.PRESENT), 0),
        "bulk_seconds": round(b, 3),
        "bulk_studies": bulk_count,
        "bulk_capped": bulk_capped,
        "per_study_sample": len(sample),
        "per_study_found": found,
        "per_study_ms_each": round(per_query * 1000, 2),
        "per_study_seconds_extrapolated": round(per_study_total, 1),
        "ratio_per_study_over_windowed": round(per_study_total / w, 1) if w else None,
        "ratio_windowed_over_bulk": round(w / b, 2) if b else None,
        "heap_peak_mb": round(heap_peak / 1048576, 1),
        "repeat": args.repeat,
    }


def report(f: dict[str, Any]) -> None:
    print(
        f"{f['studies']} studies loaded into Orthanc ({f['instances_stored']} instances by C-STORE in {f['load_seconds']} s), "
        f"{f['studies']} downtime records; LimitFindResults {f['cap'] or 'none'}; {f['cores']} cores"
    )
    print(
        f"windowed (this product): {f['windowed_seconds']:.2f} s median of {f['repeat']} (slowest "
        f"{f['windowed_max_seconds']:.2f} s), {f['windowed_queries']} queries "
        f"({f['windowed_capped_windows']} capped and split), {f['windowed_present']} present"
    )
    capped = " - CAPPED by the archive, so it cannot prove anything" if f["bulk_capped"] else ""
    print(f"bulk (one query of the whole window): {f['bulk_seconds']:.2f} s, {f['bulk_studies']} studies{capped}")
    print(
        f"per-study C-FIND loop: a {f['per_study_sample']}-record sample at {f['per_study_ms_each']} ms each "
        f"-> {f['studies']} records in ~{f['per_study_seconds_extrapolated']} s (extrapolated)"
    )
    bulk_ratio = (
        "no ratio to the bulk query: its answer was capped"
        if f["bulk_capped"]
        else f"{f['ratio_windowed_over_bulk']}x the bulk query (goal <= 2x)"
    )
    print(f"ratio: {f['ratio_per_study_over_windowed']}x faster than the per-study loop (goal >= 20x); {bulk_ratio}")
    print(
        f"memory: peak Python heap of one reconciliation {f['heap_peak_mb']} MB; "
        f"peak resident size of this process {f['peak_rss_mb']} MB (goal < 300 MB)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
