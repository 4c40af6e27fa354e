"""A plan's call trees and message templates as the people told will see them (pure: plan in, rows out).

Each template is filled in with example facts from the plan; each call tree is expanded against the
plan's directory for in hours and for out of hours, showing the channel each person would get here
(this installation's configured channels) and flagging anyone nobody could reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from contingency.incidents.assess import elapsed_words
from contingency.notify import links
from contingency.notify.calltree import Audience, Recipient
from contingency.notify.channels.registry import Channels
from contingency.notify.dispatch import usable
from contingency.notify.messages import DEFAULT, Facts, Rendered, render
from contingency.notify.services import channel_words
from contingency.plans.guidance import Resolver
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import AudienceEntry, CallTree, MessageTemplate
from contingency.web.plan import sections

# GSM 03.38: the basic alphabet is one septet a character; the extension table's characters take two.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
EXAMPLE_TOKEN = "example-token-for-the-preview-00"  # as long as a real one; no call-out has it
EXAMPLE_CODE = "K7PX3M9Q"
EXAMPLE_NUMBER = 123


@dataclass(frozen=True)
class SmsLength:
    characters: int  # septets for GSM text, UTF-16 code units otherwise
    fragments: int
    gsm: bool
    outside: str = ""  # the characters that are not in the GSM alphabet

    @property
    def words(self) -> str:
        sms = f"{self.fragments} SMS" + (" (one message)" if self.fragments == 1 else " fragments")
        if self.gsm:
            return f"{self.characters} characters: {sms}"
        return f"{self.characters} characters: approx. {sms}, because it has characters outside the GSM alphabet"


def sms_length(text: str) -> SmsLength:
    """How many SMS a text takes: 160 GSM characters in one, 153 a part when longer; 70/67 otherwise."""
    outside = "".join(sorted({c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED}))
    if not outside:
        septets = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return SmsLength(septets, 1 if septets <= 160 else math.ceil(septets / 153), True)
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength(units, 1 if units <= 70 else math.ceil(units / 67), False, outside)


@dataclass(frozen=True)
class Use:
    kind: str  # "Trigger point" or "Inform step"
    name: str
    message: str | None  # the template it names, overriding the call tree's


@dataclass(frozen=True)
class Route:
    channel: str
    address: str


@dataclass(frozen=True)
class Reach:
    name: str
    detail: str
    routes: tuple[Route, ...]  # the channels this installation would use, in order
    deputy: str | None

    @property
    def unreachable(self) -> bool:
        return not self.routes


@dataclass(frozen=True)
class Column:
    title: str
    reach: tuple[Reach, ...]

    @property
    def unreachable(self) -> int:
        return sum(1 for r in self.reach if r.unreachable)


@dataclass(frozen=True)
class TreeView:
    tree: CallTree
    audience: tuple[str, ...]
    channels: tuple[str, ...]
    wait: str
    deputies: bool
    escalate_to: tuple[str, ...]
    posts: tuple[tuple[str, bool], ...]  # webhook name, configured here
    message: str  # the call tree's own template; "" when it has none (the default, unless a use names one)
    uses: tuple[Use, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class MessageView:
    template: MessageTemplate
    default: bool
    used_by: tuple[str, ...]
    example: Rendered
    sms: SmsLength
    added_ack: bool  # the acknowledgement link or code was added because the words leave it out


@dataclass(frozen=True)
class Moment:
    title: str
    at: datetime  # on the organisation's wall clock
    in_hours: bool


@dataclass
class Preview:
    trees: list[TreeView] = field(default_factory=list)
    messages: list[MessageView] = field(default_factory=list)
    unsent: list[str] = field(default_factory=list)  # plan channels not configured here
    example: Facts | None = None


def entry_words(entry: AudienceEntry, names: dict[str, str]) -> str:
    if entry.members is not None:
        return f"each member of {names.get(entry.members, entry.members)}"
    return names.get(entry.to or "", entry.to or "")


def uses(document: PlanDocument, tree: CallTree) -> tuple[Use, ...]:
    """The trigger points and inform steps that notify this call tree."""
    found = [Use("Trigger point", t.name, t.message) for t in document.triggers if t.call_tree == tree.id]
    for procedure in document.procedures:
        for step in procedure.steps:
            if step.call_tree == tree.id:
                found.append(Use("Inform step", f"{procedure.title}: {step.text}", step.message))
    return tuple(found)


def _address(recipient: Recipient, channel: str) -> str:
    value = recipient.addresses.get(channel)
    if isinstance(value, list):
        return "; ".join(f"{n['number']} ({n['kind']})" for n in value)
    return str(value or "")


def reach(tree: CallTree, audience: Audience, names: dict[str, str]) -> tuple[Reach, ...]:
    rows = []
    for recipient in audience.recipients(tree):
        routes = tuple(Route(channel_words(c), _address(recipient, c)) for c in usable(recipient))
        deputy = names.get(recipient.deputy, recipient.deputy) if recipient.deputy and tree.fallback.deputies else None
        rows.append(Reach(recipient.name, recipient.detail, routes, deputy))
    return tuple(rows)


def facts(document: PlanDocument, org_slug: str, now: datetime) -> Facts:
    """Example facts: the plan's first function, invoked at high severity, a meeting four hours on."""
    function = document.functions[0].name if document.functions else "the service"
    later = now + timedelta(hours=4)
    meeting = document.triggers[1].name if len(document.triggers) > 1 else "the next meeting"
    return Facts(
        incident=f"{document.systems[0].name if document.systems else function} failure",
        function=function,
        status="Invoked, high severity",
        next_meeting=f"{meeting} at {later:%H:%M} on {later:%A} {later.day} {later:%B}",
        incident_link=links.incident_link(org_slug, EXAMPLE_NUMBER),
        trigger=document.triggers[0].name if document.triggers else "the plan was invoked",
        recipient=document.people[0].name if document.people else "the person told",
        plan=document.title,
        ack_link=links.link(EXAMPLE_TOKEN),
        ack_code=EXAMPLE_CODE,
    )


