"""Notifications over the API: an incident's call-outs, and GOV.UK Notify's callbacks.

For an incident (the incident endpoints' permissions): GET .../callouts lists, by event, who was
called, on which channels, every message and its delivery, and who acknowledged; POST
.../callouts/{id}/resend tries someone again from their first channel; POST .../callouts/{id}/outcome
records a telephone call: reached (their acknowledgement) or not (the next channel, or the fall-back).

GOV.UK Notify's callbacks (https://docs.notifications.service.gov.uk/rest-api.html#callbacks) are
public URLs that Notify posts to with `Authorization: Bearer <token>`, the token the service owner
types into Notify's API integration > Callbacks page and into CONTINGENCY_NOTIFY_CALLBACK_TOKEN here:

- POST /api/v1/notify/inbound-sms, "Received text messages": {"id", "source_number",
  "destination_number", "message", "date_received"}, all strings. A reply carrying a call-out's
  code acknowledges it.
- POST /api/v1/notify/delivery-status, "Delivery receipts": {"id" (Notify's notification id),
  "reference" (ours: the message's key, or null), "to", "status" (delivered, permanent-failure,
  temporary-failure or technical-failure), "created_at", "completed_at", "sent_at",
  "notification_type" (email or sms), "template_id", "template_version"}. A failure fails the
  message and moves its call-out on to the next channel now, rather than when the wait ends.

Notify retries a callback every 5 minutes, up to 5 times, when the answer is a 5xx or 429 (or
none), and never after a 4xx. So anything that a retry cannot change gets 200 (a code that
matched nothing, a receipt for a message we do not know), and 503 is kept for what a retry can
fix: no token configured yet, or a receipt that overtook the worker's record of the send.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.errors import AuthenticationError, HttpError
from ninja.security import HttpBearer

from contingency.core.permissions import Capability
from contingency.incidents.models import Incident
from contingency.notify import services
from contingency.notify.models import Callout, CalloutState, Level, Notification, NotificationState

from . import notify_schemas as n
from . import schemas as s
from .auth import caller
from .incident_access import CHANGED, INCIDENT, incident_for, local
from .plans import DENIED

log = logging.getLogger("contingency.notify.callbacks")
router = Router(by_alias=True)

CALLOUTS = INCIDENT + "/callouts"
CALLOUT = CALLOUTS + "/{callout}"
BIGGEST = 2**63 - 1  # call-out ids are big integers; a larger one in a path is simply not there
VIA = "api"
NOTIFY = "GOV.UK Notify"

# ---------------------------------------------------------------- reading


def callout_for(incident: Incident, callout: int) -> Callout:
    found = (
        Callout.objects.filter(incident=incident, pk=callout).select_related("incident__organisation").first()
        if 0 < callout <= BIGGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no call-out {callout}.")
    return found


def message_out(message: Notification) -> dict[str, Any]:
    return {
        "id": message.pk,
        "key": message.key,
        "channel": message.channel,
        "step": message.step,
        "transport": message.transport,
        "address": message.address,
        "recipient_name": message.recipient_name,
        "state": message.state,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at if message.state == NotificationState.PENDING else None,
        "sent_at": message.sent_at,
        "provider_ref": message.provider_ref,
        "last_error": message.last_error,
        "permanent": message.permanent,
        "maybe_duplicate": message.maybe_duplicate,
        "created_at": message.created_at,
    }


def callout_out(incident: Incident, callout: Callout) -> dict[str, Any]:
    return {
        "id": callout.pk,
        "event": callout.event,
        "event_label": callout.event_label,
        "call_tree": callout.call_tree,
        "call_tree_name": callout.call_tree_name,
        "position": callout.position,
        "recipient": callout.recipient_key,
        "recipient_name": callout.recipient_name,
        "detail": callout.detail,
        "level": Level(callout.level).label,
        "fallback_of": callout.fallback_of_id,
        "channels": [str(c) for c in callout.channels],
        "step": callout.step,
        "channel": callout.channel,
        "round": callout.round,
        "state": callout.state,
        "ack_within_seconds": callout.ack_within_seconds,
        "ack_due_at": callout.ack_due_at,
        "ack_due_local": local(incident, callout.ack_due_at),
        "acknowledged_at": callout.acknowledged_at,
        "acknowledged_local": local(incident, callout.acknowledged_at),
        "acknowledged_via": callout.acknowledged_via,
        "ended_at": callout.ended_at,
        "end_note": callout.end_note,
        "task": callout.task_id,
        "inform_task": callout.inform_task_id,
        "created_at": callout.created_at,
        # Sorted here: the prefetched messages keep the model's order, which is not by step.
        "messages": [message_out(m) for m in sorted(callout.messages.all(), key=lambda m: (m.created_at, m.pk))],
    }


def post_event(incident: Incident, post: Notification) -> str:
    """The event a webhook post was for, from its key (`<incident id>:<event>:post:<webhook>`)."""
    head, tail = f"{incident.pk}:", f":post:{post.address}"
    key = post.key
    return key[len(head) : -len(tail)] if key.startswith(head) and key.endswith(tail) else ""


def events_out(incident: Incident) -> list[dict[str, Any]]:
    """Every event that called people out, oldest first, each with its call-outs and webhook posts."""
    events: dict[str, dict[str, Any]] = {}
    rows = Callout.objects.filter(incident=incident).prefetch_related("messages").order_by("created_at", "position")
    for callout in rows:
        callout.incident = incident
        event = events.setdefault(callout.event, _event(callout.event, callout.event_label, callout.created_at))
        event["call_tree"] = event["call_tree"] or callout.call_tree
        event["call_tree_name"] = event["call_tree_name"] or callout.call_tree_name
        event["callouts"].append(callout_out(incident, callout))
        event["counts"][callout.state] += 1
    posts = Notification.objects.filter(incident=incident, callout=None, channel="post").order_by("created_at", "id")
    for post in posts:
        key = post_event(incident, post)
        event = events.setdefault(key, _event(key, "", post.created_at))
        event["posts"].append(message_out(post))
    return sorted(events.values(), key=lambda e: e["started_at"])


def _event(key: str, label: str, at: Any) -> dict[str, Any]:
    counts = dict.fromkeys(CalloutState.values, 0)
    return {
        "event": key,
        "label": label,
        "call_tree": "",
        "call_tree_name": "",
        "started_at": at,
        "counts": counts,
        "callouts": [],
        "posts": [],
    }


def fresh(callout: Callout) -> dict[str, Any]:
    found = Callout.objects.select_related("incident__organisation").prefetch_related("messages").get(pk=callout.pk)
    return callout_out(found.incident, found)


@router.get(CALLOUTS, response={200: list[n.CalloutEvent], **DENIED}, url_name="incident-callouts")
def callouts(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """Who each event called out, by what, when, who acknowledged, who could not be reached; and webhook posts."""
    return events_out(incident_for(request, org, number, Capability.VIEW))


# ---------------------------------------------------------------- the lead's actions


@router.post(CALLOUT + "/resend", response={200: n.CalloutOut, **CHANGED}, url_name="incident-callout-resend")
def resend(request: HttpRequest, org: str, number: int, callout: int) -> dict[str, Any]:
    """Send it again from their first channel (not to someone who has acknowledged, nor after the incident)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = callout_for(incident, callout)
    return fresh(services.resend(callout=found, actor=caller(request), via=VIA))


