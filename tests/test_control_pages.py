"""Document control pages: workflow buttons by role, issues and their diff, reviews, signed holder links."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from contingency.core.models import AuditEntry, Role
from contingency.lib.signing import make_token
from contingency.plans import workflow
from contingency.plans.editing import plan_data, save_part
from contingency.plans.models import CopyHolder, Plan, PlanIssue, PlanStatus
from contingency.web.control.views import holder_state, parse_version

from .web import HOME_ORG, OTHER_ORG, PACS, MemberFactory, client_for, make_user

pytestmark = pytest.mark.django_db


def url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, "plan": PACS, **kwargs})


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def make_draft(plan: Plan, description: str = "Radiologists view and report images.") -> None:
    data = plan_data(plan)
    function = next(item for item in data["functions"] if item["id"] == "image-reporting")
    save_part(
        plan, section="functions", key="image-reporting", data={**function, "description": description}, actor=None
    )
    plan.refresh_from_db()


def status(plan: Plan) -> str:
    plan.refresh_from_db()
    return plan.status


# ---------------------------------------------------------------- pure helpers


def test_parse_version() -> None:
    assert parse_version("3") == 3 and parse_version(" draft ") == "draft"
    assert parse_version("x") is None and parse_version("-1") is None and parse_version(None) is None
    assert parse_version("0") is None


def test_holder_state_in_words() -> None:
    assert holder_state(2, 3).text == "holds an out-of-date copy (issue 2)"
    assert holder_state(3, 3).text == "has issue 3" and holder_state(None, 3).tag == "warning"


# ---------------------------------------------------------------- the control page


def test_control_page_for_a_viewer_shows_state_but_no_buttons_or_links(member: MemberFactory, pacs: Plan) -> None:
    page = member(Role.VIEWER).get(url("plan-control"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Document control: PACS business continuity and disaster recovery plan</h1>" in text
    assert "holds an out-of-date copy (issue 2)" in text  # copy 5, Claire Dunmore
    assert "Reviewed, no change" not in text and "ack-link" not in text and "Submit for approval" not in text


def test_control_page_for_an_editor_offers_submit_and_holder_links(member: MemberFactory, pacs: Plan) -> None:
    make_draft(pacs)
    text = member(Role.EDITOR).get(url("plan-control")).content.decode()
    assert "Submit for approval" in text and "Review and approve" not in text
    assert f"http://testserver/o/{HOME_ORG}/ack/" in text
    assert "?from=3&amp;to=draft" in text


def test_viewer_cannot_submit_and_editor_cannot_approve(member: MemberFactory, pacs: Plan) -> None:
    make_draft(pacs)
    assert member(Role.VIEWER).post(url("plan-submit"), {"summary": "x"}).status_code == 403
    assert status(pacs) == PlanStatus.DRAFT
    editor = member(Role.EDITOR)
    assert editor.post(url("plan-submit"), {"summary": "Plainer wording"}).status_code == 302
    for name in ("plan-approve", "plan-return", "plan-issue", "plan-review"):
        assert editor.post(url(name), {"reason": "x"}).status_code == 403, name
    assert status(pacs) == PlanStatus.SUBMITTED


def test_other_organisation_gets_404(member: MemberFactory, pacs: Plan) -> None:
    outsider = member(Role.EDITOR, Role.APPROVER, organisation=OTHER_ORG)
    for name in ("plan-control", "plan-diff"):
        assert outsider.get(url(name)).status_code == 404
    for name in ("plan-submit", "plan-approve", "plan-return", "plan-issue", "plan-review"):
        assert outsider.post(url(name), {"summary": "x", "reason": "x"}).status_code == 404
    assert outsider.get(reverse("reviews", kwargs={"org": HOME_ORG})).status_code == 404


def test_anonymous_is_sent_to_log_in(pacs: Plan) -> None:
    response = Client().get(url("plan-control"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_whole_workflow_through_the_pages(pacs: Plan) -> None:
    editor = client_for(make_user("ed", HOME_ORG, Role.EDITOR))
    approver = client_for(make_user("ap", HOME_ORG, Role.APPROVER))
    make_draft(pacs)

    missing = editor.post(url("plan-submit"), {"summary": "  "})
    assert missing.status_code == 400
    assert "Say what this draft changes: it goes into the plan&#x27;s record of changes." in missing.content.decode()
    assert status(pacs) == PlanStatus.DRAFT

    editor.post(url("plan-submit"), {"summary": "Reporting described plainly"})
    page = approver.get(url("plan-control")).content.decode()
    assert "by ed," in page and "Reporting described plainly" in page and "Review and approve</a>" in page

    assert approver.post(url("plan-return"), {"reason": ""}).status_code == 400
    assert status(pacs) == PlanStatus.SUBMITTED
    approver.post(url("plan-approve"), {"reason": "Known findings accepted"})
    assert status(pacs) == PlanStatus.APPROVED
    page = approver.post(url("plan-issue"), {"reason": "Known findings accepted"}, follow=True).content.decode()
    assert "Issue 4 issued." in page
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.ISSUED and pacs.issue == 4
    assert "?from=3&amp;to=4" in page


def test_refused_step_is_a_message_not_an_error(member: MemberFactory, pacs: Plan) -> None:
    response = member(Role.APPROVER).post(url("plan-approve"), follow=True)
    assert response.status_code == 200
    assert "Approval needs a plan that is submitted for approval; this plan is issued." in response.content.decode()


def test_self_approval_refused_on_the_page(pacs: Plan) -> None:
    both = client_for(make_user("both", HOME_ORG, Role.EDITOR, Role.APPROVER))
    make_draft(pacs)
    both.post(url("plan-submit"), {"summary": "Mine"})
    page = both.get(url("plan-control")).content.decode()
    assert "You submitted this draft, so another approver must approve it." in page
    response = both.post(url("plan-approve"), follow=True)
    assert "You submitted this draft, so another approver must approve it." in response.content.decode()
    assert status(pacs) == PlanStatus.SUBMITTED


@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
def test_review_no_change_from_the_page(member: MemberFactory, pacs: Plan) -> None:
    page = member(Role.APPROVER).post(url("plan-review"), {"note": "Still right"}, follow=True).content.decode()
    assert "Review recorded. Next review due 20 November 2027." in page
    assert "Still right" in page
    pacs.refresh_from_db()
    assert pacs.review_date == date(2027, 11, 20) and pacs.status == PlanStatus.ISSUED


# ---------------------------------------------------------------- differences


def test_diff_between_issues_and_with_the_working_copy(member: MemberFactory, pacs: Plan) -> None:
    approver = make_user("ap", HOME_ORG, Role.APPROVER)
    make_draft(pacs)
    workflow.submit(pacs, actor=None, summary="Plainer")
    workflow.approve(pacs, actor=approver, reason="Known findings accepted")
    workflow.issue(pacs, actor=approver, reason="Known findings accepted")
    viewer = member(Role.VIEWER)

    text = viewer.get(url("plan-diff") + "?from=3&to=4").content.decode()
    assert "<h1>Changes from issue 3 to issue 4</h1>" in text
    assert "Changed critical function image-reporting (Diagnostic image viewing and reporting)" in text
    assert "+  description: Radiologists view and report images." in text

    make_draft(pacs, "Another wording.")
    text = viewer.get(url("plan-diff") + "?from=4&to=draft").content.decode()
    assert "<h1>Changes from issue 4 to working copy</h1>" in text and "+  description: Another wording." in text
    assert "Changes from issue 4 to working copy" in viewer.get(url("plan-diff")).content.decode()

    same = viewer.get(url("plan-diff") + "?from=4&to=4").content.decode()
    assert "The two versions are the same." in same


@pytest.mark.parametrize("query", ["?from=9&to=3", "?from=3&to=12", "?from=abc&to=3", "?from=3&to=%00"])
def test_diff_of_an_unknown_issue_is_a_clear_404(member: MemberFactory, pacs: Plan, query: str) -> None:
    response = member(Role.VIEWER).get(url("plan-diff") + query)
    assert response.status_code == 404
    assert "of this plan to compare. Issues kept: 3." in response.content.decode()


# ---------------------------------------------------------------- reviews due


def test_reviews_page_lists_due_and_overdue(pacs: Plan) -> None:
    viewer = make_user("viewer", HOME_ORG, Role.VIEWER)
    reviews = reverse("reviews", kwargs={"org": HOME_ORG})

    def page_on(day: str) -> str:
        with time_machine.travel(f"{day} 12:00:00+00:00", tick=False):  # signed in that day: sessions expire
            response = client_for(viewer).get(reviews)
        assert response.status_code == 200
        return response.content.decode()

    text = page_on("2027-09-01")
    assert "No plan is overdue for review." in text and "in 13 days" in text and pacs.title in text
    text = page_on("2027-09-20")
    assert "by 6 days" in text and "No plan is due for review in the next 30 days." in text
    assert pacs.title not in page_on("2027-01-01")


# ---------------------------------------------------------------- the signed acknowledgement link


def ack_url(token: str, org: str = HOME_ORG) -> str:
    return reverse("holder-ack", kwargs={"org": org, "token": token})


@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
def test_ack_link_works_without_log_in_once(pacs: Plan) -> None:
    client = Client(enforce_csrf_checks=True)
    token = make_token(plan_id=pacs.pk, issue=3, copy_number=5)
    page = client.get(ack_url(token))
    text = page.content.decode()
    assert page.status_code == 200
    assert pacs.title in text and "Claire Dunmore" in text and "Issue 3" in text and "I have received issue 3" in text
    csrf = page.cookies["csrftoken"].value
    done = client.post(ack_url(token), {"csrfmiddlewaretoken": csrf})
    assert done.status_code == 200 and "Your receipt of issue 3 is recorded" in done.content.decode()
    holder = CopyHolder.objects.get(plan=pacs, copy_number=5)
    assert (holder.acknowledged_issue, holder.acknowledged_on) == (3, date(2026, 11, 20))
    assert status(pacs) == PlanStatus.ISSUED
    again = client.post(ack_url(token), {"csrfmiddlewaretoken": csrf})
    assert "Already acknowledged" in again.content.decode()
    assert AuditEntry.objects.filter(verb="acknowledge", actor_name="signed link").count() == 1


def test_ack_post_without_csrf_is_refused(pacs: Plan) -> None:
    token = make_token(plan_id=pacs.pk, issue=3, copy_number=5)
    assert Client(enforce_csrf_checks=True).post(ack_url(token)).status_code == 403
    assert CopyHolder.objects.get(plan=pacs, copy_number=5).acknowledged_issue == 2


def test_tampered_and_expired_links_change_nothing(pacs: Plan) -> None:
    token = make_token(plan_id=pacs.pk, issue=3, copy_number=5)
    tampered = Client().post(ack_url(token[:-3] + "abc"))
    assert tampered.status_code == 400 and "This acknowledgement link is not valid" in tampered.content.decode()
    with time_machine.travel("2026-01-01 12:00:00+00:00", tick=False):
        old = make_token(plan_id=pacs.pk, issue=3, copy_number=5)
    with time_machine.travel("2026-04-01 12:00:00+00:00", tick=False):
        expired = Client().post(ack_url(old))
    assert expired.status_code == 400 and "This acknowledgement link has expired." in expired.content.decode()
    other_org = Client().get(ack_url(token, org=OTHER_ORG))
    assert other_org.status_code == 400 and "no longer registered" in other_org.content.decode()
    assert CopyHolder.objects.get(plan=pacs, copy_number=5).acknowledged_issue == 2
    assert not AuditEntry.objects.filter(verb="acknowledge").exists()


def test_link_for_an_older_issue_explains_a_newer_one_exists(pacs: Plan) -> None:
    approver = make_user("ap", HOME_ORG, Role.APPROVER)
    make_draft(pacs)
    workflow.submit(pacs, actor=None, summary="Plainer")
    workflow.approve(pacs, actor=approver, reason="Known findings accepted")
    workflow.issue(pacs, actor=approver, reason="Known findings accepted")
    token = make_token(plan_id=pacs.pk, issue=3, copy_number=5)
    page = Client().get(ack_url(token)).content.decode()
    assert "A newer issue of this plan exists: issue 4." in page and "I have received" not in page
    posted = Client().post(ack_url(token))
    assert posted.status_code == 409
    assert CopyHolder.objects.get(plan=pacs, copy_number=5).acknowledged_issue == 2
    assert PlanIssue.objects.filter(plan=pacs).count() == 2


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.APPROVER])
def test_control_page_renders_in_every_state_for_every_role(pacs: Plan, role: Role) -> None:
    client = client_for(make_user(f"u-{role}", HOME_ORG, role))
    approver = make_user("ap", HOME_ORG, Role.APPROVER)
    expected = {
        Role.VIEWER: ("This draft is being edited.", "Waiting for an approver.", "Waiting for an approver."),
        Role.EDITOR: ("Submit for approval", "Waiting for an approver.", "Waiting for an approver."),
        Role.APPROVER: ("This draft is being edited.", "Review and approve</a>", "Issue as issue 4…</a>"),
    }[role]
    make_draft(pacs)
    for step, text in enumerate(expected):
        if step == 1:
            workflow.submit(pacs, actor=None, summary="Plainer")
        if step == 2:
            workflow.approve(pacs, actor=approver, reason="Known findings accepted")
        page = client.get(url("plan-control"))
        assert page.status_code == 200
        assert text in page.content.decode(), (role, step)
    workflow.issue(pacs, actor=approver, reason="Known findings accepted")
    assert "Issued. Editing the plan starts a new draft" in client.get(url("plan-control")).content.decode()


def test_missing_summary_is_in_the_error_summary_and_beside_the_field(member: MemberFactory, pacs: Plan) -> None:
    make_draft(pacs)
    text = member(Role.EDITOR).post(url("plan-submit"), {"summary": ""}).content.decode()
    assert '<div class="error-summary" role="alert"' in text and 'href="#field-summary"' in text
    assert (
        '<p class="field-error" id="summary-error">' in text and 'aria-describedby="summary-hint summary-error"' in text
    )


def test_workflow_steps_need_post(member: MemberFactory, pacs: Plan) -> None:
    approver = member(Role.APPROVER)
    for name in ("plan-approve", "plan-return", "plan-review"):
        assert approver.get(url(name)).status_code == 405
    assert approver.get(url("plan-issue")).status_code == 200  # the confirmation: nothing issued until it is posted
    assert status(pacs) == PlanStatus.ISSUED
