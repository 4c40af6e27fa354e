"""Approval with the findings in view, and a confirmation before issue.

The approver's page shows what the linter finds in the working copy (errors first, each with
where it is: its path and its line in the plan file) and what changed since the last issue, then
the approve form. Issuing asks first, on a page that says what issuing does: the issue number and
date, the entry in the record of changes, who gets copies, and how many findings go out with it.
A plan with lint errors needs a reason at either step; the rule is the service's (plans.workflow),
and a missing reason comes back beside its field with nothing changed. No JavaScript: plain forms.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from contingency import planlint
from contingency.core.permissions import Capability
from contingency.plans import readmodel, workflow, yamlio
from contingency.plans.issuediff import VersionDiff, diff_texts, line_kind
from contingency.plans.lint import Finding, Severity
from contingency.plans.models import CopyHolder, Plan, PlanIssue, PlanStatus
from contingency.plans.problems import PlanInvalid, PositionMap, format_path
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from .views import back_to_control, done

REASON = "reason"


@dataclass(frozen=True)
class FindingLine:
    rule: str
    message: str
    path: str  # functions[2].rto
    line: int | None  # in the working copy's plan file, as downloaded


def finding_groups(findings: list[Finding], positions: PositionMap | None) -> list[tuple[str, list[FindingLine]]]:
    """Findings by severity, errors first, each with its path and line in the plan file."""
    groups = []
    for severity in Severity:  # declared error, warning, info
        rows = []
        for finding in findings:
            if finding.severity is severity:
                where = positions.locate(finding.path) if positions else None
                rows.append(
                    FindingLine(finding.rule, finding.message, format_path(finding.path), where.line if where else None)
                )
        if rows:
            groups.append((severity.value, rows))
    return groups


def tally(findings: list[Finding]) -> dict[str, int]:
    counted = Counter(finding.severity.value for finding in findings)
    return {severity.value: counted[severity.value] for severity in Severity}


def _positions(text: str) -> PositionMap | None:
    try:
        return yamlio.parse(text)[1]
    except PlanInvalid:
        return None


def _since_last_issue(plan: Plan, text: str) -> VersionDiff | None:
    """The working copy against the last issue kept (None when no issue is kept to compare with)."""
    last = PlanIssue.objects.filter(plan=plan).order_by("-issue").first()
    if last is None:
        return None
    return diff_texts(last.text, text, old_label=f"issue {last.issue}", new_label="working copy")


def _approval_page(
    request: HttpRequest, ctx: OrgContext, plan: Plan, *, error: str = "", reason: str = "", status: int = 200
) -> HttpResponse:
    text = readmodel.view(plan).text
    findings = planlint.findings(plan, workflow.local_today(ctx.organisation))
    diff = _since_last_issue(plan, text)
    context: dict[str, Any] = {
        "ctx": ctx,
        "nav": "plans",
        "plan": plan,
        "zone": workflow.organisation_zone(ctx.organisation),
        "status_label": PlanStatus(plan.status).label,
        "groups": finding_groups(findings, _positions(text)),
        "counts": tally(findings),
        "diff": diff,
        "lines": [(line_kind(line), line) for line in diff.unified] if diff else [],
        "barrier": workflow.approval_barrier(plan, request.user),
        "errors": {REASON: error} if error else {},
        "reason": reason,
    }
    return render(request, "web/control/approval.html", context, status=status)


@org_page(Capability.APPROVE)
def plan_approval(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """The approver's page: the lint findings and the changes since the last issue, then the approve form."""
    return _approval_page(request, ctx, ctx.plan(plan))


@require_POST
@org_page(Capability.APPROVE)
def plan_approve(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """Approve a submitted draft (with a reason when the linter finds errors in it)."""
    row = ctx.plan(plan)
    reason = request.POST.get(REASON, "")
    with refusals.caught() as caught:
        workflow.approve(row, actor=request.user, reason=reason)
        return done(request, ctx, row, "Approved. Issue it when it should take effect.")
    refused = caught.refused
    assert refused is not None
    if refused.field == REASON:
        return _approval_page(request, ctx, row, error=refused.message, reason=reason, status=refusals.STATUS)
    messages.error(request, refused.message)
    return back_to_control(ctx, row)


# ---------------------------------------------------------------- issue, confirmed first


@dataclass(frozen=True)
class Recipient:
    copy_number: int
    name: str
    location: str
    emailed: bool


def _recipients(plan: Plan) -> list[Recipient]:
    rows = CopyHolder.objects.filter(plan=plan).select_related("holder").order_by("copy_number")
    return [Recipient(h.copy_number, h.holder.name, h.location or "", bool(h.holder.email)) for h in rows]


def _approver_name(plan: Plan) -> str:
    user = plan.approved_by_user
    if user is None:
        return ""
    people = dict(plan.people.values_list("key", "name"))
    named = workflow.recorded_approver(plan, user, set(people))
    return people.get(named, named)


def _issue_page(
    request: HttpRequest, ctx: OrgContext, plan: Plan, *, error: str = "", reason: str = "", status: int = 200
) -> HttpResponse:
    today = workflow.local_today(ctx.organisation)
    findings = planlint.findings(plan, today)
    counts = tally(findings)
    context: dict[str, Any] = {
        "ctx": ctx,
        "nav": "plans",
        "plan": plan,
        "status_label": PlanStatus(plan.status).label,
        "zone": workflow.organisation_zone(ctx.organisation),
        "number": workflow.latest_issue(plan) + 1,
        "today": today,
        "next_review": workflow.next_review(today, plan.review_interval),
        "entry": workflow.change_entry(
            plan.change_summary, approval_reason=plan.approval_reason, issue_errors=0, issue_reason=""
        ),
        "approver": _approver_name(plan),
        "recipients": _recipients(plan),
        "counts": counts,
        "errors": {REASON: error} if error else {},
        "reason": reason,
    }
    return render(request, "web/control/issue.html", context, status=status)


@require_http_methods(["GET", "POST"])
@org_page(Capability.APPROVE)
def plan_issue(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """GET: what issuing will do, and the confirm form. POST: issue the approved plan."""
    row = ctx.plan(plan)
    if request.method != "POST":
        return _issue_page(request, ctx, row)
    reason = request.POST.get(REASON, "")
    with refusals.caught() as caught:
        kept = workflow.issue(row, actor=request.user, reason=reason)
        return done(request, ctx, row, f"Issue {kept.issue} issued. Send the copy holders their acknowledgement links.")
    refused = caught.refused
    assert refused is not None
    if refused.field == REASON:
        return _issue_page(request, ctx, row, error=refused.message, reason=reason, status=refusals.STATUS)
    messages.error(request, refused.message)
    return back_to_control(ctx, row)
