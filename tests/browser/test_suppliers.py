"""The suppliers pages in a browser: an editor records a supplier's assurance through the form, a responder
logs a vendor ticket in an incident and pauses its clock with a reason; every page passes axe and fits 360px."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
BASE = f"/o/{ORG}/suppliers/"
NARROW = 360


def fits(page: Any, site: str, path: str) -> None:
    page.goto(f"{site}{path}")
    page.set_viewport_size({"width": NARROW, "height": 800})
    assert page_width(page) <= NARROW, f"{path} scrolls sideways at {NARROW}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_assurance_is_recorded_and_a_ticket_clock_paused(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    from contingency.incidents import services as incidents
    from contingency.plans.models import Plan
    from contingency.suppliers.models import ClockEvent, Ticket

    log_in(page, site, user_with("editor", "responder"))
    page.goto(f"{site}{BASE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Suppliers")
    meridian = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name="Meridian Imaging Systems Ltd"))
    expect(meridian).to_contain_text("no assurance on file")
    check_a11y(page, "suppliers")
    meridian.get_by_role("link", name="Edit assurance of Meridian Imaging Systems Ltd").click()
    check_a11y(page, "assurance form")
    page.get_by_label("Yes").check()
    page.get_by_label("Continuity last tested on (optional)").fill("2026-09-01")
    page.get_by_label("Contract response time (optional)").fill("30 minutes")
    page.get_by_label("Contract restore time (optional)").fill("8h")
    page.get_by_label("Review this record by (optional)").fill("2027-09-01")
    page.get_by_label("Escalation contact 1: name (optional)").fill("Dana Whitlock")
    page.get_by_label("Escalation contact 1: phone (optional)").fill("07700 900123")
    page.get_by_role("button", name="Save assurance").click()
    expect(page.get_by_role("status")).to_contain_text("Assurance recorded for Meridian Imaging Systems Ltd.")
    expect(meridian).to_contain_text("ok")
    fits(page, site, BASE)
    fits(page, site, f"{BASE}meridian/")

    pacs = Plan.objects.get(organisation__slug=ORG, key="pacs-bcdr")
    incident = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    tickets = f"/o/{ORG}/incidents/{incident.number}/suppliers/"
    page.goto(f"{site}{tickets}")
    check_a11y(page, "supplier tickets, none")
    page.get_by_label("Supplier").select_option("meridian")
    page.get_by_label("Vendor's ticket reference").fill("MIS-40721")
    page.get_by_role("button", name="Log ticket").click()
    expect(page.get_by_role("status")).to_contain_text("Ticket MIS-40721 of Meridian Imaging Systems Ltd logged.")
    ticket = Ticket.objects.get(incident=incident)
    page.get_by_text("Pause, resume or stop a clock").click()
    page.get_by_label("Clock", exact=True).select_option("restore")
    page.get_by_label("Reason").fill("Vendor waiting for our network team")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("The restore clock of MIS-40721 is paused.")
    expect(page.get_by_text("Vendor waiting for our network team")).to_be_visible()
    assert ClockEvent.objects.get(ticket=ticket).kind == "paused"
    check_a11y(page, "supplier tickets")
    screenshot(page, request, "ticket")
    fits(page, site, tickets)
