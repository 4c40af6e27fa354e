"""The read-only plan page, and its dependency diagram as an htmx partial."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from contingency import planlint
from contingency.core.permissions import Capability
from contingency.monitor import read
from contingency.packs import register
from contingency.plans import editing, readmodel
from contingency.plans.lint import Finding
from contingency.plans.models import Plan, PlanStatus
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import System
from contingency.plans.workflow import approval_barrier, local_today, review_state
from contingency.web.access import OrgContext, org_page
from contingency.web.editing.notes import finding_link

from . import sections


def optional_url(name: str, **kwargs: Any) -> str | None:
    """The URL, or None while the page it names does not exist (other areas add theirs independently)."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


@org_page(Capability.VIEW)
def plan_page(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    return render(
        request, "web/plan/page.html", page_context(ctx, ctx.plan(plan), request.GET.get("fail"), request.user)
    )


@org_page(Capability.VIEW)
def plan_dependencies(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """The diagram alone for htmx; the whole page (scrolled to the diagram) for a plain link."""
    row = ctx.plan(plan)
    fail = request.GET.get("fail")
    if request.headers.get("HX-Request"):
        document = readmodel.view(row).document
        context = {"ctx": ctx, "plan": row, "deps": sections.dependencies(document, fail), "urls": _urls(ctx, row)}
        return render(request, "web/plan/_dependencies.html", context)
    return render(request, "web/plan/page.html", page_context(ctx, row, fail, request.user))


def _urls(ctx: OrgContext, plan: Plan) -> dict[str, str | None]:
    org = ctx.organisation.slug
    return {
        "page": reverse("plan", kwargs={"org": org, "plan": plan.key}),
        "dependencies": reverse("plan-dependencies", kwargs={"org": org, "plan": plan.key}),
        "download": optional_url("plan-download", org=org, plan=plan.key),
        "edit": optional_url("plan-edit", org=org, plan=plan.key) if ctx.can_edit and not plan.mirrored_from else None,
        "control": optional_url("plan-control", org=org, plan=plan.key),
        "pack": optional_url("plan-pack", org=org, plan=plan.key),
        "pack_print": optional_url("plan-pack-print", org=org, plan=plan.key) if ctx.can_edit else None,
        "history": optional_url("history", org=org, object_type="plan", key=plan.key),
    }


def _approval_url(ctx: OrgContext, plan: Plan, user: Any) -> str | None:
    """The approver's page, for a user who may approve this submitted plan (or issue it, once approved)."""
    if not ctx.can_approve or plan.read_only_reason:
        return None
    org = ctx.organisation.slug
    if plan.status == PlanStatus.SUBMITTED and not approval_barrier(plan, user):
        return optional_url("plan-approval", org=org, plan=plan.key)
    if plan.status == PlanStatus.APPROVED:
        return optional_url("plan-issue", org=org, plan=plan.key)
    return None


def page_context(ctx: OrgContext, plan: Plan, fail: str | None, user: Any = None) -> dict[str, Any]:
    document = readmodel.view(plan).document
    today = local_today(ctx.organisation)
    org = ctx.organisation.slug
    now_links = {f.id: optional_url("function-now", org=org, plan=plan.key, function=f.id) for f in document.functions}
    return {
        "ctx": ctx,
        "nav": "plan",
        "plan": plan,
        "doc": document,
        "names": sections.names(document),
        "review_state": review_state(document.document.review_date, today).value,
        "holders": sections.holders(document),
        "now_links": now_links,
        "heat": sections.heat_map(document),
        "procedures": sections.procedures_by_function(document),
        "timeline": sections.trigger_views(document),
        "functions": sections.function_rows(document),
        "record_kinds": sections.record_kind_rows(document),
        "directory": sections.directory(document),
        "lint": sections.lint_groups(planlint.findings(plan, today), _finding_links(ctx, plan)),
        "locations": register.locations(plan),
        "prints": register.recent_prints(plan),
        "queued": register.queued(plan),
        "contact_list_months": register.contact_list_months(ctx.organisation),
        "deps": sections.dependencies(document, fail),
        "urls": _urls(ctx, plan),
        "approval": _approval_url(ctx, plan, user),
        "systems": _systems(ctx, plan, document),
    }


def _finding_links(ctx: OrgContext, plan: Plan) -> Callable[[Finding], str | None]:
    """Each finding's edit form and field, for those who may edit the plan (a mirrored plan has none); a
    finding from the exercise programme or the supplier register links to that page, for every member."""
    org = ctx.organisation.slug
    elsewhere = dict.fromkeys(planlint.EXERCISE_RULES, reverse("exercises", kwargs={"org": org}))
    elsewhere.update(dict.fromkeys(planlint.SUPPLIER_RULES, reverse("suppliers", kwargs={"org": org})))
    if not ctx.can_edit or plan.read_only_reason:
        return lambda finding: elsewhere.get(finding.rule)
    data = editing.plan_data(plan)
    return lambda finding: elsewhere.get(finding.rule) or finding_link(org, plan.key, data, finding.path)


def _systems(ctx: OrgContext, plan: Plan, document: PlanDocument) -> list[tuple[System, read.SystemState | None, int]]:
    """Each system with what the probes say now (None: nobody decided yet) and its number of checks."""
    states = {s.system: s for s in read.states(ctx.organisation) if s.plan == plan.key}
    return [(s, states.get(s.id), sum(len(c.checks) for c in s.components)) for s in document.systems]
