"""The incidents benchmark runs: at a tiny scale it sets up, measures and prints its figures.

No timings are asserted (benchmarks print ratios; they are not timed tests). The script sets up
its own throw-away database in a child process, so it never touches the test database.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.database import TEMPLATE
from benchmarks.incidents import PER_PLAN, plan_data
from contingency.plans.validate import validate_data

pytestmark = pytest.mark.slow  # seconds each: run first (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "incidents.py"


@pytest.fixture(autouse=True)
def start_migrated(migrated_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks' SQLite databases start as copies of the run's one migrated database (and `migrate`
    then finds nothing to do): the migrations cost seconds of CPU and are not what these runs test."""
    monkeypatch.setenv(TEMPLATE, str(migrated_sqlite))


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


PAGES_SCRIPT = ROOT / "benchmarks" / "pages.py"


def test_pages_benchmark_tiny_run_serves_every_user_and_prints_its_ratios():
    result = subprocess.run(
        [sys.executable, str(PAGES_SCRIPT), "--users", "4", "--duration", "1", "--plans", "3", "--poll-interval", "1",
         "--poll-duration", "2", "--change-every", "0.5", "--repeat", "1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "4 signed-in users, 2 web processes (contingency serve)" in out
    assert "static: the same bytes from waitress on the same processes and socket" in out
    lines = {line.split("  ")[0].strip(): line for line in out.splitlines() if "of a core" in line}
    for name in ("what do I do", "live page", "polls, no change", "polls, changing", "opening at once"):
        assert name in lines, out
        assert " 4/4 " in lines[name], lines[name]  # every user served
    assert "NOT OK" not in out
    ratio = re.search(r"(\d+\.\d+)\s+\d+\.\d+ of a core", lines["what do I do"])
    assert ratio is not None and float(ratio.group(1)) > 0, lines["what do I do"]  # the ratio to the static baseline
    assert "0 changes to the incident; 304s: " in out and "the server used" in out
    assert "dashboard, 3 plans (in process):" in out and "report:" in out and "invoke:" in out


STATUS_SCRIPT = ROOT / "benchmarks" / "status.py"


def test_status_benchmark_tiny_run_serves_both_servers_and_publishes_everywhere():
    result = subprocess.run(
        [sys.executable, str(STATUS_SCRIPT), "--clients", "5", "--duration", "0.5", "--updates", "1", "--poll", "0.2"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "baseline: the same bytes and ETag from a static server" in out
    lines = [line.split() for line in out.splitlines()]
    served = [words for words in lines if words[:1] in (["product"], ["static"])]
    assert len(served) == 4 and all("requests/s" in words for words in served), out
    assert "(304:" in out and "of the static server's requests/s" in out
    for target in ("directory", "s3", "git"):
        assert any(words[:2] == [target, "median"] for words in lines), out
    assert "goal: every update published within 60 s -> OK" in out


PACKS_SCRIPT = ROOT / "benchmarks" / "packs.py"


def test_packs_benchmark_tiny_run_prints_its_ratio_memory_and_html_size():
    result = subprocess.run(
        [sys.executable, str(PACKS_SCRIPT), "--plans", "1", "--functions", "1"],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "1 plans of 1 functions, one numbered copy each" in out
    assert "baseline: WeasyPrint alone on the same print and forms HTML, same process, interleaved" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "x the baseline (goal <= 1.2x)" in lines["ratio"]
    assert "peak RSS" in lines["memory"] and "MiB" in lines["memory"]
    assert "single file per plan:" in lines["html"] and "bytes" in lines["html"]


PROBES_SCRIPT = ROOT / "benchmarks" / "probes.py"


def test_probes_benchmark_tiny_run_prints_its_figures_and_exits_0():
    result = subprocess.run(
        [sys.executable, str(PROBES_SCRIPT), "--runs", "20", "--hours", "0.5"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "baseline: one site alone, same rules, same run" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "within the goal of 2" in lines["detection"]
    assert "false alarms:" in out and "the naive rule:" in out


def test_probes_benchmark_json_and_bad_arguments():
    done = subprocess.run(
        [sys.executable, str(PROBES_SCRIPT), "--runs", "5", "--hours", "0.2", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout)
    assert set(figures["detection"]) == {"median", "p95", "max", "withinGoal"}
    assert figures["falseAlarms"]["opened"] >= 0
    bad = subprocess.run(
        [sys.executable, str(PROBES_SCRIPT), "--loss", "1.5"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert bad.returncode == 2 and "--loss" in bad.stderr


def test_the_compliance_benchmark_tiny_run_prints_its_figures_and_exits_0():
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compliance.py"), "--plans", "2", "--years", "1", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "compliance view: 2 plans, 1 years of records" in out
    assert "baseline: one plan with the same records, same code, same process" in out
    for operation in ("statuses", "index page", "framework page"):
        assert operation in out and "x" in out.split(operation, 1)[1].splitlines()[0], out
    assert "N+1: none" in out, out
