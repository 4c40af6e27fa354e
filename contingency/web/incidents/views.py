"""The incident list, reporting a failure, and the live incident page (with its polled partial)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from contingency.core.permissions import Capability
from contingency.incidents import assess, services
from contingency.incidents.models import Incident, State
from contingency.incidents.outstanding import outstanding
from contingency.incidents.queries import ranked_open
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.lib.calendar import from_organisation
from contingency.plans.graph import Ref
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from . import present
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
    closed = Incident.objects.filter(organisation=ctx.organisation).exclude(
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


def page_context(
    request: HttpRequest, ctx: OrgContext, incident: Incident, problem: Problem | None = None
) -> dict[str, Any]:
    """The incident page's context; `problem` is a refused change to show beside its form."""
    now = timezone.now()
    order = "oldest" if request.GET.get("order") == "oldest" else "newest"
    kind = request.GET.get("kind", "")
    context = present.live_context(incident, now, order, kind)
    if problem is not None:
        for row in present.rows_of(context["groups"]):
            if problem.form.startswith(f"task-{row.task.pk}-") or problem.form.startswith(f"target-{row.task.pk}-"):
                row.problem = problem
    document = document_of(incident)
    checks_form = None
    if incident.state == State.REPORTED:
        checks = assess.checks_for(document, Ref.parse(incident.subject))
        given = {a["key"]: a["answer"] for a in incident.answers}
        checks_form = ChecksForm(checks=checks, initial_answers=given)
    context.update(
        {
            "ctx": ctx,
            "nav": "incidents",
            "problem": problem,
            "risks": [(r.id, r.title) for r in document.risks],
            "checks_form": checks_form,
            "members": present.members(ctx.organisation),
            "audiences": AUDIENCES,
            "query": request.GET.urlencode(),
            "calendar_zone": calendar_of(incident).zone,
        }
    )
    return context


def render_page(
    request: HttpRequest, ctx: OrgContext, incident: Incident, problem: Problem | None = None, status: int = 200
) -> HttpResponse:
    context = page_context(request, ctx, incident, problem)
    # Work other parts still owe the incident (downtime records): on the full page, not the polled region.
    context["work"] = outstanding(incident, context["now"])
    return render(request, "web/incidents/incident.html", context, status=status)


@org_page(Capability.VIEW)
@require_GET
def incident(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    return render_page(request, ctx, present.incident_of(ctx.organisation, number))


@org_page(Capability.VIEW)
@require_GET
def live(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """The read-and-act region of the incident page, polled by htmx every 15 seconds."""
    found = present.incident_of(ctx.organisation, number)
    response = render(request, "web/incidents/_live.html", page_context(request, ctx, found))
    response.headers["Cache-Control"] = "no-store"
    return response
