"""`contingency exercise ...`: the organisation's exercises from the command line, through the same services.

List (with the programme), show one, start one, add and release injects, move the scenario clock on, finish.
The changes act as a named member: `--as USERNAME`, who needs the respond permission in the organisation, as
on the exercise pages. Times are on the organisation's wall clock ("YYYY-MM-DD HH:MM"). Bad input prints
`error: <option>: <message>`, exits 2 and writes nothing.
"""

from __future__ import annotations

from typing import Any

import click

from .common import _error, refusals, responding_member
from .incidents import _local, _organisation, _wall_clock

VIA = "cli"
# The services' names for their inputs, as this command's options.
OPTIONS = {
    "plan": "--plan",
    "kind": "--kind",
    "subject": "--subject",
    "as_if": "--as-if",
    "title": "--title",
    "text": "--text",
    "minutes": "--minutes",
    "reason": "--reason",
    "outcome": "--outcome",
}


@click.group()
def exercise() -> None:
    """Exercises: list with the programme, show, start, inject, release, advance the clock and finish."""


org_option = click.option("--org", "org_slug", required=True, help="The organisation's id (its slug).")
number_argument = click.argument("number", type=click.IntRange(min=1))
as_option = click.option(
    "--as", "username", required=True, help="The member doing it (a username with the respond permission)."
)


def _exercise(organisation: Any, number: int) -> Any:
    from ..exercises.models import Exercise

    found = (
        Exercise.objects.filter(organisation=organisation, number=number)
        .select_related("organisation", "incident", "plan__owner")
        .first()
    )
    if found is None:
        _error("NUMBER", f"{organisation.slug} has no exercise {number}")
    return found


def _headline(found: Any) -> str:
    state = "running" if found.is_running else f"finished {_local(found.organisation, found.finished_at)}"
    return f"Exercise {found.number}: {found.get_kind_display()} of {found.plan_title} ({found.plan_key}) [{state}]"


@exercise.command(name="list")
@org_option
def exercise_list(org_slug: str) -> None:
    """The organisation's exercises, most recent first, and the programme: each plan's kinds, last done, next due."""
    organisation = _organisation(org_slug)
    from ..exercises import services
    from ..exercises.models import Exercise
    from ..plans.workflow import local_today

    found = list(Exercise.objects.filter(organisation=organisation).select_related("organisation"))
    if not found:
        click.echo(f"No exercises in {organisation.slug} yet.")
    for one in found:
        click.echo(f"{_headline(one)}, started {_local(organisation, one.started_at)}")
    click.echo("programme:")
    for row in services.programme_of(organisation, local_today(organisation)):
        last = f"{row.last:%d %b %Y}" if row.last else "never"
        due = f"{row.due:%d %b %Y}" if row.due else "now"
        flag = " OVERDUE" if row.overdue else ""
        click.echo(f"  {row.plan_key} {row.kind_label}: every {row.months} months; last {last}; due {due}{flag}")


@exercise.command(name="show")
@org_option
@number_argument
def exercise_show(org_slug: str, number: int) -> None:
    """One exercise: scenario time, communications figures, injects, clock advances, what is coming, findings."""
    organisation = _organisation(org_slug)
    from ..exercises import services

    found = _exercise(organisation, number)
    click.echo(_headline(found))
    if found.incident is not None:
        click.echo(f"incident: #{found.incident.number}")
    as_if = f" (as if {_local(organisation, found.as_if)})" if found.as_if else ""
    click.echo(f"started: {_local(organisation, found.started_at)} by {found.started_by_name}{as_if}")
    click.echo(f"scenario time: {_local(organisation, services.scenario_now(found))}")
    figures = services.of(found)
    click.echo(f"called: {figures.people}, acknowledged: {figures.acknowledged}")
    for share in figures.shares:
        click.echo(f"  within {share.minutes} minutes: {share.acknowledged} of {share.people} ({share.percent}%)")
    for role in figures.roles:
        click.echo(f"  {role.role}: first acknowledged {role.first_words}")
    for failure in figures.failures:
        click.echo(f"  failed: {failure.channel} to {failure.name} at {failure.address} ({failure.error or '-'})")
    injects = list(found.injects.all())
    if injects:
        click.echo("injects:")
    for inject in injects:
        state = f"released {_local(organisation, inject.released_at)}" if inject.released_at else "to release"
        click.echo(f"  {inject.position}. {inject.title} (+{inject.minutes} min) [{state}]")
    advances = list(found.clock_advances.all())
    if advances:
        click.echo("clock advances:")
    for step in advances:
        click.echo(
            f"  {_local(organisation, step.at)}: by {step.by_words}, to {_local(organisation, step.scenario_to)} "
            f"(scenario time): {step.reason} ({step.advanced_by_name})"
        )
    coming = services.coming(found)
    if coming:
        click.echo("coming up (scenario time):")
    for name, at in coming:
        click.echo(f"  {_local(organisation, at)}: {name}")
    findings = list(found.findings.all())
    if findings:
        click.echo("findings:")
    for finding in findings:
        click.echo(f"  - {finding.text} ({finding.owner_name})")
    if found.outcome:
        click.echo(f"outcome: {found.outcome}")


