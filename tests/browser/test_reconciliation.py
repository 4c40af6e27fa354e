"""Checking the archive on a 360 px screen: the runs page, the button, the report side by side, a record's outcome
and a bad CD refused beside its field; no serious axe findings, nothing scrolls sideways."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

NARROW = {"viewport": {"width": 360, "height": 800}}


def _fits(page: Any) -> None:
    assert page_width(page) <= 360, page.url


def test_check_the_archive_on_a_narrow_screen(
    new_context: Any,
    site: str,
    user_with: Any,
    archive: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    from tests.reconcile_support import archive_environ, log_records, scenario_incident

    incident = scenario_incident()
    log_records(incident, archive.scenario, limit=80)
    page = new_context(**NARROW).new_page()
    log_in(page, site, user_with("responder"))
    base = f"{site}/o/northwick-general/incidents/{incident.number}/downtime/"

    # No archive configured: the page says how to set one up.
    for name in ("CONTINGENCY_ARCHIVE_HOST", "CONTINGENCY_ARCHIVE_DICOMWEB_URL", "CONTINGENCY_ARCHIVE_SYSTEM"):
        monkeypatch.delenv(name, raising=False)
    page.goto(base + "archive/")
    expect(page.get_by_role("heading", name="The archive is not set up")).to_be_visible()
    _fits(page)
    check_a11y(page, "imaging archive runs, not configured")

    for name, value in archive_environ(archive).items():
        monkeypatch.setenv(name, value)
    page.goto(base)
    page.get_by_role("link", name="Check the archive").click()
    page.get_by_role("button", name="Check the archive").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Reconciliation run 1")
    expect(page.get_by_role("heading", name="Missing from the archive")).to_be_visible()
    _fits(page)
    screenshot(page, request, "report-narrow")
    check_a11y(page, "a reconciliation run's report (360 px)")
    page.get_by_text("Show the").click()  # the records proved, folded away
    _fits(page)

    page.goto(base + "archive/")
    expect(page.get_by_role("link", name="Run 1")).to_be_visible()
    _fits(page)
    check_a11y(page, "imaging archive runs")
    page.goto(f"{site}/o/northwick-general/incidents/{incident.number}/review/")
    expect(page.get_by_role("heading", name="Imaging archive reconciliation")).to_be_visible()
    _fits(page)
    check_a11y(page, "the review with the latest run (360 px)")

    # A record's page: its outcome; a CD's DICOMDIR that is not one is refused beside the field.
    page.goto(base + "records/1/")
    expect(page.get_by_role("heading", name="In the imaging archive")).to_be_visible()
    bad = tmp_path / "DICOMDIR"
    bad.write_bytes(b"not a dicomdir")
    page.get_by_label("The CD's DICOMDIR file").set_input_files(str(bad))
    page.get_by_role("button", name="List the CD's studies").click()
    expect(page.get_by_role("alert")).to_contain_text("DICOMDIR: is not a DICOM file")
    expect(page.get_by_label("The CD's DICOMDIR file")).to_have_attribute("aria-invalid", "true")
    _fits(page)
    check_a11y(page, "a downtime record with a bad CD (360 px)")
