"""The incident lead hands the lead role to another member, on a 390 px phone and at 1366 px: the Lead page
with a request to lead waiting, then the hand-over, each checked with axe and for sideways scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
DESK = {"viewport": {"width": 1366, "height": 900}}


def led_incident(lead: str, other: str) -> int:
    """A PACS incident invoked, an administrator having made `lead` its lead; `other` has asked to lead."""
    from django.contrib.auth.models import User

    from contingency.incidents import leads, services
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=ORG, key="pacs-bcdr")
    incident = services.invoke(
        incident=services.report(plan=plan, subject="system:pacs", actor=None, via="test"), actor=None, via="test"
    )
    leads.change(incident=incident, actor=None, to_user_id=User.objects.get(username=lead).pk, via="test")
    leads.ask(incident=incident, actor=User.objects.get(username=other), note_text="I am on the night shift")
    return incident.number


@pytest.mark.parametrize("screen", [PHONE, DESK], ids=["390px", "1366px"])
def test_the_lead_hands_over_the_lead_role(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest, screen: dict[str, Any]
) -> None:
    from playwright.sync_api import expect

    width = screen["viewport"]["width"]
    lead, other = str(user_with("responder")), str(user_with("responder"))
    number = led_incident(lead, other)
    page = new_context(**screen).new_page()
    log_in(page, site, lead)
    page.goto(f"{site}/o/{ORG}/incidents/{number}/")
    roles = page.locator("p.incident-roles")
    expect(roles).to_contain_text(f"Incident lead: {lead}")
    page.get_by_role("navigation", name="This incident").get_by_role("link", name="Lead").click()
    page.wait_for_load_state()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Lead: incident")
    waiting = page.get_by_role("region", name="Requests to lead")
    expect(waiting).to_contain_text("I am on the night shift")
    expect(waiting.get_by_role("button", name=f"Accept: {other} leads")).to_be_visible()
    screenshot(page, request, "lead-page")
    assert page_width(page) <= width
    check_a11y(page, f"incident lead page ({width}px)")

    hand = page.get_by_role("region", name="Hand over the lead")
    hand.get_by_label("Hand the lead to a member").select_option(label=other)
    hand.get_by_label("Note for the timeline").fill("Vendor engineer due at 06:00")
    hand.get_by_role("button", name="Hand over the lead").click()
    page.wait_for_load_state()

    expect(page.get_by_role("status").filter(has_text=f"{other} is now the incident lead.")).to_be_visible()
    expect(page.locator("p.incident-roles")).to_contain_text(f"Incident lead: {other}")
    # No longer the lead: the hand-over form has gone, and this member may ask for the lead back.
    expect(page.get_by_role("region", name="Hand over the lead")).to_have_count(0)
    expect(page.get_by_role("button", name="Ask to be lead")).to_be_visible()
    expect(page.get_by_role("region", name="Answered requests")).to_contain_text(re.compile(f"{other} asked; lapsed"))
    screenshot(page, request, "handed-over")
    assert page_width(page) <= width
    check_a11y(page, f"incident lead page after the hand-over ({width}px)")
