"""The cascade: start a call tree for an event, move on when nobody acknowledges, stop when someone does.

Every function here runs inside the caller's transaction (the event's, or the worker's claim), so
callouts, their messages and the tasks to ring people commit together with what caused them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max

from contingency.core.errors import Refused
from contingency.incidents import selves
from contingency.incidents.firing import add_tasks, note
from contingency.incidents.models import (
    DueAction,
    DueKind,
    DueState,
    EventKind,
    Incident,
    InformTarget,
    State,
    Task,
    TaskSource,
    TaskState,
    touch,
)
from contingency.incidents.routing import TaskSpec
from contingency.incidents.snapshot import calendar_of, document_of, resolver_for
from contingency.plans.people import linked_emails
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import CallTree, Channel, MessageTemplate

from . import links, messages
from .calltree import Audience, Recipient, call_tree
from .channels.registry import ChannelConfigError, Channels, from_settings
from .models import Callout, CalloutState, Level, Notification, NotificationState

PHONE = Channel.PHONE.value
log = logging.getLogger("contingency.notify")


def _configured() -> Channels:
    """The configured channels; none when the configuration is broken, so an incident is never refused for it.

    `serve` and `worker` refuse to start with broken channel variables; this guards other WSGI servers.
    """
    try:
        return from_settings()
    except ChannelConfigError as exc:
        log.error("notification channels are misconfigured, so people are rung instead: %s", exc)
        return Channels({})


configured = _configured  # for the other senders in this package


class NotifyError(Refused):
    """A change to a call-out refused; `field` names the input at fault, when there is one."""

    code = "notify.refused"


def _status(incident: Incident) -> str:
    band = f", {incident.severity_band.lower()} severity" if incident.severity_band else ""
    return f"{incident.get_state_display()}{band}"


def _next_meeting(incident: Incident) -> str:
    upcoming = (
        DueAction.objects.filter(incident=incident, state=DueState.PENDING, kind=DueKind.TRIGGER)
        .order_by("due_at", "id")
        .first()
    )
    if upcoming is None:
        return "no trigger point is scheduled"
    local = calendar_of(incident).local(upcoming.due_at)
    return f"{upcoming.name} at {local:%H:%M} on {local:%A} {local.day} {local:%B}"


def is_exercise(incident: Incident) -> bool:
    """Whether the incident is an exercise's (contingency.exercises joins its Exercise row one-to-one)."""
    return Incident.objects.filter(pk=incident.pk, exercise__isnull=False).exists()


def facts(incident: Incident, label: str, recipient: str) -> messages.Facts:
    functions = ", ".join(incident.affected.values_list("name", flat=True)) or incident.subject_name
    return messages.Facts(
        incident=incident.title,
        function=functions,
        status=_status(incident),
        next_meeting=_next_meeting(incident),
        incident_link=links.incident_link(incident.organisation.slug, incident.number),
        trigger=label,
        recipient=recipient,
        plan=incident.plan_title,
    )


def start(
    *,
    incident: Incident,
    tree: CallTree,
    event: str,
    label: str,
    message_key: str | None,
    at: datetime,
    inform_task: Task | None = None,
) -> list[Callout]:
    """Reach the call tree's audience for one event; its webhooks are posted to once."""
    document = document_of(incident)
    audience = Audience(document, resolver_for(incident, at), linked_emails(incident.organisation))
    # Whoever reported or invoked already knows: the call tree does not ring them.
    knows = selves.who_knows(incident, document)
    recipients = [r for r in audience.recipients(tree) if r.key not in knows]
    template = messages.template(document, message_key or tree.message)
    base = facts(incident, label, "")
    made = _callouts(incident, tree, event, label, recipients, template, base, at, Level.AUDIENCE, None, inform_task)
    posts = _posts(incident, tree, event, template, base, at)
    unreachable = [c.recipient_name for c in made if not c.channels]
    unsent = [c.value for c in tree.channels if c.value != PHONE and _configured().for_plan_channel(c.value) is None]
    note(
        incident,
        EventKind.NOTIFIED,
        f"Call tree {tree.name} for {label}: {len(made)} to reach"
        + (f", {posts} channel post(s)" if posts else "")
        + "."
        + (f" No way to reach: {', '.join(unreachable)}." if unreachable else "")
        + (f" Not configured here, so not used: {', '.join(unsent)}." if unsent else ""),
        at=at,
        actor="notifications",
    )
    for callout in made:
        _send_step(callout, at)
    return made


