"""Restoring the service stops the supplier clocks still running: each open ticket's restore clock (and its
response clock, if the supplier never answered) gets a stop event at the restoration's moment, audited, in the
restoration's transaction; a stand-down does the same for an incident never marked restored."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.core.models import AuditEntry, Organisation
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident, TimelineEntry
from contingency.plans.models import Plan
from contingency.suppliers import escalation, services
from contingency.suppliers.models import ClockDue, ClockEvent, Ticket

from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SUPPLIER = "meridian"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def setup(reference: str = "MIS-1") -> Ticket:
    services.record_assurance(
        organisation=Organisation.objects.get(slug=HOME_ORG),
        supplier_key=SUPPLIER,
        has_plan="yes",
        last_tested_on=date(2026, 6, 1),
        response_time="4h",
        restore_time="2 working days",
        contacts=[],
        review_on=None,
        actor=None,
        via="test",
    )
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test", at=at(7, 9))
    incident = incidents.invoke(incident=reported, actor=None, via="test", at=at(7, 9, 5))
    return services.log_ticket(
        incident=incident,
        supplier_key=SUPPLIER,
        reference=reference,
        logged_at=at(7, 9, 10),
        rca_due_on=None,
        actor=None,
        via="test",
    )


def stops(ticket: Ticket) -> dict[str, tuple[datetime, str]]:
    return {e.clock: (e.at, e.reason) for e in ClockEvent.objects.filter(ticket=ticket, kind="stopped")}


def test_restoration_stops_both_clocks_at_its_moment_and_nothing_is_escalated_after(demo_plans: list[Any]) -> None:
    with time_machine.travel(at(7, 10), tick=False):
        ticket = setup()
    with time_machine.travel(at(7, 12), tick=False):
        incidents.restore(incident=ticket.incident, actor=None, restored_at=at(7, 11, 30), via="test")
    assert stops(ticket) == {
        "restore": (at(7, 11, 30), "service restored"),
        "response": (at(7, 11, 30), "service restored"),
    }
    assert set(ClockDue.objects.filter(ticket=ticket).values_list("due_at", flat=True)) == {None}
    entry = AuditEntry.objects.get(object_type="supplier-ticket", note__contains="stopped: service restored")
    assert entry.note == "restore and response clock(s) stopped: service restored"
    assert TimelineEntry.objects.filter(
        incident=ticket.incident,
        text="Supplier clocks stopped (service restored): Meridian Imaging Systems Ltd MIS-1 (restore and response).",
    ).exists()
    assert escalation.run_due(now=lambda: at(14, 9)) == 0  # a week later: neither clock ever breached


def test_a_clock_already_stopped_is_left_and_a_paused_one_stops(demo_plans: list[Any]) -> None:
    with time_machine.travel(at(7, 10), tick=False):
        ticket = setup()
        services.clock_event(
            ticket=ticket, clock="response", kind="stopped", at=at(7, 9, 40), reason="", actor=None, via="test"
        )
        services.clock_event(
            ticket=ticket, clock="restore", kind="paused", at=at(7, 9, 50), reason="Awaiting us", actor=None, via="test"
        )
    with time_machine.travel(at(7, 12), tick=False):
        incidents.restore(incident=ticket.incident, actor=None, via="test")
        incidents.stand_down(incident=Incident.objects.get(pk=ticket.incident_id), actor=None, reason="x", via="test")
    assert stops(ticket) == {"response": (at(7, 9, 40), ""), "restore": (at(7, 12), "service restored")}
    assert ClockEvent.objects.filter(ticket=ticket).count() == 3  # the stand-down found nothing left to stop


def test_a_stand_down_without_restoration_stops_the_clocks(demo_plans: list[Any]) -> None:
    with time_machine.travel(at(7, 10), tick=False):
        ticket = setup()
    with time_machine.travel(at(7, 15), tick=False):
        incidents.stand_down(incident=ticket.incident, actor=None, reason="Handed to the supplier", via="test")
    assert stops(ticket) == {
        "restore": (at(7, 15), "incident stood down"),
        "response": (at(7, 15), "incident stood down"),
    }


def test_a_ticket_logged_after_restoration_has_its_clocks_stopped_at_once(demo_plans: list[Any]) -> None:
    with time_machine.travel(at(7, 10), tick=False):
        first = setup()
        incidents.restore(incident=first.incident, actor=None, via="test")
    with time_machine.travel(at(7, 11), tick=False):
        late = services.log_ticket(
            incident=Incident.objects.get(pk=first.incident_id),
            supplier_key=SUPPLIER,
            reference="MIS-2",
            logged_at=at(7, 9, 30),
            rca_due_on=None,
            actor=None,
            via="test",
        )
    assert stops(late) == {"restore": (at(7, 10), "service already restored when the ticket was logged")} | {
        "response": (at(7, 10), "service already restored when the ticket was logged")
    }
    assert set(ClockDue.objects.filter(ticket=late).values_list("due_at", flat=True)) == {None}