@router.post(CALLOUT + "/outcome", response={200: n.CalloutOut, **CHANGED}, url_name="incident-callout-outcome")
def outcome(request: HttpRequest, org: str, number: int, callout: int, body: n.OutcomeIn) -> dict[str, Any]:
    """Record a telephone call: reached is their acknowledgement; not reached moves on to the next channel.

    Either way the open task to telephone them is closed (done, or skipped), as on the incident page.
    """
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = callout_for(incident, callout)
    recorded = services.record_call(callout=found, reached=body.reached, note=body.note, actor=caller(request), via=VIA)
    return fresh(recorded)


# ---------------------------------------------------------------- GOV.UK Notify's callbacks

TOKEN_VARIABLE = "CONTINGENCY_NOTIFY_CALLBACK_TOKEN"
NOT_CONFIGURED = (
    f"Notify callbacks are not set up here: set {TOKEN_VARIABLE} to the bearer token entered in "
    "GOV.UK Notify (API integration > Callbacks)."
)
WRONG_TOKEN = "Send 'Authorization: Bearer <token>' with the callback token set in GOV.UK Notify."
FAILURES = services.FAILURES


def callback_token() -> str:
    """The token configured in the environment; "" when none is."""
    return os.environ.get(TOKEN_VARIABLE, "").strip()


