"""The words of a notification: a plan's message template, or the default, filled in within limits (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import MessageTemplate, template_parts

# What one message may carry, whatever its template and facts (docs/guide/notifications.md):
SMS_LIMIT = 918  # GOV.UK Notify's limit for a text message: six SMS fragments
SUBJECT_LIMIT = 200  # an e-mail subject, and the title of a Teams or Slack post
BODY_LIMIT = 5_000  # an e-mail body, and the text of a Teams, Slack or JSON webhook post
CUT = "..."  # marks words cut at a limit (GSM characters, so an SMS is not made Unicode)
# Every message of an exercise's incident starts with this word (contingency.exercises), whatever its template.
EXERCISE = "EXERCISE"
EXERCISE_LINE = f"{EXERCISE}: this is an exercise, not a real incident.\n\n"

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


def fill(text: str, values: Mapping[str, str]) -> str:
    """The template with each plain placeholder filled in. Anything else stays as written - a format
    (`{recipient:>100000000}`), a conversion, an attribute or a stray brace - so words stored before
    the plan format refused them can neither grow without bound nor reach into Python objects."""
    try:
        parts = template_parts(text)
    except ValueError:
        return text
    return "".join(literal + (values[name] if name and name in values else written) for literal, name, written in parts)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - len(CUT), 0)] + CUT


def _within(text: str, limit: int, tail: str, *, always: bool, keep: str) -> str:
    """`text` within `limit` characters with `tail` whole at its end: always, or when cutting lost `keep`."""
    if not always:
        cut = _cut(text, limit)
        if not keep or keep in cut:
            return cut
    return _cut(text, limit - len(tail)) + tail


def marked(text: str, *, exercise: bool) -> str:
    """`text` starting with EXERCISE when it is an exercise's (once: a resend's words already do)."""
    return text if not exercise or text.startswith(EXERCISE) else f"{EXERCISE}: {text}"


def render(message: MessageTemplate, facts: Facts, *, exercise: bool = False) -> Rendered:
    """Fill in the placeholders, each channel within its limit; the acknowledgement link (and code) is
    added when the words leave it out, or when the limit cut it off. An exercise's words start with
    EXERCISE, kept whatever the limits cut (they cut at the end)."""
    values = {key: str(value) for key, value in asdict(facts).items()}
    subject = _cut(marked(" ".join(fill(message.subject, values).split()), exercise=exercise), SUBJECT_LIMIT)
    body = (EXERCISE_LINE if exercise else "") + fill(message.body, values)
    short = marked(fill(message.sms or message.subject, values), exercise=exercise)
    link, code = facts.ack_link, facts.ack_code
    if not link:
        return Rendered(subject=subject, body=_cut(body, BODY_LIMIT), short=_cut(short, SMS_LIMIT))
    sms = message.sms or ""
    body = _within(
        body, BODY_LIMIT, f"\n\nPlease acknowledge: {link}", always="{ack_link}" not in message.body, keep=link
    )
    short = _within(
        short,
        SMS_LIMIT,
        f" Ack: {link}" + (f" or reply {code}" if code else ""),
        always="{ack_link}" not in sms and "{ack_code}" not in sms,
        keep=link if "{ack_link}" in sms else code,
    )
    return Rendered(subject=subject, body=body, short=short)