def reach(
    *,
    incident: Incident,
    tree: CallTree,
    recipients: list[Recipient],
    event: str,
    label: str,
    template: MessageTemplate,
    at: datetime,
) -> list[Callout]:
    """Reach chosen recipients for one event with the cascade's callouts, messages and acknowledgement links."""
    made = _callouts(incident, tree, event, label, recipients, template, facts(incident, label, ""), at,
                     Level.AUDIENCE, None, None)  # fmt: skip
    for callout in made:
        _send_step(callout, at)
    return made


def _callouts(
    incident: Incident,
    tree: CallTree,
    event: str,
    label: str,
    recipients: list[Recipient],
    template: MessageTemplate,
    base: messages.Facts,
    at: datetime,
    level: Level,
    fallback_of: Callout | None,
    inform_task: Task | None,
) -> list[Callout]:
    """New callouts for recipients not already called for this event (never the same person twice)."""
    taken = set(Callout.objects.filter(incident=incident, event=event).values_list("recipient_key", flat=True))
    start_at = (Callout.objects.filter(incident=incident, event=event).aggregate(n=Max("position"))["n"] or 0) + 1
    rows: list[Callout] = []
    exercise = is_exercise(incident) if recipients else False
    for recipient in recipients:
        if recipient.key in taken:
            continue
        taken.add(recipient.key)
        token, code = links.new_token(), links.new_code()
        because = f"{fallback_of.recipient_name} has not acknowledged. " if fallback_of else ""
        words = messages.render(
            template,
            replace(
                base,
                recipient=recipient.name,
                trigger=because + label if because else label,
                ack_link=links.link(token),
                ack_code=code,
            ),
            exercise=exercise,
        )
        rows.append(
            Callout(
                incident=incident,
                event=event,
                event_label=label,
                call_tree=tree.id,
                call_tree_name=tree.name,
                position=start_at + len(rows),
                recipient_key=recipient.key,
                recipient_name=recipient.name,
                detail=recipient.detail,
                level=level,
                fallback_of=fallback_of,
                addresses=recipient.addresses,
                channels=usable(recipient),
                ack_within_seconds=int(tree.ack_within.shortest.total_seconds()),
                deputies=tree.fallback.deputies,
                ack_token=token,
                ack_code=code,
                subject=words.subject,
                body=words.body,
                short=words.short,
                inform_task=inform_task,
                created_at=at,
            )
        )
    Callout.objects.bulk_create(rows)
    if rows and rows[0].pk is None:  # only backends that return keys from bulk inserts set them
        rows = list(Callout.objects.filter(incident=incident, event=event, ack_token__in=[r.ack_token for r in rows]))
    return rows


def usable(recipient: Recipient) -> list[str]:
    """The recipient's channels that this installation can send on; a call to make when none is left.

    A laptop with no SMS or e-mail configured still reaches everyone with a number: by telephone.
    """
    channels = _configured()
    found = [c for c in recipient.channels if c == PHONE or channels.for_plan_channel(c) is not None]
    if not found and PHONE in recipient.addresses:
        found = [PHONE]
    return found


