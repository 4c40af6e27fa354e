"""The demo's catcher in a browser: an administrator opens Caught messages, follows an acknowledgement link
from a caught text, acknowledges, and the incident page says so; at 390 px (a phone) and 1366 px."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"


@pytest.mark.parametrize("width", [390, 1366])
def test_the_catcher_shows_an_acknowledgement_link_that_works(
    new_context: Any,
    site: str,
    user_with: Any,
    catcher: None,
    settings: Any,
    width: int,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    from contingency.notify import demo
    from contingency.notify.models import Callout

    settings.CONTINGENCY_BASE_URL = site  # the links in the messages point at this live server
    incident = demo.load()
    assert incident is not None
    phone = width < 600
    context = new_context(viewport={"width": width, "height": 800}, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    log_in(page, site, user_with("administrator"))
    page.goto(f"{site}/o/{ORG}/")
    page.get_by_role("link", name="Caught messages").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Caught messages")
    assert page_width(page) <= width
    check_a11y(page, f"caught messages ({width} px)")
    screenshot(page, request, f"caught-{width}")

    # The first caught text to someone still waiting: follow its link and acknowledge.
    waiting = {c.recipient_name for c in Callout.objects.filter(incident=incident, state="waiting")}
    link = (
        page.get_by_role("link", name=re.compile("^Acknowledge as "))
        .filter(has_text=re.compile("|".join(re.escape(n) for n in waiting)))
        .first
    )
    name = (link.text_content() or "").removeprefix("Acknowledge as ").strip()
    link.click()
    button = page.get_by_role("button", name="I have received this")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_role("status").filter(has_text="Thank you: received")).to_be_visible()
    assert Callout.objects.filter(incident=incident, recipient_name=name, state="acknowledged").exists()
