"""The compliance pages in a browser: an editor records evidence with a file through the form, the requirement
turns met, and every page passes axe and fits 360px."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
BASE = f"/o/{ORG}/compliance/"
NARROW = 360


def test_an_editor_records_evidence_and_the_requirement_is_met(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    from contingency.compliance.models import ManualEvidence

    log_in(page, site, user_with("editor"))
    page.goto(f"{site}{BASE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance")
    check_a11y(page, "compliance")
    page.get_by_role("link", name="NHS EPRR core standards - business continuity", exact=True).click()
    policy = page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", name="BC-01 A board-approved continuity policy")
    )
    expect(policy.get_by_role("heading")).to_contain_text("not met")
    check_a11y(page, "framework")
    policy.get_by_role("link", name="Record evidence for BC-01 A board-approved continuity policy").click()
    check_a11y(page, "record evidence")
    page.get_by_label("What the evidence is").fill("Continuity policy, board minute 12")
    page.get_by_label("Evidence file").set_input_files(
        files=[{"name": "policy.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )
    page.get_by_role("button", name="Record evidence").click()
    expect(page.get_by_role("alert")).to_contain_text("policy.exe is not a kind of file kept as evidence")
    check_a11y(page, "record evidence, refused")
    assert not ManualEvidence.objects.exists()
    page.get_by_label("Evidence file").set_input_files(
        files=[{"name": "policy.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 policy"}]
    )
    page.get_by_role("button", name="Record evidence").click()
    expect(page.get_by_role("status")).to_contain_text("Evidence recorded: Continuity policy, board minute 12.")
    expect(policy.get_by_role("heading")).to_contain_text("met")
    expect(policy).to_contain_text("Continuity policy, board minute 12")
    screenshot(page, request, "recorded")
    for path in (BASE, f"{BASE}nhs-eprr-bc/", f"{BASE}iso-22301-2019/", f"{BASE}nhs-eprr-bc/record/"):
        page.goto(f"{site}{path}")
        page.set_viewport_size({"width": NARROW, "height": 800})
        assert page_width(page) <= NARROW, f"{path} scrolls sideways at {NARROW}px"
        page.set_viewport_size({"width": 1280, "height": 900})
