"""Recording a downtime record on a 360 px phone, one thumb, with and without JavaScript."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def test_record_an_examination_one_handed_on_a_phone(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    from contingency.downtime.models import DowntimeRecord
    from tests.downtime_support import dtid, id_range, nhs, pacs_incident

    incident = pacs_incident()
    id_range()
    username = user_with("responder")

    # Without JavaScript: every step is a link or a plain form.
    page = new_context(java_script_enabled=False, **PHONE).new_page()
    log_in(page, site, username)
    page.goto(f"{site}/o/northwick-general/incidents/{incident.number}/")
    page.get_by_role("link", name="Record downtime data on a phone").first.click()
    page.get_by_role("link", name="Examination done during downtime").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Examination done during downtime")
    page.get_by_label("Downtime ID").fill(dtid(7).lower().replace("-", " "))
    page.get_by_label("Hospital number").fill("NGH400900")
    page.get_by_label("NHS number (optional)").fill(nhs(7))
    page.get_by_label("Accession number").fill("NGH-ACC-1")
    page.get_by_label("Modality").select_option("DX")
    save = page.get_by_role("button", name="Save and record the next")
    box = save.bounding_box()
    assert box is not None and box["height"] >= 48 and box["width"] >= 300  # a target for a thumb
    assert page_width(page) <= 360  # nothing off the side
    save.click()
    expect(page.get_by_text("Saved: record 1. Ready for the next")).to_be_visible()
    expect(page.get_by_label("Modality")).to_have_value("DX")  # kept for the next record
    [made] = DowntimeRecord.objects.filter(incident=incident)
    assert made.modality == "DX" and made.downtime_id == dtid(7).replace("-", "") and made.recorded_via == "phone"

    # With JavaScript (for axe): a mistyped ID is named at the top and beside the field.
    page = new_context(**PHONE).new_page()
    log_in(page, site, username)
    page.goto(f"{site}/o/northwick-general/incidents/{incident.number}/downtime/record/examination/")
    page.get_by_label("Downtime ID").fill(dtid(8)[:-1] + ("A" if dtid(8)[-1] != "A" else "B"))
    page.get_by_label("Hospital number").fill("NGH400901")
    page.get_by_label("Accession number").fill("NGH-ACC-2")
    page.get_by_label("Modality").select_option("CT")
    page.get_by_role("button", name="Save and record the next").click()
    expect(page.get_by_role("alert")).to_contain_text("check character does not match")
    expect(page.get_by_label("Downtime ID")).to_have_attribute("aria-invalid", "true")
    assert page_width(page) <= 360
    screenshot(page, request, "phone-error")
    check_a11y(page, "record a downtime examination (phone, with an error)")
    assert DowntimeRecord.objects.filter(incident=incident).count() == 1
