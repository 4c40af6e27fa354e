"""The incident's roles page: who leads and deputises, requests to lead, handing over the lead."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.incidents import leads
from contingency.incidents.models import Incident, LeadRequest, RequestState
from contingency.incidents.snapshot import calendar_of
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from . import present
from .forms import AnswerLeadForm, AskLeadForm, LeadForm


def _page(
    request: HttpRequest,
    ctx: OrgContext,
    incident: Incident,
    *,
    lead_form: LeadForm | None = None,
    deputy_form: LeadForm | None = None,
    ask_form: AskLeadForm | None = None,
    status: int = 200,
) -> HttpResponse:
    members = present.members(ctx.organisation)
    may_change = leads.may_change(request.user, incident) if request.user.is_authenticated else False
    decided = LeadRequest.objects.filter(incident=incident).exclude(state=RequestState.PENDING)
    context: dict[str, Any] = {
        "ctx": ctx,
        "nav": "incidents",
        "tab": "lead",
        "incident": incident,
        "zone": calendar_of(incident).zone,
        "lead": leads.current(incident, "lead"),
        "deputy": leads.current(incident, "deputy"),
        "is_lead": incident.lead_id is not None and incident.lead_id == request.user.pk,
        "may_change": may_change and incident.is_open,
        "may_ask": ctx.can_respond and incident.is_open and incident.lead_id != request.user.pk,
        "pending": leads.pending(incident),
        "decided": decided.order_by("-at", "-id")[:10],
        "lead_form": lead_form or LeadForm(members=members, prefix="lead", label="Hand the lead to a member"),
        "deputy_form": deputy_form or LeadForm(members=members, prefix="deputy", label="Make a member the deputy"),
        "ask_form": ask_form or AskLeadForm(),
        "answer_form": AnswerLeadForm(),
    }
    context["bound"] = [f for f in (lead_form, deputy_form, ask_form) if f is not None and f.errors]
    return render(request, "web/incidents/lead.html", context, status=status)


def _incident(ctx: OrgContext, number: int) -> Incident:
    found = present.incident_of(ctx.organisation, number)
    return Incident.objects.select_related("lead", "deputy").defer("snapshot").get(pk=found.pk)


@org_page(Capability.VIEW)
@require_GET
def lead_page(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    return _page(request, ctx, _incident(ctx, number))


@org_page(Capability.RESPOND)
@require_POST
def change(request: HttpRequest, ctx: OrgContext, number: int, which: str) -> HttpResponse:
    if which not in ("lead", "deputy"):
        raise Http404("No such role.")
    incident = _incident(ctx, number)
    label = "Hand the lead to a member" if which == "lead" else "Make a member the deputy"
    form = LeadForm(request.POST, members=present.members(ctx.organisation), prefix=which, label=label)
    if form.is_valid():
        with refusals.onto(form):
            changed = leads.change(
                incident=incident,
                actor=request.user,
                which="lead" if which == "lead" else "deputy",
                to_user_id=form.cleaned_data["to_user"],
                to_name=form.cleaned_data["to_name"],
                note_text=form.cleaned_data["note"],
            )
            now = changed.lead_name if which == "lead" else changed.deputy_name
            messages.success(request, f"{now} is now the {'incident lead' if which == 'lead' else 'deputy'}.")
            return redirect("incident-lead", org=ctx.organisation.slug, number=number)
    forms = {"lead_form": form} if which == "lead" else {"deputy_form": form}
    return _page(request, ctx, _incident(ctx, number), status=refusals.STATUS, **forms)  # type: ignore[arg-type]


@org_page(Capability.RESPOND)
@require_POST
def ask(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = _incident(ctx, number)
    form = AskLeadForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            asked = leads.ask(incident=incident, actor=request.user, note_text=form.cleaned_data["note"])
            if asked.state == RequestState.ACCEPTED:
                messages.success(request, "You are now the incident lead: nobody signed in held the lead to answer.")
            else:
                messages.success(request, "Asked. The incident lead accepts or declines; you will see it here.")
            return redirect("incident-lead", org=ctx.organisation.slug, number=number)
    return _page(request, ctx, _incident(ctx, number), ask_form=form, status=refusals.STATUS)


@org_page(Capability.RESPOND)
@require_POST
def answer(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = _incident(ctx, number)
    found = LeadRequest.objects.filter(incident=incident, pk=pk).first()
    if found is None:
        raise Http404("No such request.")
    form = AnswerLeadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Accept or Decline.")
    else:
        with refusals.flashed(request):
            done = leads.decide(
                lead_request=found,
                actor=request.user,
                accept=form.cleaned_data["accept"],
                answer=form.cleaned_data["answer"],
            )
            messages.success(
                request,
                f"{done.by_name} is now the incident lead."
                if done.state == RequestState.ACCEPTED
                else f"Declined {done.by_name}'s request.",
            )
    return redirect("incident-lead", org=ctx.organisation.slug, number=number)
