"""Document control in the browser: submit, approve (findings in view, on a phone) and issue a change;
a holder acknowledges a copy."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

PLAN = "/o/northwick-general/plans/pacs-bcdr/"
CONTROL = f"{PLAN}control/"
OLD_NAME = "Diagnostic image viewing and reporting"
NEW_NAME = "Diagnostic image viewing, reporting and review"
PHONE = 390


def test_submit_approve_issue_then_compare_issues(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    editor = new_context().new_page()
    log_in(editor, site, user_with("editor"))
    editor.goto(f"{site}{PLAN}edit/functions/image-reporting/")
    editor.locator("#f-name").fill(NEW_NAME)  # the function's own name, not a resource row's
    editor.get_by_role("button", name="Save").click()
    expect(editor.get_by_role("status")).to_contain_text("The plan is now a draft")

    editor.goto(f"{site}{CONTROL}")
    expect(editor.get_by_role("heading", level=1)).to_have_text(
        "Document control: PACS business continuity and disaster recovery plan"
    )
    editor.get_by_label("What this draft changes").fill("Image reporting function renamed to include review")
    editor.get_by_role("button", name="Submit for approval").click()
    expect(editor.get_by_role("alert")).to_have_count(0)
    expect(editor.get_by_text("Waiting for an approver.")).to_be_visible()
    screenshot(editor, request, "submitted")

    # The approver, on a phone-sized browser of their own: the plan page leads to the approver's page,
    # where the linter's findings (the demo plan has errors) and the changes are in view.
    approver = new_context(viewport={"width": PHONE, "height": 844}).new_page()
    log_in(approver, site, user_with("approver"))
    approver.goto(f"{site}{PLAN}")
    approver.get_by_role("link", name="Review and approve").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text(
        "Approve: PACS business continuity and disaster recovery plan"
    )
    expect(approver.get_by_role("definition").filter(has_text="Image reporting function renamed")).to_be_visible()
    # Errors first, each with where it is.
    expect(approver.locator(".findings-heading").first).to_contain_text("error")
    expect(approver.locator(".findings").first.get_by_role("listitem").first).to_contain_text("Where: ")
    expect(approver.locator(".findings-error")).to_contain_text("CON002")
    expect(approver.locator(".part-changes")).to_contain_text(f"Changed critical function image-reporting ({NEW_NAME})")
    check_a11y(approver, "approval page")
    assert page_width(approver) <= PHONE
    screenshot(approver, request, "approval")
    approver.get_by_label("Why approve it with").fill("Out-of-hours numbers are being confirmed this week")
    approver.get_by_role("button", name="Approve", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Approved. Issue it when it should take effect.")

    # Issuing asks first, saying what it does.
    approver.get_by_role("link", name="Issue as issue 4").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text(
        "Issue PACS business continuity and disaster recovery plan?"
    )
    expect(approver.get_by_text("Copy 5: Claire Dunmore")).to_be_visible()
    check_a11y(approver, "issue confirmation")
    assert page_width(approver) <= PHONE
    screenshot(approver, request, "confirm-issue")
    approver.get_by_label("Why issue it with").fill("The renamed function is needed for Monday")
    approver.get_by_role("button", name="Issue as issue 4").click()
    expect(approver.get_by_role("definition").filter(has_text="Issue 4, dated")).to_be_visible()
    expect(approver.get_by_text("Issued. Editing the plan starts a new draft")).to_be_visible()
    issues = approver.get_by_role("table", name="Issues kept, newest first")
    newest = issues.get_by_role("row").nth(1)
    expect(newest.get_by_role("rowheader")).to_have_text("4")
    expect(newest).to_contain_text("Image reporting function renamed to include review")
    screenshot(approver, request, "issued")
    check_a11y(approver, "control page")

    newest.get_by_role("link", name="Changes from issue 3").click()
    expect(approver.get_by_role("heading", level=1)).to_have_text("Changes from issue 3 to issue 4")
    changes = approver.locator(".part-changes")
    expect(changes).to_contain_text(f"Changed critical function image-reporting ({NEW_NAME})")
    expect(changes).to_contain_text(f'name: "{OLD_NAME}" -> "{NEW_NAME}"')
    expect(changes).to_contain_text("issue: 3 -> 4")
    diff = approver.get_by_label("Line-by-line differences")
    expect(diff.locator(".diff-removed").filter(has_text=OLD_NAME)).to_have_count(1)
    expect(diff.locator(".diff-added").filter(has_text=NEW_NAME)).to_have_count(1)
    screenshot(approver, request, "diff")
    check_a11y(approver, "diff page")


def test_holder_acknowledges_with_the_signed_link(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    page = new_context().new_page()
    log_in(page, site, user_with("editor"))
    page.goto(f"{site}{CONTROL}")
    holders = page.get_by_role("table", name="Registered copies of this plan")
    copy_5 = holders.get_by_role("row").filter(has=page.get_by_role("rowheader", name="5", exact=True))
    expect(copy_5).to_contain_text("holds an out-of-date copy (issue 2)")
    link = page.get_by_label("Link for copy 5", exact=False).input_value()
    assert link.startswith(f"{site}/o/northwick-general/ack/"), link

    # A fresh browser: no session, the link is the only credential.
    holder = new_context().new_page()
    holder.goto(link)
    expect(holder.get_by_role("heading", level=1)).to_have_text(
        "Acknowledge your copy of PACS business continuity and disaster recovery plan"
    )
    expect(holder.get_by_role("button", name="Sign out")).to_have_count(0)
    check_a11y(holder, "acknowledgement page")
    holder.get_by_role("button", name="I have received issue 3").click()
    expect(holder.get_by_role("status")).to_contain_text("Thank you. Your receipt of issue 3 is recorded")
    screenshot(holder, request, "acknowledged")

    page.reload()
    expect(copy_5).to_contain_text("has issue 3")
    expect(holders).not_to_contain_text("out-of-date")
