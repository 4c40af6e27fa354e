"""Editing a function: a bad RTO is refused beside the field and in the summary, then fixed and saved."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, screenshot

EDIT = "/o/northwick-general/plans/pacs-bcdr/edit/"


def test_invalid_rto_is_shown_beside_the_field_then_fixed(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    log_in(page, site, user_with("editor"))
    page.goto(f"{site}{EDIT}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Edit PACS business continuity and disaster recovery plan"
    )
    page.get_by_role("link", name="Edit critical function image-reporting").click()
    expect(page).to_have_url(f"{site}{EDIT}functions/image-reporting/")

    rto = page.get_by_label("RTO (optional)", exact=True)
    original = rto.input_value()
    assert "duration: 4h" in original
    # Words are kept as written (and linted); a list where a duration belongs is malformed.
    rto.fill(original.replace("duration: 4h", "duration: [4]", 1))
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Nothing has been saved.")
    expect(summary.get_by_role("link").first).to_contain_text("RTO:")
    # The message sits beside the field and is tied to it for screen readers.
    rto = page.get_by_label("RTO (optional)", exact=True)
    expect(rto).to_have_attribute("aria-invalid", "true")
    error = page.locator(".field.has-error .field-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("expected a duration such as 4h or 5 working days, got [4]")
    assert (rto.get_attribute("aria-describedby") or "").split()[0] == error.get_attribute("id")
    # The summary's link moves focus to the field.
    summary.get_by_role("link").first.click()
    expect(rto).to_be_focused()
    screenshot(page, request, "errors")
    check_a11y(page, "function form with errors")

    rto.fill(original.replace("duration: 4h", "duration: 6h", 1))
    page.get_by_role("button", name="Save").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text("Saved the critical function image-reporting.")
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, request, "saved")

    page.goto(f"{site}{EDIT}functions/image-reporting/")
    expect(page.get_by_label("RTO (optional)", exact=True)).to_have_value(
        original.replace("duration: 4h", "duration: 6h", 1)
    )
