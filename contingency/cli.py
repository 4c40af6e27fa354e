"""The `contingency` command line: everything an operator scripts."""

from __future__ import annotations

import os
import sys

import click


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contingency.settings")
    import django

    django.setup()


@click.group()
@click.version_option(package_name="contingency")
def main() -> None:
    """Contingency: business continuity and disaster recovery plans that run."""


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args: tuple[str, ...]) -> None:
    """Run a Django management command (migrate, createsuperuser, check, ...)."""
    _django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["contingency manage", *args])


if __name__ == "__main__":
    sys.exit(main())
