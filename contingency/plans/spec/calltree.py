"""Call trees and message templates: who is told, by which channels in turn, and in what words.

A call tree names an audience, the channels to try for each person in order, how long to wait for an
acknowledgement on each, and the fall-back when nobody acknowledges: the person's deputy, then the
escalation audience. Trigger points and inform steps name the call tree they notify.
"""

from __future__ import annotations

import string
from enum import StrEnum
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator, model_validator

from contingency.lib.durations import Duration, Unit

from .directory import Text
from .types import AudienceRef, DurationText, Id, MessageRef, RoleRef, Shorthand, Spec, stored


class Channel(StrEnum):
    """How a person is reached. `phone` is the manual channel: a task to ring them, with the number."""

    SMS = "sms"
    EMAIL = "email"
    PHONE = "phone"


class AudienceEntry(Shorthand):
    """`pacs-team` (a person, a role's contact for the time of day, a supplier's helpdesk, or every entry of a
    list) or `{members: radiology-managers}` (each member of a role, one by one)."""

    short_field = "to"
    to: AudienceRef | None = None
    members: RoleRef | None = None

    @model_validator(mode="after")
    def _one(self) -> AudienceEntry:
        if (self.to is None) == (self.members is None):
            raise ValueError("an audience entry names either 'to' or 'members', not both or neither")
        return self


class Fallback(Spec):
    deputies: bool = True  # a person's deputy is tried once the person's channels are exhausted
    escalate_to: list[AudienceEntry] = []  # then these, when someone (or their deputy) is still not reached


class CallTree(Spec):
    id: Id
    name: Text
    audience: Annotated[list[AudienceEntry], Field(min_length=1)]
    channels: Annotated[list[Channel], Field(min_length=1)] = [Channel.SMS, Channel.EMAIL]
    ack_within: DurationText = Duration(15, Unit.MINUTES)
    fallback: Fallback = Fallback()
    posts: list[Id] = []  # webhooks (Teams, Slack, JSON) told once per event, by configured name
    message: MessageRef | None = None

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is listed twice")
        return value


# What a message template may say; {ack_link} and {ack_code} are added when not written.
PLACEHOLDERS = {
    "incident": "the incident's title",
    "function": "the functions affected",
    "status": "the incident's state and severity",
    "next_meeting": "the next trigger point and when it falls due",
    "incident_link": "the incident page",
    "trigger": "the trigger point or step that sent the message",
    "recipient": "the name of the person told",
    "ack_link": "the link that acknowledges the message",
    "ack_code": "the code to reply with by SMS",
    "plan": "the plan's title",
}


def template_parts(value: str) -> list[tuple[str, str | None, str]]:
    """(literal text, placeholder, the placeholder as written) for each piece of a template; the
    placeholder is None after the last literal, and "" unless it is a plain name. ValueError for a
    brace left open or unmatched."""
    found: list[tuple[str, str | None, str]] = []
    for literal, name, spec, conversion in string.Formatter().parse(value):
        if name is None:
            found.append((literal, None, ""))
            continue
        written = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        plain = not spec and conversion is None and name.isidentifier()
        found.append((literal, name if plain else "", written))
    return found


def _placeholders(value: str | None, info: ValidationInfo) -> str | None:
    if value is None or stored(info):  # stored before these rules: rendering treats the rest as text
        return value
    try:
        found = [(name, written) for _, name, written in template_parts(value) if name is not None]
    except ValueError as exc:
        raise ValueError(f"{exc}; write {{{{ and }}}} for a literal brace") from None
    # A placeholder is a plain name: no format spec ({recipient:>1000000} pads to a million characters),
    # no conversion ({recipient!r}) and no attribute or index ({recipient.__class__}, {x[0]}).
    if plain := [written for name, written in found if not name]:
        raise ValueError(
            f"{plain[0]} is not a placeholder: write the name alone in braces, e.g. {{recipient}}; "
            "formats, conversions (!r) and attributes are not allowed"
        )
    names = {name for name, _ in found}
    if unknown := sorted(names - set(PLACEHOLDERS)):
        raise ValueError(
            f"unknown placeholder {', '.join('{' + n + '}' for n in unknown)}; "
            f"use {', '.join('{' + n + '}' for n in PLACEHOLDERS)}"
        )
    return value


class MessageTemplate(Spec):
    id: Id
    subject: Text
    body: Text
    sms: Annotated[str, Field(max_length=459)] | None = None  # at most three SMS fragments; default: the subject

    _check = field_validator("subject", "body", "sms")(_placeholders)
