"""Escalating a breached supplier clock: exactly once, however many workers run and however often.

Each ticket clock has one ClockDue row, rewritten in the transaction of every change to the ticket
(services._reschedule). A pass lists the rows due and, for each, in one transaction: locks the
incident's row (as every change to an incident does), re-reads the clock from its events as they now
stand (a pause committed since the listing leaves it unbreached: the row is rescheduled, not fired),
claims the row with a conditional update (pending -> fired) and, only when that update changed it,
writes the timeline entry, the audit entry and the call-out: one outbox row (notify.direct) per message to
the supplier's escalation contacts (a text to each mobile number) and to the incident lead (a text and an
e-mail, where the plan or their membership gives them). The notify worker delivers those rows. A second
pass, or a second worker, finds the row fired and does nothing; the rows' keys are the claimed row's, so
even a repeated call could not queue a message twice. A crash rolls the claim back with its effects; the
next pass escalates it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.poller import Poller
from contingency.core.poller import start_thread as start_poller
from contingency.incidents.models import EventKind, Incident, TimelineEntry, touch
from contingency.incidents.snapshot import calendar_of, resolver_for
from contingency.lib.phones import is_uk_mobile
from contingency.notify import direct
from contingency.notify.links import incident_link

from .models import Assurance, ClockDue, ClockEvent, DueState, Ticket
from .services import reading

log = logging.getLogger("contingency.suppliers")
BATCH = 50


def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = ClockDue.objects.filter(state=DueState.PENDING, due_at__lte=now).order_by("due_at", "id")
    return list(rows.values_list("pk", flat=True)[:limit])


def _contacts(ticket: Ticket, organisation_id: int) -> list[dict[str, str]]:
    """The supplier's escalation contacts as on file now (the ticket copies only the contract's times)."""
    found = Assurance.objects.filter(organisation_id=organisation_id, supplier_key=ticket.supplier_key).first()
    return list(found.contacts) if found is not None else []


def _lead(incident: Incident, now: datetime) -> list[direct.To]:
    """The incident lead's mobile and e-mail: the plan's entry for them, else their member's e-mail."""
    name = incident.lead_name or (incident.lead.get_full_name() if incident.lead else "")
    callee = resolver_for(incident, now).callee(incident.lead_key) if incident.lead_key else None
    mobile = next((n.number for n in callee.numbers if n.kind == "mobile"), None) if callee else None
    email = (callee.email if callee else None) or (incident.lead.email if incident.lead else None)
    name = name or (callee.name if callee else "")
    found = [direct.To(name, direct.SMS, mobile)] if mobile else []
    return found + ([direct.To(name, direct.EMAIL, email)] if email else [])


def _call_out(
    row: ClockDue, ticket: Ticket, contacts: list[dict[str, str]], breached: str, now: datetime
) -> tuple[list[str], list[str]]:
    """Queue the escalation's messages; (who was sent what, whom to ring for want of a mobile number)."""
    incident = ticket.incident
    written = ticket.written(row.clock)
    what = f"{ticket.supplier_name} ticket {ticket.reference} passed its contract {row.clock} time ({written}) at {breached}"
    lead = _lead(incident, now)
    lead_name = lead[0].name if lead else incident.lead_name
    sent: list[str] = []
    ring: list[str] = []
    named = "; ".join(f"{c['name']} {c.get('phone', '')}".strip() for c in contacts) or "none on file"
    for n, contact in enumerate(contacts):
        phone = contact.get("phone", "")
        if not is_uk_mobile(phone):
            ring.append(f"{contact['name']} {phone}".strip())
            continue
        short = f"{incident.organisation.name}: {what}. Please escalate it now." + (
            f" Our incident lead: {lead_name}." if lead_name else ""
        )
        direct.queue(
            incident=incident,
            key=f"supplier-breach:{row.pk}:contact{n}:{direct.SMS}",
            to=direct.To(contact["name"], direct.SMS, phone),
            subject=f"{ticket.supplier_name} {ticket.reference}: {row.clock} time passed",
            body=short,
            short=short,
            at=now,
        )
        sent.append(f"{contact['name']} (text)")
    for to in lead:
        direct.queue(
            incident=incident,
            key=f"supplier-breach:{row.pk}:lead:{to.channel}",
            to=to,
            subject=f"#{incident.number} {incident.title}: {ticket.supplier_name} {row.clock} time passed",
            body=(
                f"{to.name},\n\n{what}.\nThe supplier's escalation contacts: {named}."
                + (" They were sent a text." if sent else "")
                + f"\n\nSupplier tickets: {_tickets_link(incident)}"
            ),
            short=f"#{incident.number}: {what}. Escalation contacts: {named}.",
            at=now,
        )
    if lead:
        sent.append(f"the incident lead {lead[0].name} ({' and '.join(_WORDS[t.channel] for t in lead)})")
    return sent, ring


