"""Approval with the findings in view: a plan the linter finds errors in is approved or issued only with a
stated reason, kept in its record of changes and the audit log; the plan names its approver as a person."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from contingency.core.models import AuditEntry, Organisation, Role
from contingency.plans import people, workflow
from contingency.plans.editing import plan_data, save_document, save_part
from contingency.plans.models import ChangeRecord, Plan, PlanIssue, PlanStatus
from contingency.plans.validate import validate_data
from contingency.plans.workflow import WorkflowError

from .builders import minimal_plan
from .web import HOME_ORG, PACS, make_user

pytestmark = pytest.mark.django_db
NOON = "2026-11-20 12:00:00+00:00"
REASON = "Out-of-hours numbers are being confirmed with the urgent care centre"


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


@pytest.fixture
def editor(demo_plans: list[object]) -> User:
    return make_user("ed", HOME_ORG, Role.EDITOR)


@pytest.fixture
def approver(demo_plans: list[object]) -> User:
    return make_user("ap", HOME_ORG, Role.APPROVER)


def submitted(plan: Plan, editor: User) -> Plan:
    function = next(item for item in plan_data(plan)["functions"] if item["id"] == "image-reporting")
    save_part(plan, section="functions", key="image-reporting", data={**function, "description": "New."}, actor=editor)
    workflow.submit(plan, actor=editor, summary="Reporting described")
    return plan


def audit(verb: str) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="plan", object_key=PACS, verb=verb).latest("pk")


def after(verb: str) -> dict[str, Any]:
    found = audit(verb).after
    assert isinstance(found, dict)
    return found


def test_the_demo_plan_has_errors_for_these_tests(pacs: Plan) -> None:
    assert len(workflow.lint_errors(pacs)) >= 1


def test_approving_with_errors_needs_a_reason_and_a_refusal_changes_nothing(
    pacs: Plan, editor: User, approver: User
) -> None:
    submitted(pacs, editor)
    revision = Plan.objects.get(pk=pacs.pk).revision
    for reason in ("", "   \n "):
        with pytest.raises(WorkflowError, match=r"The linter found \d+ errors in this plan\. Say why") as refused:
            workflow.approve(pacs, actor=approver, reason=reason)
        assert refused.value.field == "reason"
    with pytest.raises(WorkflowError, match="under 2,000 characters"):
        workflow.approve(pacs, actor=approver, reason="x" * 2001)
    row = Plan.objects.get(pk=pacs.pk)
    assert (row.status, row.approved_by_user, row.approved_at, row.approval_reason, row.revision) == (
        PlanStatus.SUBMITTED,
        None,
        None,
        "",
        revision,
    )
    assert not AuditEntry.objects.filter(object_type="plan", object_key=PACS, verb="approve").exists()


@time_machine.travel(NOON, tick=False)
def test_the_reasons_go_into_the_record_of_changes_and_the_audit_log(pacs: Plan, editor: User, approver: User) -> None:
    submitted(pacs, editor)
    errors = len(workflow.lint_errors(pacs))
    workflow.approve(pacs, actor=approver, reason=f"  {REASON}\n")
    assert (pacs.status, pacs.approval_reason) == (PlanStatus.APPROVED, REASON)
    entry = audit("approve")
    assert entry.note == REASON
    assert entry.after == {"status": "approved", "approvedBy": "ap (user)", "lintErrors": errors}

    with pytest.raises(WorkflowError, match="Say why it should be issued anyway") as refused:
        workflow.issue(pacs, actor=approver)
    assert refused.value.field == "reason"
    assert Plan.objects.get(pk=pacs.pk).status == PlanStatus.APPROVED
    assert not PlanIssue.objects.filter(plan=pacs, issue=4).exists()

    kept = workflow.issue(pacs, actor=approver, reason="Issue now: the new reporting route is live on Monday")
    record = ChangeRecord.objects.filter(plan=pacs).order_by("position").last()
    assert record is not None and record.issue == 4
    assert record.summary == (
        f"Reporting described (Approved with lint errors: {REASON}) "
        f"(Issued with {errors} errors found by the linter: Issue now: the new reporting route is live on Monday)"
    )
    assert kept.summary == record.summary
    issued = after("issue")
    assert issued["lintErrors"] == errors
    assert issued["reason"] == "Issue now: the new reporting route is live on Monday"
    pacs.refresh_from_db()
    assert pacs.approval_reason == ""  # used: the next draft starts without it


def test_returning_to_draft_forgets_the_reason(pacs: Plan, editor: User, approver: User) -> None:
    submitted(pacs, editor)
    workflow.approve(pacs, actor=approver, reason=REASON)
    workflow.return_to_draft(pacs, actor=approver, reason="Not yet")
    assert pacs.approval_reason == ""


@time_machine.travel(NOON, tick=False)
def test_a_plan_without_errors_needs_no_reason(editor: User, approver: User) -> None:
    organisation = Organisation.objects.get(slug=HOME_ORG)
    data = minimal_plan(organisation={"id": HOME_ORG, "name": organisation.name})
    plan = save_document(validate_data(data), organisation=organisation, actor=None, via="test")
    assert workflow.lint_errors(plan) == []
    workflow.submit(plan, actor=editor, summary="First draft here")
    workflow.approve(plan, actor=approver)
    assert plan.status == PlanStatus.APPROVED
    entry = AuditEntry.objects.get(object_type="plan", object_key=plan.key, verb="approve")
    assert entry.note == "" and "lintErrors" not in (entry.after or {})
    kept = workflow.issue(plan, actor=approver)
    assert kept.summary == "First draft here"


@time_machine.travel(NOON, tick=False)
def test_the_approver_is_the_users_linked_person(pacs: Plan, editor: User, approver: User) -> None:
    people.link(organisation=pacs.organisation, person_key="helen-marsh", user=approver, actor=None)
    submitted(pacs, editor)
    workflow.approve(pacs, actor=approver, reason=REASON)
    assert after("approve")["approvedBy"] == "helen-marsh"
    kept = workflow.issue(pacs, actor=approver, reason=REASON)
    pacs.refresh_from_db()
    assert pacs.approved_by is not None and pacs.approved_by.key == "helen-marsh"
    assert pacs.approved_by_text is None
    assert "approvedBy: helen-marsh" in kept.text


@time_machine.travel(NOON, tick=False)
def test_the_approver_is_the_users_full_name_without_a_link(pacs: Plan, editor: User, approver: User) -> None:
    approver.first_name, approver.last_name = "Priya", "Sandhu"
    approver.save()
    submitted(pacs, editor)
    workflow.approve(pacs, actor=approver, reason=REASON)
    workflow.issue(pacs, actor=approver, reason=REASON)
    pacs.refresh_from_db()
    assert (pacs.approved_by, pacs.approved_by_text) == (None, "Priya Sandhu")


def test_a_linked_person_of_another_plan_is_named_by_their_name(pacs: Plan, approver: User) -> None:
    eye = Plan.objects.get(organisation__slug="clearview-eyecare")
    assert workflow.recorded_approver(pacs, approver, set()) == "ap (user)"
    from contingency.core.models import PersonLink

    PersonLink.objects.create(
        organisation=pacs.organisation, person_key="someone", person_name="Sam One", user=approver, confirmed_at=NOON
    )
    assert workflow.recorded_approver(pacs, approver, {"helen-marsh"}) == "Sam One"
    assert workflow.recorded_approver(pacs, approver, {"someone"}) == "someone"
    assert workflow.recorded_approver(eye, approver, {"someone"}) == "ap (user)"  # links are per organisation


def test_change_entry_says_each_reason_once() -> None:
    assert workflow.change_entry("", approval_reason="", issue_errors=0, issue_reason="") == "Reissued"
    assert workflow.change_entry("Fix", approval_reason="A", issue_errors=2, issue_reason="A") == (
        "Fix (Approved with lint errors: A)"
    )
    assert workflow.change_entry("Fix", approval_reason="", issue_errors=1, issue_reason="B") == (
        "Fix (Issued with 1 error found by the linter: B)"
    )