def _posts(
    incident: Incident,
    tree: CallTree,
    event: str,
    template: MessageTemplate,
    base: messages.Facts,
    at: datetime,
) -> int:
    channels = _configured()
    rows = []
    exercise = is_exercise(incident) if tree.posts else False
    for name in tree.posts:
        transport = channels.webhook(name)
        words = messages.render(template, replace(base, recipient=tree.name), exercise=exercise)
        rows.append(
            Notification(
                incident=incident,
                key=f"{incident.pk}:{event}:post:{name}",
                channel="post",
                transport=transport.name if transport else f"webhook:{name}",
                address=name,
                recipient_name=f"{tree.name} ({name})",
                subject=words.subject,
                body=words.body,
                short=words.short,
                link=base.incident_link,
                state=NotificationState.PENDING if transport else NotificationState.FAILED,
                permanent=transport is None,
                last_error="" if transport else f"no webhook named {name!r} is configured (CONTINGENCY_WEBHOOK_...)",
                next_attempt_at=at,
                created_at=at,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _send_step(callout: Callout, at: datetime) -> None:
    """Send on the callout's current channel; with none left, it is not reached and the fall-back begins."""
    while True:
        channel = callout.channel
        if not channel:
            _exhausted(callout, at)
            return
        if channel == PHONE:
            _ring(callout, at)
            break
        transport = _configured().for_plan_channel(channel)
        key = f"{callout.incident_id}:{callout.event}:{callout.recipient_key}:{channel}{_round(callout)}"
        common = {
            "incident_id": callout.incident_id,
            "callout": callout,
            "key": key,
            "channel": channel,
            "step": callout.step,
            "round": callout.round,
            "address": str(callout.addresses.get(channel, "")),
            "recipient_name": callout.recipient_name,
            "subject": callout.subject,
            "body": callout.body,
            "short": callout.short,
            "link": links.incident_link(callout.incident.organisation.slug, callout.incident.number),
            "ack_link": links.link(callout.ack_token),
            "next_attempt_at": at,
            "created_at": at,
        }
        if transport is not None:
            Notification.objects.get_or_create(key=key, defaults={**common, "transport": transport.name})
            break
        # Nothing configured sends on this channel: say so where the lead looks, and try the next one.
        Notification.objects.get_or_create(
            key=key,
            defaults={
                **common,
                "transport": "",
                "state": NotificationState.FAILED,
                "permanent": True,
                "last_error": f"no {channel} channel is configured",
            },
        )
        callout.step += 1
    callout.ack_due_at = at + timedelta(seconds=callout.ack_within_seconds)
    callout.save(update_fields=["step", "ack_due_at", "task"])


def _round(callout: Callout) -> str:
    """Keys of a resend carry its round, so the outbox does not take the new message for a duplicate."""
    return f":again{callout.round}" if callout.round else ""


def _ring(callout: Callout, at: datetime) -> None:
    """The manual channel: a task to telephone the recipient, with the numbers to use now.

    For an inform step the step's own task already lists the recipient as a target to tell, with the
    number: marking the target told acknowledges, and no second task says the same thing.
    """
    numbers = callout.addresses.get(PHONE) or []
    dial = "; ".join(f"{n['number']} ({n['kind']}{', ' + n['note'] if n.get('note') else ''})" for n in numbers)
    if (
        callout.inform_task_id is not None
        and InformTarget.objects.filter(task_id=callout.inform_task_id, key=callout.recipient_key).exists()
    ):
        _manual_record(callout, dial, f"target of task {callout.inform_task_id}", at)
        return
    spec = TaskSpec(
        key=f"call:{callout.pk}:{callout.step}{_round(callout)}",
        source=TaskSource.CALL,
        origin=callout.call_tree_name,
        text=f"Telephone {callout.recipient_name} on {dial} and tell them: {callout.subject}",
        kind="call",
        note=f"For {callout.event_label}. Record whether you got through.",
        due_at=at + timedelta(seconds=callout.ack_within_seconds),
    )
    tasks = add_tasks(callout.incident, [spec], at=at)
    callout.task = tasks[0] if tasks else Task.objects.get(incident=callout.incident, key=spec.key)
    _manual_record(callout, dial, spec.key, at)


def _manual_record(callout: Callout, dial: str, ref: str, at: datetime) -> None:
    """The outbox's record of a call to make, so the page lists it with the messages sent."""
    Notification.objects.get_or_create(
        key=f"{callout.incident_id}:{callout.event}:{callout.recipient_key}:{PHONE}:{callout.step}{_round(callout)}",
        defaults={
            "incident_id": callout.incident_id,
            "callout": callout,
            "channel": PHONE,
            "step": callout.step,
            "round": callout.round,
            "transport": "manual",
            "address": dial,
            "recipient_name": callout.recipient_name,
            "subject": callout.subject,
            "body": callout.body,
            "short": callout.short,
            "state": NotificationState.SENT,
            "sent_at": at,
            "provider_ref": ref,
            "next_attempt_at": at,
            "created_at": at,
        },
    )


def _exhausted(callout: Callout, at: datetime) -> None:
    """Every channel tried without an acknowledgement: the deputy next, then the escalation audience."""
    tried = ", ".join(callout.channels) or "no channel: no address or number"
    callout.state = CalloutState.UNREACHED
    callout.ack_due_at = None
    callout.ended_at = at
    callout.end_note = f"not reached (tried {tried})"
    callout.save(update_fields=["state", "ack_due_at", "ended_at", "end_note", "step"])
    if callout.incident.state not in (State.INVOKED, State.RESTORED):
        return
    document = document_of(callout.incident)
    tree = call_tree(document, callout.call_tree)
    if tree is None:
        return
    next_up, already = _fallback(callout, document, tree, at)
    if next_up:
        then = f" Trying {', '.join(c.recipient_name for c in next_up)}."
        then += f" ({', '.join(already)} already on the list.)" if already else ""
    elif already:
        # The lead would otherwise wonder why the deputy or escalation was not called: they already were.
        then = f" Nobody new was called: {', '.join(already)} already on the list for this."
    else:
        then = " Nobody further to try."
    note(
        callout.incident,
        EventKind.NOTIFIED,
        f"{callout.recipient_name} not reached for {callout.event_label} (tried {tried}).{then}",
        at=at,
        actor="notifications",
    )


def _fallback(
    callout: Callout, document: PlanDocument, tree: CallTree, at: datetime
) -> tuple[list[Callout], list[str]]:
    """The fall-back's new callouts, and the names of fall-backs not called because already on the list."""
    audience = Audience(document, resolver_for(callout.incident, at), linked_emails(callout.incident.organisation))
    template = messages.template(document, _message_key(document, callout, tree))
    base = facts(callout.incident, callout.event_label, "")
    on_list = set(
        Callout.objects.filter(incident=callout.incident, event=callout.event).values_list("recipient_key", flat=True)
    )
    made: list[Callout] = []
    already: list[str] = []
    if callout.level == Level.AUDIENCE and callout.deputies:
        person = audience.one(callout.recipient_key, tree)
        deputy = audience.one(person.deputy, tree) if person and person.deputy else None
        if deputy is not None:
            already += [f"{deputy.name} (deputy)"] if deputy.key in on_list else []
            made = _callouts(
                callout.incident, tree, callout.event, callout.event_label, [deputy], template, base, at,
                Level.DEPUTY, callout, callout.inform_task,
            )  # fmt: skip
    if not made and callout.level != Level.ESCALATION and tree.fallback.escalate_to:
        escalation = audience.recipients(tree, tree.fallback.escalate_to)
        already += [f"{r.name} (escalation)" for r in escalation if r.key in on_list]
        made = _callouts(
            callout.incident, tree, callout.event, callout.event_label, escalation, template, base, at,
            Level.ESCALATION, callout, None,
        )  # fmt: skip
    for row in made:
        _send_step(row, at)
    return made, already


def _message_key(document: PlanDocument, callout: Callout, tree: CallTree) -> str | None:
    kind, _, rest = callout.event.partition(":")
    if kind == "trigger":
        trigger = next((t for t in document.triggers if t.id == rest.rsplit(":", 1)[0]), None)
        return (trigger.message if trigger else None) or tree.message
    return tree.message


# ---------------------------------------------------------------- what the worker and people do


def wait_over(callout_id: int, step: int, at: datetime) -> bool:
    """The wait on `step` ended with no acknowledgement: the next channel, or the fall-back.

    The conditional update on (state, step) claims the step, so of several workers one moves it on.
    """
    with transaction.atomic():
        moved = move_on(callout_id, step, at)
    if moved:
        touch(Callout.objects.filter(pk=callout_id).values_list("incident_id", flat=True).first())
    return moved


def failed(notification: Notification, at: datetime) -> None:
    """A message failed for good: the callout moves on now rather than waiting out the time."""
    if notification.callout_id is not None:
        move_on(notification.callout_id, notification.step, at, round_=notification.round)


def move_on(callout_id: int, step: int, at: datetime, *, round_: int | None = None) -> bool:
    """Leave `step` for the next channel (or the fall-back) if the callout is still waiting on it.

    With `round_`, only in that round: a late failure of a message sent before a resend changes nothing.
    """
    waiting = Callout.objects.filter(pk=callout_id, state=CalloutState.WAITING, step=step)
    if round_ is not None:
        waiting = waiting.filter(round=round_)
    if not waiting.update(step=step + 1, ack_due_at=None):
        return False
    _send_step(Callout.objects.select_related("incident__organisation").get(pk=callout_id), at)
    return True


def acknowledge(callout: Callout, *, via: str, at: datetime, by: str = "") -> bool:
    """Record the acknowledgement (once); pending messages to this person are cancelled: no repeats."""
    with transaction.atomic():
        changed = Callout.objects.filter(
            pk=callout.pk, state__in=(CalloutState.WAITING, CalloutState.UNREACHED), acknowledged_at=None
        ).update(
            state=CalloutState.ACKNOWLEDGED,
            acknowledged_at=at,
            acknowledged_via=via,
            ack_due_at=None,
            ended_at=at,
            end_note="",
        )
        if not changed:
            return False
        Notification.objects.filter(callout=callout, state=NotificationState.PENDING).update(
            state=NotificationState.CANCELLED, last_error="acknowledged before it was sent"
        )
        who = f"{callout.recipient_name}" + (f" (recorded by {by})" if by else "")
        if callout.inform_task_id is not None:
            InformTarget.objects.filter(task_id=callout.inform_task_id, key=callout.recipient_key, told_at=None).update(
                told_at=at, told_by_name=by or "call tree", how=via
            )
        note(
            callout.incident,
            EventKind.NOTIFIED,
            f"{who} acknowledged {callout.event_label} by {via}.",
            at=at,
            actor=by or callout.recipient_name,
        )
    touch(callout.incident_id)  # after the transaction: see incidents.models.touch
    return True


_CODE = re.compile(r"\b([A-Z2-9]{8})\b")


def by_code(text: str) -> Callout | None:
    """The callout whose acknowledgement code is the first such code in `text`, or None."""
    for code in _CODE.findall(text.upper()):
        callout = Callout.objects.select_related("incident__organisation").filter(ack_code=code).first()
        if callout is not None:
            return callout
    return None


def by_reply(text: str, *, number: str, at: datetime) -> Callout | None:
    """An SMS reply carrying an acknowledgement code: the callout it acknowledges, or None."""
    callout = by_code(text)
    if callout is not None:
        acknowledge(callout, via=f"SMS reply from {number}" if number else "SMS reply", at=at)
    return callout


def target_told(target: InformTarget, *, how: str, by: str, at: datetime) -> None:
    """Someone marked an inform step's target told: that is the target's acknowledgement."""
    for callout in Callout.objects.select_related("incident__organisation").filter(
        inform_task_id=target.task_id, recipient_key=target.key
    ):
        acknowledge(callout, via=how or "telephone", at=at, by=by)


def call_outcome(task: Task, *, done: bool, outcome: str, by: str, at: datetime) -> None:
    """A telephone call task was finished: done means they were told; skipped means not reached."""
    callout = Callout.objects.select_related("incident__organisation").filter(task=task).first()
    if callout is None:
        return
    if done:
        acknowledge(callout, via="telephone call" + (f": {outcome}" if outcome else ""), at=at, by=by)
        return
    # Move on from the step this task was for: if its wait already ended, skipping it changes nothing.
    made = Notification.objects.filter(callout=callout, provider_ref=task.key).first()
    if made is not None:
        move_on(callout.pk, made.step, at, round_=made.round)


def resend(callout: Callout, *, at: datetime, by: str) -> Callout:
    """Try the person again from their first channel (the lead's decision, so a new message is right)."""
    if callout.state == CalloutState.ACKNOWLEDGED:
        raise NotifyError(f"{callout.recipient_name} has already acknowledged")
    if callout.incident.state not in (State.INVOKED, State.RESTORED):
        raise NotifyError("the incident has ended: nothing more is sent")
    if not callout.channels:
        raise NotifyError(
            f"{callout.recipient_name} has no address or number in the plan: there is nothing to send again"
        )
    with transaction.atomic():
        callout = Callout.objects.select_for_update().select_related("incident__organisation").get(pk=callout.pk)
        Notification.objects.filter(callout=callout, state=NotificationState.PENDING).update(
            state=NotificationState.CANCELLED, last_error="replaced by a resend"
        )
        callout.state = CalloutState.WAITING
        callout.step = 0
        callout.round += 1
        callout.ended_at = None
        callout.end_note = ""
        callout.save(update_fields=["state", "step", "round", "ended_at", "end_note"])
        _send_step(callout, at)
        note(
            callout.incident,
            EventKind.NOTIFIED,
            f"{by} sent {callout.event_label} to {callout.recipient_name} again.",
            at=at,
            actor=by,
        )
    touch(callout.incident_id)
    return callout


def cancel(incident: Incident, at: datetime) -> None:
    """The incident ended: stop waiting and sending."""
    Callout.objects.filter(incident=incident, state=CalloutState.WAITING).update(
        state=CalloutState.CANCELLED, ack_due_at=None, ended_at=at, end_note="the incident ended"
    )
    # Review reminders (keys "review:...") are about the review, which goes on after the incident ends.
    Notification.objects.filter(incident=incident, state=NotificationState.PENDING).exclude(
        key__startswith="review:"
    ).update(state=NotificationState.CANCELLED, last_error="the incident ended")


def open_call_task(callout: Callout) -> Task | None:
    task = callout.task
    return task if task is not None and task.state in (TaskState.OPEN, TaskState.STARTED) else None
