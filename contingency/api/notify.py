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
import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic.alias_generators import to_camel

from contingency.core import audit
from contingency.core.permissions import Capability
from contingency.incidents import tasks as task_services
from contingency.incidents.models import Incident, State, Task
from contingency.incidents.services import IncidentError, incident_key
from contingency.notify import dispatch
from contingency.notify.channels.govuk_notify import NotifyEmailTransport, NotifySmsTransport
from contingency.notify.dispatch import NotifyError
from contingency.notify.models import Callout, CalloutState, Level, Notification, NotificationState
from contingency.packs.models import HolderNotice

from . import notify_schemas as n
from . import schemas as s
from .auth import caller
from .incident_access import CHANGED, INCIDENT, incident_for, invalid, local, refused
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


def notify_refused(error: NotifyError) -> HttpError | ValidationError:
    """The notify app's refusal, answered as the incident endpoints answer theirs."""
    if error.field in ("", "state"):
        return HttpError(409, error.message)
    return invalid(to_camel(error.field), error.message, code="notify.refused")


def _state(callout: Callout) -> dict[str, Any]:
    return {"state": callout.state, "step": callout.step, "channel": callout.channel, "round": callout.round}


def _audit(callout: Callout, *, actor: Any, via: str, before: dict[str, Any] | None, what: str, note: str = "") -> None:
    """One audit entry per change, in its transaction."""
    incident = callout.incident
    after = Callout.objects.get(pk=callout.pk)
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=audit.Verb.CHANGE,
        object_type="incident-callout",
        object_key=f"{incident_key(incident)}/callouts/{callout.pk}",
        label=str(callout)[:200],
        before=before,
        after={**_state(after), **({"note": note} if note else {})},
        note=what,
        via=via,
    )


@router.post(CALLOUT + "/resend", response={200: n.CalloutOut, **CHANGED}, url_name="incident-callout-resend")
def resend(request: HttpRequest, org: str, number: int, callout: int) -> dict[str, Any]:
    """Send it again from their first channel (not to someone who has acknowledged, nor after the incident)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = callout_for(incident, callout)
    actor = caller(request)
    with transaction.atomic():
        before = _state(found)
        try:
            sent = dispatch.resend(found, at=timezone.now(), by=actor.get_username())
        except NotifyError as error:
            raise notify_refused(error) from None
        _audit(sent, actor=actor, via=VIA, before=before, what="resent")
    return fresh(found)


@router.post(CALLOUT + "/outcome", response={200: n.CalloutOut, **CHANGED}, url_name="incident-callout-outcome")
def outcome(request: HttpRequest, org: str, number: int, callout: int, body: n.OutcomeIn) -> dict[str, Any]:
    """Record a telephone call: reached is their acknowledgement; not reached moves on to the next channel."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = callout_for(incident, callout)
    actor = caller(request)
    who = actor.get_username()
    note = body.note.strip()
    now = timezone.now()
    with transaction.atomic():
        found = Callout.objects.select_for_update().select_related("incident__organisation").get(pk=found.pk)
        before = _state(found)
        call = dispatch.open_call_task(found)
        if body.reached:
            via = f"telephone call (recorded by {who})" + (f": {note}" if note else "")
            if not dispatch.acknowledge(found, via=via, at=now, by=who):
                raise HttpError(409, _not_open(found))
            _finish_call(call, actor=actor, done=True, text=note or "Reached: recorded with the call-out.")
        else:
            if found.state != CalloutState.WAITING:
                raise HttpError(409, _not_open(found))
            if not _finish_call(call, actor=actor, done=False, text=note or "Not reached."):
                dispatch.move_on(found.pk, found.step, now)
        _audit(found, actor=actor, via=VIA, before=before, what="reached" if body.reached else "not reached", note=note)
    return fresh(found)


def _not_open(callout: Callout) -> str:
    if callout.state == CalloutState.ACKNOWLEDGED:
        return f"{callout.recipient_name} has already acknowledged {callout.event_label}"
    state = CalloutState(callout.state).label.lower()
    return f"the call-out to {callout.recipient_name} is {state}: nothing more is recorded"


def _finish_call(task: Task | None, *, actor: Any, done: bool, text: str) -> bool:
    """Close the open task to telephone them, so the checklist agrees; its outcome moves the call-out on.

    Finishing the task is what the checklist does too (a skipped call moves the call-out on), so
    the not-reached path lets it do that rather than moving on twice.
    """
    if task is None or task.incident.state not in (State.INVOKED, State.RESTORED):
        return False
    try:
        task_services.finish(task=task, actor=actor, done=done, text=text, via=VIA)
    except IncidentError as error:
        raise refused(error) from None
    return True


# ---------------------------------------------------------------- GOV.UK Notify's callbacks

TOKEN_VARIABLE = "CONTINGENCY_NOTIFY_CALLBACK_TOKEN"
NOT_CONFIGURED = (
    f"Notify callbacks are not set up here: set {TOKEN_VARIABLE} to the bearer token entered in "
    "GOV.UK Notify (API integration > Callbacks)."
)
WRONG_TOKEN = "Send 'Authorization: Bearer <token>' with the callback token set in GOV.UK Notify."
_NOTIFY_TRANSPORTS = (NotifySmsTransport.kind, NotifyEmailTransport.kind)
FAILURES = {
    "permanent-failure": (True, "Notify: permanent-failure (the number or address does not exist)"),
    "temporary-failure": (
        False,
        "Notify: temporary-failure (the phone was off or the inbox full while Notify kept trying, up to 72 hours)",
    ),
    "technical-failure": (False, "Notify: technical-failure (a problem between Notify and its provider: not sent)"),
}


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


