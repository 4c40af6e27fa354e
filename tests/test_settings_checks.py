"""Misconfiguration is explained by system checks at start-up, never by a stack trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "TIME_ZONE"}}
    environment.update(CONTINGENCY_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(
        [sys.executable, "-m", "contingency.cli", "manage", "check"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_defaults_pass_and_generate_a_private_secret_key(tmp_path: Path) -> None:
    result = check(tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert len(key.read_text()) > 40
    assert key.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"SECRET_KEY_FILE": "/nonexistent/key"}, "contingency.E001"),
        ({"TIME_ZONE": "Mars/Olympus_Mons"}, "contingency.E002"),
        ({"DATABASE_URL": "nosuchdb://somewhere/x"}, "contingency.E003"),
        ({"DEBUG": "perhaps"}, "contingency.E004"),
        ({"CONTINGENCY_ACK_LINK_HOURS": "a week"}, "contingency.E006"),
        ({"CONTINGENCY_SMTP_HOST": "mail.example.org", "CONTINGENCY_SMTP_PORT": "x"}, "contingency.E011"),
        ({"CONTINGENCY_BASE_URL": "contingency.example.org"}, "contingency.E012"),
    ],
)
def test_misconfiguration_is_explained(tmp_path: Path, env: dict[str, str], expected: str) -> None:
    result = check(tmp_path, **env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='contingency.settings'; django.setup();"
            "from django.db import connection; c=connection.cursor();"
            "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA foreign_keys').fetchone()[0])",
        ],
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "CONTINGENCY_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.split() == ["wal", "1"], result.stderr
