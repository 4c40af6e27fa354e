"""The public status page on a 360px phone: axe-core finds nothing serious, nothing scrolls sideways, the
Welsh page and the subscription form work, and the static bundle loads with no request to any server."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import check_a11y, page_width, screenshot

ORG = "northwick-general"
PHONE = {"width": 360, "height": 800}


def _fits(page: Any) -> None:
    width = page_width(page)
    assert width <= PHONE["width"], f"{page.url}: {width}px wide at a 360px viewport"


def _a_busy_page() -> None:
    """Northwick's page with an outage, a partial state, updates in both languages and maintenance."""
    from django.utils import timezone

    from contingency.core.models import Organisation
    from contingency.status import services, updates
    from tests.support.status import incident, northwick

    _, pacs, reporting = northwick()
    home = Organisation.objects.get(slug=ORG)
    services.add_service(
        organisation=home, key="cd-robots", plan_key="pacs-bcdr", subject="system:cd-robots",
        name="CD burning for patients", actor=None, via="test",
    )  # fmt: skip
    running = incident()
    updates.outage_notice(incident=running, kind="outage", actor=None, via="test")
    updates.post_update(
        organisation=home, text="Images from the emergency department are being sent on CD with each patient.",
        audience="public", services=[reporting], actor=None, via="test",
    )  # fmt: skip
    updates.post_update(organisation=home, text="Staff only: vendor on site.", audience="staff", actor=None, via="test")
    start = timezone.now() + timedelta(days=3)
    updates.schedule_maintenance(
        organisation=home, title="Archive storage upgrade", title_cy="Uwchraddio storfa'r archif",
        description="Images taken meanwhile are kept on the scanners and sent afterwards.",
        starts_at=start, ends_at=start + timedelta(hours=4), services=[pacs], actor=None, via="test",
    )  # fmt: skip


def test_the_status_page_on_a_phone_in_english_and_welsh(
    site: str, new_context: Callable[..., Any], request: pytest.FixtureRequest
) -> None:
    _a_busy_page()
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    page.goto(f"{site}/status/{ORG}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Northwick General Hospital NHS Foundation Trust service status"
    )
    assert page.get_by_text("Some services have problems.").is_visible()
    assert "Staff only" not in page.content()
    check_a11y(page, "status page")
    _fits(page)
    screenshot(page, request, "english")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"

    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert page.get_by_text("Mae problemau gyda rhai gwasanaethau.").is_visible()
    assert page.get_by_text("Uwchraddio storfa'r archif").is_visible()
    check_a11y(page, "status page in Welsh")
    _fits(page)
    screenshot(page, request, "welsh")

    page.get_by_label("Cyfeiriad e-bost").fill("not an address")
    page.get_by_role("button", name="Tanysgrifio").click()
    page.wait_for_load_state()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label("Cyfeiriad e-bost").get_attribute("aria-invalid") == "true"
    check_a11y(page, "subscription error in Welsh")
    _fits(page)


def test_the_static_bundle_loads_with_no_request_to_any_server(
    site: str, new_context: Callable[..., Any], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from contingency.status import readmodel, render

    _a_busy_page()
    stamp = readmodel.stamp(ORG)
    assert stamp is not None
    for name, content in render.bundle(readmodel.page(stamp).data).items():
        (tmp_path / name).write_bytes(content)
    page = new_context(viewport=PHONE, is_mobile=True).new_page()
    asked: list[str] = []
    page.on("request", lambda req: asked.append(req.url))
    page.goto((tmp_path / "index.html").as_uri())
    page.get_by_role("link", name="Cymraeg").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "cy"
    assert all(url.startswith("file://") for url in asked), asked
    check_a11y(page, "static bundle in Welsh")
    _fits(page)
    screenshot(page, request, "static-welsh")
