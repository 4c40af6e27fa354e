"""`contingency supplier ...` and `contingency kpi ...`: suppliers and commissioners' KPIs, through the same services.

`supplier list` is the assurance register with its findings; `supplier tickets` an incident's vendor tickets with
their clocks; `supplier clock` pauses, resumes or stops one. `kpi list` is a plan's contract KPIs; `kpi incident`
the KPIs an incident's outage may make late and its relaxations; `kpi ask` and `kpi agree` log a relaxation and
its agreement. The changes act as a named member: `--as USERNAME`, who needs the respond permission in the
organisation, as on the pages. Times are on the organisation's wall clock ("YYYY-MM-DD HH:MM"). Bad input prints
`error: <option>: <message>`, exits 2 and writes nothing.
"""

from __future__ import annotations

from typing import Any

import click

from .common import _error, refusals, responding_member
from .incidents import _incident as incident_of
from .incidents import _local, _organisation, _wall_clock

VIA = "cli"
# The services' names for their inputs, as these commands' options.
OPTIONS = {
    "clock": "--clock",
    "kind": "ACTION",
    "at": "--at",
    "reason": "--reason",
    "kpi": "--kpi",
    "asked_of": "--asked-of",
    "asked_at": "--asked-at",
    "relaxed_from": "--from",
    "relaxed_to": "--to",
    "agreed_by": "--agreed-by",
    "agreed_at": "--agreed-at",
    "note": "--note",
}
ACTIONS = {"pause": "paused", "resume": "resumed", "stop": "stopped"}

org_option = click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
incident_argument = click.argument("number", metavar="INCIDENT", type=click.IntRange(min=1))
as_option = click.option(
    "--as", "username", required=True, help="The member doing it (a username with the respond permission)."
)


def _incident(organisation: Any, number: int) -> Any:
    return incident_of(organisation, number, "INCIDENT")


# ------------------------------------------------------------------------------------------ suppliers


@click.group()
def supplier() -> None:
    """Suppliers: the assurance register, an incident's vendor tickets and their contract clocks."""


@supplier.command(name="list")
@org_option
def supplier_list(org_slug: str) -> None:
    """The assurance register: each supplier of the plans, its assurance on file and its findings."""
    organisation = _organisation(org_slug)
    from ..plans.workflow import local_today
    from ..suppliers import services

    rows = services.register(organisation, local_today(organisation))
    if not rows:
        click.echo(f"No suppliers in {organisation.slug}'s plans.")
    for row in rows:
        click.echo(f"{row.name} ({row.key}) [{row.state.value}]: {', '.join(row.plans)}")
        held = row.assurance
        if held is not None:
            tested = f"{held.last_tested_on:%d %b %Y}" if held.last_tested_on else "never"
            review = f"{held.review_on:%d %b %Y}" if held.review_on else "-"
            click.echo(f"  continuity plan: {held.has_plan}; last tested {tested}; review on {review}")
            click.echo(f"  response: {held.response_time or '-'}; restore: {held.restore_time or '-'}")
        for finding in row.findings:
            click.echo(f"  - {finding}")


def _ticket(organisation: Any, pk: int) -> Any:
    from ..suppliers.models import Ticket

    found = (
        Ticket.objects.filter(incident__organisation=organisation, pk=pk)
        .select_related("incident__organisation")
        .first()
    )
    if found is None:
        _error("TICKET_ID", f"{organisation.slug} has no supplier ticket {pk}")
    return found


