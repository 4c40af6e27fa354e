"""`contingency downtime ...`: downtime records of an incident from the command line, through the same services.

Record, list, import a file, re-enter, spot-check, resolve, draw the samples, see the worklists and
progress, and allocate ranges of downtime IDs. `--as USER` names the member doing it (re-entry and
spot checks need one: a spot check is never by the person who re-entered the record). Bad input
prints `error: <option>: <message>` (an import, every problem as `file:row:column: field: message`),
exits 2 and writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import _django, _error, _fail, _require_migrated, refusals


@click.group()
def downtime() -> None:
    """Downtime records: what was done by hand while a system was down, re-entered and spot-checked."""


org_option = click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
number_argument = click.argument("number", type=click.IntRange(min=1))
record_argument = click.argument("record", type=click.IntRange(min=1))
as_option = click.option("--as", "username", help="The member doing it (a username).")


def _organisation(slug: str) -> Any:
    _django()
    from ..core.models import Organisation

    _require_migrated()
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        _error("--org", f"there is no organisation {slug!r}")
    return found


def _incident(slug: str, number: int) -> Any:
    organisation = _organisation(slug)
    from ..incidents.models import Incident

    found = Incident.objects.filter(organisation=organisation, number=number).select_related("organisation").first()
    if found is None:
        _error("NUMBER", f"{organisation.slug} has no incident #{number}")
    return found


def _member(organisation: Any, username: str | None, *, needed: bool = False) -> Any:
    from django.contrib.auth import get_user_model

    if username is None:
        if needed:
            _error("--as", "say who does it: --as USERNAME (a member of the organisation)")
        return None
    user = (
        get_user_model()
        .objects.filter(username=username, memberships__organisation=organisation, is_active=True)
        .first()
    )
    if user is None:
        _error("--as", f"{username!r} is not a member of {organisation.slug}")
    return user


def _record(incident: Any, number: int) -> Any:
    from ..downtime.models import DowntimeRecord

    found = (
        DowntimeRecord.objects.filter(incident=incident, number=number).select_related("incident__organisation").first()
    )
    if found is None:
        _error("RECORD", f"incident #{incident.number} has no downtime record {number}")
    return found


def _line(record: Any) -> str:
    ident = record.downtime_id or record.accession_number or record.reference or record.nhs_number
    extra = f" ref {record.system_reference}" if record.system_reference else ""
    sampled = " [sampled]" if record.sampled_in_id else ""
    return f"{record.number:>5}  {record.kind_key:<16} {record.state:<12} {ident:<16}{extra}{sampled}"


@downtime.command(name="kinds")
@org_option
@number_argument
def kinds(org_slug: str, number: int) -> None:
    """The record kinds the incident keeps, with their fields (the columns of an import file)."""
    incident = _incident(org_slug, number)
    from ..downtime.services import kinds_of

    for offered in kinds_of(incident):
        kind = offered.kind
        click.echo(f"{kind.id}: {kind.name} ({offered.function_name}; must reach {kind.system})")
        for field in kind.fields:
            click.echo(f"  {field.name:<20} {field.type.value:<16}{' required' if field.required else ''}")


@downtime.command(name="record")
@org_option
@number_argument
@click.option("--kind", required=True, help="The record kind's id (see `downtime kinds`).")
@click.option("--value", "values", multiple=True, help="FIELD=VALUE, once per field.")
@click.option("--client-key", default="", help="A key of your own: the same key again makes no second record.")
@as_option
def record(
    org_slug: str, number: int, kind: str, values: tuple[str, ...], client_key: str, username: str | None
) -> None:
    """Record one thing done by hand during the downtime."""
    incident = _incident(org_slug, number)
    from ..downtime import services

    given: dict[str, str] = {}
    for pair in values:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            _error("--value", f"{pair!r} is not FIELD=VALUE")
        given[name.strip()] = value
    actor = _member(incident.organisation, username)
    try:
        made = services.record(
            incident=incident, kind=kind, values=given, actor=actor, via="command line", client_key=client_key
        )
    except services.DowntimeError as refused:
        _fail([f"error: {field or '--kind'}: {message}" for field, message in refused.problems()])
    click.echo(f"recorded downtime record {made.number} ({made.kind_key}) of incident #{incident.number}")


@downtime.command(name="list")
@org_option
@number_argument
@click.option("--state", help="Only records in this state (recorded, re-entered, verified, discrepancy, resolved).")
@click.option("--kind", help="Only records of this kind.")
def list_records(org_slug: str, number: int, state: str | None, kind: str | None) -> None:
    """The incident's downtime records, in order."""
    incident = _incident(org_slug, number)
    found = incident.downtime_records.order_by("number")
    if state:
        found = found.filter(state=state)
    if kind:
        found = found.filter(kind_key=kind)
    rows = list(found)
    click.echo(f"{len(rows)} downtime record(s)")
    for row in rows:
        click.echo(_line(row))


