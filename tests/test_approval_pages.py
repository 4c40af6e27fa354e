"""The approver's page and the confirmation before issue: findings and changes in view, a reason for errors."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from contingency.core.models import AuditEntry, Role
from contingency.plans import workflow
from contingency.plans.editing import plan_data, save_part
from contingency.plans.models import ChangeRecord, Plan, PlanIssue, PlanStatus

from .web import HOME_ORG, PACS, client_for, make_user

pytestmark = pytest.mark.django_db
REASON = "Out-of-hours numbers are being confirmed with the urgent care centre"


def url(name: str) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, "plan": PACS})


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    function = next(item for item in plan_data(plan)["functions"] if item["id"] == "image-reporting")
    data = {**function, "name": "Image reporting and review"}
    save_part(plan, section="functions", key="image-reporting", data=data, actor=None)
    workflow.submit(plan, actor=None, summary="Reporting renamed")
    return plan


def status(plan: Plan) -> str:
    plan.refresh_from_db()
    return plan.status


def test_the_plan_page_links_an_approver_to_the_approval_page(pacs: Plan) -> None:
    approver = client_for(make_user("ap", HOME_ORG, Role.APPROVER))
    editor = client_for(make_user("ed", HOME_ORG, Role.EDITOR))
    link = f'href="{url("plan-approval")}">Review and approve</a>'
    assert link in approver.get(url("plan")).content.decode()
    assert "Review and approve" not in editor.get(url("plan")).content.decode()
    workflow.approve(pacs, actor=make_user("ap2", HOME_ORG, Role.APPROVER), reason=REASON)
    assert f'href="{url("plan-issue")}">Issue…</a>' in approver.get(url("plan")).content.decode()


def test_no_link_for_the_approver_who_submitted(demo_plans: list[object]) -> None:
    both = make_user("both", HOME_ORG, Role.EDITOR, Role.APPROVER)
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    function = next(item for item in plan_data(plan)["functions"] if item["id"] == "image-reporting")
    save_part(plan, section="functions", key="image-reporting", data={**function, "name": "Mine"}, actor=both)
    workflow.submit(plan, actor=both, summary="Mine")
    client = client_for(both)
    assert "Review and approve" not in client.get(url("plan")).content.decode()
    page = client.get(url("plan-approval")).content.decode()
    assert "You submitted this draft, so another approver must approve it." in page
    assert 'action="' + url("plan-approve") not in page


def test_the_approval_page_shows_errors_first_with_their_place_and_the_changes(pacs: Plan) -> None:
    page = client_for(make_user("ap", HOME_ORG, Role.APPROVER)).get(url("plan-approval"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "<h1>Approve: PACS business continuity and disaster recovery plan</h1>" in text
    errors = len(workflow.lint_errors(pacs))
    assert f"{errors} errors, " in text
    assert text.index("findings-error") < text.index("findings-warning")
    assert "CON002" in text and "Where: <code>procedures[0].steps[6].targets[0]</code>, line " in text
    assert "Changes since issue 3" in text
    assert "Changed critical function image-reporting (Image reporting and review)" in text
    assert f"Why approve it with {errors} errors" in text and 'name="reason"' in text


def test_approving_without_a_reason_is_refused_beside_the_field(pacs: Plan) -> None:
    client = client_for(make_user("ap", HOME_ORG, Role.APPROVER))
    response = client.post(url("plan-approve"), {"reason": "  "})
    text = response.content.decode()
    assert response.status_code == 400
    assert '<div class="error-summary" role="alert"' in text and 'href="#field-reason"' in text
    assert '<p class="field-error" id="reason-error">The linter found' in text
    assert 'aria-describedby="reason-hint reason-error"' in text
    assert status(pacs) == PlanStatus.SUBMITTED
    assert not AuditEntry.objects.filter(object_key=PACS, verb="approve").exists()

    done = client.post(url("plan-approve"), {"reason": REASON}, follow=True)
    assert "Approved. Issue it when it should take effect." in done.content.decode()
    assert status(pacs) == PlanStatus.APPROVED
    assert AuditEntry.objects.get(object_key=PACS, verb="approve").note == REASON


@time_machine.travel("2026-11-20 12:00:00+00:00", tick=False)
def test_issue_is_confirmed_on_a_page_that_says_what_it_does(pacs: Plan) -> None:
    approver = make_user("ap", HOME_ORG, Role.APPROVER)
    approver.first_name, approver.last_name = "Anita", "Rao-Approver"
    approver.save()
    workflow.approve(pacs, actor=approver, reason=REASON)
    client = client_for(approver)
    text = client.get(url("plan-issue")).content.decode()
    assert "Issue 4, dated 20 November 2026" in text
    assert f"Reporting renamed (Approved with lint errors: {REASON})" in text
    assert "Anita Rao-Approver" in text
    assert "Copy 5: Claire Dunmore" in text  # a registered holder
    errors = len(workflow.lint_errors(pacs))
    assert f"{errors} errors, " in text and f"Why issue it with {errors} errors" in text
    assert "Issue as issue 4</button>" in text
    assert status(pacs) == PlanStatus.APPROVED  # looking issues nothing

    refused = client.post(url("plan-issue"), {"reason": ""})
    assert refused.status_code == 400 and 'id="reason-error"' in refused.content.decode()
    assert status(pacs) == PlanStatus.APPROVED and not PlanIssue.objects.filter(plan=pacs, issue=4).exists()

    done = client.post(url("plan-issue"), {"reason": "Needed for Monday's go-live"}, follow=True)
    assert "Issue 4 issued." in done.content.decode()
    record = ChangeRecord.objects.filter(plan=pacs).order_by("position").last()
    assert record is not None and "Needed for Monday's go-live" in record.summary


def test_the_pages_say_when_the_plan_is_not_at_that_step(pacs: Plan) -> None:
    client = client_for(make_user("ap", HOME_ORG, Role.APPROVER))
    assert "only an approved plan can be issued" in client.get(url("plan-issue")).content.decode()
    workflow.return_to_draft(pacs, actor=None, reason="Not yet")
    assert "not waiting for approval" in client.get(url("plan-approval")).content.decode()
