"""Document control pages: a plan's status and workflow, its issues and their differences, copy holders, reviews.

The workflow buttons post to one small view each; a refused step comes back as a message on
the control page, a missing summary or reason as an error beside its field. Approving and
issuing go through their own pages first (approval.py). Nothing here changes a plan except
through plans.workflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from contingency.core.permissions import Capability
from contingency.lib.signing import MAX_AGE, make_token
from contingency.plans import readmodel, workflow
from contingency.plans.issuediff import diff_texts, line_kind
from contingency.plans.models import CopyHolder, Plan, PlanIssue, PlanStatus
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

Version = int | Literal["draft"]
DRAFT: Literal["draft"] = "draft"


# ---------------------------------------------------------------- pure helpers


def parse_version(raw: str | None) -> Version | None:
    """An issue number or "draft" from a query parameter; None when it is neither."""
    text = (raw or "").strip().lower()
    if text == DRAFT:
        return DRAFT
    if text.isdigit() and 0 < int(text) < 1_000_000:
        return int(text)
    return None


def version_label(version: Version) -> str:
    return "working copy" if version == DRAFT else f"issue {version}"


@dataclass(frozen=True)
class HolderState:
    tag: str  # CSS class of the tag: ok, warning, overdue
    text: str


def holder_state(acknowledged: int | None, current: int) -> HolderState:
    """Whether a copy holder has acknowledged the current issue, in words (never colour alone)."""
    if acknowledged is None:
        return HolderState("warning", "not acknowledged any issue")
    if acknowledged < current:
        return HolderState("overdue", f"holds an out-of-date copy (issue {acknowledged})")
    return HolderState("ok", f"has issue {acknowledged}")


# ---------------------------------------------------------------- the control page


@dataclass(frozen=True)
class HolderRow:
    holder: CopyHolder
    state: HolderState
    link: str


def _holders(request: HttpRequest, ctx: OrgContext, plan: Plan, current: int) -> list[HolderRow]:
    show_links = ctx.can_edit or ctx.can_approve
    rows = []
    for holder in CopyHolder.objects.filter(plan=plan).select_related("holder").order_by("position"):
        link = ""
        if show_links:
            token = make_token(plan_id=plan.pk, issue=current, copy_number=holder.copy_number)
            link = request.build_absolute_uri(
                reverse("holder-ack", kwargs={"org": ctx.organisation.slug, "token": token})
            )
        rows.append(HolderRow(holder, holder_state(holder.acknowledged_issue, current), link))
    return rows


def _control_page(
    request: HttpRequest,
    ctx: OrgContext,
    plan: Plan,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    issues = list(PlanIssue.objects.filter(plan=plan).select_related("issued_by", "approved_by").order_by("-issue"))
    current = workflow.latest_issue(plan)
    today = workflow.local_today(ctx.organisation)
    context: dict[str, Any] = {
        "ctx": ctx,
        "nav": "plans",
        "plan": plan,
        "status_label": PlanStatus(plan.status).label,
        "issues": [(item, issues[index + 1] if index + 1 < len(issues) else None) for index, item in enumerate(issues)],
        "issue_numbers": [item.issue for item in issues],
        # Newest change by default: the last two issues, or the only issue against the working copy.
        "compare_from": issues[1].issue if len(issues) > 1 else current,
        "compare_to": issues[0].issue if len(issues) > 1 else DRAFT,
        "zone": workflow.organisation_zone(ctx.organisation),
        "current": current,
        "holders": _holders(request, ctx, plan, current),
        "link_days": MAX_AGE.days,
        "reviews": plan.reviews.select_related("reviewed_by").order_by("-reviewed_at"),
        "review_state": workflow.review_state(plan.review_date, today).value,
        # Why this approver may not approve (they submitted it, or wrote part of it): said instead of the link.
        "barrier": workflow.approval_barrier(plan, request.user)
        if plan.status == PlanStatus.SUBMITTED and ctx.can_approve
        else "",
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "web/control/control.html", context, status=status)


@org_page(Capability.VIEW)
def plan_control(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """A plan's document control: status, workflow, issues, copy holders and reviews."""
    return _control_page(request, ctx, ctx.plan(plan))


def done(request: HttpRequest, ctx: OrgContext, plan: Plan, message: str) -> HttpResponse:
    messages.success(request, message)
    return back_to_control(ctx, plan)


