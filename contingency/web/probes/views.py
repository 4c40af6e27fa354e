"""A system's page (its parts, checks and status over the last day) and the organisation's probes page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.monitor import read, services
from contingency.monitor.checklist import system_checks
from contingency.monitor.checks import LAYER_WORDS, Layer
from contingency.monitor.models import CheckResult, ProbeSite
from contingency.plans.store import export_plan
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.plan import sections

from .strip import Change, strip

WINDOW = timedelta(hours=24)


def _latest(ctx: OrgContext, plan: str, checks: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each check's latest result at each active site."""
    found: dict[str, list[dict[str, Any]]] = {}
    for site in ProbeSite.objects.filter(organisation=ctx.organisation, revoked_at__isnull=True).order_by("name"):
        for check in checks:
            row = CheckResult.objects.filter(site=site, plan_key=plan, check_key=check).order_by("-at", "-id").first()
            if row is not None:
                layer = (
                    LAYER_WORDS.get(Layer(row.layer), row.layer) if row.layer in Layer._value2member_map_ else row.layer
                )
                found.setdefault(check, []).append({"site": site.name, "row": row, "layer": layer})
    return found


@org_page(Capability.VIEW)
@require_GET
def system_page(request: HttpRequest, ctx: OrgContext, plan: str, system: str) -> HttpResponse:
    stored = ctx.plan(plan)
    document = export_plan(stored)
    spec = next((s for s in document.systems if s.id == system), None)
    if spec is None:
        raise Http404("No such system in this plan.")
    now = timezone.now()
    start = now - WINDOW
    state = read.current_state(ctx.organisation, system, stored.key)
    changes = [
        Change(c.at, c.state, c.words, c.summary)
        for c in read.history(ctx.organisation, system, stored.key, since=start)
    ]
    planned = system_checks(stored.key, spec)
    names = sections.names(document)
    context = {
        "ctx": ctx,
        "nav": "plan",
        "plan": stored,
        "doc": document,
        "system": spec,
        "owner": names.get(spec.owner, spec.owner) if spec.owner else None,
        "names": names,
        "planned": planned,
        "state": state,
        "strip": strip(changes, start, now),
        "changes": changes,
        "latest": _latest(ctx, stored.key, [p.check.id for p in planned]),
    }
    return render(request, "web/probes/system.html", context)


@org_page(Capability.VIEW)
@require_GET
def probes_page(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    return render(request, "web/probes/probes.html", _probes_context(ctx))


def _probes_context(ctx: OrgContext, **extra: Any) -> dict[str, Any]:
    return {
        "ctx": ctx,
        "nav": "probes",
        "sites": read.sites(ctx.organisation),
        "refusals": read.refusals(ctx.organisation),
        "systems": read.states(ctx.organisation),
        **extra,
    }


@org_page(Capability.ADMINISTER)
@require_POST
def add_site(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Make a site and show its token once, on this answer only."""
    name = request.POST.get("name", "")
    with refusals.caught() as refused:
        site, token = services.add_site(organisation=ctx.organisation, name=name, actor=request.user, via="web")
        return render(request, "web/probes/probes.html", _probes_context(ctx, made=site, token=token))
    assert refused.refused is not None
    context = _probes_context(ctx, problem=refused.refused.message, name=name)
    return render(request, "web/probes/probes.html", context, status=400)


@org_page(Capability.ADMINISTER)
@require_POST
def revoke_site(request: HttpRequest, ctx: OrgContext, pk: int) -> HttpResponse:
    site = get_object_or_404(ProbeSite, organisation=ctx.organisation, pk=pk)
    with refusals.flashed(request):
        services.revoke_site(site=site, actor=request.user, via="web")
    return redirect("probes", org=ctx.organisation.slug)
