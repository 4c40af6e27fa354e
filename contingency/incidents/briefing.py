"""The board's briefing: who the plan says the board is, the supplier's facts the lead keeps, publishing.

The plan format has no field naming the board: a plan names it in its escalation ladder, as the level
called "Board" (the PACS plan's level 5: "Receive the daily briefing"). That level's `who` is the board
audience. A plan without such a level has no board audience, and publishing says so instead of guessing
(docs/decisions/0032-the-board-is-the-escalation-level-named-board.md).

Publishing writes the update to the timeline and sends `events.briefing_published` in the same
transaction: notifications listen and write the outbox rows, so the e-mails exist exactly when the
briefing does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.plan import EscalationLevel

from . import events, leads, reports
from .firing import note
from .models import Audience, EventKind, Incident, TimelineEntry, touch
from .services import Actor, IncidentError, _name, incident_key
from .snapshot import document_of

LIMIT = 20000  # characters of briefing: a long day, with room to spare
_BOARD = re.compile(r"\bboard\b", re.IGNORECASE)


@dataclass(frozen=True)
class BoardAudience:
    level: int
    name: str
    who: tuple[str, ...]  # references into the plan's directory: people, roles, lists


def board_audience(document: PlanDocument) -> BoardAudience | None:
    """The escalation level named "Board" (the word, in any case), with someone in it; None when the plan has none."""
    found: EscalationLevel | None = next(
        (e for e in sorted(document.escalation, key=lambda e: -e.level) if _BOARD.search(e.name) and e.who), None
    )
    return BoardAudience(found.level, found.name, tuple(found.who)) if found else None


NO_AUDIENCE = (
    "The plan names no board audience (no escalation level called Board with people in it), "
    "so the briefing was not sent to anyone: give it to the board by hand."
)


def publish(
    *, incident: Incident, text: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> TimelineEntry:
    """Publish the briefing as an update to the board and send it to the plan's board audience."""
    now = at or timezone.now()
    text = text.strip()
    if not text:
        raise IncidentError("write the briefing before publishing it", "text")
    if len(text) > LIMIT:
        raise IncidentError(f"keep the briefing under {LIMIT:,} characters", "text")
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.state == "not-a-failure":
            raise IncidentError("this report was closed as not a failure")
        entry = note(incident, EventKind.UPDATE, text, at=now, actor=_name(actor, via), audience=Audience.BOARD)
        audience = board_audience(document_of(incident))
        if audience is None:
            note(incident, EventKind.NOTIFIED, NO_AUDIENCE, at=now, actor="notifications")
        else:
            events.briefing_published.send(
                sender=Incident, incident=incident, entry=entry, who=list(audience.who), at=now
            )
        touch(incident.pk)
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="incident-briefing",
            object_key=incident_key(incident),
            label=f"#{incident.number} {incident.title}",
            after={"text": text, "audience": audience.name if audience else None},
            note="briefing published" + ("" if audience else "; the plan names no board audience"),
            via=via,
        )
    return entry


def set_supplier(
    *, incident: Incident, ticket: str, fix: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> Incident:
    """Record the supplier's ticket reference and their estimated fix, as the briefing reports them (the lead)."""
    now = at or timezone.now()
    ticket, fix = " ".join(ticket.split()), " ".join(fix.split())
    for field, value in (("ticket", ticket), ("fix", fix)):
        if len(value) > 200:
            raise IncidentError("keep this under 200 characters", field)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if not incident.is_open:
            raise IncidentError(f"incident #{incident.number} is {incident.state}: it is closed")
        if not leads.may_change(actor, incident):
            lead = leads.current(incident)
            raise IncidentError(
                f"only the incident lead ({lead.shown if lead else 'nobody yet'}) or an administrator records "
                "the supplier's ticket and estimated fix"
            )
        before = {"ticket": incident.supplier_ticket, "fix": incident.supplier_fix}
        after = {"ticket": ticket, "fix": fix}
        if before == after:
            raise IncidentError("nothing changed: the supplier's ticket and fix are as they were")
        incident.supplier_ticket, incident.supplier_fix = ticket, fix
        incident.save(update_fields=["supplier_ticket", "supplier_fix", "updated_at"])
        note(
            incident,
            EventKind.UPDATE,
            "Supplier: " + reports.supplier_words(incident),
            at=now,
            actor=_name(actor, via),
            audience=Audience.STAFF,
        )
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="incident",
            object_key=incident_key(incident),
            label=f"#{incident.number} {incident.title}",
            before=before,
            after=after,
            note="supplier's ticket and estimated fix",
            via=via,
        )
    return incident