_WORDS = {direct.SMS: "text", direct.EMAIL: "e-mail"}


def _tickets_link(incident: Incident) -> str:
    return incident_link(incident.organisation.slug, incident.number) + "suppliers/"


def escalate_one(pk: int, *, now: datetime, worker: str) -> bool:
    """Escalate one breached clock; False when it is not (or no longer) due, or already escalated."""
    incident_id = ClockDue.objects.filter(pk=pk).values_list("ticket__incident_id", flat=True).first()
    if incident_id is None:
        return False
    with transaction.atomic():
        list(Incident.objects.select_for_update().filter(pk=incident_id).values_list("pk", flat=True))
        rows = ClockDue.objects.filter(pk=pk, state=DueState.PENDING, due_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        row = rows.select_related(
            "ticket", "ticket__incident", "ticket__incident__organisation", "ticket__incident__lead"
        ).first()
        if row is None:
            return False
        ticket = row.ticket
        found = reading(ticket, row.clock, list(ClockEvent.objects.filter(ticket=ticket)), now)
        if not found.breached:  # the clock changed since the row was written: put it where it now stands
            due_at = found.breach_at if found.running.value == "running" else None
            ClockDue.objects.filter(pk=pk, state=DueState.PENDING).update(due_at=due_at)
            return False
        claimed = ClockDue.objects.filter(pk=pk, state=DueState.PENDING).update(
            state=DueState.FIRED, fired_at=now, fired_by=worker[:64]
        )
        if claimed != 1:
            return False
        incident = ticket.incident
        breach_at = found.breach_at
        assert breach_at is not None
        written = ticket.written(row.clock)
        breached = f"{calendar_of(incident).local(breach_at):%H:%M on %d %b}"
        contacts = _contacts(ticket, incident.organisation_id)
        named = "; ".join(f"{c['name']} {c.get('phone', '')}".strip() for c in contacts)
        sent, ring = _call_out(row, ticket, contacts, breached, now)
        TimelineEntry.objects.create(
            incident=incident,
            at=now,
            kind=EventKind.UPDATE,
            text=(
                f"{ticket.supplier_name} ticket {ticket.reference}: the {row.clock} time ({written}) was breached "
                f"at {breached}. Escalate with the supplier."
                + (f" Escalate to: {named}." if named else " No escalation contact is on file.")
                + (f" Sent to {', '.join(sent)}." if sent else " Nobody could be sent a message.")
                + (f" No mobile number to text, ring: {'; '.join(ring)}." if ring else "")
            ),
            actor_name="scheduler",
        )
        audit.record(
            organisation=incident.organisation,
            actor=None,
            verb=audit.Verb.CHANGE,
            object_type="supplier-ticket",
            object_key=f"{incident.number}/{ticket.pk}",
            label=f"{ticket.supplier_name} {ticket.reference}",
            after={"clock": row.clock, "breachedAt": breach_at.isoformat(), "escalated": True, "sentTo": sent},
            note=f"{row.clock} clock breached: escalated",
            via="scheduler",
        )
        touch(incident.pk)
    return True


def run_due(*, now: Callable[[], datetime] = timezone.now, worker: str = "inline", limit: int = BATCH) -> int:
    """Escalate every clock breached by now; how many this call escalated (idempotent)."""
    escalated = 0
    for pk in _due_ids(now(), limit):
        if escalate_one(pk, now=now(), worker=worker):
            escalated += 1
    return escalated


def loop(stop: threading.Event, *, poll: float = 5.0, worker: str = "suppliers") -> None:
    def tick() -> None:
        escalated = run_due(worker=worker)
        if escalated:
            log.info("worker %s escalated %d supplier clock(s)", worker, escalated)

    Poller(f"supplier clocks {worker}", stop=stop, poll=poll, log=log, about=f", polling every {poll:g}s").run(tick)


def start_thread(poll: float = 5.0, *, worker: str) -> tuple[threading.Thread, threading.Event]:
    return start_poller(loop, name="contingency-suppliers", poll=poll, worker=worker)
