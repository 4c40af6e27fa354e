"""The incident list, reporting a failure, and the live incident page (with its polled partial)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from contingency.core.permissions import Capability
from contingency.incidents import assess, services
from contingency.incidents.models import EventKind, Incident, State
from contingency.incidents.outstanding import outstanding
from contingency.incidents.queries import ranked_open, real
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.lib.calendar import from_organisation
from contingency.plans.graph import Ref
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.fragments import CSRF_SLOT, Fragments, with_csrf

from . import live, present
from .forms import AUDIENCES, ChecksForm, ReportForm
from .present import Problem
from .reporting import chosen_part, plans_of, subjects_of

CLOSED_SHOWN = 10


@org_page(Capability.VIEW)
@require_GET
def incidents(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    now = timezone.now()
    ranked = [
        {"r": r, "left": assess.elapsed_words(abs(r.ranked.time_left)) if r.ranked.time_left is not None else ""}
        for r in ranked_open(ctx.organisation, now)
    ]
    closed = real(Incident.objects.filter(organisation=ctx.organisation)).exclude(
        state__in=(State.REPORTED, State.INVOKED, State.RESTORED)
    )
    zone = from_organisation(ctx.organisation).zone
    return render(
        request,
        "web/incidents/list.html",
        {"ctx": ctx, "nav": "incidents", "ranked": ranked, "closed": closed[:CLOSED_SHOWN], "zone": zone, "now": now},
    )


@org_page(Capability.RESPOND)
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Step 1 (GET): choose the plan and the part that failed. Step 2: when, where, the checks; POST reports."""
    source = request.POST if request.method == "POST" else request.GET
    part = chosen_part(ctx, source.get("plan", ""), source.get("subject", ""))
    zone = from_organisation(ctx.organisation).zone
    form = None
    if part.plan is not None and part.ref is not None and part.document is not None:
        form = ReportForm(
            request.POST if request.method == "POST" else None,
            zone=zone,
            subjects=subjects_of(part.graph),
            checks=assess.checks_for(part.document, part.ref),
            initial={"plan": part.plan.key, "subject": str(part.ref)},
        )
    status = 200
    if request.method == "POST":
        if form is None:
            if not part.problem:
                part.problem = "Choose the plan and the part that failed."
                part.field = "plan" if part.plan is None else "subject"
            status = 400
        elif (incident := _report(request, ctx, form, part)) is not None:
            messages.success(request, f"Incident #{incident.number} reported. Work through what it proposes below.")
            return redirect("incident", org=ctx.organisation.slug, number=incident.number)
        else:
            status = 400
    return render(
        request,
        "web/incidents/report.html",
        {
            "ctx": ctx,
            "nav": "incidents",
            "plans": plans_of(ctx),
            "part": part,
            "part_ref": str(part.ref) if part.ref else "",
            "subjects": subjects_of(part.graph),
            "form": form,
            "zone": zone,
            "now": timezone.now(),
        },
        status=status,
    )


def _report(request: HttpRequest, ctx: OrgContext, form: ReportForm, part: Any) -> Incident | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    with refusals.onto(form):
        return services.report(
            plan=part.plan,
            subject=data["subject"],
            actor=request.user,
            answers=form.answers(),
            began_at=data.get("began_at"),
            area=data["area"],
            description=data["description"],
        )
    return None


def _order_and_kind(request: HttpRequest) -> tuple[str, str]:
    order = "oldest" if request.GET.get("order") == "oldest" else "newest"
    kind = request.GET.get("kind", "")
    return order, kind if kind in EventKind.values else ""


PAGES: Fragments[str] = Fragments(256)


def page_context(
    request: HttpRequest, ctx: OrgContext, incident: Incident, problem: Problem | None = None
) -> dict[str, Any]:
    """The incident page's context; `problem` is a refused change to show beside its form.

    The page's content is rendered once per key of its live region (live.py) and query string, and
    shared; beside a refused change it is rendered afresh.
    """
    order, kind = _order_and_kind(request)
    region, key = live.live(request, ctx, incident, order, kind, problem)
    # Only what the page reads of the query string (so a stray parameter cannot multiply cache entries).
    query = urlencode([*([("order", order)] if order != "newest" else []), *([("kind", kind)] if kind else [])])

    def draw(csrf: str) -> str:
        context = _body_context(ctx, incident, problem, region, query, csrf)
        return render_to_string("web/incidents/_incident_body.html", context)

    if key is None:
        body = draw(get_token(request))
    else:
        body = with_csrf(PAGES.get((key, query), lambda: draw(CSRF_SLOT)), request)
    return {"ctx": ctx, "nav": "incidents", "incident": incident, "body": body}


def _body_context(
    ctx: OrgContext, incident: Incident, problem: Problem | None, region: live.Live, query: str, csrf: str
) -> dict[str, Any]:
    checks_form = None
    risks: list[tuple[str, str]] = []
    if incident.state == State.REPORTED:
        document = document_of(incident)
        checks = assess.checks_for(document, Ref.parse(incident.subject))
        given = {a["key"]: a["answer"] for a in incident.answers}
        checks_form = ChecksForm(checks=checks, initial_answers=given)
        risks = [(r.id, r.title) for r in document.risks]
    zone = calendar_of(incident).zone
    return {
        "ctx": ctx,
        "incident": incident,
        "problem": problem,
        "region": region.html(),
        "etag": region.etag,
        "running": incident.state in (State.INVOKED, State.RESTORED),
        "risks": risks,
        "checks_form": checks_form,
        "audiences": AUDIENCES,
        "query": query,
        "zone": zone,
        "calendar_zone": zone,
        "csrf_token": csrf,
    }


def render_page(
    request: HttpRequest, ctx: OrgContext, incident: Incident, problem: Problem | None = None, status: int = 200
) -> HttpResponse:
    context = page_context(request, ctx, incident, problem)
    # Work other parts still owe the incident (downtime records): on the full page, not the polled region.
    context["work"] = outstanding(incident, timezone.now())
    return render(request, "web/incidents/incident.html", context, status=status)


@org_page(Capability.VIEW)
@require_GET
def incident(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    return render_page(request, ctx, present.incident_of(ctx.organisation, number))


@org_page(Capability.VIEW)
@require_GET
def live_region(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """The live region, polled by the page every 15 seconds with the ETag it last had.

    304 when nothing it shows has changed; otherwise only the sections that changed, each an
    htmx out-of-band swap (all of them for a request without an ETag).
    """
    found = present.incident_of(ctx.organisation, number)
    order, kind = _order_and_kind(request)
    region, _ = live.live(request, ctx, found, order, kind)
    held = request.headers.get("If-None-Match", "")
    changed = region.changed_since(held) if held else region.sections
    if not changed:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(region.region(request, changed, oob=True))
    response.headers["ETag"] = region.etag
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie, If-None-Match"
    return response
