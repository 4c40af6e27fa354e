"""What people (and GOV.UK Notify) do to a call-out: send again, record a call, acknowledge, reply, report delivery.

Each is one service for the incident page, the acknowledgement page and the API alike: keyword-only,
the `actor` (None for someone without an account, or Notify) and `via` (how they acted: "web",
"api", "acknowledgement link", "GOV.UK Notify"), one transaction, and its own audit entry written in
it. A refusal is a NotifyError (core.errors.Refused): nothing has changed, and the callers only
render it. The cascade's mechanics (moving on, the fall-back, cancelling) are dispatch's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.incidents import tasks
from contingency.incidents.models import State, Task
from contingency.incidents.services import Actor, incident_key

from . import dispatch
from .channels.govuk_notify import NotifyEmailTransport, NotifySmsTransport
from .dispatch import NotifyError
from .models import Callout, CalloutState, Notification, NotificationState

RUNNING = (State.INVOKED, State.RESTORED)
CHANNEL_WORDS = {"sms": "SMS", "email": "e-mail", "phone": "telephone call", "post": "channel post"}

# GOV.UK Notify's failed delivery statuses: (permanent, what the lead reads).
FAILURES = {
    "permanent-failure": (True, "Notify: permanent-failure (the number or address does not exist)"),
    "temporary-failure": (
        False,
        "Notify: temporary-failure (the phone was off or the inbox full while Notify kept trying, up to 72 hours)",
    ),
    "technical-failure": (False, "Notify: technical-failure (a problem between Notify and its provider: not sent)"),
}
_NOTIFY_TRANSPORTS = (NotifySmsTransport.kind, NotifyEmailTransport.kind)


def channel_words(channel: str) -> str:
    return CHANNEL_WORDS.get(channel, channel)


def callout_state(callout: Callout) -> dict[str, Any]:
    """What an audit entry of a call-out records before and after a change."""
    return {"state": callout.state, "step": callout.step, "channel": callout.channel, "round": callout.round}


def _audit(callout: Callout, *, actor: Actor, via: str, before: dict[str, Any], what: str, note: str = "") -> None:
    """The call-out's audit entry, inside the change's transaction."""
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
        after={**callout_state(after), **({"note": note} if note else {})},
        note=what,
        via=via,
    )


def _locked(callout: Callout) -> Callout:
    return Callout.objects.select_for_update(of=("self",)).select_related("incident__organisation").get(pk=callout.pk)


def _fresh(callout: Callout) -> Callout:
    return Callout.objects.select_related("incident__organisation").get(pk=callout.pk)


def _running(callout: Callout, what: str) -> None:
    if callout.incident.state not in RUNNING:
        raise NotifyError(f"the incident has ended: nothing more is {what}")


# ---------------------------------------------------------------- the incident lead


def resend(*, callout: Callout, actor: Actor, via: str, at: datetime | None = None) -> Callout:
    """Send it again from their first channel: not to someone who has acknowledged, nor after the incident."""
    now = at or timezone.now()
    with transaction.atomic():
        current = _locked(callout)
        before = callout_state(current)
        # Refused when they have acknowledged, the incident has ended, or there is nothing to send on.
        dispatch.resend(current, at=now, by=audit.actor_name(actor, via))
        _audit(current, actor=actor, via=via, before=before, what="sent again")
    return _fresh(current)


def record_call(
    *,
    callout: Callout,
    reached: bool,
    actor: Actor,
    via: str,
    note: str = "",
    step: int | None = None,
    at: datetime | None = None,
) -> Callout:
    """A telephone call made by hand: reached is their acknowledgement; not reached moves on now.

    Either way the open task to telephone them is closed (done, or skipped), so the checklist agrees
    with the call-out. `step` is the step the caller saw: if the call-out has moved on since, a not
    reached is refused rather than ending a wait nobody called about.
    """
    now = at or timezone.now()
    who = audit.actor_name(actor, via)
    note = note.strip()
    with transaction.atomic():
        current = _locked(callout)
        _running(current, "recorded")
        before = callout_state(current)
        call = dispatch.open_call_task(current)
        if reached:
            how = f"telephone call (recorded by {who})" + (f": {note}" if note else "")
            if not dispatch.acknowledge(current, via=how, at=now, by=who):
                raise NotifyError(_not_open(current, "nothing more is recorded"))
            _finish(call, actor=actor, via=via, done=True, text=note or "Reached: recorded with the call-out.")
        else:
            if current.state != CalloutState.WAITING:
                raise NotifyError(_not_open(current, "there is no wait to end"))
            if step is not None and step != current.step:
                raise NotifyError(
                    f"{current.recipient_name}'s call-out moved on while you were calling "
                    f"(now: {channel_words(current.channel) or 'no channel'}); look again before recording"
                )
            # Skipping the call task moves the call-out on when the task is for this step; otherwise
            # (no task, or one left from an earlier step) this does. Conditional: never twice.
            _finish(call, actor=actor, via=via, done=False, text=note or "Not reached.")
            dispatch.move_on(current.pk, current.step, now, round_=current.round)
        what = "call recorded: reached" if reached else "call recorded: not reached"
        _audit(current, actor=actor, via=via, before=before, what=what, note=note)
    return _fresh(current)


def _not_open(callout: Callout, then: str) -> str:
    if callout.state == CalloutState.ACKNOWLEDGED:
        return f"{callout.recipient_name} has already acknowledged {callout.event_label}"
    state = CalloutState(callout.state).label.lower()
    return f"the call-out to {callout.recipient_name} is {state}: {then}"


def _finish(task: Task | None, *, actor: Actor, via: str, done: bool, text: str) -> None:
    if task is not None:
        tasks.finish(task=task, actor=actor, done=done, text=text, via=via)


# ---------------------------------------------------------------- the person called


def acknowledge(*, callout: Callout, actor: Actor, via: str, how: str = "link", at: datetime | None = None) -> bool:
    """They have the message (`how`: the link in it, by default). True when recorded now, False when already.

    Refused once the incident has ended or the call-out was stopped: nothing more is recorded.
    """
    now = at or timezone.now()
    with transaction.atomic():
        current = _locked(callout)
        if current.state == CalloutState.ACKNOWLEDGED:
            return False
        if current.state == CalloutState.CANCELLED:
            raise NotifyError("the call-out was stopped: nothing more is recorded")
        _running(current, "recorded")
        before = callout_state(current)
        if not dispatch.acknowledge(current, via=how, at=now):
            return False
        _audit(current, actor=actor, via=via, before=before, what=f"acknowledged by {how}")
    return True


@dataclass(frozen=True)
class Reply:
    """What a text message replying to a call-out did: `result` is a stable word for the API."""

    result: str  # acknowledged, already-acknowledged, not-acknowledged or no-match
    callout: Callout | None = None


def sms_reply(*, text: str, number: str, actor: Actor, via: str, at: datetime | None = None) -> Reply:
    """A text message received: a call-out's code in it acknowledges that call-out."""
    now = at or timezone.now()
    with transaction.atomic():
        found = dispatch.by_code(text)
        if found is None:
            return Reply("no-match")
        current = _locked(found)
        if current.acknowledged_at is not None:
            return Reply("already-acknowledged", current)
        if current.incident.state not in RUNNING:
            return Reply("not-acknowledged", current)  # as the link: an ended incident takes no acknowledgement
        before = callout_state(current)
        how = f"SMS reply from {number}" if number else "SMS reply"
        if not dispatch.acknowledge(current, via=how, at=now):
            return Reply("not-acknowledged", _fresh(current))
        _audit(current, actor=actor, via=via, before=before, what="acknowledged by SMS reply")
    return Reply("acknowledged", current)


