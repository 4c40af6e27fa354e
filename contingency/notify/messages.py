"""The words of a notification: a plan's message template, or the default, filled in (pure)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import MessageTemplate

DEFAULT = MessageTemplate(
    id="default",
    subject="{incident}: {trigger}",
    body=(
        "{recipient},\n\n{incident} ({status}).\nAffected: {function}.\n{trigger}.\nNext: {next_meeting}.\n\n"
        "Incident page: {incident_link}"
    ),
    sms="{incident} ({status}). {trigger}. Next: {next_meeting}.",
)


@dataclass(frozen=True)
class Facts:
    incident: str
    function: str
    status: str
    next_meeting: str
    incident_link: str
    trigger: str
    recipient: str
    plan: str
    ack_link: str = ""
    ack_code: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    short: str


def template(document: PlanDocument, key: str | None) -> MessageTemplate:
    return next((m for m in document.messages if m.id == key), DEFAULT) if key else DEFAULT


def render(message: MessageTemplate, facts: Facts) -> Rendered:
    """Fill in the placeholders; add the acknowledgement link and code when the words leave them out."""
    values = asdict(facts)
    subject = message.subject.format(**values)
    body = message.body.format(**values)
    short = (message.sms or message.subject).format(**values)
    if facts.ack_link and "{ack_link}" not in message.body:
        body += f"\n\nPlease acknowledge: {facts.ack_link}"
    sms = message.sms or ""
    if facts.ack_link and "{ack_link}" not in sms and "{ack_code}" not in sms:
        short += f" Ack: {facts.ack_link}" + (f" or reply {facts.ack_code}" if facts.ack_code else "")
    return Rendered(subject=" ".join(subject.split()), body=body, short=short)
