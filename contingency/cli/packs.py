"""`contingency pack ...`: build grab packs, record prints in the register, set the reprint period.

`pack build` writes a directory (or a .zip when --output ends in .zip). Without --record it makes an
uncontrolled copy and records nothing; with --record it prints a numbered copy for each copy holder (or
the --copies given) of the latest issue, and records it in the print register, audited. Bad input
(an unknown organisation, plan or copy, an output that exists) prints `error: <option>: <message>`,
exits 2 and writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import click

from .common import _django, _error, _require_migrated, refusals

VIA = "command line"


@click.group()
def pack() -> None:
    """Grab packs: the plan as one HTML file, an A4 PDF and paper downtime forms; the print register."""


def _copies(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    numbers = []
    for part in raw.split(","):
        text = part.strip()
        if not text.isdigit() or int(text) < 1:
            _error("--copies", f"{part.strip()!r} is not a copy number (use e.g. 1,3)")
        numbers.append(int(text))
    return numbers


def _output(raw: str | None, default: str) -> Path:
    path = Path(raw) if raw else Path(default)
    if path.exists() and (path.is_file() or any(path.iterdir())):
        _error("--output", f"{path} already exists; choose another path (nothing is overwritten)")
    return path


@pack.command()
@click.option("--org", "org_slug", required=True, help="The organisation's id (e.g. northwick-general).")
@click.option("--plan", "plan_keys", multiple=True, help="A plan's id; repeat for several. Default: every plan.")
@click.option(
    "--record", is_flag=True, help="Print numbered copies for the copy holders and record it in the register."
)
@click.option("--copies", help="With --record and one --plan: only these copy numbers, e.g. 1,3.")
@click.option("--output", help="A directory to create, or a file ending in .zip. Default: the pack's name here.")
def build(org_slug: str, plan_keys: tuple[str, ...], record: bool, copies: str | None, output: str | None) -> None:
    """Build the grab pack of one or more plans, or of the whole organisation."""
    wanted = _copies(copies)
    if wanted is not None and not record:
        _error("--copies", "numbered copies are printed with --record (without it the pack is an uncontrolled copy)")
    if wanted is not None and len(plan_keys) != 1:
        _error("--copies", "give exactly one --plan with --copies: copy numbers belong to one plan")
    _django()
    _require_migrated()
    from django.db import transaction
    from django.utils import timezone

    from ..core.models import Organisation
    from ..packs import build as packs
    from ..packs import register
    from ..plans.models import Plan
    from ..plans.workflow import organisation_zone

    organisation = Organisation.objects.filter(slug=org_slug).first()
    if organisation is None:
        _error("--org", f"no organisation {org_slug!r}")
    plans = list(Plan.objects.filter(organisation=organisation).order_by("title", "key"))
    if plan_keys:
        by_key = {p.key: p for p in plans}
        if missing := [k for k in plan_keys if k not in by_key]:
            _error("--plan", f"{organisation.name} has no plan {', '.join(repr(k) for k in missing)}")
        plans = [by_key[k] for k in dict.fromkeys(plan_keys)]
    if not plans:
        _error("--org", f"{organisation.name} has no plans")
    zone = organisation_zone(organisation)
    printed: list[register.BuiltPrint] = []
    with refusals({"copies": "--copies", "issue": "--plan", "months": "--months"}, otherwise="--plan"):
        if record:
            printed = [register.build_print(p, copies=wanted, via="cli") for p in plans]
        built_at = printed[0].built_at if printed else timezone.now()
        sources = [b.source for b in printed] if printed else [register.source_of(p) for p in plans]
        if len(plans) == 1 and plan_keys:
            result = printed[0].pack if printed else packs.build_plan_pack(sources[0], built_at=built_at, zone=zone)
        else:
            result = packs.build_organisation_pack(
                sources,
                organisation=(organisation.slug, organisation.name),
                built_at=built_at,
                zone=zone,
                plan_packs={b.plan.key: b.pack for b in printed},
            )
    target = _output(output, result.name)
    with transaction.atomic():
        records = [register.record_print(built=b, actor=None, via=VIA) for b in printed]
        if target.suffix == ".zip":
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(result.zip_bytes())
            written = [target]
        else:
            written = result.write_to(target)
    for path in written:
        click.echo(str(path))
    for row in records:
        numbers = ", ".join(str(c.copy_number) for c in row.copies.all())
        click.echo(f"recorded: {row.plan_title} issue {row.issue}, copies {numbers} (register #{row.pk})")


@pack.command(name="register")
@click.option("--org", "org_slug", required=True, help="The organisation's id.")
def register_command(org_slug: str) -> None:
    """Each plan's locations: the last pack printed there and whether it is out of date."""
    _django()
    _require_migrated()
    from ..core.models import Organisation
    from ..packs import register
    from ..plans.models import Plan

    organisation = Organisation.objects.filter(slug=org_slug).first()
    if organisation is None:
        _error("--org", f"no organisation {org_slug!r}")
    click.echo(f"Contact lists are reprinted every {register.contact_list_months(organisation)} month(s).")
    for plan in Plan.objects.filter(organisation=organisation).order_by("title", "key"):
        click.echo(f"{plan.title} (issue {plan.issue})")
        for place in register.locations(plan):
            when = f"{place.last_printed:%Y-%m-%d}" if place.last_printed else "never"
            copies = ", ".join(str(n) for n in place.copies)
            click.echo(f"  {place.location} (copy {copies}): last printed {when}: {place.label}")


@pack.command()
@click.option("--org", "org_slug", required=True, help="The organisation's id.")
@click.option("--months", type=int, required=True, help="Reprint every contact list at least this often (1-24).")
def period(org_slug: str, months: int) -> None:
    """Set how often the organisation reprints its contact lists (DSPT 7); default 3 months."""
    _django()
    _require_migrated()
    from ..core.models import Organisation
    from ..packs import register

    organisation = Organisation.objects.filter(slug=org_slug).first()
    if organisation is None:
        _error("--org", f"no organisation {org_slug!r}")
    with refusals({"months": "--months"}, otherwise="--months"):
        register.set_print_period(organisation=organisation, months=months, actor=None, via=VIA)
    click.echo(f"{organisation.name} reprints its contact lists every {months} month(s).")
