"""The phone without a network: a page opened once comes back as a saved copy, marked with its time, never
as live; back online it is live again; signing out forgets every saved page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .conftest import log_in, log_out, screenshot

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
NOW = "/o/northwick-general/plans/pacs-bcdr/functions/image-reporting/now/"
CONTACTS = "/o/northwick-general/contacts/"
SAVED_PAGES = "caches.open('contingency-pages-v1').then((c) => c.keys()).then((k) => k.map((r) => r.url))"


def kept(page: Any) -> list[str]:
    return [url for url in page.evaluate(SAVED_PAGES) if "__contingency" not in url]


@pytest.fixture
def strict_context(browser: Any) -> Iterator[Any]:
    """A phone-sized context that keeps the site's Content-Security-Policy (the others bypass it for axe)."""
    context = browser.new_context(locale="en-GB", **PHONE)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_a_saved_copy_offline_and_forgotten_on_sign_out(
    strict_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import Error, expect

    context = strict_context
    blocked: list[str] = []
    page = context.new_page()
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    log_in(page, site, user_with("responder"))
    page.goto(site + NOW)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    before = datetime.now(UTC)
    page.reload()  # through the worker now, which keeps the page
    page.goto(site + CONTACTS)
    page.wait_for_function(f"{SAVED_PAGES}.then((urls) => urls.length >= 3)")
    after = datetime.now(UTC)
    assert sorted(kept(page)) == sorted([site + CONTACTS, site + NOW])
    page.goto(site + "/o/northwick-general/")  # the dashboard is not kept
    assert site + "/o/northwick-general/" not in kept(page)

    context.set_offline(True)
    page.goto(site + NOW)
    banner = page.locator("#saved-copy")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Saved copy from")
    expect(banner).to_contain_text("this page is not live")
    saved_at = datetime.fromisoformat(str(banner.get_attribute("data-saved-at")).replace("Z", "+00:00"))
    assert before <= saved_at <= after
    expect(banner).to_contain_text(f"{saved_at.astimezone(ZoneInfo('Europe/London')):%H:%M}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostic image viewing and reporting")
    expect(page.locator("main a[href^='tel:']").first).to_be_visible()
    screenshot(page, request, "saved-copy")
    page.goto(site + CONTACTS)
    expect(page.locator("#saved-copy")).to_contain_text("Saved copy from")
    with pytest.raises(Error):
        page.goto(site + "/o/northwick-general/incidents/")  # never opened: nothing to show

    context.set_offline(False)
    page.goto(site + NOW)
    expect(page.locator("#saved-copy")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostic image viewing and reporting")

    log_out(page)
    page.wait_for_function("caches.has('contingency-pages-v1').then((found) => !found)")
    context.set_offline(True)
    with pytest.raises(Error):
        page.goto(site + NOW)
    assert blocked == [], "the policy blocked something the pages need"


def test_another_user_never_sees_the_first_ones_pages(new_context: Any, site: str, user_with: Any) -> None:
    """The session ends without a sign-out (the cookie is gone), and someone else signs in on the phone."""
    context = new_context(**PHONE)
    page = context.new_page()
    log_in(page, site, user_with("viewer"))
    page.goto(site + NOW)
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.reload()
    page.wait_for_function(f"{SAVED_PAGES}.then((urls) => urls.length >= 2)")
    context.clear_cookies()
    log_in(page, site, user_with("viewer"))
    assert kept(page) == []
