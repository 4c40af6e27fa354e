"""What every `contingency` command shares: Django set-up, exit codes and bad-input messages."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
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


def responding_member(organisation: Any, username: str, doing: str) -> Any:
    """The member named by `--as`, who must have the respond permission in the organisation (as on the pages)."""
    from django.contrib.auth import get_user_model

    from ..core.access import capabilities
    from ..core.permissions import Capability

    user = (
        get_user_model()
        .objects.filter(username=username, memberships__organisation=organisation, is_active=True)
        .first()
    )
    if user is None:
        _error("--as", f"{username!r} is not a member of {organisation.slug}")
    if Capability.RESPOND not in capabilities(user, organisation):
        _error("--as", f"{username} cannot {doing}: it needs the respond permission in {organisation.name}")
    return user


@contextmanager
def refusals(options: Mapping[str, str], *, otherwise: str) -> Iterator[None]:
    """A service's refusal (core.errors.Refused) as bad input: `error: <option>: <message>`, exit 2.

    `options` maps the service's field names to the command's options; a refusal naming no field
    is reported against `otherwise`.
    """
    from ..core.errors import Refused

    try:
        yield
    except Refused as exc:
        _error(options.get(exc.field or "", exc.field or otherwise), exc.message)


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
