"""Escalating a breached supplier clock: exactly once, however many workers run and however often.

Each ticket clock has one ClockDue row, rewritten in the transaction of every change to the ticket
(services._reschedule). A pass lists the rows due and, for each, in one transaction: locks the
incident's row (as every change to an incident does), re-reads the clock from its events as they now
stand (a pause committed since the listing leaves it unbreached: the row is rescheduled, not fired),
claims the row with a conditional update (pending -> fired) and, only when that update changed it,
writes the timeline entry and the audit entry. A second pass, or a second worker, finds the row fired
and does nothing. A crash rolls the claim back with its effects; the next pass escalates it.
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
from contingency.lib.calendar import from_organisation

from .models import Assurance, ClockDue, ClockEvent, DueState, Ticket
from .services import reading

log = logging.getLogger("contingency.suppliers")
BATCH = 50


def _due_ids(now: datetime, limit: int) -> list[int]:
    rows = ClockDue.objects.filter(state=DueState.PENDING, due_at__lte=now).order_by("due_at", "id")
    return list(rows.values_list("pk", flat=True)[:limit])


def _contacts(ticket: Ticket, organisation_id: int) -> str:
    found = Assurance.objects.filter(organisation_id=organisation_id, supplier_key=ticket.supplier_key).first()
    if found is None or not found.contacts:
        return ""
    named = "; ".join(f"{c['name']} {c.get('phone', '')}".strip() for c in found.contacts)
    return f" Escalate to: {named}."


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
        row = rows.select_related("ticket", "ticket__incident", "ticket__incident__organisation").first()
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
        TimelineEntry.objects.create(
            incident=incident,
            at=now,
            kind=EventKind.UPDATE,
            text=(
                f"{ticket.supplier_name} ticket {ticket.reference}: the {row.clock} time ({written}) was breached "
                f"at {from_organisation(incident.organisation).local(breach_at):%H:%M on %d %b}. Escalate with the supplier."
                f"{_contacts(ticket, incident.organisation_id)}"
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
            after={"clock": row.clock, "breachedAt": breach_at.isoformat(), "escalated": True},
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
