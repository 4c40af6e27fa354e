"""Suppliers over the API: the assurance register, and an incident's supplier tickets with their clocks.

The same permissions as the supplier pages: any member reads; recording assurance needs the edit or the
administer permission (plan editors and administrators); logging a ticket and pausing, resuming or stopping
its clocks need the respond permission. The writes are suppliers.services, called with `via="api"`; their
refusal (SupplierRefused) is answered by the API's one handler (422 at the field, 404 for an unknown supplier).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.core.access import capabilities
from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.incidents.models import Incident
from contingency.lib.calendar import from_organisation
from contingency.plans.workflow import local_today
from contingency.suppliers import services
from contingency.suppliers.clocks import why_uncounted
from contingency.suppliers.models import Assurance, Clock, ClockEvent, Ticket

from . import supplier_schemas as x
from .access import organisation_for
from .auth import caller
from .incident_access import CHANGED, INCIDENT, LARGEST, incident_for
from .plans import DENIED, ORG, REFUSED

router = Router(by_alias=True)
SUPPLIERS = ORG + "/suppliers"
TICKETS = INCIDENT + "/supplier-tickets"
VIA = "api"
RECORD_ASSURANCE = (Capability.EDIT, Capability.ADMINISTER)


def _assurance_out(row: Assurance | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "has_plan": row.has_plan,
        "last_tested_on": row.last_tested_on,
        "response_time": row.response_time,
        "restore_time": row.restore_time,
        "contacts": row.contacts,
        "review_on": row.review_on,
        "note": row.note,
        "updated_at": row.updated_at,
        "updated_by": row.updated_by_name,
    }


def _row_out(row: services.Row) -> dict[str, Any]:
    return {
        "supplier": row.key,
        "name": row.name,
        "plans": list(row.plans),
        "state": row.state.value,
        "findings": list(row.findings),
        "assurance": _assurance_out(row.assurance),
    }


def _register_row(organisation: Organisation, key: str) -> dict[str, Any]:
    rows = services.register(organisation, local_today(organisation))
    return _row_out(next(r for r in rows if r.key == key))


@router.get(SUPPLIERS, response={200: list[x.SupplierRow], **DENIED}, url_name="suppliers")
def suppliers(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    """Every supplier the organisation's plans name, with its assurance on file and what is wrong with it today."""
    organisation = organisation_for(request, org, Capability.VIEW)
    return [_row_out(row) for row in services.register(organisation, local_today(organisation))]


@router.put(SUPPLIERS + "/{supplier}", response={200: x.SupplierRow, **REFUSED}, url_name="supplier-assurance")
def record_assurance(request: HttpRequest, org: str, supplier: str, body: x.AssuranceIn) -> dict[str, Any]:
    """Record (or replace) a supplier's assurance: its continuity plan, last test, contract times and contacts."""
    organisation = organisation_for(request, org, Capability.VIEW)
    if not set(RECORD_ASSURANCE) & capabilities(caller(request), organisation):
        raise HttpError(
            403, f"Recording supplier assurance needs the edit or the administer permission in {organisation.name}."
        )
    services.record_assurance(
        organisation=organisation,
        supplier_key=supplier,
        has_plan=body.has_plan,
        last_tested_on=body.last_tested_on,
        response_time=body.response_time,
        restore_time=body.restore_time,
        contacts=[{"name": c.name, "phone": c.phone} for c in body.contacts],
        review_on=body.review_on,
        note=body.note,
        actor=caller(request),
        via=VIA,
    )
    return _register_row(organisation, supplier)


# ---------------------------------------------------------------- an incident's tickets


def ticket_out(incident: Incident, ticket: Ticket, now: Any) -> dict[str, Any]:
    """A ticket with each clock read at `now`, as the incident's suppliers page shows it."""
    calendar = from_organisation(incident.organisation)
    events: list[ClockEvent] = list(ticket.events.all())
    due = {row.clock: row for row in ticket.due.all()}
    clocks = []
    for clock in Clock.values:
        found = services.reading(ticket, clock, events, now)
        length = services.length(ticket, clock)
        clocks.append(
            {
                "clock": clock,
                "written": ticket.written(clock),
                "state": found.running.value,
                "elapsed_seconds": int(found.elapsed.total_seconds()),
                "working": length is not None and length.working,
                "breach_at": found.breach_at,
                "breach_local": calendar.local(found.breach_at).isoformat() if found.breach_at else None,
                "breached": found.breached,
                "uncounted": why_uncounted(ticket.written(clock), calendar=calendar, started_at=ticket.logged_at),
                "escalated": clock in due and due[clock].state == "fired",
            }
        )
    return {
        "id": ticket.pk,
        "supplier": ticket.supplier_key,
        "supplier_name": ticket.supplier_name,
        "reference": ticket.reference,
        "logged_at": ticket.logged_at,
        "logged_local": calendar.local(ticket.logged_at).isoformat(),
        "logged_by": ticket.logged_by_name,
        "rca_due_on": ticket.rca_due_on,
        "rca_received_on": ticket.rca_received_on,
        "clocks": clocks,
        "events": [
            {
                "clock": e.clock,
                "kind": e.kind,
                "at": e.at,
                "local": calendar.local(e.at).isoformat(),
                "reason": e.reason,
                "by": e.by_name,
            }
            for e in events
        ],
    }


def _tickets(incident: Incident) -> QuerySet[Ticket]:
    return Ticket.objects.filter(incident=incident).prefetch_related("events", "due")


def ticket_for(incident: Incident, ticket: int) -> Ticket:
    found = _tickets(incident).filter(pk=ticket).first() if 0 < ticket <= LARGEST else None
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no supplier ticket {ticket}.")
    found.incident = incident
    return found


@router.get(TICKETS, response={200: list[x.TicketOut], **DENIED}, url_name="incident-supplier-tickets")
def tickets(request: HttpRequest, org: str, number: int) -> list[dict[str, Any]]:
    """The incident's supplier tickets, each with its response and restore clocks read now."""
    incident = incident_for(request, org, number, Capability.VIEW)
    now = timezone.now()
    return [ticket_out(incident, ticket, now) for ticket in _tickets(incident)]


@router.post(TICKETS, response={201: x.TicketOut, **CHANGED}, url_name="incident-supplier-tickets")
def log_ticket(request: HttpRequest, org: str, number: int, body: x.TicketIn) -> Status[dict[str, Any]]:
    """Log a call with a supplier: its clocks take the contract's times from the supplier's assurance."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    logged = services.log_ticket(
        incident=incident,
        supplier_key=body.supplier,
        reference=body.reference,
        logged_at=body.logged_at or timezone.now(),
        rca_due_on=body.rca_due_on,
        actor=caller(request),
        via=VIA,
    )
    return Status(201, ticket_out(incident, ticket_for(incident, logged.pk), timezone.now()))


@router.post(TICKETS + "/{ticket}/clock", response={200: x.TicketOut, **CHANGED},
             url_name="incident-supplier-ticket-clock")  # fmt: skip
def clock_event(request: HttpRequest, org: str, number: int, ticket: int, body: x.ClockIn) -> dict[str, Any]:
    """Pause, resume or stop one of the ticket's clocks (a pause or a resume needs its reason)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = ticket_for(incident, ticket)
    services.clock_event(
        ticket=found,
        clock=body.clock,
        kind=body.kind,
        at=body.at or timezone.now(),
        reason=body.reason,
        actor=caller(request),
        via=VIA,
    )
    return ticket_out(incident, ticket_for(incident, ticket), timezone.now())
