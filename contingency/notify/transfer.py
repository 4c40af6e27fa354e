"""Call-outs, messages and delivery attempts in an incident export (see incidents/transfer/sections.py).

On import a call-out gets acknowledgement codes of its own (the laptop's mean nothing here, and
must be unique here), and a message the laptop had not sent when it exported is recorded as not
sent, never sent again from here: the laptop may still send it, and nobody should get it twice.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from contingency.incidents.models import Incident
from contingency.incidents.transfer.sections import Section, register

from . import links
from .models import Attempt, Callout, Notification, NotificationState

NOT_SENT = "Not sent from the laptop copy before it was exported; not sent again after the import."


def _callout_import(values: dict[str, Any], origin: str, created: bool) -> dict[str, Any]:
    return values | {"ack_token": links.new_token(), "ack_code": links.new_code()} if created else values


def _message_import(values: dict[str, Any], origin: str, created: bool) -> dict[str, Any]:
    if created:
        values = values | {"key": f"imported:{origin}"}
    if values["state"] in (NotificationState.PENDING, NotificationState.SENDING):
        values = values | {"state": NotificationState.CANCELLED, "last_error": NOT_SENT}
    return values


def _attempts(incident: Incident) -> models.QuerySet[Any]:
    return Attempt.objects.filter(notification__incident=incident).order_by("pk")


def register_sections() -> None:
    register(
        Section(
            "callouts",
            Callout,
            ("incident", "incident"),
            (
                "event",
                "event_label",
                "call_tree",
                "call_tree_name",
                "position",
                "recipient_key",
                "recipient_name",
                "detail",
                "level",
                "addresses",
                "channels",
                "step",
                "round",
                "ack_within_seconds",
                "deputies",
                "state",
                "ack_due_at",
                "acknowledged_at",
                "acknowledged_via",
                "ended_at",
                "end_note",
                "subject",
                "body",
                "short",
                "created_at",
            ),
            refs={"fallback_of": "callouts", "task": "tasks", "inform_task": "tasks"},
            natural=("event", "recipient_key"),
            on_import=_callout_import,
        )
    )
    register(
        Section(
            "notifications",
            Notification,
            ("incident", "incident"),
            (
                "channel",
                "step",
                "round",
                "transport",
                "address",
                "recipient_name",
                "subject",
                "body",
                "short",
                "link",
                "ack_link",
                "state",
                "attempts",
                "next_attempt_at",
                "not_before",
                "sent_at",
                "provider_ref",
                "last_error",
                "permanent",
                "maybe_duplicate",
                "created_at",
            ),
            refs={"callout": "callouts"},
            on_import=_message_import,
        )
    )
    register(
        Section(
            "attempts",
            Attempt,
            ("notification", "notifications"),
            ("number", "worker", "claimed_at", "finished_at", "outcome", "error"),
            natural=("number",),
            rows=_attempts,
        )
    )
