"""Pages beside the live one: shift hand-over, the board's daily briefing, and the post-incident review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.downtime.proof import latest_report
from contingency.incidents import briefing as briefings
from contingency.incidents import handover as handovers
from contingency.incidents import leads, readmodel, reports, review
from contingency.incidents.firing import reminder_key
from contingency.incidents.models import (
    DueAction,
    DueKind,
    DueState,
    EventKind,
    Handover,
    Incident,
    Review,
    ReviewAction,
)
from contingency.incidents.outstanding import outstanding
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.notify.models import Callout
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

from . import present
from .forms import ActionForm, BriefingForm, HandoverForm, ReviewForm, SupplierForm

# What a printed review's timeline summary leaves out: the task-by-task detail.
DETAIL = (EventKind.TASK, EventKind.INFORMED)


def _base(ctx: OrgContext, incident: Incident, nav: str) -> dict[str, Any]:
    now = timezone.now()
    state = readmodel.state_of(incident, now)
    return {
        "ctx": ctx,
        "nav": "incidents",
        "tab": nav,
        "incident": incident,
        "now": now,
        "state": state,
        **present.clock_facts(state),
    }


def _handover_page(
    request: HttpRequest, ctx: OrgContext, incident: Incident, form: HandoverForm, status: int = 200
) -> HttpResponse:
    context = _base(ctx, incident, "handover")
    context.update(
        {
            "report": reports.handover_report(incident, context["now"]).as_json(),
            "form": form,
            "past": Handover.objects.filter(incident=incident).order_by("-at", "-id"),
        }
    )
    return render(request, "web/incidents/handover.html", context, status=status)


@org_page(Capability.VIEW)
@require_GET
def handover(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    return _handover_page(request, ctx, incident, HandoverForm(members=present.members(ctx.organisation)))


@org_page(Capability.RESPOND)
@require_POST
def hand_over(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = HandoverForm(request.POST, members=present.members(ctx.organisation))
    if form.is_valid():
        with refusals.onto(form):
            record = handovers.hand_over(
                incident=incident,
                actor=request.user,
                to_user_id=form.cleaned_data["to_user"],
                to_name=form.cleaned_data["to_name"],
                note_text=form.cleaned_data["note"],
            )
            messages.success(request, f"Handed over to {record.to_name}. The report is kept as it was read.")
            return redirect("incident-handover", org=ctx.organisation.slug, number=number)
    return _handover_page(request, ctx, incident, form, status=400)


@org_page(Capability.VIEW)
@require_GET
def handover_record(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    record = Handover.objects.filter(incident=incident, pk=pk).first()
    if record is None:
        raise Http404("No such hand-over.")
    context = _base(ctx, incident, "handover")
    context.update({"record": record, "report": record.report})
    return render(request, "web/incidents/handover_record.html", context)


def _briefing_reach(incident: Incident, entries: list[int]) -> dict[int, list[Callout]]:
    """Who each published briefing was e-mailed to, and whether they have acknowledged it."""
    found: dict[int, list[Callout]] = {}
    rows = Callout.objects.filter(incident=incident, event__in=[f"briefing:{pk}" for pk in entries])
    for callout in rows.order_by("position"):
        found.setdefault(int(callout.event.partition(":")[2]), []).append(callout)
    return found


def _briefing_page(
    request: HttpRequest,
    ctx: OrgContext,
    incident: Incident,
    form: BriefingForm | None,
    status: int = 200,
    supplier_form: SupplierForm | None = None,
) -> HttpResponse:
    context = _base(ctx, incident, "briefing")
    if form is None:
        form = BriefingForm(initial={"text": reports.briefing(incident, context["now"])})
    if supplier_form is None:
        supplier_form = SupplierForm(initial={"ticket": incident.supplier_ticket, "fix": incident.supplier_fix})
    published = list(incident.timeline.filter(kind=EventKind.UPDATE, audience="board").order_by("-at", "-id"))
    reached = _briefing_reach(incident, [e.pk for e in published])
    context.update(
        {
            "form": form,
            "supplier_form": supplier_form,
            "published": [(e, reached.get(e.pk, [])) for e in published],
            "audience": briefings.board_audience(document_of(incident)),
            "may_record_supplier": ctx.can_respond and leads.may_change(request.user, incident),
            "lead": leads.current(incident),
        }
    )
    return render(request, "web/incidents/briefing.html", context, status=status)


@org_page(Capability.VIEW)
@require_GET
def briefing(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    return _briefing_page(request, ctx, present.incident_of(ctx.organisation, number), None)


@org_page(Capability.RESPOND)
@require_POST
def publish_briefing(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = BriefingForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            briefings.publish(incident=incident, text=form.cleaned_data["text"], actor=request.user)
            audience = briefings.board_audience(document_of(incident))
            messages.success(
                request,
                f"Briefing published and sent to {audience.name.lower()} by e-mail."
                if audience
                else "Briefing published. The plan names no board audience, so it was not sent: give it to "
                "the board by hand.",
            )
            return redirect("incident-briefing", org=ctx.organisation.slug, number=number)
    return _briefing_page(request, ctx, incident, form, status=400)


@org_page(Capability.RESPOND)
@require_POST
def save_supplier(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = SupplierForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            briefings.set_supplier(
                incident=incident, ticket=form.cleaned_data["ticket"], fix=form.cleaned_data["fix"], actor=request.user
            )
            messages.success(request, "The supplier's ticket and estimated fix are saved; today's draft has them.")
            return redirect("incident-briefing", org=ctx.organisation.slug, number=number)
    return _briefing_page(request, ctx, incident, None, status=400, supplier_form=form)


def _review_form(found: Review | None) -> ReviewForm:
    if found is None:
        return ReviewForm()
    initial: dict[str, Any] = {f"why_{i + 1}": text for i, text in enumerate(found.whys[:5])}
    initial.update(
        root_cause=found.root_cause, went_well=found.went_well, went_badly=found.went_badly, lessons=found.lessons
    )
    return ReviewForm(initial=initial)


@org_page(Capability.VIEW)
@require_GET
def review_page(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = _review_form(review.review_of(incident))
    return render(
        request,
        "web/incidents/review.html",
        _review_context(ctx, incident, form, ActionForm(members=present.members(ctx.organisation))),
    )


@org_page(Capability.RESPOND)
@require_POST
def save_review(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = ReviewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        with refusals.onto(form):
            review.save_review(
                incident=incident,
                actor=request.user,
                whys=form.whys(),
                root_cause=data["root_cause"],
                went_well=data["went_well"],
                went_badly=data["went_badly"],
                lessons=data["lessons"],
                complete=data["complete"],
            )
            messages.success(request, "Review saved." + (" It is marked complete." if data["complete"] else ""))
            return redirect("incident-review", org=ctx.organisation.slug, number=number)
    context = _review_context(ctx, incident, form, ActionForm(members=present.members(ctx.organisation)))
    return render(request, "web/incidents/review.html", context, status=400)


def _with_reminders(incident: Incident, actions: list[ReviewAction]) -> list[tuple[ReviewAction, Any]]:
    """Each action with when its owner is next reminded by e-mail (None: done, or no member owns it)."""
    rows = DueAction.objects.filter(incident=incident, kind=DueKind.REVIEW, state=DueState.PENDING)
    due = {row.key: row.due_at for row in rows}
    return [(a, due.get(reminder_key(a)) if a.done_at is None else None) for a in actions]


def _review_context(ctx: OrgContext, incident: Incident, form: ReviewForm, action_form: ActionForm) -> dict[str, Any]:
    context = _base(ctx, incident, "review")
    found = review.review_of(incident)
    context.update(
        {
            "review": found,
            "form": form,
            "action_form": action_form,
            "actions": _with_reminders(incident, list(found.actions.all()) if found else []),
            "reviewable": incident.state in review.REVIEWABLE,
            "functions": present.functions(context["state"]),
            "summary": incident.timeline.exclude(kind__in=DETAIL).order_by("at", "id"),
            "calendar_zone": calendar_of(incident).zone,
            "work": outstanding(incident, context["now"]),
            "reconciliation": latest_report(incident),
        }
    )
    return context


@org_page(Capability.RESPOND)
@require_POST
def review_action(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    form = ActionForm(request.POST, members=present.members(ctx.organisation))
    if form.is_valid():
        data = form.cleaned_data
        with refusals.onto(form):
            action = review.add_action(
                incident=incident, text=data["text"], owner_id=data["owner"], due_on=data["due_on"], actor=request.user
            )
            messages.success(request, f"Action added for {action.owner}, who is reminded by e-mail when it is due.")
            return redirect("incident-review", org=ctx.organisation.slug, number=number)
    context = _review_context(ctx, incident, _review_form(review.review_of(incident)), form)
    return render(request, "web/incidents/review.html", context, status=400)


@org_page(Capability.RESPOND)
@require_POST
def review_action_done(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = present.incident_of(ctx.organisation, number)
    action = ReviewAction.objects.filter(review__incident=incident, pk=pk).first()
    if action is None:
        raise Http404("No such action.")
    with refusals.flashed(request):
        review.complete_action(action=action, actor=request.user, note_text=request.POST.get("note", ""))
        messages.success(request, f"Done: {action.text}")
    return redirect("incident-review", org=ctx.organisation.slug, number=number)
