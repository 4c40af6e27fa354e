"""The organisation's dashboard, the "it's broken - what do I do?" page of each function, and the contacts."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.lib.calendar import CalendarError, WorkingCalendar, from_organisation
from contingency.plans.guidance import FunctionNotFound, what_to_do
from contingency.plans.models import Plan
from contingency.plans.spec import PlanDocument
from contingency.plans.store import export_plan
from contingency.plans.workflow import local_today
from contingency.web.access import OrgContext, org_page
from contingency.web.offline import save_offline
from contingency.web.plan.sections import directory

from .summary import (
    LintCounts,
    Review,
    evidence_of_testing,
    lint_counts,
    most_responsible,
    review_state,
    untested_functions,
)


@dataclass(frozen=True)
class PlanRow:
    plan: Plan
    document: PlanDocument
    review: Review
    lint: LintCounts
    evidence: list[str]


def calendar_of(organisation: Organisation) -> WorkingCalendar | None:
    """The organisation's calendar, or None when its settings are broken (the page says so)."""
    try:
        return from_organisation(organisation)
    except CalendarError:
        return None


@org_page(Capability.VIEW)
def dashboard(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    calendar = calendar_of(ctx.organisation)
    today = local_today(ctx.organisation)
    rows = []
    for plan in Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key"):
        document = export_plan(plan)
        rows.append(
            PlanRow(
                plan,
                document,
                review_state(plan.review_date, today),
                lint_counts(document, today),
                evidence_of_testing(document),
            )
        )
    documents = [row.document for row in rows]
    now = timezone.now()
    return render(
        request,
        "web/overview/dashboard.html",
        {
            "ctx": ctx,
            "nav": "dashboard",
            "rows": rows,
            "today": today,
            "in_hours": calendar.is_in_hours(now) if calendar else None,
            "untested": untested_functions(documents),
            "holders": most_responsible(documents),
        },
    )


@org_page(Capability.VIEW)
def function_now(request: HttpRequest, ctx: OrgContext, plan: str, function: str) -> HttpResponse:
    stored = ctx.plan(plan)
    calendar = calendar_of(ctx.organisation)
    if calendar is None:
        return render(request, "web/overview/calendar_broken.html", {"ctx": ctx, "plan": stored})
    document = export_plan(stored)
    try:
        guidance = what_to_do(document, function, timezone.now(), calendar)
    except FunctionNotFound:
        raise Http404("No such function in this plan.") from None
    context = {"ctx": ctx, "plan": stored, "g": guidance}
    return save_offline(render(request, "web/overview/function_now.html", context))


@org_page(Capability.VIEW)
def contacts(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Every plan's contact directory on one page: whom to ring, saved on a phone for when all is down."""
    plans = Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key")
    found = [(plan, directory(export_plan(plan))) for plan in plans]
    page = render(request, "web/overview/contacts.html", {"ctx": ctx, "nav": "contacts", "plans": found})
    return save_offline(page)


urlpatterns: list[URLPattern] = [
    path("", dashboard, name="dashboard"),
    path("plans/<slug:plan>/functions/<slug:function>/now/", function_now, name="function-now"),
    path("contacts/", contacts, name="contacts"),
]
