"""Editing a critical function on a phone: repeating rows added, moved and filled, a duration read back
as it is typed, a bad value refused beside its field, then saved - no YAML anywhere, nothing wider than 390 px."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

EDIT = "/o/northwick-general/plans/pacs-bcdr/edit/"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def test_edit_a_function_with_repeating_rows_on_a_phone(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    page = new_context(**PHONE).new_page()
    log_in(page, site, user_with("editor"))
    page.goto(f"{site}{EDIT}")
    page.get_by_role("link", name="Edit critical function image-reporting").click()
    expect(page).to_have_url(f"{site}{EDIT}functions/image-reporting/")
    expect(page.locator("textarea[spellcheck=false]")).to_have_count(0)  # no YAML box left
    assert page_width(page) <= 390

    # Move the second RTO row up: htmx swaps the form, the moved row takes focus.
    rto = page.get_by_role("group", name="RTO (optional)", exact=True)
    second = rto.get_by_role("group", name="RTO, row 2", exact=True)
    scenario = second.get_by_label("Scenario").input_value()
    rto.get_by_role("button", name="Move up RTO, row 2").click()
    first = page.get_by_role("group", name="RTO, row 1", exact=True)
    expect(first.get_by_label("Scenario")).to_have_value(scenario)
    expect(first).to_be_focused()

    # Add a duration rule: a new empty row; its duration is read back as it is typed.
    page.get_by_role("button", name="Add a row to Duration rules").click()
    rules = page.get_by_role("group", name="Duration rules (optional)", exact=True)
    new = rules.get_by_role("group").last
    expect(new).to_be_focused()
    after = new.get_by_label("After")
    after.fill("1 working day")
    expect(new.locator(".readout")).to_contain_text("Understood as 1 working day.")
    after.fill("1-4 hours")
    expect(new.locator(".readout")).to_contain_text("A range, kept as written: at the latest 4 hours.")
    new.get_by_label("Action").fill("Ask the reporting radiologists to work from the other site")

    # A bad value is refused beside its field, and nothing is saved.
    impact_after = page.get_by_role("group", name="Impact, row 1", exact=True).get_by_label("After")
    impact_after.fill("soonish")
    page.get_by_role("button", name="Save", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Nothing has been saved.")
    impact_after = page.get_by_role("group", name="Impact, row 1", exact=True).get_by_label("After")
    expect(impact_after).to_have_attribute("aria-invalid", "true")
    error = page.locator("#f-impact-0-after-error")
    expect(error).to_contain_text("soonish")
    summary.get_by_role("link").first.click()
    expect(impact_after).to_be_focused()
    # What was typed elsewhere is still there.
    expect(page.get_by_role("group", name="RTO, row 1", exact=True).get_by_label("Scenario")).to_have_value(scenario)
    assert page_width(page) <= 390
    screenshot(page, request, "errors")
    check_a11y(page, "function form with rows and errors, 390 px")

    impact_after.fill("4h")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved the critical function image-reporting.")
    expect(page.get_by_role("alert")).to_have_count(0)

    page.goto(f"{site}{EDIT}functions/image-reporting/")
    expect(page.get_by_role("group", name="RTO, row 1", exact=True).get_by_label("Scenario")).to_have_value(scenario)
    rules = page.get_by_role("group", name="Duration rules (optional)", exact=True)
    afters = rules.get_by_label("After")  # the rules as saved, then one empty row to fill
    expect(afters.last).to_have_value("")
    expect(afters.nth(afters.count() - 2)).to_have_value("1-4 hours")
    assert page_width(page) <= 390
    screenshot(page, request, "saved")
    check_a11y(page, "function form, 390 px")
