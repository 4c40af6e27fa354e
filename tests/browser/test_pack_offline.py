"""The grab pack's single HTML file, opened from file:// with every network request refused.

It must work from a USB stick or a phone's files app: Chromium loads it with a route that aborts every
request that is not for the file itself, and the test checks nothing else was even asked for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contingency.packs.build import PlanSource, build_plan_pack, organisation_html
from contingency.packs.content import plan_content
from contingency.packs.render import CopySpec
from tests.test_pack_pdf import demo

from .conftest import check_a11y, screenshot

BUILT = datetime(2026, 11, 20, 10, 4, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def open_offline(page: Any, path: Path) -> list[str]:
    """Open `path` with every request but the file itself aborted; returns the URLs that were refused."""
    refused: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith("file:"):
            request_route.continue_()
        else:
            refused.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return refused


@pytest.fixture
def pack_file(tmp_path: Path, db: None) -> Path:
    # No database is read here; asking for `db` lets the session browser fixture set the test database up.
    pacs = demo("pacs-bcdr")
    pack = build_plan_pack(PlanSource(pacs, BUILT), copies=[CopySpec(3)], built_at=BUILT, zone=LONDON, parts={"html"})
    path = tmp_path / "usb-stick" / "pacs-bcdr-copy-3.html"
    path.parent.mkdir()
    path.write_bytes(pack.files["pacs-bcdr-copy-3.html"])
    return path


def test_the_pack_works_from_a_file_with_no_network(
    new_context: Any, pack_file: Path, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    context = new_context(viewport={"width": 390, "height": 844})  # a phone
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    refused = open_offline(page, pack_file)
    assert refused == [] and all(url.startswith("file:") for url in requests), requests
    expect(page.get_by_role("heading", level=1)).to_have_text("PACS business continuity and disaster recovery plan")
    header = page.locator("dl.control").first
    for fact in ("NGH-RAD-BCP-004", "3, 14 September 2026", "Printed on", "20 November 2026, 10:04", "Copy 3"):
        expect(header).to_contain_text(fact)

    content = plan_content(demo("pacs-bcdr"))
    for function in content.functions:
        page.get_by_role("navigation", name="Contents").get_by_role(
            "link", name=f"{function.name}: what do I do?"
        ).click()
        section = page.locator(f"#pacs-bcdr-fn-{function.id}")
        expect(section).to_be_in_viewport()
        expect(section.get_by_role("heading", level=2)).to_contain_text(function.name)
        expect(section.get_by_text("In hours", exact=True).first).to_be_visible()
        expect(section.get_by_text("Out of hours", exact=True).first).to_be_visible()
    screenshot(page, request, "pack-phone")

    # Whom to ring: real tel: links, digits only.
    first = page.locator("#pacs-bcdr-fn-image-reporting")
    links = first.locator('a[href^="tel:"]')
    assert links.count() > 5
    hrefs = {links.nth(i).get_attribute("href") for i in range(links.count())}
    assert "tel:01614960420" in hrefs  # the vendor's helpdesk, 0161 496 0420
    assert all(href and href[4:].lstrip("+").isdigit() for href in hrefs)
    check_a11y(page, "grab pack (file://)")
    assert all(url.startswith("file:") for url in requests), requests


def test_the_search_box_finds_a_name_or_a_number_however_it_is_spaced(new_context: Any, pack_file: Path) -> None:
    from playwright.sync_api import expect

    page = new_context().new_page()
    open_offline(page, pack_file)
    search = page.get_by_label("Search this pack")
    status = page.locator("#pack-search-status")

    search.fill("Okafor")
    expect(status).to_contain_text("match")
    visible = page.locator(".searchable:visible")
    assert visible.count() >= 1
    for i in range(visible.count()):
        assert "okafor" in (visible.nth(i).text_content() or "").lower()
    expect(page.locator("#pacs-bcdr-fn-image-reporting")).to_be_hidden()

    search.fill("01614960420")  # the helpdesk's number typed without spaces
    expect(page.locator("#pacs-bcdr-fn-image-reporting")).to_be_visible()

    search.fill("no such thing at all")
    expect(page.get_by_text("Nothing in this pack matches")).to_be_visible()
    expect(status).to_have_text("0 parts match.")

    search.fill("")
    expect(page.locator("#pacs-bcdr-fn-image-reporting")).to_be_visible()
    expect(page.get_by_text("Nothing in this pack matches")).to_be_hidden()


def test_the_organisation_file_has_every_plan(new_context: Any, tmp_path: Path, db: None) -> None:
    from playwright.sync_api import expect

    plans = [PlanSource(demo("pacs-bcdr"), BUILT), PlanSource(demo("eye-care-data"), BUILT)]
    path = tmp_path / "every-plan.html"
    path.write_bytes(organisation_html(plans, organisation=("both", "Demo"), built_at=BUILT, zone=LONDON))
    page = new_context().new_page()
    assert open_offline(page, path) == []
    for source in plans:
        expect(page.locator(f"article#{source.key} h1.plan-title")).to_have_text(source.document.title)
        for function in source.document.functions:
            expect(page.locator(f"#{source.key}-fn-{function.id}")).to_have_count(1)
