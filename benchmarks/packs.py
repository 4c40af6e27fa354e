"""Benchmark: grab packs for many plans, against WeasyPrint laying out the same HTML with no pack logic.

Generates --plans plans (default 50) shaped like the demo PACS plan (benchmarks/incidents.py's
generator, --functions critical functions each, default 6), then for each plan, in the same run and
interleaved (the order alternates plan by plan, so neither side always runs warm):

  pack       build_plan_pack for one numbered copy: what the pack says (content.py), the single HTML
             file, the print HTML and its PDF, the downtime forms (QR codes) and their PDF, the manifest
             with every file's SHA-256, and the zip
  baseline   WeasyPrint's HTML(string=...).write_pdf() of the same two HTML documents (the print HTML
             and the forms HTML, rendered beforehand, untimed): the PDF work alone

It prints the total and the median per plan of each, the ratio pack / baseline (goal <= 1.2x), the
process's peak memory (peak RSS, and the peak of Python allocations while one pack is built, from
tracemalloc), and the size of the single HTML file per plan (min, median, max). No database is used.

    .venv/bin/python benchmarks/packs.py [--plans 50] [--functions 6] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BUILT = datetime(2026, 11, 20, 10, 4, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()


def plans(count: int, functions: int) -> list[Any]:
    from benchmarks.incidents import plan_data
    from contingency.plans.validate import validate_data

    return [validate_data(plan_data(("bench-trust", "Benchmark Trust"), i, functions)) for i in range(count)]


def baseline_inputs(document: Any) -> list[str]:
    """The two HTML documents the pack lays out as PDFs, rendered the way the pack renders them."""
    from contingency.packs import paperforms, render
    from contingency.packs.build import fallback_forms
    from contingency.packs.content import plan_content
    from contingency.packs.render import CopySpec, PackedPlan

    copy = CopySpec(1, "Holder", "Control room")
    packed = PackedPlan(plan_content(document), BUILT.astimezone(LONDON), BUILT.astimezone(LONDON), copy)
    forms = fallback_forms(BUILT)
    kinds = forms.kinds(document)
    pages = paperforms.form_pages(kinds, forms.ids(document, kinds, copy))
    return [
        render.print_html([packed], title=document.title),
        render.forms_html(packed, pages),
    ]


def run(args: argparse.Namespace) -> dict[str, Any]:
    setup()
    from weasyprint import HTML

    from contingency.packs.build import PlanSource, build_plan_pack
    from contingency.packs.render import CopySpec

    documents = plans(args.plans, args.functions)
    copy = [CopySpec(1, "Holder", "Control room")]
    inputs = [baseline_inputs(d) for d in documents]

    def pack(i: int) -> float:
        started = time.perf_counter()
        built = build_plan_pack(PlanSource(documents[i], BUILT), copies=copy, built_at=BUILT, zone=LONDON)
        elapsed = time.perf_counter() - started
        sizes.append(len(built.files[f"{documents[i].id}-copy-1.html"]))
        return elapsed

    def bare(i: int) -> float:
        started = time.perf_counter()
        for html in inputs[i]:
            HTML(string=html).write_pdf()
        return time.perf_counter() - started

    sizes: list[int] = []
    bare(0)  # warm-up: fonts and WeasyPrint's caches, untimed
    packs_s: list[float] = []
    bare_s: list[float] = []
    for i in range(len(documents)):
        if i % 2:
            bare_s.append(bare(i))
            packs_s.append(pack(i))
        else:
            packs_s.append(pack(i))
            bare_s.append(bare(i))
    tracemalloc.start()
    build_plan_pack(PlanSource(documents[0], BUILT), copies=copy, built_at=BUILT, zone=LONDON)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "plans": len(documents),
        "functionsPerPlan": args.functions,
        "packSeconds": sum(packs_s),
        "baselineSeconds": sum(bare_s),
        "packMedian": statistics.median(packs_s),
        "baselineMedian": statistics.median(bare_s),
        "ratio": sum(packs_s) / sum(bare_s),
        "peakRssMiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "onePackPythonPeakMiB": traced_peak / 2**20,
        "htmlBytes": {"min": min(sizes), "median": int(statistics.median(sizes)), "max": max(sizes)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--plans", type=int, default=50, help="plans to pack (default 50)")
    parser.add_argument("--functions", type=int, default=6, help="critical functions per plan (default 6)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.plans < 1 or args.functions < 1:
        parser.error("--plans and --functions must be at least 1")
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    html = figures["htmlBytes"]
    print(f"{figures['plans']} plans of {figures['functionsPerPlan']} functions, one numbered copy each")
    print("baseline: WeasyPrint alone on the same print and forms HTML, same process, interleaved")
    print(f"pack      {figures['packSeconds']:8.1f} s total, {figures['packMedian']:.2f} s median per plan")
    print(f"baseline  {figures['baselineSeconds']:8.1f} s total, {figures['baselineMedian']:.2f} s median per plan")
    print(f"ratio     {figures['ratio']:.2f}x the baseline (goal <= 1.2x)")
    print(
        f"memory    peak RSS {figures['peakRssMiB']:.0f} MiB; Python allocations while one pack is built "
        f"{figures['onePackPythonPeakMiB']:.0f} MiB at the peak"
    )
    print(
        f"html      single file per plan: {html['min']:,} / {html['median']:,} / {html['max']:,} bytes (min / median / max)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
