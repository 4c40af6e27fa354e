"""Document control services: submit, approve, return, issue, review, acknowledge; the issue diff; signed links."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User

from contingency.core.models import AuditEntry, Role
from contingency.lib import signing
from contingency.plans import issuediff, workflow
from contingency.plans.editing import plan_data, save_part
from contingency.plans.models import ChangeRecord, CopyHolder, Plan, PlanIssue, PlanReview, PlanStatus
from contingency.plans.workflow import WorkflowError

from .web import HOME_ORG, PACS, make_user

pytestmark = pytest.mark.django_db

NOON = "2026-11-20 12:00:00+00:00"


@pytest.fixture
def pacs(demo_plans: list[object]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


@pytest.fixture
def editor(demo_plans: list[object]) -> User:
    return make_user("ed", HOME_ORG, Role.EDITOR)


@pytest.fixture
def approver(demo_plans: list[object]) -> User:
    return make_user("ap", HOME_ORG, Role.APPROVER)


def edit_function(plan: Plan, actor: User, description: str) -> Plan:
    data = plan_data(plan)
    function = next(item for item in data["functions"] if item["id"] == "image-reporting")
    return save_part(
        plan, section="functions", key="image-reporting", data={**function, "description": description}, actor=actor
    )


def through_to_issue(plan: Plan, editor: User, approver: User, summary: str = "Reporting described") -> PlanIssue:
    workflow.submit(plan, actor=editor, summary=summary)
    workflow.approve(plan, actor=approver, reason="Known findings accepted")
    return workflow.issue(plan, actor=approver, reason="Known findings accepted")


# ---------------------------------------------------------------- pure helpers


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert workflow.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert workflow.add_months(date(2026, 11, 20), 12) == date(2027, 11, 20)
    assert workflow.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_next_review_uses_the_interval_unit() -> None:
    assert workflow.next_review(date(2026, 11, 20), "12 months") == date(2027, 11, 20)
    assert workflow.next_review(date(2026, 11, 20), "2 weeks") == date(2026, 12, 4)
    assert workflow.next_review(date(2026, 11, 20), "10 days") == date(2026, 11, 30)


def test_review_state() -> None:
    today = date(2026, 11, 20)
    assert workflow.review_state(date(2026, 11, 19), today) is workflow.ReviewState.OVERDUE
    assert workflow.review_state(date(2026, 12, 20), today) is workflow.ReviewState.DUE
    assert workflow.review_state(date(2026, 12, 21), today) is workflow.ReviewState.OK


# ---------------------------------------------------------------- the workflow


@time_machine.travel(NOON, tick=False)
def test_draft_submit_approve_issue(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "Radiologists view and report images.")
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.DRAFT
    workflow.submit(pacs, actor=editor, summary="Reporting described more plainly")
    assert (pacs.status, pacs.submitted_by, pacs.change_summary) == (
        PlanStatus.SUBMITTED,
        editor,
        "Reporting described more plainly",
    )
    workflow.approve(pacs, actor=approver, reason="Known findings accepted")
    assert (pacs.status, pacs.approved_by_user) == (PlanStatus.APPROVED, approver)

    kept = workflow.issue(pacs, actor=approver, reason="Known findings accepted")

    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.ISSUED
    assert (pacs.issue, pacs.issue_date, pacs.approval_date) == (4, date(2026, 11, 20), date(2026, 11, 20))
    assert pacs.review_date == date(2027, 11, 20)
    assert pacs.change_summary == ""
    last = ChangeRecord.objects.filter(plan=pacs).order_by("position").last()
    assert last is not None
    # The demo plan has lint errors: the approver's reason is in the record of changes (once, as the issuer's is the same).
    assert (last.issue, last.date, last.summary) == (
        4,
        date(2026, 11, 20),
        "Reporting described more plainly (Approved with lint errors: Known findings accepted)",
    )
    assert (kept.issue, kept.issue_date, kept.issued_by, kept.approved_by) == (
        4,
        date(2026, 11, 20),
        approver,
        approver,
    )
    assert "  issue: 4\n" in kept.text and "Radiologists view and report images." in kept.text
    assert "summary: 'Reporting described more plainly (Approved" in kept.text
    assert "approvedBy: ap (user)" in kept.text  # no linked person, no full name: the username, marked as a name
    assert list(PlanIssue.objects.filter(plan=pacs).values_list("issue", flat=True)) == [4, 3]
    verbs = list(
        AuditEntry.objects.filter(object_key=PACS, object_type="plan").order_by("pk").values_list("verb", flat=True)
    )
    assert verbs[-3:] == ["submit", "approve", "issue"]
    # Issuing is not an edit: no "edited, so a new draft" entry after the approval.
    assert not AuditEntry.objects.filter(verb="status", actor_id=approver.pk)


def test_issue_without_an_edit_still_increments(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "One.")
    through_to_issue(pacs, editor, approver)
    edit_function(pacs, editor, "Two.")
    kept = through_to_issue(pacs, editor, approver, "Second change")
    assert kept.issue == 5
    assert [c.issue for c in ChangeRecord.objects.filter(plan=pacs).order_by("position")] == [1, 2, 3, 4, 5]


def test_wrong_transitions_are_refused(pacs: Plan, editor: User, approver: User) -> None:
    assert pacs.status == PlanStatus.ISSUED
    with pytest.raises(
        WorkflowError, match="Submitting for approval needs a plan that is a draft; this plan is issued"
    ):
        workflow.submit(pacs, actor=editor, summary="x")
    with pytest.raises(WorkflowError, match="Approval needs a plan that is submitted for approval"):
        workflow.approve(pacs, actor=approver, reason="Known findings accepted")
    with pytest.raises(WorkflowError, match="Issuing needs a plan that is approved; this plan is issued"):
        workflow.issue(pacs, actor=approver, reason="Known findings accepted")
    with pytest.raises(WorkflowError, match="Returning to draft needs"):
        workflow.return_to_draft(pacs, actor=approver, reason="why")
    edit_function(pacs, editor, "Changed.")
    with pytest.raises(WorkflowError, match="Issuing needs a plan that is approved; this plan is draft"):
        workflow.issue(pacs, actor=approver, reason="Known findings accepted")
    with pytest.raises(WorkflowError, match="Say what this draft changes"):
        workflow.submit(pacs, actor=editor, summary="   ")
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.DRAFT and PlanIssue.objects.filter(plan=pacs).count() == 1


def test_self_approval_is_refused(pacs: Plan, demo_plans: list[object]) -> None:
    both = make_user("both", HOME_ORG, Role.EDITOR, Role.APPROVER)
    edit_function(pacs, both, "Changed.")
    workflow.submit(pacs, actor=both, summary="Mine")
    with pytest.raises(WorkflowError, match=r"You submitted this draft, so another approver must approve it\."):
        workflow.approve(pacs, actor=both, reason="Known findings accepted")
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.SUBMITTED


def test_return_to_draft_clears_the_approval(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "Changed.")
    workflow.submit(pacs, actor=editor, summary="Change")
    workflow.approve(pacs, actor=approver, reason="Known findings accepted")
    with pytest.raises(WorkflowError, match="Say why"):
        workflow.return_to_draft(pacs, actor=approver, reason="")
    workflow.return_to_draft(pacs, actor=approver, reason="Owner not agreed")
    assert (pacs.status, pacs.approved_by_user, pacs.submitted_by) == (PlanStatus.DRAFT, None, None)
    assert pacs.change_summary == "Change"  # kept for resubmission
    entry = AuditEntry.objects.filter(verb="return").get()
    assert entry.note == "Owner not agreed" and entry.before == {"status": "approved"}


def test_edit_after_issue_makes_a_draft(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "One.")
    through_to_issue(pacs, editor, approver)
    edit_function(pacs, editor, "Two.")
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.DRAFT
    assert "One." in PlanIssue.objects.get(plan=pacs, issue=4).text  # the issue is kept as issued


@time_machine.travel(NOON, tick=False)
def test_review_no_change_moves_the_review_date_twelve_months(pacs: Plan, approver: User) -> None:
    issued_text = PlanIssue.objects.get(plan=pacs, issue=3).text
    review = workflow.record_review(pacs, actor=approver, note="Checked with the PACS team")
    assert pacs.review_date == date(2027, 11, 20)
    assert pacs.status == PlanStatus.ISSUED
    assert (review.issue, review.outcome, review.next_review_date) == (3, "no-change", date(2027, 11, 20))
    assert PlanReview.objects.filter(plan=pacs).count() == 1
    assert PlanIssue.objects.get(plan=pacs, issue=3).text == issued_text
    entry = AuditEntry.objects.filter(verb="review").get()
    assert entry.before == {"reviewDate": "2027-09-14"}
    assert entry.after == {"reviewDate": "2027-11-20", "outcome": "reviewed, no change"}


def test_reviews_due(pacs: Plan) -> None:
    assert list(workflow.reviews_due(organisation=pacs.organisation, today=date(2027, 8, 1))) == []
    assert list(workflow.reviews_due(organisation=pacs.organisation, today=date(2027, 8, 20))) == [pacs]
    assert list(workflow.reviews_due(organisation=pacs.organisation, today=date(2027, 10, 1))) == [pacs]


# ---------------------------------------------------------------- the diff between issues


def test_diff_between_two_issues_after_an_edit(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "Radiologists view and report images.")
    through_to_issue(pacs, editor, approver)
    old, new = (PlanIssue.objects.get(plan=pacs, issue=n).text for n in (3, 4))

    diff = issuediff.diff_texts(old, new, old_label="issue 3", new_label="issue 4")

    headlines = [part.headline for part in diff.parts]
    assert "Changed critical function image-reporting (Diagnostic image viewing and reporting)" in headlines
    function = next(part for part in diff.parts if part.change.section == "functions")
    assert function.details == [
        'description: "Radiologists and clinicians view images and radiologists report them." -> '
        '"Radiologists view and report images."'
    ]
    assert "Changed document control" in headlines
    assert "-  description: Radiologists and clinicians view images and radiologists report them." in diff.unified
    assert "+  description: Radiologists view and report images." in diff.unified
    assert diff.unified[0] == "--- issue 3" and diff.unified[1] == "+++ issue 4"


def test_diff_sentences_for_added_removed_and_changed_parts() -> None:
    old: dict[str, Any] = {"id": "p", "risks": [{"id": "r1", "title": "Fire", "likelihood": 3}]}
    new: dict[str, Any] = {
        "id": "p",
        "risks": [{"id": "r1", "title": "Fire", "likelihood": 4}],
        "functions": [{"id": "triage", "name": "Triage"}],
    }
    sentences = [part.sentence for part in issuediff.part_diffs(old, new)]
    assert sentences == ["Added critical function triage (Triage)", "Changed risk r1 (Fire): likelihood 3 -> 4"]
    assert [part.sentence for part in issuediff.part_diffs(new, old)] == [
        "Changed risk r1 (Fire): likelihood 4 -> 3",
        "Removed critical function triage (Triage)",
    ]


def test_diff_of_unreadable_text_still_gives_lines() -> None:
    diff = issuediff.diff_texts("a: [", "a: 1\n", old_label="x", new_label="y")
    assert diff.parts == () and "could not be read" in diff.problem and "+a: 1" in diff.unified
    assert issuediff.line_kind("+x") == "added" and issuediff.line_kind("@@ -1 +1 @@") == "hunk"
    assert issuediff.show("x" * 200).endswith("…") and len(issuediff.show("x" * 200)) == issuediff.VALUE_LIMIT


# ---------------------------------------------------------------- signed links and acknowledgements


def test_token_round_trip_and_tampering() -> None:
    token = signing.make_token(plan_id=7, issue=3, copy_number=2)
    assert signing.read_token(token) == signing.HolderToken(7, 3, 2)
    with pytest.raises(signing.TokenInvalid, match="not valid"):
        signing.read_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    with pytest.raises(signing.TokenInvalid, match="not valid"):
        signing.read_token("nonsense")


def test_token_expires() -> None:
    with time_machine.travel("2026-01-01 09:00:00+00:00", tick=False):
        token = signing.make_token(plan_id=7, issue=3, copy_number=2)
    with time_machine.travel("2026-03-01 09:00:00+00:00", tick=False):
        assert signing.read_token(token).copy_number == 2
    with time_machine.travel("2026-03-03 09:00:00+00:00", tick=False), pytest.raises(signing.TokenInvalid) as caught:
        signing.read_token(token)
    assert caught.value.expired and "expired" in caught.value.message
    with pytest.raises(signing.TokenInvalid):
        signing.read_token(signing.make_token(plan_id=7, issue=3, copy_number=2), max_age=timedelta(seconds=-1))


@time_machine.travel(NOON, tick=False)
def test_acknowledge_once(pacs: Plan) -> None:
    copy = workflow.holder_copy(organisation=pacs.organisation, plan_id=pacs.pk, issue=3, copy_number=5)
    assert copy is not None and copy.holder.acknowledged_issue == 2 and not copy.acknowledged
    assert workflow.acknowledge(copy) is workflow.Acknowledged.RECORDED
    holder = CopyHolder.objects.get(plan=pacs, copy_number=5)
    assert (holder.acknowledged_issue, holder.acknowledged_on) == (3, date(2026, 11, 20))
    pacs.refresh_from_db()
    assert pacs.status == PlanStatus.ISSUED  # no draft
    entry = AuditEntry.objects.filter(verb="acknowledge").get()
    assert (entry.actor_id, entry.actor_name, entry.object_key) == (None, "signed link", f"{PACS}/holders/5")
    assert workflow.acknowledge(copy) is workflow.Acknowledged.ALREADY
    assert AuditEntry.objects.filter(verb="acknowledge").count() == 1


def test_acknowledging_an_older_issue_is_refused(pacs: Plan, editor: User, approver: User) -> None:
    edit_function(pacs, editor, "Changed.")
    through_to_issue(pacs, editor, approver)
    copy = workflow.holder_copy(organisation=pacs.organisation, plan_id=pacs.pk, issue=3, copy_number=5)
    assert copy is not None and copy.superseded and copy.current == 4
    assert workflow.acknowledge(copy) is workflow.Acknowledged.SUPERSEDED
    assert CopyHolder.objects.get(plan=pacs, copy_number=5).acknowledged_issue == 2


def test_holder_copy_of_another_organisation_is_none(pacs: Plan) -> None:
    other = Plan.objects.exclude(organisation=pacs.organisation).first()
    assert other is not None
    assert workflow.holder_copy(organisation=other.organisation, plan_id=pacs.pk, issue=3, copy_number=1) is None
    assert workflow.holder_copy(organisation=pacs.organisation, plan_id=pacs.pk, issue=3, copy_number=99) is None
