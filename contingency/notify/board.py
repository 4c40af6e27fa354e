"""E-mails that follow an incident's records: the board's briefing, and reminders of review actions.

Both run inside the transaction of what caused them (a published briefing, a reminder's due action
claimed by one worker), so the outbox rows commit with it or not at all.

The briefing reaches the plan's board audience by e-mail only, through the cascade's callouts: each
board member gets a signed link to acknowledge it, and the briefing page shows who has. A board member
with no e-mail address is named in the timeline, not rung: a briefing is read, not read out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from contingency.incidents.firing import note
from contingency.incidents.models import EventKind, Incident, ReviewAction, TimelineEntry
from contingency.incidents.snapshot import calendar_of, document_of, resolver_for
from contingency.lib.durations import Duration, Unit
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import AudienceEntry, CallTree, Channel, Fallback, MessageTemplate
from contingency.plans.spec.directory import Role

from . import dispatch, links, messages
from .calltree import Audience, Recipient
from .models import Notification, NotificationState

EMAIL = Channel.EMAIL.value
# Not a plan id (those have no colon), so the cascade never finds a plan call tree, deputy or escalation for it.
BRIEFING_TREE = "briefing:board"
BRIEFING_ACK_WITHIN = Duration(1, Unit.DAYS)  # a daily briefing: acknowledged before the next one
REMINDER_KEY = "review:"  # outbox keys of review reminders: they outlive the incident's stand-down


def _escape(text: str) -> str:
    """Literal text inside a message template: the briefing's own braces are not placeholders."""
    return text.replace("{", "{{").replace("}", "}}")


def _audience_tree(document: PlanDocument, who: list[str]) -> CallTree:
    """The board audience as a call tree: a role's members one by one (the board, not its on-call contact)."""
    roles = {r.id: r for r in document.roles}
    entries = [
        AudienceEntry.model_construct(to=None, members=ref)
        if isinstance(roles.get(ref), Role) and roles[ref].members
        else AudienceEntry.model_construct(to=ref, members=None)
        for ref in who
    ]
    return CallTree.model_construct(
        id=BRIEFING_TREE,
        name="Board briefing",
        audience=entries,
        channels=[Channel.EMAIL],
        ack_within=BRIEFING_ACK_WITHIN,
        fallback=Fallback.model_construct(deputies=False, escalate_to=[]),
        posts=[],
        message=None,
    )


def send_briefing(*, incident: Incident, entry: TimelineEntry, who: list[str], at: datetime) -> int:
    """E-mail the published briefing to each board member with an address; returns how many were e-mailed."""
    document = document_of(incident)
    tree = _audience_tree(document, who)
    found = Audience(document, resolver_for(incident, at)).recipients(tree)
    by_email: list[Recipient] = []
    without: list[str] = []
    for r in found:
        if EMAIL in r.addresses:
            by_email.append(replace(r, addresses={EMAIL: r.addresses[EMAIL]}, channels=(EMAIL,)))
        else:
            without.append(r.name)
    local = calendar_of(incident).local(entry.at)
    label = f"Board briefing of {local:%H:%M} {local:%a} {local.day} {local:%b}"
    template = MessageTemplate.model_construct(
        id="board-briefing",
        subject="{incident}: board briefing",
        body="{recipient},\n\n" + _escape(entry.text) + "\n\nIncident page: {incident_link}",
        sms=None,
    )
    made = dispatch.reach(
        incident=incident, tree=tree, recipients=by_email, event=f"briefing:{entry.pk}", label=label,
        template=template, at=at,
    )  # fmt: skip
    unsent = [c.recipient_name for c in made if not c.channels]
    sent = [c.recipient_name for c in made if c.channels]
    note(
        incident,
        EventKind.NOTIFIED,
        (
            f"{label} e-mailed to {', '.join(sent)}, each asked to acknowledge."
            if sent
            else f"{label} e-mailed to nobody."
        )
        + (f" No e-mail address in the plan for {', '.join(without)}: give it to them by hand." if without else "")
        + (f" E-mail is not configured here, so not sent to {', '.join(unsent)}." if unsent else "")
        + ("" if found else " The board audience names nobody the plan can reach."),
        at=at,
        actor="notifications",
    )
    return len(sent)


def review_link(incident: Incident) -> str:
    return links.incident_link(incident.organisation.slug, incident.number) + "review/"


def _due_words(due_on: date, today: date) -> str:
    days = (today - due_on).days
    if days <= 0:
        return f"due today ({due_on:%A} {due_on.day} {due_on:%B})"
    return f"overdue by {days} day{'s' if days != 1 else ''} (due {due_on:%A} {due_on.day} {due_on:%B})"


def remind(*, incident: Incident, action: ReviewAction, sequence: int, at: datetime) -> Notification:
    """The outbox row reminding the action's owner; one per (action, reminder), whoever fires it."""
    owner = action.owner_user
    address = (owner.email if owner is not None else "") or ""
    transport = dispatch.configured().for_plan_channel(EMAIL)
    when = _due_words(action.due_on, calendar_of(incident).local(at).date())
    link = review_link(incident)
    exercise = dispatch.is_exercise(incident)
    subject = messages.marked(f"Review action {when.split(' (')[0]}: {action.text}", exercise=exercise)[:200]
    body = (messages.EXERCISE_LINE if exercise else "") + (
        f"{action.owner},\n\nThis action from the review of incident #{incident.number} {incident.title} "
        f"is yours and {when}:\n\n{action.text}\n\nMark it done on the review page when it is: {link}"
    )
    problem = "" if address else "the owner has no e-mail address" if owner else "the owner is no longer a member"
    problem = problem or ("" if transport else "no email channel is configured")
    row, _ = Notification.objects.get_or_create(
        key=f"{REMINDER_KEY}{action.pk}:{sequence}:{EMAIL}",
        defaults={
            "incident": incident,
            "channel": EMAIL,
            "transport": transport.name if transport else "",
            "address": address,
            "recipient_name": action.owner,
            "subject": subject,
            "body": body,
            "short": subject,
            "link": link,
            "state": NotificationState.FAILED if problem else NotificationState.PENDING,
            "permanent": bool(problem),
            "last_error": problem,
            "next_attempt_at": at,
            "created_at": at,
        },
    )
    note(
        incident,
        EventKind.REVIEW,
        f"Reminder to {action.owner}: review action {when}: {action.text}"
        + (f" Not sent: {problem}." if problem else " (e-mailed)."),
        at=at,
        actor="scheduler",
    )
    return row
