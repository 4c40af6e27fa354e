"""'It's broken, what do I do?' for a PACS function, on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_what_to_do_now_on_a_phone(new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    page = new_context(**PHONE).new_page()
    log_in(page, site, user_with("responder"))
    page.goto(f"{site}/o/northwick-general/plans/pacs-bcdr/functions/image-reporting/now/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostic image viewing and reporting")
    expect(page.get_by_role("heading", name="Step 1 Check it really is down")).to_be_visible()

    # The confirm checks: what to look at before declaring PACS down.
    step_1 = page.get_by_role("region", name="Step 1 Check it really is down")
    checks = step_1.get_by_role("listitem")
    expect(checks.first).to_be_visible()
    expect(checks.first).to_contain_text(
        "Images will not load for several patients, or users cannot log on or cannot search"
    )
    expect(step_1.get_by_text("The fault shows on several PCs, in more than one area")).to_be_visible()
    expect(step_1).not_to_contain_text("The plan gives no checks for this function")

    # At least one number that can be rung with a tap, whatever the time of day.
    tel = page.locator("main a[href^='tel:']")
    expect(tel.first).to_be_visible()
    assert tel.first.get_attribute("href", timeout=1000).replace("tel:", "").lstrip("+").replace(" ", "").isdigit()

    # Nothing wider than the phone: no sideways scrolling.
    assert page_width(page) <= 390
    screenshot(page, request, "phone")
    check_a11y(page, "what to do now (phone)")
