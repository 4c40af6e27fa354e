"""Uploading a broken plan file: every problem listed as file:line:col, and nothing saved."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, screenshot

UPLOAD = "/o/northwick-general/plans/upload/"
REPLACE = "/o/northwick-general/plans/pacs-bcdr/upload/"
INVALID = b"""apiVersion: contingency/v1
kind: Plan
id: broken-plan
title: A broken plan
organisation:
  id: northwick-general
  name: Northwick General Hospital NHS Foundation Trust
document:
  number: NGH-TEST-001
  issue: three
"""
MALFORMED = b"""apiVersion: contingency/v1
kind: Plan
id: broken-plan
title: [unclosed
"""


@pytest.mark.parametrize(
    ("address", "heading", "button"),
    [
        (UPLOAD, "Upload a plan", "Upload"),
        (REPLACE, "Replace PACS business continuity and disaster recovery plan from a YAML file", "Replace the plan"),
    ],
    ids=["new", "replace"],
)
def test_broken_yaml_upload_lists_located_problems(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest, address: str, heading: str, button: str
) -> None:
    from playwright.sync_api import expect

    from contingency.plans.models import Plan

    log_in(page, site, user_with("editor"))
    page.goto(f"{site}{address}")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_a11y(page, "upload form")

    page.get_by_label("Plan file").set_input_files(
        files=[{"name": "broken.yaml", "mimeType": "application/yaml", "buffer": INVALID}]
    )
    page.get_by_role("button", name=button, exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("The plan was not saved: 4 problems")
    expect(summary.get_by_role("listitem")).to_have_text(
        [
            "broken.yaml:8:1: document: missing required field 'issueDate'",
            "broken.yaml:8:1: document: missing required field 'reviewDate'",
            "broken.yaml:8:1: document: missing required field 'owner'",
            "broken.yaml:10:3: document.issue: expected a whole number, got 'three'",
        ]
    )
    expect(summary).to_contain_text("Nothing has been changed.")
    screenshot(page, request, "problems")
    check_a11y(page, "upload with problems")

    page.get_by_label("Plan file").set_input_files(
        files=[{"name": "unclosed.yaml", "mimeType": "application/yaml", "buffer": MALFORMED}]
    )
    page.get_by_role("button", name=button, exact=True).click()
    expect(summary.get_by_role("heading")).to_have_text("The plan was not saved: 1 problem")
    expect(summary.get_by_role("listitem")).to_have_text(
        [
            "unclosed.yaml:5:1: (document): malformed YAML: "
            "while parsing a flow sequence expected ',' or ']', but got '<stream end>'"
        ]
    )
    assert not Plan.objects.filter(key="broken-plan").exists()
    assert Plan.objects.get(key="pacs-bcdr").status == "issued"
