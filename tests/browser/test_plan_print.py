"""The plan page on screen and printed: document control on every printed page."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import SCREENSHOTS, check_a11y, log_in, screenshot

NUMBER = "NGH-RAD-BCP-004"
TITLE = "PACS business continuity and disaster recovery plan"


def pdf_pages(pdf: Path) -> list[str]:
    """The text of each page of a PDF (pdftotext ends each page with a form feed)."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def test_plan_page_prints_document_control_on_every_page(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    log_in(page, site, user_with("viewer"))
    page.goto(f"{site}/o/northwick-general/plans/pacs-bcdr/")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_role("definition").filter(has_text=NUMBER)).to_be_visible()
    screenshot(page, request, "plan")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS.parent / "pacs-bcdr.pdf"
    page.emulate_media(media="print")
    page.pdf(path=str(pdf), format="A4", print_background=True, prefer_css_page_size=True)
    pages = pdf_pages(pdf)
    assert len(pages) > 1, "the whole plan should take more than one A4 page"
    for expected in (NUMBER, TITLE):
        without = [number for number, text in enumerate(pages, start=1) if expected not in text]
        assert not without, f"{expected!r} missing from printed pages {without} of {len(pages)}"

    page.emulate_media(media="screen")
    check_a11y(page, "plan page")
