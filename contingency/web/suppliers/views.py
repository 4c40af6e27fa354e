"""The suppliers pages: the register of the plans' suppliers and their assurance (any member), a supplier's
assurance edited (plan editors and administrators), and an incident's vendor tickets with their clocks
(any member reads; responders log tickets, pause, resume and stop clocks and record root-cause reports).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contingency.core.permissions import Capability
from contingency.incidents.assess import elapsed_words
from contingency.incidents.models import Incident
from contingency.lib.calendar import from_organisation
from contingency.plans.workflow import local_today
from contingency.suppliers import services
from contingency.suppliers.clocks import Event, Running, why_uncounted
from contingency.suppliers.models import Assurance, Clock, ClockEvent, HasPlan, Ticket
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents import present

CONTACT_ROWS = 3
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def may_edit(ctx: OrgContext) -> bool:
    return ctx.can_edit or ctx.can_administer


# ------------------------------------------------------------------------------------------ register


@org_page(Capability.VIEW)
@require_GET
def index(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    today = local_today(ctx.organisation)
    rows = services.register(ctx.organisation, today)
    return render(
        request,
        "web/suppliers/index.html",
        {"ctx": ctx, "nav": "suppliers", "rows": rows, "on": today, "may_edit": may_edit(ctx)},
    )


class AssuranceForm(forms.Form):
    has_plan = forms.ChoiceField(
        label="Has a continuity plan",
        choices=HasPlan.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the supplier has a continuity plan."},
    )
    last_tested_on = forms.DateField(
        label="Continuity last tested on (optional)",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter a real date."},
    )
    response_time = forms.CharField(
        label="Contract response time (optional)",
        required=False,
        max_length=200,
        help_text="As the contract says it: 30 minutes, 4h, next business day.",
    )
    restore_time = forms.CharField(
        label="Contract restore time (optional)",
        required=False,
        max_length=200,
        help_text=(
            "Minutes, hours, days, weeks, working days or working hours start a clock on each ticket; "
            "other wording is kept as written."
        ),
    )
    review_on = forms.DateField(
        label="Review this record by (optional)",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter a real date."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, CONTACT_ROWS + 1):
            self.fields[f"contact_{n}_name"] = forms.CharField(
                label=f"Escalation contact {n}: name (optional)", required=False, max_length=200
            )
            self.fields[f"contact_{n}_phone"] = forms.CharField(
                label=f"Escalation contact {n}: phone (optional)",
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            )

    def contacts(self) -> list[dict[str, str]]:
        data = self.cleaned_data
        return [
            {"name": data[f"contact_{n}_name"], "phone": data[f"contact_{n}_phone"]} for n in range(1, CONTACT_ROWS + 1)
        ]


def _initial(row: Assurance | None) -> dict[str, Any]:
    if row is None:
        return {"has_plan": HasPlan.UNKNOWN}
    initial: dict[str, Any] = {
        "has_plan": row.has_plan,
        "last_tested_on": row.last_tested_on,
        "response_time": row.response_time,
        "restore_time": row.restore_time,
        "review_on": row.review_on,
        "note": row.note,
    }
    for n, contact in enumerate(row.contacts[:CONTACT_ROWS], start=1):
        initial[f"contact_{n}_name"] = contact.get("name", "")
        initial[f"contact_{n}_phone"] = contact.get("phone", "")
    return initial


@org_page(Capability.VIEW)
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, ctx: OrgContext, supplier: str) -> HttpResponse:
    if not may_edit(ctx):
        raise PermissionDenied(
            f"Editing supplier assurance needs the plan editor or administrator role in {ctx.organisation.name}."
        )
    with refusals.caught() as caught:
        name = services.supplier_name(ctx.organisation, supplier)
    if caught.refused:
        raise Http404(caught.refused.message)
    row = Assurance.objects.filter(organisation=ctx.organisation, supplier_key=supplier).first()
    status = 200
    if request.method == "POST":
        form = AssuranceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            with refusals.onto(form):
                services.record_assurance(
                    organisation=ctx.organisation,
                    supplier_key=supplier,
                    has_plan=data["has_plan"],
                    last_tested_on=data["last_tested_on"],
                    response_time=data["response_time"],
                    restore_time=data["restore_time"],
                    contacts=form.contacts(),
                    review_on=data["review_on"],
                    note=data["note"],
                    actor=request.user,
                    via="web",
                )
                messages.success(request, f"Assurance recorded for {name}.")
                return redirect(reverse("suppliers", kwargs={"org": ctx.organisation.slug}))
        status = 400
    else:
        form = AssuranceForm(initial=_initial(row))
    return render(
        request,
        "web/suppliers/edit.html",
        {"ctx": ctx, "nav": "suppliers", "form": form, "name": name, "row": row},
        status=status,
    )


# ------------------------------------------------------------------------------------------ tickets


def _when(ctx: OrgContext, value: datetime) -> datetime:
    """A datetime-local input is the organisation's wall clock."""
    zone = from_organisation(ctx.organisation).zone
    return value.replace(tzinfo=zone) if timezone.is_naive(value) else value


