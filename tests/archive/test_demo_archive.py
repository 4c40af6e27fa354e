"""`contingency downtime demo-archive`: a local Orthanc with the demo outage's studies, some missing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from ..support.orthanc import printed_until_ready, skip_without_orthanc


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_archive_serves_the_demo_outage_until_interrupted(tmp_path: Path):
    skip_without_orthanc()
    dicom, http = _free_port(), _free_port()
    log = tmp_path / "demo-log.csv"
    command = [sys.executable, "-m", "contingency.cli", "downtime", "demo-archive", "--dicom-port", str(dicom),
               "--http-port", str(http), "--from", "2026-03-02T07:00", "--to", "2026-03-03T19:00", "--log", str(log)]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = printed_until_ready(server)
        assert lines[0].startswith("Demo archive: Orthanc on 127.0.0.1 (58 studies, 60 in the downtime log)")
        env = {
            **os.environ,
            "CONTINGENCY_ARCHIVE_HOST": "127.0.0.1",
            "CONTINGENCY_ARCHIVE_PORT": str(dicom),
            "CONTINGENCY_ARCHIVE_CALLED_AET": "DEMO-PACS",
            "CONTINGENCY_ARCHIVE_RESULT_CAP": "25",
        }
        result = subprocess.run(
            [sys.executable, "-m", "contingency.cli", "downtime", "reconcile", "--csv", str(log),
             "--from", "2026-03-02T07:00", "--to", "2026-03-03T19:00"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        out = result.stdout
        assert "  present and complete: 54" in out
        assert "  missing from the archive: 4" in out
        assert "  identity mismatch (needs a correction): 1" in out
        assert "  instance count differs: 1" in out
        assert "  in the archive but not logged: 2" in out
    finally:
        server.send_signal(signal.SIGINT)
        server.wait()
    assert server.returncode == 0