def back_to_control(ctx: OrgContext, plan: Plan) -> HttpResponse:
    """To the control page, where the step's message (its success or refusal) is shown."""
    return redirect("plan-control", org=ctx.organisation.slug, plan=plan.key)


@require_POST
@org_page(Capability.EDIT)
def plan_submit(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """Submit the draft for approval with a summary of what it changes."""
    row = ctx.plan(plan)
    summary = request.POST.get("summary", "")
    if not summary.strip():
        errors = {"summary": "Say what this draft changes: it goes into the plan's record of changes."}
        return _control_page(request, ctx, row, errors=errors, status=400)
    with refusals.flashed(request):
        workflow.submit(row, actor=request.user, summary=summary)
        return done(request, ctx, row, "Submitted for approval.")
    return back_to_control(ctx, row)


@require_POST
@org_page(Capability.APPROVE)
def plan_return(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """Send a submitted or approved plan back to draft, with the reason."""
    row = ctx.plan(plan)
    reason = request.POST.get("reason", "")
    if not reason.strip():
        errors = {"reason": "Say why the plan goes back to draft, so its editors know what to change."}
        return _control_page(request, ctx, row, errors=errors, status=400)
    with refusals.flashed(request):
        workflow.return_to_draft(row, actor=request.user, reason=reason)
        return done(request, ctx, row, "Returned to draft.")
    return back_to_control(ctx, row)


@require_POST
@org_page(Capability.APPROVE)
def plan_review(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """Record "reviewed, no change"."""
    row = ctx.plan(plan)
    note = request.POST.get("note", "")
    if len(note) > 2000:
        errors = {"note": "Keep the note under 2,000 characters."}
        return _control_page(request, ctx, row, errors=errors, values={"note": note}, status=400)
    review = workflow.record_review(row, actor=request.user, note=note)
    return done(
        request,
        ctx,
        row,
        f"Review recorded. Next review due {review.next_review_date.day} {review.next_review_date:%B %Y}.",
    )


# ---------------------------------------------------------------- differences


def _text(plan: Plan, version: Version) -> str | None:
    if version == DRAFT:
        return readmodel.view(plan).text
    return PlanIssue.objects.filter(plan=plan, issue=version).values_list("text", flat=True).first()


@org_page(Capability.VIEW)
def plan_diff(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """What changed between two issues, or an issue and the working copy (`?from=3&to=draft`)."""
    row = ctx.plan(plan)
    numbers = list(PlanIssue.objects.filter(plan=row).order_by("issue").values_list("issue", flat=True))
    raw_from, raw_to = request.GET.get("from"), request.GET.get("to")
    old = parse_version(raw_from) if raw_from is not None else (numbers[-1] if numbers else None)
    new = parse_version(raw_to) if raw_to is not None else DRAFT
    context: dict[str, Any] = {"ctx": ctx, "nav": "plans", "plan": row, "numbers": numbers}
    old_text = _text(row, old) if old is not None else None
    new_text = _text(row, new) if new is not None else None
    if old is None or new is None or old_text is None or new_text is None:
        bad = raw_from if old is None or old_text is None else raw_to
        kept = ", ".join(str(n) for n in numbers) or "none"
        context["problem"] = f"There is no issue {bad or '(none given)'} of this plan to compare. Issues kept: {kept}."
        return render(request, "web/control/diff.html", context, status=404)
    diff = diff_texts(old_text, new_text, old_label=version_label(old), new_label=version_label(new))
    context |= {
        "diff": diff,
        "old": old,
        "new": new,
        "lines": [(line_kind(line), line) for line in diff.unified],
    }
    return render(request, "web/control/diff.html", context)


# ---------------------------------------------------------------- reviews due


@org_page(Capability.VIEW)
def reviews(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Plans overdue for review, and those due within 30 days."""
    today = workflow.local_today(ctx.organisation)
    rows = [
        (plan, workflow.review_state(plan.review_date, today).value, abs((plan.review_date - today).days))
        for plan in workflow.reviews_due(organisation=ctx.organisation, today=today)
    ]
    context = {
        "ctx": ctx,
        "nav": "reviews",
        "today": today,
        "within": workflow.REVIEW_WARNING_DAYS,
        "overdue": [row for row in rows if row[1] == "overdue"],
        "due": [row for row in rows if row[1] == "due"],
    }
    return render(request, "web/control/reviews.html", context)
