"""What every `contingency` command shares: Django set-up, exit codes and bad-input messages."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

EXIT_LINT_ERRORS = 1
EXIT_INVALID = 2


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()


def _error(field: str, message: str) -> NoReturn:
    """Bad input to a command: `error: <field>: <message>` on standard error, exit 2, nothing written."""
    click.echo(f"error: {field}: {message}", err=True)
    sys.exit(EXIT_INVALID)


def _fail(problems: Sequence[Any]) -> NoReturn:
    for problem in problems:
        click.echo(str(problem), err=True)
    click.echo(f"{len(problems)} problem(s); nothing was written.", err=True)
    sys.exit(EXIT_INVALID)


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        _fail(["the database is not set up or needs migrating: run `contingency migrate` first"])
