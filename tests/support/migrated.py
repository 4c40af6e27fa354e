"""A migrated SQLite database, made once per test run by `contingency migrate` and copied for each test
that starts processes on a database of their own (workers, seeding scripts, whole installs).

Running every migration on a new database takes ~5-10 s of CPU (Django renders its model states hundreds
of times); copying the result takes milliseconds. The one `contingency migrate` is shared by the xdist
processes of a run (made under a file lock in the run's common temporary directory), so the migrations
still run, for real, once per run.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "migrated.sqlite3"


def make_template(folder: Path) -> Path:
    """`folder/migrated.sqlite3`, migrated by `contingency migrate` unless another process already did."""
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / NAME
    with (folder / f"{NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another xdist process may be making it: wait for it
        if not template.exists():
            partial = folder / f"{NAME}.partial"
            partial.unlink(missing_ok=True)
            kept = {k: v for k, v in os.environ.items() if not k.startswith("CONTINGENCY_") and k != "DATABASE_URL"}
            env = kept | {
                "DATABASE_URL": f"sqlite:///{partial}",
                "CONTINGENCY_DATA_DIR": str(folder),
                "DJANGO_SETTINGS_MODULE": "contingency.settings",
                "PYTHONPATH": str(ROOT),
            }
            done = subprocess.run(
                [sys.executable, "-m", "contingency.cli", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True
            )
            assert done.returncode == 0, f"contingency migrate failed:\n{done.stdout}\n{done.stderr}"
            partial.rename(template)
    return template


def copy_database(source: Path, target: Path) -> None:
    """Copy a SQLite database with SQLite's backup API (consistent even while another process reads it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source_db, target_db = sqlite3.connect(source), sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        source_db.close()
        target_db.close()
