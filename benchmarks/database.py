"""The benchmarks' own new database, migrated.

`migrate()` runs Django's migrations on the database the benchmark has just set up. Where the environment
names an already migrated SQLite file (`CONTINGENCY_BENCH_MIGRATED`, which the test suite sets to its one
database migrated per run) and the benchmark's database is a new SQLite file, that file is copied in first
and `migrate` finds nothing left to do: the migrations take seconds of CPU each time, and the test suite
runs the benchmarks at a tiny scale only to see that they work.
"""

from __future__ import annotations

import os
import sqlite3

TEMPLATE = "CONTINGENCY_BENCH_MIGRATED"


def migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    template = os.environ.get(TEMPLATE, "")
    if template and connection.vendor == "sqlite":
        connection.close()
        source, target = sqlite3.connect(template), sqlite3.connect(str(connection.settings_dict["NAME"]))
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    call_command("migrate", verbosity=0, interactive=False)
