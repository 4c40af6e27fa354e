"""The demo, end to end as the guide tells it: `contingency demo` makes the PACS outage with its downtime records;
`contingency downtime demo-archive` (a second terminal) serves that outage's studies and prints the variables;
with them set, a run of the demo incident finds exactly the problems planted in the demo archive.

Processes of their own on a database of their own (a temporary SQLite file, or a fresh PostgreSQL database when
DATABASE_URL points to one); waits are on the processes' output (progress), never on time.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from contingency.downtime.archive.demo import demo_examinations, received_cd
from contingency.downtime.archive.localorthanc import CALLER_AET

from .conftest import ROOT
from .support.chaos import WorkerDatabase, environment
from .support.orthanc import LONDON, printed_until_ready, skip_without_orthanc

pytestmark = [pytest.mark.subprocess_db, pytest.mark.slow]
CLI = [sys.executable, "-m", "contingency.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_demo_outage_against_the_demo_archive(tmp_path: Path, migrated_sqlite: Path) -> None:
    skip_without_orthanc()
    database = WorkerDatabase(tmp_path, "contingency_demo_archive", migrated_sqlite)
    env = environment(database, CONTINGENCY_DATA_DIR=str(tmp_path))
    server: subprocess.Popen[str] | None = None
    try:
        made = subprocess.run([*CLI, "demo"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        assert "Demo incident #1: PACS outage (demo: downtime records), with 65 downtime records." in made.stdout

        dicom, http = _free_port(), _free_port()
        command = [*CLI, "downtime", "demo-archive", "--dicom-port", str(dicom), "--http-port", str(http)]
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = printed_until_ready(server)
        printed = "\n".join(lines)
        assert "export CONTINGENCY_ARCHIVE_RESULT_CAP=25 CONTINGENCY_ARCHIVE_SYSTEM=pacs" in printed
        window = next(line for line in lines if line.startswith("Outage window: "))
        assert window.endswith("(the demo incident #1)")
        start = datetime.fromisoformat(window.split("--from ", 1)[1].split()[0])
        end = datetime.fromisoformat(window.split("--to ", 1)[1].split()[0])
        variables = dict(
            pair.split("=", 1) for line in lines if line.startswith("export ") for pair in line.split()[1:]
        )
        assert variables == {
            "CONTINGENCY_ARCHIVE_HOST": "127.0.0.1",
            "CONTINGENCY_ARCHIVE_PORT": str(dicom),
            "CONTINGENCY_ARCHIVE_CALLED_AET": "DEMO-PACS",
            "CONTINGENCY_ARCHIVE_CALLING_AET": CALLER_AET,
            "CONTINGENCY_ARCHIVE_RESULT_CAP": "25",
            "CONTINGENCY_ARCHIVE_SYSTEM": "pacs",
        }
        checked = subprocess.run(
            [*CLI, "downtime", "reconcile", "--org", "northwick-general", "1", "--json"],
            env=env | variables,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert checked.returncode == 1, checked.stderr
        result = json.loads(checked.stdout)
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait()
        database.drop()
    assert server.returncode == 0

    exams = demo_examinations(start, end)
    accessions = {str(b): {m["record"]["accession_number"] for m in ms} for b, ms in result["buckets"].items()}
    assert accessions["missing"] == {e.accession_number for e in exams if not e.in_archive}
    assert accessions["identity-mismatch"] == {e.accession_number for e in exams if e.archive_patient_id}
    assert accessions["count-mismatch"] == {e.accession_number for e in exams if e.archive_instances is not None}
    assert result["counts"] == {
        "present": 59,  # the other 54 examinations, 3 paper reports and the CD burnt for them, the CD received
        "missing": 4,
        "count-mismatch": 1,
        "identity-mismatch": 1,
        "not-logged": 2,
    }
    cd = received_cd(start, LONDON)
    [received] = [m for m in result["buckets"]["present"] if m["record"]["study_uid"] == cd.study_uid]
    assert "found outside the downtime window" in received["note"]
    numbers = [m["record"]["record_id"] for m in result["buckets"]["missing"]]
    assert numbers == sorted(numbers)  # the records' order