@supplier.command(name="tickets")
@org_option
@incident_argument
def supplier_tickets(org_slug: str, number: int) -> None:
    """An incident's vendor tickets, each clock's reading (running, paused or stopped) and its breach moment."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..incidents.assess import elapsed_words
    from ..suppliers import services
    from ..suppliers.models import Clock, Ticket

    incident = _incident(organisation, number)
    now = timezone.now()
    tickets = list(Ticket.objects.filter(incident=incident).prefetch_related("events"))
    if not tickets:
        click.echo(f"No supplier tickets in incident #{incident.number}.")
    for ticket in tickets:
        ticket.incident = incident
        click.echo(
            f"ticket {ticket.pk}: {ticket.supplier_name} {ticket.reference}, "
            f"logged {_local(organisation, ticket.logged_at)}"
        )
        events = list(ticket.events.all())
        for clock in Clock.values:
            found = services.reading(ticket, clock, events, now)
            written = ticket.written(clock) or "not on file"
            if found.breach_at is None:
                breach = "no breach time"
            else:
                breach = f"{'breached' if found.breached else 'breaches'} {_local(organisation, found.breach_at)}"
            click.echo(
                f"  {clock} ({written}): {found.running.value}, {elapsed_words(found.elapsed)} elapsed; {breach}"
            )
        for event in events:
            reason = f": {event.reason}" if event.reason else ""
            click.echo(f"    {_local(organisation, event.at)} {event.clock} {event.kind}{reason} ({event.by_name})")
        if ticket.rca_due_on or ticket.rca_received_on:
            due = f"{ticket.rca_due_on:%d %b %Y}" if ticket.rca_due_on else "-"
            received = f"received {ticket.rca_received_on:%d %b %Y}" if ticket.rca_received_on else "not received"
            click.echo(f"  root-cause report: due {due}; {received}")


@supplier.command(name="clock")
@org_option
@click.argument("ticket_id", metavar="TICKET_ID", type=click.IntRange(min=1))
@click.argument("action", metavar="pause|resume|stop")
@click.option("--clock", "clock", default="restore", show_default=True, help="The response or the restore clock.")
@click.option("--reason", default="", help="Why (needed to pause or resume).")
@click.option("--at", "at", help='When, as "YYYY-MM-DD HH:MM" on the organisation\'s clock (default: now).')
@as_option
def supplier_clock(
    org_slug: str, ticket_id: int, action: str, clock: str, reason: str, at: str | None, username: str
) -> None:
    """Pause, resume or stop one of a ticket's contract clocks."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..suppliers import services

    actor = responding_member(organisation, username, "change supplier clocks")
    ticket = _ticket(organisation, ticket_id)
    if action not in ACTIONS:
        _error("ACTION", f"{action!r}: choose pause, resume or stop")
    moment = _wall_clock(organisation, at, "--at") or timezone.now()
    with refusals(OPTIONS, otherwise="TICKET_ID"):
        services.clock_event(
            ticket=ticket, clock=clock, kind=ACTIONS[action], at=moment, reason=reason, actor=actor, via=VIA
        )
    click.echo(f"the {clock} clock of {ticket.supplier_name} {ticket.reference} is {ACTIONS[action]}")


# ------------------------------------------------------------------------------------------ KPIs


@click.group()
def kpi() -> None:
    """Commissioners' contract KPIs: a plan's KPIs, an incident's KPIs in scope, relaxations asked and agreed."""


def _kpi_line(found: Any) -> str:
    return f"KPI {found.pk}: {found.what}: {found.target}, {found.clock_words} ({found.commissioner})"


@kpi.command(name="list")
@org_option
@click.option("--plan", "plan_key", required=True, help="The plan's id.")
def kpi_list(org_slug: str, plan_key: str) -> None:
    """The contract KPIs the commissioners hold the plan's service to."""
    organisation = _organisation(org_slug)
    from ..commissioning.models import ContractKpi
    from ..plans.models import Plan

    plan = Plan.objects.filter(organisation=organisation, key=plan_key).first()
    if plan is None:
        _error("--plan", f"{organisation.slug} has no plan {plan_key!r}")
    found = list(ContractKpi.objects.filter(plan=plan))
    if not found:
        click.echo(f"No contract KPIs on {plan.key}.")
    for one in found:
        click.echo(_kpi_line(one))


