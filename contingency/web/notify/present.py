"""What the "Who has been reached" panel of the incident page shows, as plain rows.

One group per event (a trigger point's occurrence, an inform step) and its call tree; in each, every
call-out with the messages sent for it, and the channel posts of the event. Counts say at a glance
how many are still to hear back and how many could not be reached.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contingency.incidents.models import Incident, State
from contingency.incidents.snapshot import document_of
from contingency.lib.phones import tel_href
from contingency.notify.calltree import call_tree
from contingency.notify.models import Callout, CalloutState, Level, Notification, NotificationState
from contingency.notify.services import channel_words
from contingency.plans.spec import PlanDocument
from contingency.web.incidents.present import Problem

MESSAGE_STATES = {
    NotificationState.PENDING: "queued",
    NotificationState.SENDING: "sending now",
    NotificationState.SENT: "sent",
    NotificationState.FAILED: "failed",
    NotificationState.CANCELLED: "not sent",
}
POST = "post"


def event_of_post(key: str, incident_id: int) -> str:
    """The event a webhook post belongs to, from its idempotency key `<incident>:<event>:post:<name>`."""
    prefix = f"{incident_id}:"
    rest = key[len(prefix) :] if key.startswith(prefix) else key
    event, found, _ = rest.rpartition(":post:")
    return event if found else ""


@dataclass(frozen=True)
class Counts:
    to_reach: int = 0
    acknowledged: int = 0
    waiting: int = 0
    unreached: int = 0
    cancelled: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.to_reach + other.to_reach,
            self.acknowledged + other.acknowledged,
            self.waiting + other.waiting,
            self.unreached + other.unreached,
            self.cancelled + other.cancelled,
        )


def count(callouts: list[Callout]) -> Counts:
    states = [c.state for c in callouts]
    return Counts(
        to_reach=len(states),
        acknowledged=states.count(CalloutState.ACKNOWLEDGED),
        waiting=states.count(CalloutState.WAITING),
        unreached=states.count(CalloutState.UNREACHED),
        cancelled=states.count(CalloutState.CANCELLED),
    )


@dataclass(frozen=True)
class MessageRow:
    message: Notification
    channel: str
    state: str
    manual: bool  # a call for a person to make, not something a machine sent
    again: bool  # sent by "Send again"

    @property
    def failed(self) -> bool:
        return self.message.state == NotificationState.FAILED


@dataclass(frozen=True)
class Number:
    kind: str
    number: str
    href: str | None
    note: str


@dataclass
class CalloutRow:
    callout: Callout
    relation: str  # "deputy for Helen Marsh", or how an escalation came about
    trying: str  # the channel being tried, while waiting
    then: str  # what happens when the wait ends
    messages: list[MessageRow]
    numbers: list[Number]
    can_resend: bool
    can_record: bool
    problem: Problem | None = None

    @property
    def no_channel(self) -> bool:
        return not self.callout.channels

    @property
    def anchor(self) -> str:
        return f"callout-{self.callout.pk}"

    @property
    def call_problem(self) -> bool:
        """A refused "Record a call": its form stays open with the message."""
        return self.problem is not None and self.problem.form == f"{self.anchor}-call"

    @property
    def how(self) -> str:
        """How the acknowledgement came, as words after "acknowledged"."""
        return how(self.callout.acknowledged_via)


@dataclass
class EventGroup:
    event: str
    label: str
    tree: str
    started_at: datetime
    rows: list[CalloutRow] = field(default_factory=list)
    posts: list[MessageRow] = field(default_factory=list)
    counts: Counts = Counts()

    @property
    def title(self) -> str:
        return f"{self.label}, {self.tree}" if self.tree else self.label

    @property
    def unreached(self) -> list[str]:
        return [r.callout.recipient_name for r in self.rows if r.callout.state == CalloutState.UNREACHED]


@dataclass
class Reached:
    groups: list[EventGroup]
    counts: Counts
    running: bool

    def __bool__(self) -> bool:
        return bool(self.groups)


def message_row(message: Notification) -> MessageRow:
    return MessageRow(
        message=message,
        channel=channel_words(message.channel),
        state=MESSAGE_STATES.get(NotificationState(message.state), message.state),
        manual=message.transport == "manual",
        again=":again" in message.key,
    )


def _numbers(callout: Callout) -> list[Number]:
    found = callout.addresses.get("phone") or []
    rows = []
    for n in found if isinstance(found, list) else []:
        kind, number = str(n.get("kind", "")), str(n.get("number", ""))
        dialled = kind not in ("bleep", "pager")
        rows.append(Number(kind, number, tel_href(number) if dialled else None, str(n.get("note", ""))))
    return rows


def how(via: str) -> str:
    if via == "link":
        return "by the link in the message"
    if not via or via.startswith("by "):
        return via
    return f"by {via}"


def relation(callout: Callout) -> str:
    before = callout.fallback_of.recipient_name if callout.fallback_of is not None else "someone"
    if callout.level == Level.DEPUTY:
        return f"deputy for {before}"
    if callout.level == Level.ESCALATION:
        return f"escalation: {before} was not reached"
    return ""


def _deputy_name(document: PlanDocument, key: str) -> str | None:
    person = next((p for p in document.people if p.id == key), None)
    if person is None or not person.deputy:
        return None
    deputy = next((p for p in document.people if p.id == person.deputy), None)
    return deputy.name if deputy else person.deputy


def then(callout: Callout, document: PlanDocument) -> str:
    """What the cascade does when the current wait ends without an acknowledgement."""
    if callout.step + 1 < len(callout.channels):
        return f"then {channel_words(str(callout.channels[callout.step + 1]))}"
    tree = call_tree(document, callout.call_tree)
    if (
        callout.level == Level.AUDIENCE
        and callout.deputies
        and (deputy := _deputy_name(document, callout.recipient_key))
    ):
        return f"then their deputy, {deputy}"
    if callout.level != Level.ESCALATION and tree is not None and tree.fallback.escalate_to:
        return "then the escalation list"
    return "then nobody further: it is marked not reached"


def reached(incident: Incident, problem: Problem | None = None) -> Reached:
    """Every call-out and channel post of the incident, grouped by event, newest event first."""
    running = incident.state in (State.INVOKED, State.RESTORED)
    callouts = list(
        Callout.objects.filter(incident=incident)
        .select_related("fallback_of")
        .prefetch_related("messages")
        .order_by("event", "position")
    )
    posts: dict[str, list[Notification]] = defaultdict(list)
    for post in Notification.objects.filter(incident=incident, callout=None, channel=POST).order_by("created_at", "id"):
        posts[event_of_post(post.key, incident.pk)].append(post)
    if not callouts and not posts:
        return Reached([], Counts(), running)
    document = document_of(incident)
    groups: dict[str, EventGroup] = {}
    by_event: dict[str, list[Callout]] = defaultdict(list)
    for callout in callouts:
        by_event[callout.event].append(callout)
        group = groups.get(callout.event)
        if group is None:
            group = groups[callout.event] = EventGroup(
                callout.event, callout.event_label, callout.call_tree_name, callout.created_at
            )
        group.rows.append(_row(callout, document, running, problem))
    for event, rows in posts.items():
        group = groups.get(event)
        if group is None:
            group = groups[event] = EventGroup(event, rows[0].subject, rows[0].recipient_name, rows[0].created_at)
        group.posts = [message_row(p) for p in rows]
    total = Counts()
    for event, group in groups.items():
        group.counts = count(by_event.get(event, []))
        total = total + group.counts
    ordered = sorted(groups.values(), key=lambda g: (g.started_at, g.event), reverse=True)
    return Reached(ordered, total, running)


def _row(callout: Callout, document: PlanDocument, running: bool, problem: Problem | None) -> CalloutRow:
    waiting = callout.state == CalloutState.WAITING
    open_to_change = running and callout.state in (CalloutState.WAITING, CalloutState.UNREACHED)
    mine = problem if problem is not None and problem.form.startswith(f"callout-{callout.pk}-") else None
    return CalloutRow(
        callout=callout,
        relation=relation(callout),
        trying=channel_words(callout.channel) if waiting and callout.channel else "",
        then=then(callout, document) if waiting else "",
        messages=[message_row(m) for m in sorted(callout.messages.all(), key=lambda m: (m.created_at, m.pk))],
        numbers=_numbers(callout),
        can_resend=open_to_change and bool(callout.channels),
        can_record=open_to_change,
        problem=mine,
    )


def panel_context(context: dict[str, Any]) -> dict[str, Any]:
    """What the panel's template needs, from the incident page's context (see templatetags/notify_panel.py)."""
    incident: Incident = context["incident"]
    problem = context.get("problem")
    return {
        "reached": reached(incident, problem if isinstance(problem, Problem) else None),
        "incident": incident,
        "ctx": context.get("ctx"),
        "problem": problem,
        "zone": context.get("zone"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