@exercise.command(name="start")
@org_option
@click.option("--plan", "plan_key", required=True, help="The plan's id.")
@click.option("--kind", required=True, help="communications, table-top or live.")
@click.option("--subject", required=True, help="What it pretends has failed, as kind:id (system:pacs).")
@click.option("--as-if", "as_if", help='Run as if at "YYYY-MM-DD HH:MM" on the organisation\'s clock (default: now).')
@as_option
def exercise_start(org_slug: str, plan_key: str, kind: str, subject: str, as_if: str | None, username: str) -> None:
    """Start an exercise: the plan is invoked for a pretended failure and its call trees really send messages."""
    organisation = _organisation(org_slug)
    from ..exercises import services
    from ..plans.models import Plan

    actor = responding_member(organisation, username, "run exercises")
    moment = _wall_clock(organisation, as_if, "--as-if")
    plan = Plan.objects.filter(organisation=organisation, key=plan_key).first()
    if plan is None:
        _error("--plan", f"{organisation.slug} has no plan {plan_key!r}")
    with refusals(OPTIONS, otherwise="--plan"):
        started = services.start(plan=plan, kind=kind, subject=subject, as_if=moment, actor=actor, via=VIA)
    click.echo(f"started exercise {started.number}: {started.get_kind_display()} of {started.plan_title}")
    if started.incident is not None:
        click.echo(f"incident: #{started.incident.number}")


@exercise.command(name="inject")
@org_option
@number_argument
@click.option("--title", required=True, help="The inject's title.")
@click.option("--text", required=True, help="What happens in the scenario, as read out to the players.")
@click.option("--minutes", type=int, default=0, show_default=True, help="Minutes after the scenario starts.")
@as_option
def exercise_inject(org_slug: str, number: int, title: str, text: str, minutes: int, username: str) -> None:
    """Add a scenario update after the last inject, to be released in turn."""
    organisation = _organisation(org_slug)
    from ..exercises import services

    actor = responding_member(organisation, username, "run exercises")
    found = _exercise(organisation, number)
    with refusals(OPTIONS, otherwise="NUMBER"):
        inject = services.add_inject(exercise=found, title=title, text=text, minutes=minutes, actor=actor, via=VIA)
    click.echo(f"inject {inject.position} added to exercise {found.number}: {inject.title}")


@exercise.command(name="release")
@org_option
@number_argument
@click.option(
    "--advance/--no-advance",
    default=True,
    show_default=True,
    help="Move the scenario clock on to the inject's time first, when it is later (as the exercise page does).",
)
@as_option
def exercise_release(org_slug: str, number: int, advance: bool, username: str) -> None:
    """Release the next inject: its text goes on the incident's timeline, marked EXERCISE."""
    organisation = _organisation(org_slug)
    from ..exercises import services

    actor = responding_member(organisation, username, "run exercises")
    found = _exercise(organisation, number)
    with refusals(OPTIONS, otherwise="NUMBER"):
        inject = services.release_next_inject(exercise=found, actor=actor, via=VIA, advance=advance)
    click.echo(f"inject {inject.position} released: {inject.title}")
    moved = found.clock_advances.filter(inject=inject).first()
    if moved is not None:
        click.echo(f"clock advanced by {moved.by_words}, to {_local(organisation, moved.scenario_to)} (scenario time)")


@exercise.command(name="advance")
@org_option
@number_argument
@click.option("--minutes", type=int, required=True, help="How far to move the scenario time on (at most a week).")
@click.option("--reason", required=True, help="Why, for the incident's timeline.")
@as_option
def exercise_advance(org_slug: str, number: int, minutes: int, reason: str, username: str) -> None:
    """Move the scenario clock on: what would fall due in that time falls due now."""
    organisation = _organisation(org_slug)
    from ..exercises import services

    actor = responding_member(organisation, username, "run exercises")
    found = _exercise(organisation, number)
    with refusals(OPTIONS, otherwise="NUMBER"):
        step = services.advance_clock(exercise=found, minutes=minutes, reason=reason, actor=actor, via=VIA)
    click.echo(f"clock advanced by {step.by_words}, to {_local(organisation, step.scenario_to)} (scenario time)")


@exercise.command(name="finish")
@org_option
@number_argument
@click.option("--outcome", required=True, help="What the exercise showed.")
@as_option
def exercise_finish(org_slug: str, number: int, outcome: str, username: str) -> None:
    """Finish the exercise: its incident stands down, each failed address becomes a finding."""
    organisation = _organisation(org_slug)
    from ..exercises import services

    actor = responding_member(organisation, username, "run exercises")
    found = _exercise(organisation, number)
    with refusals(OPTIONS, otherwise="NUMBER"):
        done = services.finish(exercise=found, outcome=outcome, actor=actor, via=VIA)
    findings = done.findings.count()
    click.echo(
        f"finished exercise {done.number}" + (f": {findings} finding(s) for the plan's owner" if findings else "")
    )
