"""Supplier assurance and tickets in the database: recorded and audited, a clock paused over a weekend
escalated once at its breach moment however many passes run, and the pages for members only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from contingency.core.models import AuditEntry, Organisation
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident, TimelineEntry
from contingency.plans.models import Plan
from contingency.suppliers import escalation, services
from contingency.suppliers.models import Assurance, ClockDue, ClockEvent, DueState, Ticket
from tests.web import HOME_ORG, OTHER_ORG, PACS, MemberFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SUPPLIER = "meridian"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def northwick() -> Organisation:
    return Organisation.objects.get(slug=HOME_ORG)


def assure(**changes: Any) -> Assurance:
    values: dict[str, Any] = {
        "organisation": northwick(),
        "supplier_key": SUPPLIER,
        "has_plan": "yes",
        "last_tested_on": date(2026, 6, 1),
        "response_time": "30 minutes",
        "restore_time": "8h",
        "contacts": [{"name": "Dana Whitlock", "phone": "07700 900123"}],
        "review_on": date(2027, 6, 1),
        "actor": None,
        "via": "test",
    }
    values.update(changes)
    return services.record_assurance(**values)


def test_assurance_is_recorded_updated_and_audited(demo_plans: list[Any]) -> None:
    first = assure(restore_time="next business day")
    assert first.restore_time == "next business day"
    again = assure(last_tested_on=date(2026, 9, 1))
    assert again.pk == first.pk and Assurance.objects.filter(supplier_key=SUPPLIER).count() == 1
    entries = AuditEntry.objects.filter(object_type="supplier-assurance", object_key=SUPPLIER).order_by("id")
    assert [e.verb for e in entries] == ["create", "change"]
    before, after = entries[1].before, entries[1].after
    assert before is not None and after is not None
    assert before["lastTestedOn"] == "2026-06-01" and after["lastTestedOn"] == "2026-09-01"


def test_a_supplier_not_in_the_plans_or_a_nameless_contact_is_refused(demo_plans: list[Any]) -> None:
    with pytest.raises(services.SupplierRefused):
        assure(supplier_key="nobody-we-know")
    with pytest.raises(services.SupplierRefused) as refused:
        assure(contacts=[{"name": "", "phone": "07700 900124"}])
    assert refused.value.field == "contacts"
    assert not Assurance.objects.filter(supplier_key=SUPPLIER).exists()


def test_the_register_lists_the_plans_suppliers_with_their_state(demo_plans: list[Any]) -> None:
    assure(review_on=date(2026, 11, 1))
    rows = {row.key: row for row in services.register(northwick(), date(2026, 12, 3))}
    assert rows[SUPPLIER].state == "stale" and rows[SUPPLIER].findings == ("review date passed",)
    assert rows["it-service"].state == "missing" and rows["it-service"].findings == ("no assurance on file",)


def incident_with_ticket() -> Ticket:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    with time_machine.travel(at(4, 12), tick=False):
        assure()
        incident = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
        return services.log_ticket(
            incident=incident,
            supplier_key=SUPPLIER,
            reference="MIS-40721",
            logged_at=at(4, 12),
            rca_due_on=date(2026, 12, 18),
            actor=None,
            via="test",
        )


def test_a_clock_paused_over_the_weekend_is_escalated_once_at_its_breach(demo_plans: list[Any]) -> None:
    ticket = incident_with_ticket()
    assert (ticket.response_time, ticket.restore_time) == ("30 minutes", "8h")
    with time_machine.travel(at(4, 12, 20), tick=False):
        services.clock_event(
            ticket=ticket, clock="response", kind="stopped", at=at(4, 12, 20), reason="", actor=None, via="test"
        )
    with time_machine.travel(at(4, 17), tick=False):
        services.clock_event(
            ticket=ticket,
            clock="restore",
            kind="paused",
            at=at(4, 17),
            reason="Vendor waiting for our network team",
            actor=None,
            via="test",
        )
    restore = ClockDue.objects.get(ticket=ticket, clock="restore")
    assert restore.due_at is None  # paused: no breach moment
    assert ClockDue.objects.get(ticket=ticket, clock="response").due_at is None  # stopped in time
    with time_machine.travel(at(7, 8), tick=False):
        services.clock_event(
            ticket=ticket, clock="restore", kind="resumed", at=at(7, 8), reason="Network fixed", actor=None, via="test"
        )
    restore.refresh_from_db()
    assert restore.due_at == at(7, 11) and restore.state == DueState.PENDING

    assert escalation.run_due(now=lambda: at(7, 10, 59)) == 0
    assert escalation.run_due(now=lambda: at(7, 11), worker="one") == 1
    assert escalation.run_due(now=lambda: at(7, 11), worker="two") == 0
    assert escalation.run_due(now=lambda: at(7, 12), worker="two") == 0
    restore.refresh_from_db()
    assert restore.state == DueState.FIRED and restore.fired_by == "one"
    notes = TimelineEntry.objects.filter(incident=ticket.incident, text__contains="MIS-40721")
    assert notes.count() == 1
    assert "restore time (8h) was breached at 11:00" in notes[0].text and "Dana Whitlock 07700 900123" in notes[0].text
    assert (
        AuditEntry.objects.filter(object_type="supplier-ticket", note="restore clock breached: escalated").count() == 1
    )
    assert ClockEvent.objects.filter(ticket=ticket).count() == 3


def test_a_pause_committed_after_the_listing_is_not_escalated(demo_plans: list[Any]) -> None:
    ticket = incident_with_ticket()
    due = ClockDue.objects.get(ticket=ticket, clock="restore")
    with time_machine.travel(at(4, 19), tick=False):
        services.clock_event(
            ticket=ticket, clock="restore", kind="paused", at=at(4, 19), reason="Awaiting us", actor=None, via="test"
        )
    # A worker that listed the row before the pause still finds the clock unbreached when it claims it.
    assert escalation.escalate_one(due.pk, now=at(4, 20), worker="late") is False
    due.refresh_from_db()
    assert due.state == DueState.PENDING and due.due_at is None


def test_clock_events_in_a_wrong_order_or_without_a_reason_are_refused(demo_plans: list[Any]) -> None:
    ticket = incident_with_ticket()
    with time_machine.travel(at(4, 13), tick=False):
        with pytest.raises(services.SupplierRefused) as refused:
            services.clock_event(
                ticket=ticket, clock="restore", kind="resumed", at=at(4, 13), reason="x", actor=None, via="test"
            )
        assert refused.value.field == "kind"
        with pytest.raises(services.SupplierRefused) as refused:
            services.clock_event(
                ticket=ticket, clock="restore", kind="paused", at=at(4, 13), reason=" ", actor=None, via="test"
            )
        assert refused.value.field == "reason"
    assert not ClockEvent.objects.filter(ticket=ticket).exists()


def test_rca_received_is_recorded_and_audited(demo_plans: list[Any]) -> None:
    ticket = incident_with_ticket()
    services.record_rca(ticket=ticket, received_on=date(2026, 12, 3), actor=None, via="test")
    assert Ticket.objects.get(pk=ticket.pk).rca_received_on == date(2026, 12, 3)
    assert AuditEntry.objects.filter(object_type="supplier-ticket", after__rcaReceivedOn="2026-12-03").exists()
    assert Incident.objects.filter(pk=ticket.incident_id).exists()


# ------------------------------------------------------------------------------------------ pages

BASE = f"/o/{HOME_ORG}/suppliers/"


def test_the_pages_need_a_sign_in_and_a_membership(client: Client, member: MemberFactory) -> None:
    ticket = incident_with_ticket()
    tickets = f"/o/{HOME_ORG}/incidents/{ticket.incident.number}/suppliers/"
    for address in (BASE, f"{BASE}{SUPPLIER}/", tickets):
        response = client.get(address)
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert member("administrator", organisation=OTHER_ORG).get(address).status_code == 404
    html = member("viewer").get(tickets).content.decode()
    assert "MIS-40721" in html and "Log a supplier ticket" not in html


def test_any_member_sees_the_register_and_only_editors_change_it(member: MemberFactory) -> None:
    assure(review_on=date(2026, 11, 1))
    html = member("viewer").get(BASE).content.decode()
    assert "Meridian Imaging Systems Ltd" in html and "review date passed" in html and "no assurance on file" in html
    assert "Edit assurance" not in html and "Dana Whitlock" in html
    assert member("viewer").get(f"{BASE}{SUPPLIER}/").status_code == 403
    assert member("viewer").post(f"{BASE}{SUPPLIER}/", {"has_plan": "no"}).status_code == 403
    editor = member("editor")
    assert "Edit assurance" in editor.get(BASE).content.decode()
    assert editor.get(f"{BASE}nobody-we-know/").status_code == 404
    form = {
        "has_plan": "yes",
        "last_tested_on": "2026-10-01",
        "response_time": "30 minutes",
        "restore_time": "next business day",
        "review_on": "2027-10-01",
        "contact_1_name": "Ravi Okafor",
        "contact_1_phone": "01632 960123",
        "note": "",
    }
    response = editor.post(f"{BASE}{SUPPLIER}/", form)
    assert response.status_code == 302
    row = Assurance.objects.get(organisation__slug=HOME_ORG, supplier_key=SUPPLIER)
    assert row.restore_time == "next business day" and row.contacts == [
        {"name": "Ravi Okafor", "phone": "01632 960123"}
    ]
    bad = editor.post(f"{BASE}{SUPPLIER}/", {**form, "contact_1_name": "", "last_tested_on": "2099-01-01"})
    assert bad.status_code == 400 and "There is a problem" in bad.content.decode()
    assert Assurance.objects.get(pk=row.pk).last_tested_on == date(2026, 10, 1)


def test_a_responder_logs_a_ticket_and_pauses_its_clock(member: MemberFactory) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    assure()
    incident = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    page = f"/o/{HOME_ORG}/incidents/{incident.number}/suppliers/"
    responder = member("responder")
    logged = responder.post(
        f"{page}log/", {"supplier": SUPPLIER, "reference": "MIS-5", "logged_at": "2026-12-01T09:00", "rca_due_on": ""}
    )
    assert logged.status_code == 302
    ticket = Ticket.objects.get(incident=incident, reference="MIS-5")
    assert ticket.logged_at == at(1, 9) and ticket.restore_time == "8h"
    refused = responder.post(
        f"{page}{ticket.pk}/clock/",
        {f"t{ticket.pk}-clock": "restore", f"t{ticket.pk}-kind": "paused", f"t{ticket.pk}-at": "2026-12-01T09:30"},
    )
    assert refused.status_code == 400 and "Say why the clock is paused" in refused.content.decode()
    paused = responder.post(
        f"{page}{ticket.pk}/clock/",
        {
            f"t{ticket.pk}-clock": "restore",
            f"t{ticket.pk}-kind": "paused",
            f"t{ticket.pk}-at": "2026-12-01T09:30",
            f"t{ticket.pk}-reason": "Awaiting our firewall change",
        },
    )
    assert paused.status_code == 302
    assert ClockEvent.objects.get(ticket=ticket).reason == "Awaiting our firewall change"
    html = responder.get(page).content.decode()
    assert "Awaiting our firewall change" in html and "paused, 30 minutes counted" in html
    assert (
        member("viewer").post(f"{page}{ticket.pk}/rca/", {f"r{ticket.pk}-received_on": "2026-12-02"}).status_code == 403
    )


def test_the_demo_records_meridians_assurance_once(demo_plans: list[Any]) -> None:
    from contingency.suppliers import demo

    first = demo.load()
    assert first is not None and first.supplier_key == SUPPLIER and demo.load() is None
    rows = {row.key: row for row in services.register(northwick(), first.updated_at.date())}
    assert rows[SUPPLIER].state == "ok"


def test_the_worker_command_escalates_a_breached_clock_with_the_trigger_points(demo_plans: list[Any]) -> None:
    from click.testing import CliRunner

    from contingency.cli import main

    ticket = incident_with_ticket()  # logged on 4 December at 12:00: its 30 minute response time is long past
    with time_machine.travel(at(7, 9), tick=False):
        result = CliRunner().invoke(main, ["worker", "--once", "--only", "triggers", "--name", "cli"])
        assert result.exit_code == 0, result.output
        assert "fired 2 action(s)" in result.stdout  # the response and restore clocks, both breached
        again = CliRunner().invoke(main, ["worker", "--once", "--only", "triggers", "--name", "cli"])
        assert "fired 0 action(s)" in again.stdout
    assert set(ClockDue.objects.filter(ticket=ticket).values_list("state", "fired_by")) == {(DueState.FIRED, "cli")}


def test_the_ticket_page_counts_working_time_and_says_why_a_clock_cannot_breach(member: MemberFactory) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    with time_machine.travel(at(7, 12), tick=False):
        assure(response_time="next business day", restore_time="5 working days")
        incident = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
        services.log_ticket(
            incident=incident,
            supplier_key=SUPPLIER,
            reference="MIS-9",
            logged_at=at(7, 10),
            rca_due_on=None,
            actor=None,
            via="test",
        )
        html = member("viewer").get(f"/o/{HOME_ORG}/incidents/{incident.number}/suppliers/").content.decode()
    assert "running, 2 hours of working time counted" in html and "Breaches at 14 Dec 10:00" in html
    assert "no breach moment" in html and "“next business day” is not a length Contingency can count" in html