class NotifyCallbackToken(HttpBearer):
    """Notify's bearer token, compared in constant time; 503 until one is configured."""

    def __call__(self, request: HttpRequest) -> str:
        expected = callback_token()
        if not expected:
            log.error("a GOV.UK Notify callback arrived, but %s is not set", TOKEN_VARIABLE)
            raise HttpError(503, NOT_CONFIGURED)
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        # Bytes: compare_digest refuses str with non-ASCII characters, and a header may have them.
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            log.warning("a GOV.UK Notify callback was refused: its bearer token is missing or wrong")
            raise AuthenticationError(401, WRONG_TOKEN)
        return NOTIFY

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        return None  # not used: __call__ does it all


callbacks = Router(by_alias=True, auth=NotifyCallbackToken())
CALLBACK_ANSWERS = {200: n.CallbackAnswer, 400: s.Invalid, 401: s.Error, 422: s.Invalid, 503: s.Error}
TAGS = ["notify-callbacks"]


@callbacks.post("/notify/inbound-sms", response=CALLBACK_ANSWERS, tags=TAGS, url_name="notify-inbound-sms")
def inbound_sms(request: HttpRequest, body: n.InboundSmsIn) -> dict[str, Any]:
    """GOV.UK Notify's received-text-message callback: a reply with a call-out's code acknowledges it.

    Answers 200 whether or not a code matched (Notify would only send the same text again).
    """
    replied = services.sms_reply(text=body.message, number=body.source_number, actor=None, via=NOTIFY)
    found = replied.callout
    log.info("received text message %s: %s (call-out %s)", body.id, replied.result, found.pk if found else "-")
    if found is None:
        return {"result": replied.result, "detail": "No acknowledgement code in the message matched a call-out."}
    what = f"{found.recipient_name} for {found.event_label}"
    detail = {
        "acknowledged": f"Acknowledged: {what}.",
        "already-acknowledged": f"Already acknowledged: {what}.",
    }.get(replied.result, f"The call-out is {CalloutState(found.state).label.lower()}: {what}.")
    return {"result": replied.result, "detail": detail}


@callbacks.post("/notify/delivery-status", response=CALLBACK_ANSWERS, tags=TAGS, url_name="notify-delivery-status")
def delivery_status(request: HttpRequest, body: n.DeliveryReceiptIn) -> dict[str, Any]:
    """GOV.UK Notify's delivery receipt: a failure fails the message and moves its call-out on now."""
    done = services.delivery_receipt(
        reference=body.reference, provider_id=body.id, status=body.status, actor=None, via=NOTIFY
    )
    message = done.message.pk if done.message else "-"
    log.info("delivery receipt %s (%s): message %s %s", body.id, body.status, message, done.result)
    if done.result == "sending":
        # The receipt overtook the worker's record of the send: Notify tries again in 5 minutes.
        raise HttpError(503, "The message's send is still being recorded: try again shortly.")
    detail = {
        "superseded": "A receipt for an earlier send of a message sent again.",
        "unknown": "No such message.",
        "unchanged": f"The message is {done.state}: nothing to change.",
        "failed": done.error,
    }.get(done.result, "Nothing to change.")
    return {"result": done.result, "detail": detail}


router.add_router("", callbacks)
