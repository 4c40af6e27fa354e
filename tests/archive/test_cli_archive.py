"""`contingency downtime echo|reconcile|cd`: what an operator runs against the archive."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.downtime.archive.synthetic import write_cd

from ..support.orthanc import WINDOW_END, WINDOW_START, LoadedArchive


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def configured(archive: LoadedArchive, monkeypatch: pytest.MonkeyPatch) -> LoadedArchive:
    for name, value in {
        "CONTINGENCY_ARCHIVE_HOST": "127.0.0.1",
        "CONTINGENCY_ARCHIVE_PORT": str(archive.orthanc.dicom_port),
        "CONTINGENCY_ARCHIVE_CALLED_AET": "ARCHIVE",
        "CONTINGENCY_ARCHIVE_RESULT_CAP": "50",
    }.items():
        monkeypatch.setenv(name, value)
    return archive


def write_log(path: Path, archive: LoadedArchive) -> Path:
    lines = ["record_id,accession_number,patient_id,expected_instances,done_at"]
    for e in archive.scenario.expected:
        assert e.done_at is not None
        lines.append(
            f"{e.record_id},{e.accession_number},{e.patient_id},{e.expected_instances or ''},{e.done_at.isoformat()}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_echo(configured: LoadedArchive):
    code, out, _ = run("downtime", "echo")
    assert code == 0
    assert out.startswith("The archive answered in ") and "dicom://ARCHIVE@127.0.0.1:" in out


def test_echo_refused_says_why_and_exits_3(configured: LoadedArchive, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "WRONG")
    code, _, err = run("downtime", "echo")
    assert code == 3
    assert "error: The archive refused the association: Called AE title not recognised" in err
    assert "hint: CONTINGENCY_ARCHIVE_CALLED_AET is 'WRONG'" in err


def test_bad_configuration_exits_2(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_HOST", "127.0.0.1")
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_PORT", "nope")
    monkeypatch.delenv("CONTINGENCY_ARCHIVE_CALLED_AET", raising=False)
    code, _, err = run("downtime", "echo")
    assert code == 2
    assert "error: CONTINGENCY_ARCHIVE_PORT: 'nope':" in err


def test_reconcile_a_log(configured: LoadedArchive, tmp_path: Path):
    log = write_log(tmp_path / "log.csv", configured)
    output = tmp_path / "run.json"
    code, out, _ = run(
        "downtime", "reconcile", "--csv", str(log), "--from", WINDOW_START.isoformat(), "--to", WINDOW_END.isoformat(),
        "--output", str(output),
    )  # fmt: skip
    assert code == 1  # discrepancies found
    assert "  missing from the archive: 7" in out
    missing = {line.split()[1] for line in out.splitlines() if line.startswith("missing: ")}
    assert missing == configured.scenario.left_out
    assert sum(line.startswith("identity-mismatch: ") for line in out.splitlines()) == len(configured.scenario.identity)
    assert sum(line.startswith("not logged: ") for line in out.splitlines()) == 5
    data = json.loads(output.read_text())
    assert data["counts"]["missing"] == 7 and data["ok"] is True
    assert not list(tmp_path.glob(".run.json.*"))  # the temporary file is gone


def test_reconcile_a_bad_log_names_the_row_and_exits_2(configured: LoadedArchive, tmp_path: Path):
    log = tmp_path / "log.csv"
    log.write_text("record_id,accession_number\nDT-1,\n")
    code, _, err = run("downtime", "reconcile", "--csv", str(log))
    assert code == 2
    assert "log.csv:2:2: accession_number: empty" in err


def test_reconcile_with_the_archive_down_exits_3_and_writes_no_buckets(
    configured: LoadedArchive, tmp_path: Path, monkeypatch
):
    # Down: nothing listens on the port (a port just freed). A refusal by the archive is covered by
    # test_echo_refused_says_why_and_exits_3.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_PORT", str(port))
    log = write_log(tmp_path / "log.csv", configured)
    code, _, err = run("downtime", "reconcile", "--csv", str(log), "--output", str(tmp_path / "run.json"))
    assert code == 3
    assert f"error: Nothing is listening at 127.0.0.1:{port} (connection refused)" in err
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["ok"] is False and data["buckets"] == {} and data["failure"]["kind"] == "refused"


def test_cd_lists_and_reconciles(configured: LoadedArchive, tmp_path: Path):
    write_cd(tmp_path / "cd", configured.scenario.loaded[:2])
    code, out, _ = run("downtime", "cd", str(tmp_path / "cd"))
    assert code == 0 and out.splitlines()[-1] == "2 studies"
    code, out, _ = run("downtime", "reconcile", "--dicomdir", str(tmp_path / "cd"), "--label", "CD 7")
    assert "  missing from the archive: 0" in out
    assert "  present and complete: 2" in out
    code, _, err = run("downtime", "cd", str(tmp_path))
    assert code == 2 and "no DICOMDIR in this folder" in err