def _now_local(ctx: OrgContext) -> str:
    return f"{from_organisation(ctx.organisation).local(timezone.now()):%Y-%m-%dT%H:%M}"


class TicketForm(forms.Form):
    supplier = forms.ChoiceField(label="Supplier", error_messages={"required": "Choose the supplier."})
    reference = forms.CharField(
        label="Vendor's ticket reference",
        max_length=200,
        error_messages={"required": "Enter the vendor's ticket reference."},
    )
    logged_at = forms.DateTimeField(
        label="Logged at",
        widget=WHEN,
        input_formats=["%Y-%m-%dT%H:%M"],
        help_text="When the call was logged with the vendor: the contract's clocks start here.",
        error_messages={"required": "Enter when the call was logged.", "invalid": "Enter a real date and time."},
    )
    rca_due_on = forms.DateField(
        label="Root-cause report due by (optional)",
        required=False,
        widget=DATE,
        error_messages={"invalid": "Enter a real date."},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supplier"].choices = [("", "Choose…"), *choices]  # type: ignore[attr-defined]


class ClockForm(forms.Form):
    clock = forms.ChoiceField(label="Clock", choices=Clock.choices)
    kind = forms.ChoiceField(
        label="What happened",
        choices=[
            (Event.PAUSED.value, "Paused"),
            (Event.RESUMED.value, "Resumed"),
            (Event.STOPPED.value, "Stopped (met)"),
        ],
    )
    at = forms.DateTimeField(
        label="At",
        widget=WHEN,
        input_formats=["%Y-%m-%dT%H:%M"],
        error_messages={"required": "Enter when.", "invalid": "Enter a real date and time."},
    )
    reason = forms.CharField(
        label="Reason", required=False, max_length=services.MAX_REASON, help_text="Needed to pause or resume."
    )


class RcaForm(forms.Form):
    received_on = forms.DateField(
        label="Root-cause report received on",
        widget=DATE,
        error_messages={"required": "Enter the day it was received.", "invalid": "Enter a real date."},
    )


def _incident(ctx: OrgContext, number: int) -> Incident:
    return present.incident_of(ctx.organisation, number)


def _ticket(incident: Incident, pk: int) -> Ticket:
    ticket = Ticket.objects.filter(incident=incident, pk=pk).first()
    if ticket is None:
        raise Http404("No such ticket.")
    ticket.incident = incident
    return ticket


def _page(
    request: HttpRequest,
    ctx: OrgContext,
    incident: Incident,
    *,
    log_form: TicketForm | None = None,
    bound: tuple[int, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    tickets = list(Ticket.objects.filter(incident=incident).prefetch_related("events", "due"))
    calendar = from_organisation(ctx.organisation)
    shown = []
    for ticket in tickets:
        events: list[ClockEvent] = list(ticket.events.all())
        due = {row.clock: row for row in ticket.due.all()}
        clocks = []
        for clock in Clock.values:
            found = services.reading(ticket, clock, events, now)
            breach = calendar.local(found.breach_at) if found.breach_at else None
            length = services.length(ticket, clock)
            clocks.append(
                {
                    "name": clock,
                    "written": ticket.written(clock) or "not on file",
                    "reading": found,
                    "elapsed": elapsed_words(found.elapsed),
                    "working": length is not None and length.working,
                    "why": why_uncounted(ticket.written(clock), calendar=calendar, started_at=ticket.logged_at),
                    "breach": breach,
                    "escalated": due.get(clock) is not None and due[clock].state == "fired",
                }
            )
        forms_of = {
            "clock": bound[1] if bound and bound[0] == ticket.pk and isinstance(bound[1], ClockForm) else None,
            "rca": bound[1] if bound and bound[0] == ticket.pk and isinstance(bound[1], RcaForm) else None,
        }
        shown.append(
            {
                "ticket": ticket,
                "clocks": clocks,
                "events": [(calendar.local(e.at), e) for e in events],
                "clock_form": forms_of["clock"] or ClockForm(initial={"at": _now_local(ctx)}, prefix=f"t{ticket.pk}"),
                "rca_form": forms_of["rca"]
                or RcaForm(initial={"received_on": local_today(ctx.organisation)}, prefix=f"r{ticket.pk}"),
            }
        )
    choices = [(key, name) for key, (name, _) in services.plan_suppliers(ctx.organisation).items()]
    return render(
        request,
        "web/suppliers/tickets.html",
        {
            "ctx": ctx,
            "nav": "incidents",
            "incident": incident,
            "tab": "suppliers",
            "tickets": shown,
            "running": Running.RUNNING,
            "may_respond": ctx.can_respond,
            "log_form": log_form or TicketForm(choices=choices, initial={"logged_at": _now_local(ctx)}),
        },
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def tickets(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    return _page(request, ctx, _incident(ctx, number))


def _back(ctx: OrgContext, incident: Incident) -> HttpResponse:
    return redirect(reverse("incident-suppliers", kwargs={"org": ctx.organisation.slug, "number": incident.number}))


@org_page(Capability.RESPOND)
@require_POST
def log_ticket(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = _incident(ctx, number)
    choices = [(key, name) for key, (name, _) in services.plan_suppliers(ctx.organisation).items()]
    form = TicketForm(request.POST, choices=choices)
    if form.is_valid():
        data = form.cleaned_data
        with refusals.onto(form):
            ticket = services.log_ticket(
                incident=incident,
                supplier_key=data["supplier"],
                reference=data["reference"],
                logged_at=_when(ctx, data["logged_at"]),
                rca_due_on=data["rca_due_on"],
                actor=request.user,
                via="web",
            )
            messages.success(request, f"Ticket {ticket.reference} of {ticket.supplier_name} logged.")
            return _back(ctx, incident)
    return _page(request, ctx, incident, log_form=form, status=400)


@org_page(Capability.RESPOND)
@require_POST
def clock(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = _incident(ctx, number)
    ticket = _ticket(incident, pk)
    form = ClockForm(request.POST, prefix=f"t{ticket.pk}")
    if form.is_valid():
        data = form.cleaned_data
        with refusals.onto(form):
            services.clock_event(
                ticket=ticket,
                clock=data["clock"],
                kind=data["kind"],
                at=_when(ctx, data["at"]),
                reason=data["reason"],
                actor=request.user,
                via="web",
            )
            messages.success(request, f"The {data['clock']} clock of {ticket.reference} is {data['kind']}.")
            return _back(ctx, incident)
    return _page(request, ctx, incident, bound=(ticket.pk, form), status=400)


@org_page(Capability.RESPOND)
@require_POST
def rca(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = _incident(ctx, number)
    ticket = _ticket(incident, pk)
    form = RcaForm(request.POST, prefix=f"r{ticket.pk}")
    if form.is_valid():
        with refusals.onto(form):
            services.record_rca(
                ticket=ticket, received_on=form.cleaned_data["received_on"], actor=request.user, via="web"
            )
            messages.success(request, f"Root-cause report of {ticket.reference} recorded as received.")
            return _back(ctx, incident)
    return _page(request, ctx, incident, bound=(ticket.pk, form), status=400)
