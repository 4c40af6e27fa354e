"""Document control: draft -> submitted for approval -> approved -> issued, and issues kept whole.

Each service runs in one transaction with its audit entry, re-reads the plan row locked
(so two people pressing "Approve" at once cannot both succeed) and raises WorkflowError,
with a message fit to show as is, for a step the plan's status does not allow. Approving or
issuing a plan the linter finds errors in needs a stated reason, which goes into the audit
entry and, at issue, into the plan's record of changes: an approver may accept a known
defect, but not without saying so where every reader of the plan sees it. Editing an
issued plan starts a new draft (editing.py); copy holders' acknowledgements and "reviewed,
no change" touch their own rows only, because neither changes what the plan says.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.core.models import AuditEntry, Organisation, PersonLink
from contingency.lib.durations import Duration, DurationError, Unit

from . import events, readmodel
from .editing import Actor, plan_data, save_document
from .lint import Finding, Severity
from .models import CopyHolder, Person, Plan, PlanIssue, PlanReview, PlanStatus, new_revision
from .problems import PlanInvalid
from .spec.types import ID_PATTERN
from .store import export_plan
from .validate import validate_data
from .yamlform import to_yaml

REVIEW_WARNING_DAYS = 30
REASON_LIMIT = 2000  # characters of a reason for approving or issuing with errors


class WorkflowError(Refused):
    """A workflow step refused; `message` says why, for the person who asked.

    A conflict (409) with the plan's state, except a missing or overlong reason: that is the `reason`
    input at fault (422 on the API, beside the field on a page).
    """

    code = "plan.refused"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field, kind=Kind.INVALID if field else Kind.CONFLICT)


def mark_issued(plan: Plan, *, actor: Actor, via: str, summary: str = "") -> PlanIssue:
    """Record the working copy as already issued at its stated issue (a plan loaded from its file)."""
    with transaction.atomic():
        issue, created = PlanIssue.objects.get_or_create(
            plan=plan,
            issue=plan.issue,
            defaults={
                "issue_date": plan.issue_date,
                "text": to_yaml(export_plan(plan)),
                "summary": summary,
                "issued_at": timezone.now(),
                "issued_by": actor if actor is not None and actor.is_authenticated else None,
            },
        )
        if plan.status != PlanStatus.ISSUED:
            before = {"status": plan.status}
            plan.status = PlanStatus.ISSUED
            plan.save(update_fields=["status"])
            audit.record(
                organisation=plan.organisation,
                actor=actor,
                verb="issue",
                object_type="plan",
                object_key=plan.key,
                label=plan.title,
                before=before,
                after={"status": plan.status, "issue": plan.issue},
                note="recorded as issued" if created else "",
                via=via,
            )
        if created:
            events.plan_issued.send(Plan, plan=plan, issue=issue, imported=True, actor=actor, via=via)
        return issue


# ---------------------------------------------------------------- time


def organisation_zone(organisation: Organisation) -> ZoneInfo:
    """The organisation's time zone (the site's if its own is not a known zone)."""
    try:
        return ZoneInfo(organisation.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def local_today(organisation: Organisation) -> date:
    """Today's date where the organisation is."""
    return timezone.localdate(timezone=organisation_zone(organisation))


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day (31 January + 1 month = 28/29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review(day: date, interval: str) -> date:
    """The date a review falls due `interval` (e.g. "12 months") after `day`."""
    try:
        duration = Duration.parse(interval)
    except DurationError:
        duration = Duration(12, Unit.MONTHS)
    if duration.unit is Unit.MONTHS:
        return add_months(day, duration.value)
    # Weeks and days are exact; shorter units make no sense for a review, so round up to whole days.
    return day + timedelta(days=max(1, -(-duration.longest // timedelta(days=1))))


class ReviewState(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    OK = "ok"


def review_state(review_date: date, today: date, within_days: int = REVIEW_WARNING_DAYS) -> ReviewState:
    """Overdue (past its review date), due (within `within_days`), or not yet due."""
    if review_date < today:
        return ReviewState.OVERDUE
    if review_date <= today + timedelta(days=within_days):
        return ReviewState.DUE
    return ReviewState.OK


# ---------------------------------------------------------------- the workflow


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _locked(plan: Plan) -> Plan:
    """The plan row locked for the step; a read-only copy (a laptop's mirror) takes no workflow step."""
    row = Plan.objects.select_for_update().select_related("organisation").get(pk=plan.pk)
    if row.read_only_reason:
        raise WorkflowError(row.read_only_reason)
    return row


def _refused(plan: Plan, step: str, allowed: str) -> WorkflowError:
    return WorkflowError(
        f"{step} needs a plan that is {allowed}; this plan is {PlanStatus(plan.status).label.lower()}."
    )


def _record(plan: Plan, *, actor: Actor, verb: str, before: Any, after: Any, note: str = "", via: str) -> None:
    audit.record(
        organisation=plan.organisation,
        actor=actor,
        verb=verb,
        object_type="plan",
        object_key=plan.key,
        label=plan.title,
        before=before,
        after=after,
        note=note,
        via=via,
    )


def _reload(plan: Plan) -> None:
    """Make the caller's object show what was saved."""
    plan.refresh_from_db()


def submit(plan: Plan, *, actor: Actor, summary: str, via: str = "web") -> None:
    """Submit a draft for approval, saying what it changes (kept for the record of changes)."""
    summary = summary.strip()
    if not summary:
        raise WorkflowError("Say what this draft changes: it goes into the plan's record of changes.")
    with transaction.atomic():
        row = _locked(plan)
        if row.status != PlanStatus.DRAFT:
            raise _refused(row, "Submitting for approval", "a draft")
        row.status = PlanStatus.SUBMITTED
        row.change_summary = summary
        row.submitted_by = _user(actor)
        row.submitted_at = timezone.now()
        row.approval_reason = ""
        row.save(
            update_fields=["status", "change_summary", "submitted_by", "submitted_at", "approval_reason", "updated_at"]
        )
        _record(
            row,
            actor=actor,
            verb="submit",
            before={"status": PlanStatus.DRAFT},
            after={"status": row.status, "changeSummary": summary},
            via=via,
        )
    _reload(plan)


def return_to_draft(plan: Plan, *, actor: Actor, reason: str, via: str = "web") -> None:
    """Send a submitted or approved plan back to draft, saying why."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError("Say why the plan goes back to draft, so its editors know what to change.")
    with transaction.atomic():
        row = _locked(plan)
        if row.status not in (PlanStatus.SUBMITTED, PlanStatus.APPROVED):
            raise _refused(row, "Returning to draft", "submitted for approval or approved")
        before = {"status": row.status}
        row.status = PlanStatus.DRAFT
        row.submitted_by = row.submitted_at = row.approved_by_user = row.approved_at = None
        row.approval_reason = ""
        row.save(
            update_fields=[
                *("status", "submitted_by", "submitted_at", "approved_by_user", "approved_at", "approval_reason"),
                "updated_at",
            ]
        )
        _record(row, actor=actor, verb="return", before=before, after={"status": row.status}, note=reason, via=via)
    _reload(plan)


def authors(plan: Plan) -> set[int]:
    """The users whose edits are in the working copy: every change to the plan's content since its last issue."""
    since = PlanIssue.objects.filter(plan=plan).aggregate(at=Max("issued_at"))["at"]
    entries = AuditEntry.objects.filter(organisation=plan.organisation, actor__isnull=False)
    edits = audit.history_of(entries, "plan", plan.key, with_parts=True).filter(
        verb__in=(audit.Verb.CREATE, audit.Verb.CHANGE, audit.Verb.DELETE)
    )
    if since is not None:
        edits = edits.filter(at__gt=since)
    return {actor for actor in edits.values_list("actor_id", flat=True).distinct() if actor is not None}


def approval_barrier(plan: Plan, user: Any) -> str:
    """Why this user may not approve the plan's draft ("" when they may): four eyes on every change."""
    if user is None or not user.is_authenticated:
        return ""
    if plan.submitted_by_id == user.pk:
        return "You submitted this draft, so another approver must approve it."
    if user.pk in authors(plan):
        return "You wrote changes in this draft, so another approver must approve it."
    return ""


def lint_errors(plan: Plan) -> list[Finding]:
    """The error-severity lint findings of the plan's working copy today (its read model's: built once)."""
    today = local_today(plan.organisation)
    return [finding for finding in readmodel.view(plan).findings(today) if finding.severity is Severity.ERROR]


def _errors_word(count: int) -> str:
    return f"{count} error{'s' if count != 1 else ''}"


def _reason_for(errors: int, reason: str, step: str) -> str:
    """The stated reason, cleaned; refused when the linter found errors and none is given, or it is too long."""
    reason = " ".join(reason.split())  # one line: it becomes part of a line in the record of changes
    if len(reason) > REASON_LIMIT:
        raise WorkflowError(f"Keep the reason under {REASON_LIMIT:,} characters.", "reason")
    if errors and not reason:
        raise WorkflowError(
            f"The linter found {_errors_word(errors)} in this plan. Say why it should be {step} anyway: "
            "the reason goes into the plan's record of changes.",
            "reason",
        )
    return reason


def recorded_approver(plan: Plan, user: Any, people: set[str]) -> str:
    """Who the plan names as its approver: the user's linked person when that person is in the plan
    (`people`: its person keys), else a name: the linked person's, the user's full name, or username.

    A name that reads like an id would be taken for a reference to something in the plan, so it is
    marked as a user's name instead.
    """
    link = PersonLink.objects.filter(organisation_id=plan.organisation_id, user_id=user.pk).first()
    if link is not None and link.person_key in people:
        return link.person_key
    name = (link.person_name if link else "") or user.get_full_name().strip() or user.get_username()
    return f"{name} (user)" if re.match(ID_PATTERN, name) else name


def approve(plan: Plan, *, actor: Actor, reason: str = "", via: str = "web") -> None:
    """Approve a submitted plan; whoever submitted it, or wrote any of its changes, may not approve it too.

    A plan with lint errors needs `reason`: kept with the plan for its record of changes, and audited.
    """
    with transaction.atomic():
        row = _locked(plan)
        if row.status != PlanStatus.SUBMITTED:
            raise _refused(row, "Approval", "submitted for approval")
        user = _user(actor)
        if barrier := approval_barrier(row, user):
            raise WorkflowError(barrier)
        errors = len(lint_errors(row))
        reason = _reason_for(errors, reason, "approved")
        row.status = PlanStatus.APPROVED
        row.approved_by_user = user
        row.approved_at = timezone.now()
        row.approval_reason = reason if errors else ""
        row.save(update_fields=["status", "approved_by_user", "approved_at", "approval_reason", "updated_at"])
        after: dict[str, Any] = {"status": row.status}
        if user is not None:
            after["approvedBy"] = recorded_approver(
                row, user, set(Person.objects.filter(plan=row).values_list("key", flat=True))
            )
        if errors:
            after["lintErrors"] = errors
        _record(
            row,
            actor=actor,
            verb="approve",
            before={"status": PlanStatus.SUBMITTED},
            after=after,
            note=row.approval_reason,
            via=via,
        )
    _reload(plan)


def _person_keys(data: dict[str, Any]) -> set[str]:
    return {str(person["id"]) for person in data.get("people", []) if isinstance(person, dict) and "id" in person}


def change_entry(summary: str, *, approval_reason: str, issue_errors: int, issue_reason: str) -> str:
    """The record of changes' summary: the editor's words, then any reason for going ahead with errors."""
    text = summary.strip() or "Reissued"
    if approval_reason:
        text += f" (Approved with lint errors: {approval_reason})"
    if issue_errors and issue_reason and issue_reason != approval_reason:
        text += f" (Issued with {_errors_word(issue_errors)} found by the linter: {issue_reason})"
    return text


def latest_issue(plan: Plan) -> int:
    """The number of the plan's most recent issue (its stated issue if none is kept)."""
    kept: int | None = PlanIssue.objects.filter(plan=plan).aggregate(n=Max("issue"))["n"]
    return max(kept or 0, plan.issue)


def issue(plan: Plan, *, actor: Actor, reason: str = "", via: str = "web") -> PlanIssue:
    """Issue an approved plan: next issue number, dated today, in the record of changes, kept whole.

    A plan with lint errors needs `reason`; it goes into the record of changes and the audit entry.
    """
    with transaction.atomic():
        row = _locked(plan)
        if row.status != PlanStatus.APPROVED:
            raise _refused(row, "Issuing", "approved")
        errors = len(lint_errors(row))
        reason = _reason_for(errors, reason, "issued")
        zone = organisation_zone(row.organisation)
        today = timezone.localdate(timezone=zone)
        number = latest_issue(row) + 1
        summary = change_entry(
            row.change_summary, approval_reason=row.approval_reason, issue_errors=errors, issue_reason=reason
        )
        data = plan_data(row)
        control = data["document"]
        control["issue"] = number
        control["issueDate"] = today.isoformat()
        control["reviewDate"] = next_review(today, row.review_interval).isoformat()
        approved_on = timezone.localtime(row.approved_at, zone).date() if row.approved_at else today
        control["approvalDate"] = approved_on.isoformat()
        if row.approved_by_user is not None:
            control["approvedBy"] = recorded_approver(row, row.approved_by_user, _person_keys(data))
        record: dict[str, Any] = {"issue": number, "date": today.isoformat(), "summary": summary}
        if author := _author_key(data, row):
            record["author"] = author
        control["changes"] = [*control.get("changes", []), record]
        try:
            document = validate_data(data)
        except PlanInvalid as invalid:
            problems = "; ".join(str(problem) for problem in invalid.problems[:3])
            raise WorkflowError(f"The plan cannot be issued until it is valid: {problems}") from None
        # save_document returns an issued or approved plan to draft (and audits that); this is no
        # edit, so mark the row draft first and set it issued once the content is saved.
        Plan.objects.filter(pk=row.pk).update(status=PlanStatus.DRAFT, revision=new_revision())
        saved = save_document(document, organisation=row.organisation, actor=actor, via=via, plan=row)
        saved.status = PlanStatus.ISSUED
        saved.change_summary = saved.approval_reason = ""
        saved.save(update_fields=["status", "change_summary", "approval_reason", "updated_at"])
        kept = PlanIssue.objects.create(
            plan=saved,
            issue=number,
            issue_date=today,
            text=to_yaml(export_plan(saved)),
            summary=summary,
            issued_at=timezone.now(),
            issued_by=_user(actor),
            approved_by=saved.approved_by_user,
        )
        _record(
            saved,
            actor=actor,
            verb="issue",
            before={"status": PlanStatus.APPROVED, "issue": row.issue},
            after={
                "status": saved.status,
                "issue": number,
                "issueDate": today.isoformat(),
                **({"lintErrors": errors, "reason": reason} if errors else {}),
            },
            note=summary,
            via=via,
        )
        events.plan_issued.send(Plan, plan=saved, issue=kept, imported=False, actor=actor, via=via)
    _reload(plan)
    return kept


def _author_key(data: dict[str, Any], plan: Plan) -> str | None:
    """The plan's person with the submitter's e-mail address, to name as the change's author."""
    email = plan.submitted_by.email.strip().lower() if plan.submitted_by else ""
    if not email:
        return None
    for person in data.get("people", []):
        if isinstance(person, dict) and str(person.get("email") or "").strip().lower() == email:
            return str(person["id"])
    return None


def record_review(plan: Plan, *, actor: Actor, note: str = "", via: str = "web") -> PlanReview:
    """Record "reviewed, no change": the next review falls one review interval from today; no new draft."""
    with transaction.atomic():
        row = _locked(plan)
        today = local_today(row.organisation)
        due = next_review(today, row.review_interval)
        review = PlanReview.objects.create(
            plan=row,
            reviewed_at=timezone.now(),
            reviewed_by=_user(actor),
            issue=latest_issue(row),
            outcome="no-change",
            note=note.strip(),
            next_review_date=due,
        )
        before = {"reviewDate": row.review_date.isoformat()}
        # The review date is document control, not content: set on the row so the plan stays issued.
        Plan.objects.filter(pk=row.pk).update(review_date=due, revision=new_revision())
        _record(
            row,
            actor=actor,
            verb="review",
            before=before,
            after={"reviewDate": due.isoformat(), "outcome": "reviewed, no change"},
            note=note.strip(),
            via=via,
        )
    _reload(plan)
    return review


def reviews_due(*, organisation: Organisation, today: date, within_days: int = REVIEW_WARNING_DAYS) -> QuerySet[Plan]:
    """The organisation's plans overdue for review or due within `within_days`, soonest first."""
    return Plan.objects.filter(
        organisation=organisation, review_date__lte=today + timedelta(days=within_days)
    ).order_by("review_date", "key")


# ---------------------------------------------------------------- copy holders' acknowledgements


class Acknowledged(StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"
    SUPERSEDED = "superseded"  # a newer issue exists than the one the link was for


@dataclass(frozen=True)
class HolderCopy:
    plan: Plan
    holder: CopyHolder
    issue: int  # the issue the link is for
    current: int  # the plan's latest issue

    @property
    def superseded(self) -> bool:
        return self.issue < self.current

    @property
    def acknowledged(self) -> bool:
        return (self.holder.acknowledged_issue or 0) >= self.issue


def holder_copy(*, organisation: Organisation, plan_id: int, issue: int, copy_number: int) -> HolderCopy | None:
    """The copy a signed link is for, or None when the plan or the copy no longer exists."""
    plan = Plan.objects.filter(organisation=organisation, pk=plan_id).first()
    if plan is None:
        return None
    holder = CopyHolder.objects.filter(plan=plan, copy_number=copy_number).select_related("holder").first()
    if holder is None:
        return None
    return HolderCopy(plan, holder, issue, latest_issue(plan))


def acknowledge(copy: HolderCopy, *, via: str = "signed link") -> Acknowledged:
    """Record that a copy holder has the issue their link is for (at most once; never an older issue)."""
    with transaction.atomic():
        holder = CopyHolder.objects.select_for_update().get(pk=copy.holder.pk)
        fresh = HolderCopy(copy.plan, holder, copy.issue, latest_issue(copy.plan))
        if fresh.superseded:
            return Acknowledged.SUPERSEDED
        if fresh.acknowledged:
            return Acknowledged.ALREADY
        before = {"acknowledgedIssue": holder.acknowledged_issue, "acknowledgedOn": _iso(holder.acknowledged_on)}
        holder.acknowledged_issue = copy.issue
        holder.acknowledged_on = local_today(copy.plan.organisation)
        # Directly on the row, not through save_document: a receipt is not an edit and must not start a draft.
        holder.save(update_fields=["acknowledged_issue", "acknowledged_on"])
        # The copy register is part of the plan document: what is derived from it must be rebuilt.
        Plan.objects.filter(pk=copy.plan.pk).update(revision=new_revision())
        audit.record(
            organisation=copy.plan.organisation,
            actor=None,
            verb="acknowledge",
            object_type="holder",
            object_key=f"{copy.plan.key}/holders/{holder.copy_number}",
            label=f"copy {holder.copy_number} of {copy.plan.title}",
            before=before,
            after={"acknowledgedIssue": holder.acknowledged_issue, "acknowledgedOn": _iso(holder.acknowledged_on)},
            note=f"acknowledged by {holder.holder.name}",
            via=via,
        )
    copy.holder.acknowledged_issue = holder.acknowledged_issue
    copy.holder.acknowledged_on = holder.acknowledged_on
    return Acknowledged.RECORDED


def _iso(day: date | datetime | None) -> str | None:
    return day.isoformat() if day else None
