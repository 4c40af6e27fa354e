"""Signing in through the real form, in a browser."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, screenshot


def test_wrong_password_then_sign_in_lands_on_dashboard(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    username = user_with("editor")
    page.goto(f"{site}/o/northwick-general/")
    expect(page).to_have_url(f"{site}/login/?next=/o/northwick-general/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    screenshot(page, request, "login")
    check_a11y(page, "login")

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("Please enter a correct username and password")
    expect(page.get_by_label("Username")).to_have_value(username)
    screenshot(page, request, "login-error")
    check_a11y(page, "login with an error")

    from tests.web import PASSWORD

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{site}/o/northwick-general/")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Northwick General")
    screenshot(page, request, "dashboard")
    check_a11y(page, "dashboard")