@downtime.command(name="worklist")
@org_option
@number_argument
@click.option("--department", help="What is left for one department (its key).")
@click.option("--checks", is_flag=True, help="The spot checks due instead.")
@as_option
def worklist(org_slug: str, number: int, department: str | None, checks: bool, username: str | None) -> None:
    """What is left to re-enter (everyone's, one person's with --as, or one department's), or the checks due."""
    incident = _incident(org_slug, number)
    from ..downtime import progress

    if checks:
        rows = list(progress.checks_due(incident))
        click.echo(f"{len(rows)} spot check(s) due")
    else:
        user = _member(incident.organisation, username)
        rows = list(progress.worklist(incident, recorded_by=user.pk if user else None, department=department))
        click.echo(f"{len(rows)} record(s) left to re-enter")
    for row in rows:
        click.echo(_line(row))


@downtime.command(name="progress")
@org_option
@number_argument
def show_progress(org_slug: str, number: int) -> None:
    """Progress per function and kind: recorded, re-entered, sampled, verified, discrepancies."""
    incident = _incident(org_slug, number)
    from ..downtime.progress import progress_of

    found = progress_of(incident)
    click.echo(found.summary())
    for kind in found.kinds:
        click.echo(f"  {kind.line()}")


@downtime.command(name="import")
@org_option
@number_argument
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--kind", help="The kind of every record in the file (else the file has a 'kind' column).")
@as_option
def import_file(org_slug: str, number: int, file: Path, kind: str | None, username: str | None) -> None:
    """Import a CSV or XLSX file typed up from the paper forms: all of it, or nothing."""
    incident = _incident(org_slug, number)
    from ..downtime import importing
    from ..downtime.services import DowntimeError

    if not file.is_file():
        _error("FILE", f"{file} is not a file")
    with file.open("rb") as handle:
        data = handle.read(importing.MAX_BYTES + 1)
    actor = _member(incident.organisation, username)
    try:
        made = importing.import_file(
            incident=incident, name=file.name, data=data, kind=kind, actor=actor, via="command line"
        )
    except importing.ImportRefused as refused:
        lines: list[str] = [str(problem) for problem in refused.located]
        if refused.more:
            lines.append(f"... and {refused.more} more")
        _fail(lines)
    except DowntimeError as refused:
        _error(refused.field or "--kind", refused.message)
    click.echo(f"imported {len(made)} downtime record(s) ({made[0].number}-{made[-1].number}) from {file.name}")


@downtime.command(name="re-enter")
@org_option
@number_argument
@record_argument
@click.option("--reference", required=True, help="The system's own reference for the record.")
@as_option
def reenter(org_slug: str, number: int, record: int, reference: str, username: str | None) -> None:
    """The record has been typed into its system."""
    incident = _incident(org_slug, number)
    from ..downtime import services

    found = _record(incident, record)
    actor = _member(incident.organisation, username, needed=True)
    with refusals({"system_reference": "--reference"}, otherwise="RECORD"):
        services.reenter(record=found, system_reference=reference, actor=actor, via="command line")
    click.echo(f"record {record} re-entered as {reference}")


@downtime.command(name="check")
@org_option
@number_argument
@record_argument
@click.option("--ok", "matches", flag_value=True, default=None, help="The system holds the record as written.")
@click.option("--wrong", "reason", help="What does not match (the check fails).")
@as_option
def check(
    org_slug: str, number: int, record: int, matches: bool | None, reason: str | None, username: str | None
) -> None:
    """Spot-check a sampled record against the system (not by the person who re-entered it)."""
    incident = _incident(org_slug, number)
    from ..downtime import services

    if (matches is None) == (reason is None):
        _error("--ok/--wrong", "give either --ok or --wrong REASON")
    found = _record(incident, record)
    actor = _member(incident.organisation, username, needed=True)
    with refusals({"reason": "--wrong"}, otherwise="RECORD"):
        done = services.spot_check(
            record=found, matches=matches is True, reason=reason or "", actor=actor, via="command line"
        )
    click.echo(f"record {record}: {done.state}")