def _users_of(document: PlanDocument) -> dict[str, list[str]]:
    """Template key -> what sends it (a trigger point or step naming it, or the call tree's default)."""
    found: dict[str, list[str]] = {}
    trees = {t.id: t for t in document.call_trees}
    for tree in document.call_trees:
        for use in uses(document, tree):
            key = use.message or tree.message or DEFAULT.id
            found.setdefault(key, []).append(f"{use.kind} {use.name} (call tree {tree.name})")
    for trigger in document.triggers:
        if trigger.message and trigger.call_tree not in trees:
            found.setdefault(trigger.message, []).append(f"Trigger point {trigger.name}")
    return found


def message_views(document: PlanDocument, base: Facts) -> list[MessageView]:
    users = _users_of(document)
    templates = list(document.messages)
    if DEFAULT.id in users:
        templates.append(DEFAULT)
    views = []
    for template in templates:
        used = users.get(template.id, [])
        example = replace(base, trigger=_trigger_of(used, base.trigger))
        rendered = render(template, example)
        sms = template.sms or ""
        views.append(
            MessageView(
                template=template,
                default=template is DEFAULT,
                used_by=tuple(used),
                example=rendered,
                sms=sms_length(rendered.short),
                added_ack="{ack_link}" not in sms and "{ack_code}" not in sms,
            )
        )
    return views


def _trigger_of(used: list[str], fallback: str) -> str:
    """The name of the first trigger point that sends a template, for its example."""
    for text in used:
        if text.startswith("Trigger point "):
            return text.removeprefix("Trigger point ").split(" (call tree ")[0]
    return fallback


def preview(
    document: PlanDocument, *, org_slug: str, now: datetime, moments: list[Moment], channels: Channels
) -> Preview:
    """Everything the preview page shows; `channels` are this installation's (what it can send on)."""
    names = sections.names(document)
    configured = channels.plan_channels()
    resolvers = [(m, Audience(document, Resolver(document, m.at, m.in_hours))) for m in moments]
    trees = []
    wanted: dict[str, None] = {}  # in the order the plan names them
    for tree in document.call_trees:
        wanted |= dict.fromkeys(c.value for c in tree.channels)
        trees.append(
            TreeView(
                tree=tree,
                audience=tuple(entry_words(e, names) for e in tree.audience),
                channels=tuple(channel_words(c.value) for c in tree.channels),
                wait=elapsed_words(tree.ack_within.shortest),
                deputies=tree.fallback.deputies,
                escalate_to=tuple(entry_words(e, names) for e in tree.fallback.escalate_to),
                posts=tuple((name, channels.webhook(name) is not None) for name in tree.posts),
                message=tree.message or "",
                uses=uses(document, tree),
                columns=tuple(Column(m.title, reach(tree, audience, names)) for m, audience in resolvers),
            )
        )
    unsent = [c for c in wanted if c != "phone" and c not in configured]
    example = facts(document, org_slug, now)
    return Preview(trees, message_views(document, example), [channel_words(c) for c in unsent], example)
