"""Starting a draft plan from a Word document: the upload page, and the draft's report shown on the plan."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from contingency.core.permissions import Capability
from contingency.plans.draft.mapping import Draft
from contingency.plans.draft.report import placed_summary
from contingency.plans.draft.service import start_draft
from contingency.plans.draft.word import MAX_BYTES, DocumentRefused
from contingency.plans.problems import PlanInvalid
from contingency.plans.workflow import local_today
from contingency.web.access import OrgContext, org_page

from .views import lint_summary, plan_url

MAX_LISTED = 40  # passages listed on the plan page; all of them are in the audit entry


@org_page(Capability.EDIT)
def plan_from_word(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            problems = ["choose the plan's Word document (.docx)"]
        else:
            name = PurePath(upload.name or "").name or "upload.docx"
            try:
                if upload.size is not None and upload.size > MAX_BYTES:
                    raise DocumentRefused(
                        f"{name} is {upload.size / 1024 / 1024:.1f} MB: a Word document may be at most "
                        f"{MAX_BYTES // 1024 // 1024} MB"
                    )
                today = local_today(ctx.organisation)
                started = start_draft(
                    organisation=ctx.organisation,
                    raw=upload.read(MAX_BYTES + 1),
                    name=name,
                    actor=request.user,
                    today=today,
                    via="word upload",
                )
            except DocumentRefused as refused:
                problems = [str(refused)]
            except PlanInvalid as invalid:
                problems = [str(problem) for problem in invalid.problems]
            else:
                _report(request, started.draft, name, started.plan.key, lint_summary(started.document, today))
                return redirect(plan_url(started.plan))
    context = {"ctx": ctx, "problems": problems, "max_mb": MAX_BYTES // 1024 // 1024}
    return render(request, "web/editing/word.html", context, status=400 if problems else 200)


def _report(request: HttpRequest, draft: Draft, name: str, key: str, lint: str) -> None:
    """The draft's report as messages on the plan page: what was placed, filled in and kept as text."""
    messages.success(
        request,
        f"Started draft plan {key} from {name}: placed {placed_summary(draft)}. {lint} "
        "The checks on this plan say what to complete.",
    )
    for filled in draft.filled:
        messages.warning(request, f"Filled in because the document does not say: {filled}.")
    if draft.leftovers:
        messages.warning(
            request,
            f"{len(draft.leftovers)} passage(s) of {name} could not be placed and are kept as text below, with "
            "where each is in the document (all of them are also in the plan's history).",
        )
    for leftover in draft.leftovers[:MAX_LISTED]:
        messages.info(request, f"Kept as text: {leftover}")
    if len(draft.leftovers) > MAX_LISTED:
        messages.info(request, f"... and {len(draft.leftovers) - MAX_LISTED} more, listed in the plan's history.")
