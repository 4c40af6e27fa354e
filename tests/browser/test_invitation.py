"""An administrator on a phone (390 px) invites someone by e-mail; the e-mail (kept by the demo's catcher)
carries a link with which the invitee, also on a phone, chooses a username and password and signs in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
PASSWORD = "a long phone password 7"


def test_an_administrator_invites_by_email_on_a_phone(
    new_context: Any, site: str, user_with: Any, catcher: None, settings: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    from contingency.notify import delivery
    from contingency.notify.models import CaughtMessage

    settings.CONTINGENCY_BASE_URL = site  # the link in the e-mail points at this live server
    admin = new_context(**PHONE).new_page()
    log_in(admin, site, user_with("administrator"))
    admin.goto(f"{site}/o/{ORG}/members/")
    form = admin.locator("form").filter(has=admin.get_by_role("button", name="Send the invitation"))
    form.get_by_label("E-mail address").fill("nia.evans@example.org")
    form.get_by_label("Name (optional)").fill("Nia Evans")
    form.get_by_label("Responder").check()
    assert page_width(admin) <= 390
    check_a11y(admin, "members page with the invitation form (phone)")
    form.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("An invitation is on its way to nia.evans@example.org")
    expect(admin.get_by_text("Invited, not yet joined")).to_be_visible()
    screenshot(admin, request, "invited")

    delivery.run_until_idle(worker="browser-test")
    body = CaughtMessage.objects.get(address="nia.evans@example.org").body
    link = re.search(r"(http://\S+/invite/\S+/)", body)
    assert link is not None and link.group(1).startswith(f"{site}/invite/")

    invitee = new_context(**PHONE).new_page()
    invitee.goto(link.group(1))
    expect(invitee.get_by_role("heading", level=1)).to_have_text("Join Northwick General Hospital NHS Foundation Trust")
    assert page_width(invitee) <= 390
    check_a11y(invitee, "invitation page (phone)")
    expect(invitee.get_by_label("Username")).to_have_value("nia.evans")
    invitee.get_by_label("Username").fill("nia")
    invitee.get_by_label("Password", exact=True).fill(PASSWORD)
    invitee.get_by_label("The same password again").fill(PASSWORD)
    invitee.get_by_role("button", name=re.compile("^Join ")).click()
    expect(invitee.get_by_role("status")).to_contain_text("Welcome, nia")
    screenshot(invitee, request, "joined")
    log_in(invitee, site, "nia", PASSWORD)
    expect(invitee.get_by_role("link", name="nia")).to_be_visible()
