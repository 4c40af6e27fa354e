"""A reconciliation run killed with SIGKILL mid-query keeps nothing; run again, it keeps one run, whole, with the
digest of an uninterrupted run and no duplicate rows.

`contingency downtime reconcile --org ORG INCIDENT` runs in a process of its own, on a database of its own
(a temporary SQLite file, or a fresh PostgreSQL database when DATABASE_URL points to one); the archive's answers
are held at the forwarder once some have passed, so the command is certainly mid-query when killed (progress,
not time).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.chaos import WorkerDatabase, environment

from .reconcile_support import archive_environ
from .support.orthanc import LoadedArchive

pytestmark = [pytest.mark.subprocess_db, pytest.mark.slow]

SCRIPT = str(ROOT / "tests" / "support" / "reconcile_kill.py")


def test_killed_mid_run_then_run_again(archive: LoadedArchive, tmp_path: Path, migrated_sqlite: Path) -> None:
    database = WorkerDatabase(tmp_path, "contingency_reconcile_kill", migrated_sqlite)
    try:
        env = environment(database, **archive_environ(archive))

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True)

        seeded = run(SCRIPT, "seed")
        assert seeded.returncode == 0, seeded.stderr
        number = seeded.stdout.split("incident=", 1)[1].split()[0]
        command = ["-m", "contingency.cli", "downtime", "reconcile", "--org", "northwick-general", number]
        forwarder = archive.orthanc.dicom
        assert forwarder is not None
        forwarder.pause_after(20_000)
        killed = subprocess.Popen(
            [sys.executable, *command], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        try:
            while not forwarder.wait_paused(timeout=0.5):  # mid-query, or the command ended before it got there
                assert killed.poll() is None, killed.communicate()[1]
            killed.kill()
            killed.wait()
        finally:
            forwarder.resume()
        assert killed.returncode == -9
        nothing = json.loads(run(SCRIPT, "dump").stdout)
        assert (nothing["runs"], nothing["outcomes"], nothing["unlogged"]) == ([], 0, 0)

        again = run(*command)
        assert again.returncode == 1, again.stderr  # the planted discrepancies
        assert again.stdout.startswith(f"run 1 of incident #{number}: 502 looked for")
        kept = json.loads(run(SCRIPT, "dump").stdout)
        [only] = kept["runs"]
        assert (only["number"], only["status"], only["outcomes"]) == (1, "ok", 502)
        assert (kept["outcomes"], kept["unlogged"]) == (502, 5)
        differ = {
            key: (bucket, kept["reference_buckets"].get(key))
            for key, bucket in kept["run_buckets"].items()
            if kept["reference_buckets"].get(key) != bucket
        }
        assert only["digest"] == kept["reference"], f"records in another bucket (run, reference): {differ}"
    finally:
        database.drop()
