"""`contingency compliance ...`: framework libraries in and out (CISO Assistant's library format), and each
requirement's status on a date.

Bad input (an unknown organisation or framework, a library file with problems, an output that exists)
prints `error: <option>: <message>` (a library's problems each with its file, line and field), exits 2
and writes nothing.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .common import _django, _error, _require_migrated, refusals

if TYPE_CHECKING:
    from ..core.models import Organisation

VIA = "command line"
MAX_BYTES = 2 * 1024 * 1024


@click.group()
def compliance() -> None:
    """Compliance frameworks: export and import libraries, show statuses."""


def _organisation(slug: str) -> Organisation:
    from ..core.models import Organisation

    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        _error("--org", f"no organisation {slug!r}")
    return found


@compliance.command("export")
@click.option("--org", "org_slug", required=True, help="The organisation's id (e.g. northwick-general).")
@click.option("--framework", "key", required=True, help="The framework's id, e.g. iso-22301-2019.")
@click.option("--output", help="The file to write (default: standard output); never overwritten.")
def export_command(org_slug: str, key: str, output: str | None) -> None:
    """Write a framework as a CISO Assistant library file (YAML)."""
    _django()
    _require_migrated()
    from ..compliance import library, services

    organisation = _organisation(org_slug)
    with refusals({}, otherwise="--framework"):
        text = library.dump(services.framework(organisation, key))
    if output is None:
        click.echo(text, nl=False)
        return
    path = Path(output)
    if path.exists():
        _error("--output", f"{path} already exists; choose another path (nothing is overwritten)")
    path.write_text(text, encoding="utf-8")
    click.echo(f"Wrote {path}.")


@compliance.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--org", "org_slug", required=True, help="The organisation's id (e.g. northwick-general).")
def import_command(file: Path, org_slug: str) -> None:
    """Import a framework library (CISO Assistant's library format) for an organisation."""
    if not file.is_file():
        _error("FILE", f"{file} is not a file")
    if file.stat().st_size > MAX_BYTES:
        _error("FILE", f"{file} is larger than 2 MB: a library file may be at most 2 MB")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        _error("FILE", f"{file} is not UTF-8 text")
    _django()
    _require_migrated()
    from ..compliance import services

    organisation = _organisation(org_slug)
    with refusals({"file": "FILE"}, otherwise="FILE"):
        row = services.import_library(organisation=organisation, text=text, file=file.name, actor=None, via=VIA)
    click.echo(f"Imported {row.name} as {row.key} for {organisation.name}.")


@compliance.command("status")
@click.option("--org", "org_slug", required=True, help="The organisation's id (e.g. northwick-general).")
@click.option("--on", "on_text", help="The date (YYYY-MM-DD); default today where the organisation is.")
def status_command(org_slug: str, on_text: str | None) -> None:
    """Each framework's requirements and their status on a date."""
    try:
        on = date.fromisoformat(on_text) if on_text else None
    except ValueError:
        _error("--on", f"{on_text!r} is not a date (YYYY-MM-DD)")
    _django()
    _require_migrated()
    from ..compliance import services
    from ..plans.workflow import local_today

    organisation = _organisation(org_slug)
    day = on or local_today(organisation)
    for assessment in services.assess_all(organisation, day):
        t = assessment.tally
        click.echo(f"{assessment.framework.name} on {day}: {t.met} met, {t.partly} partly met, {t.not_met} not met")
        for requirement, status in assessment.rows:
            if status is not None:
                click.echo(f"  {status.status.label:<11} {requirement.title}")
