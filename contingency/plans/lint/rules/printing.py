"""The print register (DSPT 7): packs older than the issue, contact lists not reprinted, locations with no pack.

These rules read `options.printing`, the register's facts about the plan, passed in by whoever lints
a stored plan (the plan page, the dashboard, the API). Linting files, with no register to hand, they
find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ..engine import Context, PrintFacts, Severity, location_of, rule
from .document import add_months

Found = Iterator[tuple[Path, str]]


def _holders_by_location(ctx: Context) -> dict[str, list[int]]:
    """Each location copies are kept at -> the indexes of its holders in document.holders."""
    found: dict[str, list[int]] = {}
    for i, holder in enumerate(ctx.plan.document.holders):
        found.setdefault(location_of(holder.copy_number, holder.location), []).append(i)
    return found


def _facts(ctx: Context) -> PrintFacts | None:
    return ctx.options.printing


@rule("PRN001", "pack-older-than-issue", Severity.WARNING, "A location holds a printed pack of an older issue")
def pack_out_of_date(ctx: Context) -> Found:
    """The last grab pack printed for a location is of an issue before the current one: the people
    there would work from a superseded plan when every system is down. Print the current issue for it
    (the plan page's "Print for copy holders", or `contingency pack --record`)."""
    facts = _facts(ctx)
    if facts is None:
        return
    current = ctx.plan.document.issue
    if current is None:  # never issued: no pack can be behind it
        return
    printed = {p.location: p for p in facts.locations}
    for location, indexes in _holders_by_location(ctx).items():
        last = printed.get(location)
        if last is not None and last.issue < current:
            yield (
                ("document", "holders", indexes[0]),
                f"{location} holds a pack of issue {last.issue} (printed {last.printed_on:%d %B %Y}); "
                f"the plan is at issue {current}",
            )


@rule("PRN002", "contact-list-not-printed", Severity.WARNING, "The contact list has not been printed recently")
def contact_list_not_printed(ctx: Context) -> Found:
    """The DSPT (standard 7) asks for a hard-copy contact list whose last-printed date is known. This
    plan's contacts have not been printed within the organisation's chosen period (3 months unless it
    says otherwise), or never: numbers change, and the printed list is what works when nothing else does."""
    facts = _facts(ctx)
    if facts is None:
        return
    months = facts.contact_list_months
    if facts.last_printed is None:
        yield (
            ("document",),
            f"the contact list has never been printed (the organisation reprints every {months} month(s))",
        )
    elif add_months(facts.last_printed, months) < ctx.options.today:
        yield (
            ("document",),
            f"the contact list was last printed on {facts.last_printed:%d %B %Y}, more than {months} month(s) ago",
        )


@rule("PRN003", "location-without-pack", Severity.WARNING, "A copy holder's location has no printed pack")
def location_without_pack(ctx: Context) -> Found:
    """A registered copy is kept at a location for which the print register has no pack at all: the
    copy there (if any) was printed outside Contingency, so nobody knows which issue it is. (A plan
    never printed anywhere is one finding of PRN002, not one of these per location.)"""
    facts = _facts(ctx)
    if facts is None or facts.last_printed is None:
        return
    printed = {p.location for p in facts.locations}
    for location, indexes in _holders_by_location(ctx).items():
        if location not in printed:
            copies = ", ".join(str(ctx.plan.document.holders[i].copy_number) for i in indexes)
            yield ("document", "holders", indexes[0]), f"no pack has been printed for {location} (copy {copies})"
