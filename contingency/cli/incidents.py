"""`contingency incident ...`: report, invoke, restore and stand down incidents from the command line.

Kept apart from cli.py so each stays small; cli.py adds this group to the main command.
Bad input prints `error: <field>: <message>` and exits 2 with nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .common import _django, _error, _require_migrated, refusals


@click.group()
def incident() -> None:
    """Live incidents: list, show, report, invoke, restore and stand down (times in the organisation's zone)."""


org_option = click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
number_argument = click.argument("number", type=click.IntRange(min=1))
WALL_CLOCK = "%Y-%m-%d %H:%M"


def _organisation(slug: str) -> Any:
    _django()
    from ..core.models import Organisation

    _require_migrated()
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        _error("--org", f"there is no organisation {slug!r}")
    return found


def _incident(organisation: Any, number: int, field: str = "NUMBER") -> Any:
    """The organisation's incident with that number; `field` is what the command calls the argument."""
    from ..incidents.models import Incident

    found = Incident.objects.filter(organisation=organisation, number=number).select_related("organisation").first()
    if found is None:
        _error(field, f"{organisation.slug} has no incident #{number}")
    return found


def _wall_clock(organisation: Any, text: str | None, field: str) -> Any:
    """An aware datetime from "YYYY-MM-DD HH:MM" on the organisation's wall clock (None when not given)."""
    from datetime import UTC, datetime

    from ..lib.calendar import from_organisation

    if text is None:
        return None
    zone = from_organisation(organisation).zone
    try:
        moment = datetime.strptime(text.strip(), WALL_CLOCK).replace(tzinfo=zone)
    except ValueError:
        _error(field, f"{text!r} is not a time: give YYYY-MM-DD HH:MM on the organisation's clock")
    # A wall-clock time skipped when the clocks go forward comes back from UTC as another time.
    if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment.replace(tzinfo=None):
        _error(field, f"{text} does not exist in {zone.key}: the clocks go forward then")
    return moment


def _local(organisation: Any, moment: Any) -> str:
    from ..lib.calendar import from_organisation

    if moment is None:
        return "-"
    return f"{from_organisation(organisation).local(moment):%a %d %b %Y %H:%M}"


def _left(delta: Any) -> str:
    from ..incidents.assess import elapsed_words

    if delta is None:
        return "no MTPD stated"
    return "past MTPD" if delta.total_seconds() <= 0 else f"{elapsed_words(delta)} left"


@incident.command(name="list")
@org_option
@click.option("--all", "show_all", is_flag=True, help="Also list closed incidents (most recent first).")
def incident_list(org_slug: str, show_all: bool) -> None:
    """Open incidents, most urgent first: what to work on now."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..incidents.models import OPEN_STATES, Incident
    from ..incidents.queries import ranked_open, real

    now = timezone.now()
    ranked = ranked_open(organisation, now)
    if not ranked:
        click.echo(f"No open incidents in {organisation.slug}.")
    for item in ranked:
        inc = item.incident
        upcoming = f"{item.next_due.name} at {_local(organisation, item.next_due.due_at)}" if item.next_due else "-"
        click.echo(f"{item.ranked.rank}. #{inc.number} {inc.title} [{inc.state}]")
        click.echo(
            f"   MTPD: {_left(item.ranked.time_left)}"
            + (f" ({item.ranked.worst_function})" if item.ranked.worst_function else "")
            + f"; open tasks: {item.open_tasks}"
            + (f" ({item.overdue_tasks} overdue)" if item.overdue_tasks else "")
            + f"; next trigger: {upcoming}"
        )
    if show_all:
        closed = real(Incident.objects.filter(organisation=organisation)).exclude(state__in=OPEN_STATES)
        for inc in closed.order_by("-reported_at", "-id"):
            click.echo(f"-  #{inc.number} {inc.title} [{inc.state}] closed {_local(organisation, inc.stood_down_at)}")


@incident.command(name="show")
@org_option
@number_argument
@click.option("--timeline", type=click.IntRange(min=0), default=10, show_default=True, help="Last entries to show.")
def incident_show(org_slug: str, number: int, timeline: int) -> None:
    """One incident: state, functions lost, open tasks, next trigger points and the latest timeline."""
    organisation = _organisation(org_slug)
    from django.utils import timezone

    from ..incidents import readmodel
    from ..incidents.models import OPEN_TASK_STATES
    from ..incidents.queries import next_due

    inc = _incident(organisation, number)
    now = timezone.now()
    click.echo(f"#{inc.number} {inc.title}")
    click.echo(f"state: {inc.state}" + (f" ({inc.assessment})" if inc.assessment else ""))
    click.echo(f"plan: {inc.plan_title} ({inc.plan_key}, issue {inc.plan_issue})")
    if inc.severity:
        click.echo(
            f"severity: {inc.severity} ({inc.severity_band})" + (f", risk: {inc.risk_title}" if inc.risk_title else "")
        )
    click.echo(f"service lost: {_local(organisation, inc.began_at)}")
    if inc.invoked_at:
        click.echo(f"invoked: {_local(organisation, inc.invoked_at)} by {inc.invoked_by_name}")
    if inc.restored_at:
        click.echo(f"restored: {_local(organisation, inc.restored_at)}")
    if inc.stood_down_at:
        click.echo(f"closed: {_local(organisation, inc.stood_down_at)}")
    state = readmodel.state_of(inc, now)  # the clocks stop at restoration, as on the page and in the API
    click.echo(f"functions affected: {len(state.functions)}")
    for fn in state.functions:
        status = "at risk" if fn.degraded else "lost"
        mtpd = f"MTPD {_local(organisation, fn.mtpd_due_at)} ({_left(fn.mtpd_left)})" if fn.mtpd_due_at else "no MTPD"
        impact = f"; impact {fn.impact_now}" if fn.impact_now else ""
        click.echo(f"  - {fn.name} [{status}]: RTO {_local(organisation, fn.rto_due_at)}; {mtpd}{impact}")
    tasks = list(inc.tasks.filter(state__in=OPEN_TASK_STATES))
    click.echo(f"open tasks: {len(tasks)}")
    for task in tasks:
        who = f" ({task.who_name})" if task.who_name else ""
        due = f", due {_local(organisation, task.due_at)}" if task.due_at else ""
        click.echo(f"  {task.position}. [{task.state}] {task.text}{who}{due}")
    scheduled = next_due(inc)
    click.echo(f"next trigger points: {len(scheduled)}" if scheduled else "next trigger points: none")
    for action in scheduled:
        click.echo(f"  - {_local(organisation, action.due_at)}: {action.name}")
    if timeline:
        entries = list(inc.timeline.order_by("-at", "-id")[:timeline])[::-1]
        click.echo(f"timeline (last {len(entries)}):")
        for entry in entries:
            click.echo(f"  {_local(organisation, entry.at)} [{entry.kind}] {entry.text}")


@incident.command(name="report")
@org_option
@click.option("--plan", "plan_key", required=True, help="The plan's id.")
@click.option("--subject", required=True, help="What failed, as kind:id (system:pacs, function:image-reporting).")
@click.option("--yes", "yes", multiple=True, help="A confirm check that holds (repeat for each).")
@click.option("--no", "no", multiple=True, help="A confirm check that does not hold (repeat for each).")
@click.option("--began", help='When the service was lost, "YYYY-MM-DD HH:MM" on the organisation\'s clock.')
@click.option("--area", default="", help="The site or area a partial failure is confined to.")
@click.option("--title", default="", help="A title (default: '<subject> failure').")
def incident_report(
    org_slug: str,
    plan_key: str,
    subject: str,
    yes: tuple[str, ...],
    no: tuple[str, ...],
    began: str | None,
    area: str,
    title: str,
) -> None:
    """Report a suspected failure, with the answers to the plan's confirm-it-is-down checks."""
    organisation = _organisation(org_slug)
    from ..incidents import services
    from ..plans.models import Plan

    plan = Plan.objects.filter(organisation=organisation, key=plan_key).first()
    if plan is None:
        _error("--plan", f"{organisation.slug} has no plan {plan_key!r}")
    both = sorted(set(yes) & set(no))
    if both:
        _error("--yes/--no", f"check {both[0]!r} is given both as holding and as not holding")
    began_at = _wall_clock(organisation, began, "--began")
    answers = {**dict.fromkeys(yes, True), **dict.fromkeys(no, False)}
    with refusals({"subject": "--subject", "answers": "--yes/--no", "began_at": "--began"}, otherwise="incident"):
        inc = services.report(
            plan=plan,
            subject=subject,
            actor=None,
            answers=answers,
            began_at=began_at,
            area=area,
            title=title,
            via="command line",
        )
    click.echo(f"reported incident #{inc.number}: {inc.title}")
    if inc.assessment:
        click.echo(f"assessment: {inc.get_assessment_display()}")
    if inc.risk_title:
        click.echo(f"proposed response ({inc.risk_title}): {inc.response}")
    unanswered = [a["key"] for a in inc.answers if a["answer"] is None]
    if unanswered:
        click.echo("checks not answered: " + ", ".join(unanswered))
    click.echo(f"invoke with: contingency incident invoke --org {organisation.slug} {inc.number}")


@incident.command(name="invoke")
@org_option
@number_argument
@click.option("--risk", help="The risk whose response to follow (default: the one the checks proposed).")
def incident_invoke(org_slug: str, number: int, risk: str | None) -> None:
    """Invoke the plan for a reported incident: tasks for now, every trigger point scheduled."""
    organisation = _organisation(org_slug)
    from ..incidents import services
    from ..incidents.models import DueState

    inc = _incident(organisation, number)
    with refusals({"risk": "--risk"}, otherwise="incident"):
        inc = services.invoke(incident=inc, actor=None, risk=risk, via="command line")
    pending = inc.due_actions.filter(state=DueState.PENDING).exclude(kind="routing").count()
    click.echo(f"invoked incident #{inc.number}: {inc.title}" + (f", severity {inc.severity}" if inc.severity else ""))
    click.echo(f"{inc.tasks.count()} task(s); {pending} trigger point(s) and duration rule(s) scheduled")


@incident.command(name="restore")
@org_option
@number_argument
@click.option(
    "--at", "at", help='When service came back, "YYYY-MM-DD HH:MM" on the organisation\'s clock (default now).'
)
def incident_restore(org_slug: str, number: int, at: str | None) -> None:
    """Record that service is back: restoration steps become tasks, timed escalations stop."""
    organisation = _organisation(org_slug)
    from ..incidents import services

    inc = _incident(organisation, number)
    restored_at = _wall_clock(organisation, at, "--at")
    with refusals({"restored_at": "--at"}, otherwise="incident"):
        inc = services.restore(incident=inc, actor=None, restored_at=restored_at, via="command line")
    click.echo(f"restored incident #{inc.number} at {_local(organisation, inc.restored_at)}")


@incident.command(name="stand-down")
@org_option
@number_argument
@click.option("--reason", default="", help="Why, for the timeline.")
def incident_stand_down(org_slug: str, number: int, reason: str) -> None:
    """End an incident: nothing further is scheduled."""
    organisation = _organisation(org_slug)
    from ..incidents import services

    inc = _incident(organisation, number)
    with refusals({"reason": "--reason"}, otherwise="incident"):
        inc = services.stand_down(incident=inc, actor=None, reason=reason, via="command line")
    click.echo(f"stood down incident #{inc.number}")


# ---------------------------------------------------------------- bringing incidents across


@incident.command(name="export")
@org_option
@click.argument("numbers", nargs=-1, type=click.IntRange(min=1))
@click.option("--output", "-o", default="-", show_default=True, help="The file to write (- for standard output).")
def incident_export(org_slug: str, numbers: tuple[int, ...], output: str) -> None:
    """Write incidents (all of the organisation's, or those numbered) to a file for `incident import`.

    Run it on a laptop copy once the main server is back, and import the file there: the timeline,
    tasks, trigger points, call-outs and messages come across, and importing it twice adds nothing.
    """
    organisation = _organisation(org_slug)
    import json

    from django.conf import settings
    from django.utils import timezone

    from ..incidents.models import Incident
    from ..incidents.transfer.exporting import export_incidents
    from ..mirror.models import MirrorSource

    chosen = Incident.objects.filter(organisation=organisation).order_by("number")
    if numbers:
        missing = sorted(set(numbers) - set(chosen.filter(number__in=numbers).values_list("number", flat=True)))
        if missing:
            _error("NUMBERS", f"{organisation.slug} has no incident #{missing[0]}")
        chosen = chosen.filter(number__in=numbers)
    incidents = list(chosen)
    copied_from = MirrorSource.objects.filter(organisation=organisation).values_list("server__url", flat=True)
    source = {"site": settings.CONTINGENCY_BASE_URL, "copyOf": list(copied_from)}
    data = export_incidents(organisation=organisation, incidents=incidents, now=timezone.now(), source=source)
    text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    if output == "-":
        click.echo(text, nl=False)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            _error("--output", f"{output} cannot be written: {exc.strerror}")
    click.echo(f"exported {len(incidents)} incident(s) of {organisation.slug}", err=True)
    for inc in incidents:
        if inc.is_open:
            click.echo(
                f"note: #{inc.number} is still {inc.state} here: once imported, the main server carries it on "
                "(its trigger points fire there). Stop this install's worker, or stand it down here first.",
                err=True,
            )


@incident.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@click.option("--org", "org_slug", help="The organisation to import into (default: the one the file names).")
def incident_import(file: str, org_slug: str | None) -> None:
    """Bring incidents exported from a laptop copy into this server, all or nothing.

    New incidents get numbers here; an incident imported before is found again, so importing the
    same file twice changes nothing, and a later export adds what the laptop did since.
    """
    _django()
    _require_migrated()
    from ..core.models import Organisation
    from ..incidents.transfer.bundle import TransferInvalid, read_bundle
    from ..incidents.transfer.importing import TransferRefused, import_bundle
    from .common import _fail

    try:
        raw = Path(file).read_bytes()
    except OSError as exc:
        _error(file, f"cannot be read: {exc.strerror}")
    try:
        bundle = read_bundle(raw, file)
    except TransferInvalid as invalid:
        _fail(invalid.problems)
    slug = org_slug or bundle.organisation
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        _error("--org" if org_slug else file, f"there is no organisation {slug!r} here")
    try:
        done = import_bundle(bundle=bundle, organisation=organisation, actor=None, via="command line")
    except TransferRefused as refused:
        _fail([f"{file}: {conflict}" for conflict in refused.conflicts])
    for item in done:
        if item.created:
            what = f"imported as #{item.number} ({item.added} rows)"
        elif item.changed:
            what = f"#{item.number} here updated: {item.added} row(s) added, {item.updated} changed"
        else:
            what = f"#{item.number} here, already imported: nothing new"
        click.echo(f"incident #{item.number_there} of the file: {what}")
