"""Four eyes: nobody approves a draft that holds their own changes, whoever pressed Submit.

Before, only the person who submitted was refused: an approver who edited the plan could have an editor
submit it and then approve their own words.
"""

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from contingency.core.models import Role
from contingency.plans import workflow
from contingency.plans.editing import plan_data, save_part
from contingency.plans.models import Plan, PlanStatus
from contingency.plans.workflow import WorkflowError

from .web import HOME_ORG, PACS, client_for, make_user

pytestmark = pytest.mark.django_db
REFUSED = "You wrote changes in this draft, so another approver must approve it."


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def edit(plan: Plan, actor: User, description: str) -> None:
    function = next(item for item in plan_data(plan)["functions"] if item["id"] == "image-reporting")
    save_part(
        plan, section="functions", key="image-reporting", data={**function, "description": description}, actor=actor
    )


def test_an_approver_who_edited_cannot_approve_what_someone_else_submitted(pacs: Plan) -> None:
    writer = make_user("writer", HOME_ORG, Role.EDITOR, Role.APPROVER)
    submitter = make_user("submitter", HOME_ORG, Role.EDITOR)
    other = make_user("other", HOME_ORG, Role.APPROVER)
    edit(pacs, writer, "Written by the approver.")
    workflow.submit(pacs, actor=submitter, summary="Reporting described")
    with pytest.raises(WorkflowError, match=REFUSED):
        workflow.approve(pacs, actor=writer, reason="Known findings accepted")
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.SUBMITTED
    workflow.approve(pacs, actor=other, reason="Known findings accepted")
    assert pacs.status == PlanStatus.APPROVED


def test_edits_before_a_return_to_draft_still_count(pacs: Plan) -> None:
    writer = make_user("writer", HOME_ORG, Role.EDITOR, Role.APPROVER)
    editor = make_user("editor", HOME_ORG, Role.EDITOR)
    edit(pacs, writer, "First words.")
    workflow.submit(pacs, actor=editor, summary="Change")
    workflow.return_to_draft(pacs, actor=editor, reason="More to say")
    edit(pacs, editor, "Second words.")
    workflow.submit(pacs, actor=editor, summary="Change")
    with pytest.raises(WorkflowError, match=REFUSED):
        workflow.approve(pacs, actor=writer, reason="Known findings accepted")


def test_edits_in_an_earlier_issue_do_not_count(pacs: Plan) -> None:
    writer = make_user("writer", HOME_ORG, Role.EDITOR, Role.APPROVER)
    editor = make_user("editor", HOME_ORG, Role.EDITOR)
    approver = make_user("approver", HOME_ORG, Role.APPROVER)
    with time_machine.travel("2026-11-20 09:00:00+00:00", tick=False) as clock:
        edit(pacs, writer, "Issue 4 words.")
        workflow.submit(pacs, actor=editor, summary="Issue 4")
        workflow.approve(pacs, actor=approver, reason="Known findings accepted")
        workflow.issue(pacs, actor=approver, reason="Known findings accepted")
        clock.shift(60)
        edit(pacs, editor, "Issue 5 words.")
        workflow.submit(pacs, actor=editor, summary="Issue 5")
        workflow.approve(
            pacs, actor=writer, reason="Known findings accepted"
        )  # none of writer's changes are in this draft
    assert pacs.status == PlanStatus.APPROVED


def test_the_control_page_says_why(pacs: Plan) -> None:
    writer = make_user("writer", HOME_ORG, Role.EDITOR, Role.APPROVER)
    edit(pacs, writer, "Written by the approver.")
    workflow.submit(pacs, actor=make_user("submitter", HOME_ORG, Role.EDITOR), summary="Reporting described")
    client: Client = client_for(writer)
    response = client.post(reverse("plan-approve", kwargs={"org": HOME_ORG, "plan": PACS}), follow=True)
    assert REFUSED in response.content.decode()
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.SUBMITTED