# ---------------------------------------------------------------- the provider


@dataclass(frozen=True)
class Delivery:
    """What a delivery receipt did: `result` is a stable word for the API, `error` the failure recorded."""

    result: str  # failed, delivered, ignored, unchanged, superseded, unknown or sending (try again later)
    message: Notification | None = None
    error: str = ""
    state: str = ""  # the message's state when the receipt changed nothing


def _receipt_for(reference: str | None, provider_id: str) -> tuple[Notification | None, str]:
    """The message a receipt is about: by our reference (the key), else by Notify's id."""
    rows = Notification.objects.filter(transport__in=_NOTIFY_TRANSPORTS).select_related("incident__organisation")
    found = rows.filter(key=reference).first() if reference else None
    if found is not None and found.provider_ref not in ("", provider_id):
        # A message sent again after a worker stopped mid-send has two Notify ids: the receipt
        # for the other one does not decide this message's fate.
        return None, "superseded"
    if found is None:
        found = rows.filter(provider_ref=provider_id).first()
    return found, "" if found else "unknown"


def delivery_receipt(
    *, reference: str | None, provider_id: str, status: str, actor: Actor, via: str, at: datetime | None = None
) -> Delivery:
    """GOV.UK Notify's report of a message: a failure fails it and moves its call-out on now."""
    message, why = _receipt_for(reference, provider_id)
    if message is None:
        return Delivery(why)
    if status not in FAILURES:
        # Delivered (or a status Notify adds later): the core keeps no provider status.
        return Delivery(status if status == "delivered" else "ignored", message)
    permanent, error = FAILURES[status]
    now = at or timezone.now()
    with transaction.atomic():
        changed = Notification.objects.filter(pk=message.pk, state=NotificationState.SENT).update(
            state=NotificationState.FAILED, permanent=permanent, last_error=error
        )
        if not changed:
            state = Notification.objects.values_list("state", flat=True).get(pk=message.pk)
            # Still sending: the receipt overtook the worker's record of the send.
            return Delivery("sending" if state == NotificationState.SENDING else "unchanged", message, state=state)
        failed = Notification.objects.select_related("incident__organisation").get(pk=message.pk)
        dispatch.failed(failed, now)
        audit.record(
            organisation=failed.incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="incident-notification",
            object_key=f"{incident_key(failed.incident)}/notifications/{failed.pk}",
            label=str(failed)[:200],
            before={"state": NotificationState.SENT.value},
            after={"state": failed.state, "permanent": permanent, "last_error": error},
            note=status,
            via=via,
        )
    return Delivery("failed", failed, error)
