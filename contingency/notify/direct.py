"""Messages to an address outside any call tree (a supplier's escalation contact, the incident lead's own
number): one outbox row per idempotency key, no acknowledgement asked. The delivery worker sends them like
every other row.

Runs inside the caller's transaction, so the row commits with what caused it or not at all; the key makes a
second call with the same key a no-op. An exercise incident's words start with EXERCISE. A channel not
configured here still leaves a row, failed and permanent with the reason, where the lead looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contingency.incidents.models import Incident

from . import dispatch, links, messages
from .models import Notification, NotificationState

SMS = "sms"
EMAIL = "email"


@dataclass(frozen=True)
class To:
    name: str
    channel: str  # sms or email
    address: str


def queue(
    *, incident: Incident, key: str, to: To, subject: str, body: str, short: str, at: datetime
) -> tuple[Notification, bool]:
    """The outbox row for one message (made now, or found by its key); whether this call made it."""
    exercise = dispatch.is_exercise(incident)
    transport = dispatch.configured().for_plan_channel(to.channel)
    problem = "" if transport else f"no {to.channel} channel is configured"
    subject = messages.marked(" ".join(subject.split()), exercise=exercise)
    return Notification.objects.get_or_create(
        key=key,
        defaults={
            "incident": incident,
            "channel": to.channel,
            "transport": transport.name if transport else "",
            "address": to.address,
            "recipient_name": to.name[:200],
            "subject": subject[: messages.SUBJECT_LIMIT],
            "body": ((messages.EXERCISE_LINE if exercise else "") + body)[: messages.BODY_LIMIT],
            "short": messages.marked(short, exercise=exercise)[: messages.SMS_LIMIT],
            "link": links.incident_link(incident.organisation.slug, incident.number),
            "state": NotificationState.FAILED if problem else NotificationState.PENDING,
            "permanent": bool(problem),
            "last_error": problem,
            "next_attempt_at": at,
            "created_at": at,
        },
    )
