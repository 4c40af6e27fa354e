"""A migrated SQLite database, made once per test run by `contingency migrate` and copied for each test
that starts processes on a database of their own (workers, seeding scripts, whole installs).

Running every migration on a new database takes ~5-10 s of CPU (Django renders its model states hundreds
of times); copying the result takes milliseconds. The one `contingency migrate` is shared by the xdist
processes of a run (made under a file lock in the run's common temporary directory), so the migrations
still run, for real, once per run. A whole-suite run starts making the templates as it starts
(`start_templates`, from the main process), while the test processes start and collect, so the first test
that copies one seldom waits.

On PostgreSQL (`postgres_template`) the same: one database per run migrated by `contingency migrate`, and
each test's database made from it with `CREATE DATABASE ... TEMPLATE`, a file copy on the server (nothing
connects to the template once it is made, so the copies never find it in use).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent.parent
NAME = "migrated.sqlite3"


def _migrate(database_url: str, folder: Path) -> None:
    """`contingency migrate` on that database, with `folder` as the data directory and no setting of ours."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CONTINGENCY_") and k != "DATABASE_URL"}
    env = kept | {
        "DATABASE_URL": database_url,
        "CONTINGENCY_DATA_DIR": str(folder),
        "DJANGO_SETTINGS_MODULE": "contingency.settings",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "contingency.cli", "migrate"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, f"contingency migrate failed on {database_url}:\n{done.stdout}\n{done.stderr}"


def make_template(folder: Path) -> Path:
    """`folder/migrated.sqlite3`, migrated by `contingency migrate` unless another process already did."""
    folder.mkdir(parents=True, exist_ok=True)
    template = folder / NAME
    with (folder / f"{NAME}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another xdist process may be making it: wait for it
        if not template.exists():
            partial = folder / f"{NAME}.partial"
            partial.unlink(missing_ok=True)
            _migrate(f"sqlite:///{partial}", folder)
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


TEMPLATE_PREFIX = "contingency_migrated_"


def postgres_template(admin_url: str, folder: Path) -> str:
    """A database on the server of `admin_url` migrated by `contingency migrate`, once per run (the run's
    common folder names it, and holds the lock and the name once made); older runs' templates are dropped."""
    folder.mkdir(parents=True, exist_ok=True)
    made = folder / "postgres-template"
    with (folder / "postgres-template.lock").open("w") as lock:  # its own lock: both templates may be made at once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if made.exists():
            return made.read_text()
        name = f"{TEMPLATE_PREFIX}{os.getpid()}_{folder.stat().st_ino}"
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as conn:
            older = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (TEMPLATE_PREFIX + "%",))
            for (old,) in older.fetchall():
                with contextlib.suppress(psycopg.Error):  # in use by another run on this server: a later run's
                    conn.execute(f'DROP DATABASE IF EXISTS "{old}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        _migrate(urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}")), folder)
        made.write_text(name)
        return name


def start_templates(folder: Path, database_url: str) -> list[threading.Thread]:
    """Start making the run's templates in the background: the SQLite one, and the PostgreSQL one when
    `database_url` names a PostgreSQL server. Whoever asks for a template meanwhile waits on its lock; a
    failure here is left for that request to meet again and report."""

    def quietly(make: Callable[[], object]) -> None:
        with contextlib.suppress(Exception):
            make()

    makers: list[Callable[[], object]] = [lambda: make_template(folder)]
    if database_url.startswith(("postgres://", "postgresql://")):
        makers.append(lambda: postgres_template(database_url, folder))
    threads = [threading.Thread(target=quietly, args=(make,), daemon=True) for make in makers]
    for thread in threads:
        thread.start()
    return threads