def _words(text: str) -> set[str]:
    """Every 8-character word of the text: a superset of the codes dispatch.by_reply looks for."""
    return {w for w in re.split(r"[^A-Z0-9]+", text.upper()) if len(w) == 8}


@callbacks.post("/notify/inbound-sms", response=CALLBACK_ANSWERS, tags=TAGS, url_name="notify-inbound-sms")
def inbound_sms(request: HttpRequest, body: n.InboundSmsIn) -> dict[str, Any]:
    """GOV.UK Notify's received-text-message callback: a reply with a call-out's code acknowledges it.

    Answers 200 whether or not a code matched (Notify would only send the same text again).
    """
    now = timezone.now()
    with transaction.atomic():
        candidates = Callout.objects.filter(ack_code__in=_words(body.message))
        before = {c.pk: c for c in candidates.only("pk", "state", "step", "channels", "round", "acknowledged_at")}
        callout = dispatch.by_reply(body.message, number=body.source_number, at=now)
        if callout is None:
            log.info("received text message %s: no acknowledgement code in it matched a call-out", body.id)
            return {"result": "no-match", "detail": "No acknowledgement code in the message matched a call-out."}
        after = Callout.objects.get(pk=callout.pk)
        what = f"{callout.recipient_name} for {callout.event_label}"
        earlier = before.get(callout.pk)
        if earlier is not None and earlier.acknowledged_at is not None:
            log.info("received text message %s: call-out %s was already acknowledged", body.id, callout.pk)
            return {"result": "already-acknowledged", "detail": f"Already acknowledged: {what}."}
        if after.acknowledged_at is None:
            log.info("received text message %s: call-out %s is %s", body.id, callout.pk, after.state)
            state = CalloutState(after.state).label.lower()
            return {"result": "not-acknowledged", "detail": f"The call-out is {state}: {what}."}
        was = _state(earlier) if earlier is not None else None
        _audit(callout, actor=None, via=NOTIFY, before=was, what="acknowledged by SMS reply")
    log.info("received text message %s acknowledged call-out %s", body.id, callout.pk)
    return {"result": "acknowledged", "detail": f"Acknowledged: {what}."}


def receipt_for(body: n.DeliveryReceiptIn) -> tuple[Notification | None, str]:
    """The message a receipt is about: by our reference (the key), else by Notify's id."""
    rows = Notification.objects.filter(transport__in=_NOTIFY_TRANSPORTS).select_related("incident__organisation")
    found = rows.filter(key=body.reference).first() if body.reference else None
    if found is not None and found.provider_ref not in ("", body.id):
        # A message sent again after a worker stopped mid-send has two Notify ids: the receipt
        # for the other one does not decide this message's fate.
        return None, "superseded"
    if found is None:
        found = rows.filter(provider_ref=body.id).first()
    return found, "" if found else "unknown"


@callbacks.post("/notify/delivery-status", response=CALLBACK_ANSWERS, tags=TAGS, url_name="notify-delivery-status")
def delivery_status(request: HttpRequest, body: n.DeliveryReceiptIn) -> dict[str, Any]:
    """GOV.UK Notify's delivery receipt: a failure fails the message and moves its call-out on now."""
    message, why = receipt_for(body)
    if message is None:
        log.info("delivery receipt %s (%s): %s message", body.id, body.status, why)
        detail = "A receipt for an earlier send of a message sent again." if why == "superseded" else "No such message."
        return {"result": why, "detail": detail}
    if body.status not in FAILURES:
        # Delivered (or a status Notify adds later): the core keeps no provider status, so log it.
        log.info("delivery receipt %s: message %s %s", body.id, message.pk, body.status)
        return {"result": body.status if body.status == "delivered" else "ignored", "detail": "Nothing to change."}
    permanent, error = FAILURES[body.status]
    now = timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(pk=message.pk, state=NotificationState.SENT).update(
            state=NotificationState.FAILED, permanent=permanent, last_error=error
        )
        if not changed:
            state = Notification.objects.values_list("state", flat=True).get(pk=message.pk)
            if state == NotificationState.SENDING:
                # The receipt overtook the worker's record of the send: Notify tries again in 5 minutes.
                raise HttpError(503, "The message's send is still being recorded: try again shortly.")
            log.info("delivery receipt %s (%s): message %s is %s already", body.id, body.status, message.pk, state)
            return {"result": "unchanged", "detail": f"The message is {state}: nothing to change."}
        failed = Notification.objects.select_related("incident__organisation").get(pk=message.pk)
        dispatch.failed(failed, now)
        if failed.incident is not None:
            organisation = failed.incident.organisation
            kind, key = "incident-notification", f"{incident_key(failed.incident)}/notifications/{failed.pk}"
        else:  # a message to a copy holder about a printed grab pack
            notice = HolderNotice.objects.select_related("record__organisation").get(notification=failed)
            organisation = notice.record.organisation
            kind, key = "pack-notification", f"{notice.record.plan_key}/prints/{notice.record_id}/{failed.pk}"
        audit.record(
            organisation=organisation,
            actor=None,
            verb=audit.Verb.CHANGE,
            object_type=kind,
            object_key=key,
            label=str(failed)[:200],
            before={"state": NotificationState.SENT.value},
            after={"state": failed.state, "permanent": permanent, "last_error": error},
            note=body.status,
            via=NOTIFY,
        )
    log.info("delivery receipt %s: message %s failed (%s)", body.id, message.pk, body.status)
    return {"result": "failed", "detail": error}


router.add_router("", callbacks)