@downtime.command(name="resolve")
@org_option
@number_argument
@record_argument
@click.option("--how", "resolution", required=True, help="How the discrepancy was put right.")
@as_option
def resolve(org_slug: str, number: int, record: int, resolution: str, username: str | None) -> None:
    """A discrepancy found by a spot check has been put right."""
    incident = _incident(org_slug, number)
    from ..downtime import services

    found = _record(incident, record)
    actor = _member(incident.organisation, username, needed=True)
    with refusals({"resolution": "--how"}, otherwise="RECORD"):
        services.resolve(record=found, resolution=resolution, actor=actor, via="command line")
    click.echo(f"record {record} resolved")


@downtime.command(name="draw")
@org_option
@number_argument
@as_option
def draw(org_slug: str, number: int, username: str | None) -> None:
    """Draw (or top up) the spot-check samples of every kind and day, as the plan's rule says."""
    incident = _incident(org_slug, number)
    from ..downtime import services

    actor = _member(incident.organisation, username)
    with refusals({}, otherwise="NUMBER"):
        made = services.draw_spot_checks(incident=incident, actor=actor, via="command line")
    if not made:
        click.echo("nothing to draw: every sample is complete")
    for item in made:
        click.echo(
            f"{item.kind_key} {item.day}: drew {', '.join(map(str, item.drawn))} "
            f"({item.target} of {len(item.population)} at {item.share}%, seed {item.seed})"
        )


@downtime.group(name="ids")
def ids() -> None:
    """Ranges of downtime IDs pre-allocated to sites and departments."""


@ids.command(name="list")
@org_option
@click.option("--print", "print_range", help="Print every ID of the range starting PREFIX:FIRST (for the forms).")
def ids_list(org_slug: str, print_range: str | None) -> None:
    """The ranges, with how many IDs are used; --print lists one range's IDs as printed on forms."""
    organisation = _organisation(org_slug)
    from ..downtime import progress, services
    from ..downtime.models import IdRange

    if print_range:
        prefix, _, first = print_range.partition(":")
        found = IdRange.objects.filter(
            organisation=organisation, prefix=prefix.upper(), first=int(first) if first.isdigit() else -1
        ).first()
        if found is None:
            _error("--print", f"no range starts at {print_range!r}: give PREFIX:FIRST as listed")
        for made in services.ids_of(found):
            click.echo(made.printed)
        return
    for found in IdRange.objects.filter(organisation=organisation):
        click.echo(
            f"{found.prefix} {found.first}-{found.last} ({found.size} IDs, {progress.ids_used(found)} used): {found.allocated_to}"
            + (f"; forms: {found.forms}" if found.forms else "")
        )


@ids.command(name="allocate")
@org_option
@click.option("--prefix", required=True, help="1-8 capital letters, e.g. CT.")
@click.option("--first", type=click.IntRange(min=0), required=True)
@click.option("--last", type=click.IntRange(min=0), required=True)
@click.option("--digits", type=click.IntRange(1, 12), default=6, show_default=True)
@click.option("--to", "allocated_to", required=True, help="The site or department the IDs are for.")
@click.option("--forms", default="", help="The paper forms they are printed on.")
def ids_allocate(org_slug: str, prefix: str, first: int, last: int, digits: int, allocated_to: str, forms: str) -> None:
    """Reserve a range of downtime IDs for a site or department."""
    organisation = _organisation(org_slug)
    from ..downtime import services

    fields = {"prefix": "--prefix", "first": "--first", "last": "--last", "allocated_to": "--to"}
    with refusals(fields, otherwise="--first"):
        made = services.allocate_range(
            organisation=organisation,
            prefix=prefix,
            first=first,
            last=last,
            digits=digits,
            allocated_to=allocated_to,
            forms=forms,
            actor=None,
            via="command line",
        )
    first_id = services.ids_of(made, limit=1)[0]
    click.echo(
        f"allocated {made.prefix} {made.first}-{made.last} to {made.allocated_to}; the first ID is {first_id.printed}"
    )
