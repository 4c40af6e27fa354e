"""A reconciliation killed with SIGKILL mid-query leaves nothing behind; run again, it gives the same result.

The archive's answers are held at the forwarder once some have passed, so the command is certainly in the
middle of its queries when it is killed (progress, not time).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from contingency.downtime.archive import reconcile

from ..support.orthanc import WINDOW_END, WINDOW_START, LoadedArchive
from .test_cli_archive import write_log


def _command(log: Path, output: Path) -> list[str]:
    window = ["--from", WINDOW_START.isoformat(), "--to", WINDOW_END.isoformat()]
    return [
        sys.executable,
        "-m",
        "contingency.cli",
        "downtime",
        "reconcile",
        "--csv",
        str(log),
        *window,
        "--output",
        str(output),
    ]


def test_killed_mid_query_then_run_again(archive: LoadedArchive, tmp_path: Path):
    env = {
        **os.environ,
        "CONTINGENCY_ARCHIVE_HOST": "127.0.0.1",
        "CONTINGENCY_ARCHIVE_PORT": str(archive.orthanc.dicom_port),
        "CONTINGENCY_ARCHIVE_CALLED_AET": "ARCHIVE",
        "CONTINGENCY_ARCHIVE_RESULT_CAP": "50",
    }
    log, output = write_log(tmp_path / "log.csv", archive), tmp_path / "run.json"
    forwarder = archive.orthanc.dicom
    assert forwarder is not None
    forwarder.pause_after(20_000)
    killed = subprocess.Popen(_command(log, output), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        forwarder.wait_paused()
        killed.kill()
        killed.wait()
    finally:
        forwarder.resume()
    assert killed.returncode == -9
    assert list(tmp_path.iterdir()) == [log]  # no result, not even half of one

    again = subprocess.run(_command(log, output), env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 1, again.stderr  # discrepancies (the planted ones)
    expected = reconcile(archive.scenario.expected, archive.config(), start=WINDOW_START, end=WINDOW_END)
    assert json.loads(output.read_text())["digest"] == expected.digest()
