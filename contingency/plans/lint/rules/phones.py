"""Telephone numbers written in the plan's prose: in the directory, and answered when the step runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ...problems import Path
from ...spec.directory import Availability, Phone
from ...spec.plan import When
from ...spec.types import ServiceHours
from ..engine import Context, Severity, rule
from ._prose import all_prose, step_prose

Found = Iterator[tuple[Path, str]]

# A UK number (01632 960123, 07700 900123, +44 7700 900123) or an extension, bleep or pager number.
_NUMBER = re.compile(r"(?<![\w/])(?:\+44\s?\(?0?\)?\s?|0)\d(?:[\s-]?\d){8,9}(?!\d)")
_SHORT = re.compile(r"\b(ext(?:ension)?\.?|x|bleep|pager|page)\s*(?:no\.?|number)?\s*(\d{3,6})\b", re.I)


def _digits(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return "0" + digits[2:] if digits.startswith("44") and len(digits) > 10 else digits


@dataclass(frozen=True)
class Listed:
    owner: str
    when: Availability


def directory_numbers(ctx: Context) -> dict[str, list[Listed]]:
    """Every number in the directory (digits only), with whose it is and when it is answered. A
    helpdesk's numbers are answered only in its stated hours, whatever the phone entry says."""
    listed: dict[str, list[Listed]] = {}

    def add(phones: list[Phone], owner: str, hours_only: bool = False) -> None:
        for phone in phones:
            when = Availability.IN_HOURS if hours_only and phone.when is Availability.ALWAYS else phone.when
            listed.setdefault(_digits(phone.number), []).append(Listed(owner, when))

    for person in ctx.plan.people:
        add(person.phones, person.name)
    for role in ctx.plan.roles:
        for contact in (role.in_hours, role.out_of_hours):
            if contact:
                add(contact.phones, role.name)
    for supplier in ctx.plan.suppliers:
        if supplier.helpdesk:
            hours = supplier.helpdesk.hours
            # Hours kept as written ("office hours") are not read: no finding rests on a guess.
            known = isinstance(hours, ServiceHours) and not hours.always
            add(supplier.helpdesk.phones, supplier.name, hours_only=known)
    return listed


def numbers_in(text: str) -> Iterator[tuple[str, str]]:
    """(as written, digits) for each telephone number, extension or bleep in a piece of prose."""
    for match in _NUMBER.finditer(text):
        yield match.group(0).strip(), _digits(match.group(0))
    for match in _SHORT.finditer(text):
        yield match.group(0), match.group(2)


def _find(listed: dict[str, list[Listed]], digits: str) -> list[Listed]:
    if digits in listed:
        return listed[digits]
    if len(digits) <= 6:  # an extension matches the end of a direct-dial number too
        return [entry for number, entries in listed.items() if number.endswith(digits) for entry in entries]
    return []


@rule("PHN001", "number-not-in-directory", Severity.WARNING, "A number in the text is not in the contact directory")
def not_in_directory(ctx: Context) -> Found:
    """A number typed into a step ("ring ext 4400", "call 01632 960123") is not updated when the
    directory is: it is the number that is still wrong after the next reorganisation. Every number
    the plan's prose gives should be a number of someone in the directory; better still, name the
    person, role or supplier and let the directory give the number."""
    listed = directory_numbers(ctx)
    for path, text in all_prose(ctx):
        for written, digits in numbers_in(text):
            if not _find(listed, digits):
                yield path, f"gives {written!r}, which is no one's number in the contact directory"


@rule("PHN002", "number-not-staffed", Severity.ERROR, "A step gives a number that is not answered when the step runs")
def not_staffed(ctx: Context) -> Found:
    """An out-of-hours step that says "ring the estates helpdesk on 01632 960555" when the directory
    says that line is answered only in hours (or a step done at any time that gives only such a
    number) sends the night shift to a phone nobody picks up. Give the out-of-hours number."""
    listed = directory_numbers(ctx)
    for path, text, when in step_prose(ctx):
        if when is When.IN_HOURS:
            continue
        found = [(written, _find(listed, digits)) for written, digits in numbers_in(text)]
        found = [(written, entries) for written, entries in found if entries]
        day_only = [(w, e) for w, e in found if all(x.when is Availability.IN_HOURS for x in e)]
        answered = [w for w, e in found if any(x.when is not Availability.IN_HOURS for x in e)]
        if when is When.ALWAYS and answered:
            continue
        for written, entries in day_only:
            period = "out of hours" if when is When.OUT_OF_HOURS else "at any time"
            yield (
                path,
                f"this step is done {period} but {written!r} ({entries[0].owner}) is answered only in hours",
            )
