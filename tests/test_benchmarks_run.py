"""The incidents benchmark runs: at a tiny scale it sets up, measures and prints its figures.

No timings are asserted (benchmarks print ratios; they are not timed tests). The script sets up
its own throw-away database in a child process, so it never touches the test database.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.incidents import PER_PLAN, plan_data
from contingency.plans.validate import validate_data

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "incidents.py"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300, cwd=ROOT, check=False
    )


def test_generated_plan_is_valid_and_shaped_like_the_pacs_plan():
    document = validate_data(plan_data(("bench-trust", "Benchmark Trust"), 3, PER_PLAN))
    assert len(document.functions) == PER_PLAN
    assert [t.id for t in document.triggers] == ["tp1", "tp2", "tp3", "tp4"]
    steps = [s for p in document.procedures for s in p.steps]
    assert {s.when.value for s in steps} == {"always", "in-hours", "out-of-hours"}
    assert any(s.instead_of for s in steps)
    assert document.suppliers and document.sites and document.lists


def test_tiny_run_prints_its_figures_and_exits_0():
    result = run("--incidents", "3", "--functions", "10", "--repeat", "1")
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "3 open incidents over 1 plans (10 functions)" in out
    assert "baseline: one incident over one plan, same code, same process" in out
    assert "set-up" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for operation in ("ranking", "page"):
        assert operation in lines, out
        assert "x" in lines[operation]  # the ratio column
    assert "N+1: none" in out, out


def test_an_existing_database_is_refused_and_left_alone(tmp_path):
    existing = tmp_path / "keep.sqlite3"
    existing.write_bytes(b"not ours")
    result = run("--database-url", f"sqlite:///{existing}", "--incidents", "1", "--functions", "1")
    assert result.returncode != 0
    assert "exists" in result.stderr
    assert existing.read_bytes() == b"not ours"


NOTIFY_SCRIPT = ROOT / "benchmarks" / "notify.py"


def test_notify_benchmark_tiny_run_reaches_everyone_within_the_rate_limit():
    result = subprocess.run(
        [sys.executable, str(NOTIFY_SCRIPT), "--recipients", "300", "--rate", "6000", "--delay", "0.02", "--sample", "40"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "300 recipients, each sent a text and an e-mail: 600 messages written straight into the outbox" in out
    assert "everyone reached (all 600 messages accepted) in " in out
    assert "of the 6000/min limit (target >= 0.90, never above 1.0)" in out
    assert "answers refused by the fake's own limit (429): 0" in out
    assert "a 40-message sample (20 texts, 20 e-mails)" in out and "(extrapolated)" in out
    assert "x the one-at-a-time sender's speed" in out
    assert "rows: 600 sent; 0 retried; 0 marked maybe_duplicate" in out


RECONCILE_SCRIPT = ROOT / "benchmarks" / "reconcile.py"


def test_reconcile_benchmark_tiny_run_prints_its_figures():
    from .support.orthanc import skip_without_orthanc

    skip_without_orthanc()
    result = subprocess.run(
        [sys.executable, str(RECONCILE_SCRIPT), "--studies", "200", "--sample", "20", "--repeat", "1"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert out.startswith("200 studies loaded into Orthanc (200 instances by C-STORE in ")
    assert "windowed (this product): " in out and ", 200 present" in out
    assert "bulk (one query of the whole window): " in out and ", 200 studies" in out
    assert "a 20-record sample at " in out and "(extrapolated)" in out
    assert "x faster than the per-study loop (goal >= 20x); " in out and "x the bulk query (goal <= 2x)" in out
    assert "peak resident size of this process " in out