@kpi.command(name="incident")
@org_option
@incident_argument
def kpi_incident(org_slug: str, number: int) -> None:
    """The KPIs the incident's outage may make late (with the window of deadlines), and the relaxations log."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..commissioning import relaxing

    incident = _incident(organisation, number)
    found = relaxing.of_incident(incident, timezone.now())
    outage = found.outage
    if outage is None:
        click.echo(f"outage: none (incident #{incident.number} was not invoked)")
    else:
        ended = "ongoing" if outage.ongoing else f"ended {_local(organisation, outage.ended)}"
        click.echo(f"outage: began {_local(organisation, outage.began)}, {ended}")
    asked = {row.kpi_id for row in found.log}
    if found.affected:
        click.echo("KPIs in scope:")
    for affected in found.affected:
        state = "asked" if affected.kpi.pk in asked else "not asked"
        click.echo(
            f"  {_kpi_line(affected.kpi)}; deadlines from {_local(organisation, affected.window_from)} "
            f"to {_local(organisation, affected.window_to)} [{state}]"
        )
    if found.log:
        click.echo("relaxations:")
    for row in found.log:
        click.echo(f"  relaxation {row.pk}: {relaxing.line(row, found.calendar)}")


@kpi.command(name="ask")
@org_option
@incident_argument
@click.option("--kpi", "kpi_id", type=int, required=True, help="The KPI's number (see `kpi list`).")
@click.option("--asked-of", "asked_of", required=True, help="Who at the commissioner was asked.")
@click.option("--asked-at", "asked_at", help='When, as "YYYY-MM-DD HH:MM" (default: now).')
@click.option("--from", "relaxed_from", required=True, help='The relaxed window\'s start, "YYYY-MM-DD HH:MM".')
@click.option("--to", "relaxed_to", required=True, help='The relaxed window\'s end, "YYYY-MM-DD HH:MM".')
@click.option("--agreed-by", "agreed_by", default="", help="Who agreed it, when already agreed.")
@click.option("--agreed-at", "agreed_at", help='When it was agreed, "YYYY-MM-DD HH:MM".')
@click.option("--note", default="", help="A note for the log.")
@as_option
def kpi_ask(
    org_slug: str,
    number: int,
    kpi_id: int,
    asked_of: str,
    asked_at: str | None,
    relaxed_from: str,
    relaxed_to: str,
    agreed_by: str,
    agreed_at: str | None,
    note: str,
    username: str,
) -> None:
    """Log that the commissioner was asked to relax a KPI for a window (and, when known, who agreed it)."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..commissioning import services
    from ..commissioning.models import ContractKpi

    actor = responding_member(organisation, username, "ask for KPI relaxations")
    incident = _incident(organisation, number)
    found = ContractKpi.objects.filter(organisation=organisation, pk=kpi_id).first() if kpi_id > 0 else None
    if found is None:
        _error("--kpi", f"there is no KPI {kpi_id} in {organisation.slug}")
    start, end = _wall_clock(organisation, relaxed_from, "--from"), _wall_clock(organisation, relaxed_to, "--to")
    asked = _wall_clock(organisation, asked_at, "--asked-at") or timezone.now()
    agreed = _wall_clock(organisation, agreed_at, "--agreed-at")
    with refusals(OPTIONS, otherwise="INCIDENT"):
        row = services.ask_relaxation(
            incident=incident,
            kpi=found,
            asked_of=asked_of,
            asked_at=asked,
            relaxed_from=start,
            relaxed_to=end,
            agreed_by=agreed_by,
            agreed_at=agreed,
            note=note,
            actor=actor,
            via=VIA,
        )
    click.echo(f"relaxation {row.pk} logged in incident #{incident.number}: {row.kpi_words}")


@kpi.command(name="agree")
@org_option
@incident_argument
@click.argument("relaxation_id", metavar="RELAXATION_ID", type=click.IntRange(min=1))
@click.option("--agreed-by", "agreed_by", required=True, help="Who at the commissioner agreed it.")
@click.option("--agreed-at", "agreed_at", help='When, as "YYYY-MM-DD HH:MM" (default: now).')
@click.option("--from", "relaxed_from", help="The window agreed, when it differs: its start.")
@click.option("--to", "relaxed_to", help="The window agreed, when it differs: its end.")
@click.option("--note", default="", help="A note for the log.")
@as_option
def kpi_agree(
    org_slug: str,
    number: int,
    relaxation_id: int,
    agreed_by: str,
    agreed_at: str | None,
    relaxed_from: str | None,
    relaxed_to: str | None,
    note: str,
    username: str,
) -> None:
    """Record who at the commissioner agreed the relaxation, and when (and the window, if it differs)."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..commissioning import services
    from ..commissioning.models import KpiRelaxation

    actor = responding_member(organisation, username, "record KPI relaxations")
    incident = _incident(organisation, number)
    row = KpiRelaxation.objects.filter(incident=incident, pk=relaxation_id).first()
    if row is None:
        _error("RELAXATION_ID", f"incident #{incident.number} has no KPI relaxation {relaxation_id}")
    start, end = _wall_clock(organisation, relaxed_from, "--from"), _wall_clock(organisation, relaxed_to, "--to")
    agreed = _wall_clock(organisation, agreed_at, "--agreed-at") or timezone.now()
    with refusals(OPTIONS, otherwise="RELAXATION_ID"):
        done = services.agree_relaxation(
            relaxation=row,
            agreed_by=agreed_by,
            agreed_at=agreed,
            relaxed_from=start,
            relaxed_to=end,
            note=note,
            actor=actor,
            via=VIA,
        )
    click.echo(f"relaxation {done.pk} agreed by {done.agreed_by}: {done.kpi_words}")
