"""The commissioners' pages: a plan's contract KPIs (any member reads; plan editors change them) and, from an
incident, the KPIs its outage touches with the log of relaxations (responders record them). Pages parse and
render; the services write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contingency.commissioning import relaxing, services
from contingency.commissioning.models import (
    CapacityReview,
    ClockUnit,
    ContractKpi,
    KpiRelaxation,
    ProviderStatus,
    RelaxationFile,
    SubContractor,
)
from contingency.compliance.files import MAX_BYTES
from contingency.core.permissions import Capability
from contingency.incidents.models import Incident
from contingency.lib.calendar import from_organisation
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import incident_of

WHEN_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _when_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=WHEN_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"required": f"Enter {label.lower()}.", "invalid": "Enter a date and time."},
    )


def _upload(form: forms.Form, request: HttpRequest) -> UploadedFile | None:
    upload = request.FILES.get("file")
    if upload is not None and upload.size is not None and upload.size > MAX_BYTES:
        form.add_error(
            "file", f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB: an evidence file may be at most 5 MB"
        )
    return upload


def _data(upload: UploadedFile | None) -> tuple[str, bytes | None]:
    if upload is None:
        return "", None
    return upload.name or "evidence", upload.read(MAX_BYTES + 1)


# ------------------------------------------------------------------------------------------ a plan's KPIs


class KpiForm(forms.Form):
    what = forms.CharField(
        label="What is measured",
        max_length=services.MAX_LINE,
        help_text="For example: urgent referrals triaged.",
        error_messages={"required": "Enter what the KPI measures."},
    )
    target = forms.CharField(
        label="Target, as the contract writes it",
        max_length=services.MAX_LINE,
        help_text="For example: 95% of referrals.",
        error_messages={"required": "Enter the target as the contract writes it."},
    )
    clock_value = forms.IntegerField(
        label="Clock: how many",
        min_value=1,
        max_value=services.MAX_CLOCK,
        error_messages={"required": "Enter the clock's length.", "invalid": "Enter a whole number."},
    )
    clock_unit = forms.ChoiceField(label="Clock: counted in", choices=ClockUnit.choices)
    clock_from = forms.CharField(
        label="Clock starts at (optional)",
        required=False,
        max_length=services.MAX_LINE,
        help_text="For example: receipt of the referral.",
    )
    commissioner = forms.CharField(
        label="Commissioner",
        max_length=services.MAX_LINE,
        error_messages={"required": "Enter the commissioner's name."},
    )

    @classmethod
    def of(cls, kpi: ContractKpi) -> KpiForm:
        fields = ("what", "target", "clock_value", "clock_unit", "clock_from", "commissioner")
        return cls(initial={name: getattr(kpi, name) for name in fields}, prefix=f"kpi-{kpi.pk}")


def _kpis_page(request: HttpRequest, ctx: OrgContext, plan: Any, form: KpiForm, status: int = 200) -> HttpResponse:
    kpis = list(ContractKpi.objects.filter(plan=plan))
    return render(
        request,
        "web/commissioning/plan_kpis.html",
        {"ctx": ctx, "nav": "plans", "plan": plan, "kpis": kpis, "form": form},
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def plan_kpis(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    return _kpis_page(request, ctx, ctx.plan(plan), KpiForm())


@org_page(Capability.EDIT)
@require_POST
def add_kpi(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    found = ctx.plan(plan)
    form = KpiForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            kpi = services.add_kpi(plan=found, actor=request.user, via="web", **form.cleaned_data)
            messages.success(request, f"KPI added: {kpi.what}.")
            return redirect("plan-kpis", org=ctx.organisation.slug, plan=found.key)
    return _kpis_page(request, ctx, found, form, status=400)


def _kpi(found: Any, pk: int) -> ContractKpi:
    kpi: ContractKpi = get_object_or_404(ContractKpi.objects.select_related("plan", "organisation"), pk=pk, plan=found)
    return kpi


@org_page(Capability.EDIT)
@require_http_methods(["GET", "POST"])
def edit_kpi(request: HttpRequest, ctx: OrgContext, plan: str, pk: int) -> HttpResponse:
    found = ctx.plan(plan)
    kpi = _kpi(found, pk)
    status = 200
    if request.method == "POST":
        form = KpiForm(request.POST, prefix=f"kpi-{kpi.pk}")
        if form.is_valid():
            with refusals.onto(form):
                services.change_kpi(kpi=kpi, actor=request.user, via="web", **form.cleaned_data)
                messages.success(request, "KPI changed.")
                return redirect("plan-kpis", org=ctx.organisation.slug, plan=found.key)
        status = 400
    else:
        form = KpiForm.of(kpi)
    return render(
        request,
        "web/commissioning/edit_kpi.html",
        {"ctx": ctx, "nav": "plans", "plan": found, "kpi": kpi, "form": form},
        status=status,
    )


@org_page(Capability.EDIT)
@require_POST
def remove_kpi(request: HttpRequest, ctx: OrgContext, plan: str, pk: int) -> HttpResponse:
    found = ctx.plan(plan)
    kpi = _kpi(found, pk)
    services.remove_kpi(kpi=kpi, actor=request.user, via="web")
    messages.success(request, f"KPI removed: {kpi.what}.")
    return redirect("plan-kpis", org=ctx.organisation.slug, plan=found.key)


# ------------------------------------------------------------------------------------------ an incident's


class AskForm(forms.Form):
    kpi = forms.TypedChoiceField(label="KPI", coerce=int, error_messages={"required": "Choose the KPI."})
    asked_of = forms.CharField(
        label="Asked of",
        max_length=services.MAX_LINE,
        help_text="Who at the commissioner was asked, e.g. the contract manager.",
        error_messages={"required": "Enter who at the commissioner was asked."},
    )
    asked_at = _when_field("When asked")
    relaxed_from = _when_field("Relaxed from", help_text="Deadlines falling due from this moment")
    relaxed_to = _when_field("Relaxed to", help_text="until this one")
    agreed_by = forms.CharField(
        label="Agreed by (leave blank until agreed)", required=False, max_length=services.MAX_LINE
    )
    agreed_at = _when_field("When agreed", required=False)
    note = forms.CharField(
        label="Evidence note (optional)",
        required=False,
        max_length=services.MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(
        label="Evidence file (optional)",
        required=False,
        help_text="The e-mail or letter, as PDF, picture, Word, text or CSV, at most 5 MB.",
    )

    def __init__(self, *args: Any, kpis: list[ContractKpi], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kpi"].choices = [("", "Choose…")] + [(k.pk, f"{k.what}: {k.target}") for k in kpis]  # type: ignore[attr-defined]


class AgreeForm(forms.Form):
    agreed_by = forms.CharField(
        label="Agreed by", max_length=services.MAX_LINE, error_messages={"required": "Enter who agreed."}
    )
    agreed_at = _when_field("When agreed")
    note = forms.CharField(label="Evidence note (optional)", required=False, max_length=services.MAX_NOTE)
    file = forms.FileField(label="Evidence file (optional)", required=False)


def _incident_page(
    request: HttpRequest, ctx: OrgContext, incident: Incident, form: AskForm | None = None, status: int = 200
) -> HttpResponse:
    now = timezone.now()
    found = relaxing.of_incident(incident, now)
    if form is None:
        initial: dict[str, Any] = {"asked_at": now}
        if found.affected:
            initial.update(relaxed_from=found.affected[0].window_from, relaxed_to=found.affected[0].window_to)
        form = AskForm(initial=initial, kpis=[a.kpi for a in found.affected])
    return render(
        request,
        "web/commissioning/incident_kpis.html",
        {
            "ctx": ctx,
            "nav": "incidents",
            "tab": "kpis",
            "incident": incident,
            "zone": found.calendar.zone,
            "found": found,
            "form": form,
            "rows": [(row, AgreeForm(initial={"agreed_at": now}, prefix=f"agree-{row.pk}")) for row in found.log],
            "max_mb": MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def incident_kpis(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    with timezone.override(from_organisation(ctx.organisation).zone):
        return _incident_page(request, ctx, incident)


@org_page(Capability.RESPOND)
@require_POST
def ask(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    kpis = list(ContractKpi.objects.filter(plan_id=incident.plan_id)) if incident.plan_id else []
    with timezone.override(from_organisation(ctx.organisation).zone):
        form = AskForm(request.POST, request.FILES, kpis=kpis)
        upload = _upload(form, request)
        if form.is_valid():
            data = form.cleaned_data
            kpi = next(k for k in kpis if k.pk == data["kpi"])
            name, content = _data(upload)
            with refusals.onto(form):
                services.ask_relaxation(
                    incident=incident,
                    kpi=kpi,
                    asked_of=data["asked_of"],
                    asked_at=data["asked_at"],
                    relaxed_from=data["relaxed_from"],
                    relaxed_to=data["relaxed_to"],
                    agreed_by=data["agreed_by"],
                    agreed_at=data["agreed_at"],
                    note=data["note"],
                    file_name=name,
                    data=content,
                    actor=request.user,
                    via="web",
                )
                messages.success(request, f"Relaxation recorded: {kpi.what}.")
                return redirect("incident-kpis", org=ctx.organisation.slug, number=number)
        return _incident_page(request, ctx, incident, form, status=400)


def _relaxation(incident: Incident, pk: int) -> KpiRelaxation:
    row = KpiRelaxation.objects.filter(pk=pk, incident=incident).first()
    if row is None:
        raise Http404("No such relaxation.")
    return row


@org_page(Capability.RESPOND)
@require_POST
def agree(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    row = _relaxation(incident, pk)
    with timezone.override(from_organisation(ctx.organisation).zone):
        form = AgreeForm(request.POST, request.FILES, prefix=f"agree-{row.pk}")
        upload = request.FILES.get(f"agree-{row.pk}-file")
        if upload is not None and upload.size is not None and upload.size > MAX_BYTES:
            form.add_error("file", f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB: at most 5 MB")
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(str(error) for error in errors))
            return redirect("incident-kpis", org=ctx.organisation.slug, number=number)
    data: dict[str, Any] = form.cleaned_data
    agreed_at: datetime = data["agreed_at"]
    name, content = _data(upload)
    with refusals.flashed(request):
        services.agree_relaxation(
            relaxation=row,
            agreed_by=data["agreed_by"],
            agreed_at=agreed_at,
            note=data["note"],
            file_name=name,
            data=content,
            actor=request.user,
            via="web",
        )
        messages.success(request, f"Agreement recorded: {row.kpi_words}.")
    return redirect("incident-kpis", org=ctx.organisation.slug, number=number)


@org_page(Capability.VIEW)
@require_GET
def evidence_file(request: HttpRequest, ctx: OrgContext, number: int, pk: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    stored = (
        RelaxationFile.objects.filter(relaxation_id=pk, relaxation__incident=incident)
        .select_related("relaxation")
        .first()
    )
    if stored is None:
        raise Http404("No such evidence.")
    response = HttpResponse(bytes(stored.data), content_type=stored.relaxation.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stored.relaxation.file_name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ------------------------------------------------------------------------------------------ sub-contractors


class ProviderForm(forms.Form):
    provider = forms.CharField(
        label="Provider", max_length=services.MAX_LINE, error_messages={"required": "Enter the provider's name."}
    )
    capacity_per_week = forms.IntegerField(
        label="Capacity a week",
        min_value=0,
        max_value=100000,
        help_text="Appointments or referrals a week.",
        error_messages={"required": "Enter the capacity a week.", "invalid": "Enter a whole number."},
    )


class InformedForm(forms.Form):
    informed_by = forms.CharField(
        label="Who told the commissioner", max_length=services.MAX_LINE, error_messages={"required": "Enter who."}
    )


def _providers_page(
    request: HttpRequest, ctx: OrgContext, plan: Any, form: ProviderForm, status: int = 200
) -> HttpResponse:
    providers = list(SubContractor.objects.filter(plan=plan))
    reviews = list(CapacityReview.objects.filter(plan=plan).select_related("provider"))
    return render(
        request,
        "web/commissioning/subcontractors.html",
        {
            "ctx": ctx,
            "nav": "plans",
            "plan": plan,
            "providers": providers,
            "active_capacity": sum(p.capacity_per_week for p in providers if p.status == ProviderStatus.ACTIVE),
            "reviews": [(r, InformedForm(prefix=f"review-{r.pk}")) for r in reviews],
            "form": form,
        },
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def subcontractors(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    return _providers_page(request, ctx, ctx.plan(plan), ProviderForm())


@org_page(Capability.EDIT)
@require_POST
def add_provider(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    found = ctx.plan(plan)
    form = ProviderForm(request.POST)
    if form.is_valid():
        with refusals.onto(form):
            row = services.add_provider(plan=found, actor=request.user, via="web", **form.cleaned_data)
            messages.success(request, f"Provider added: {row.provider}.")
            return redirect("plan-subcontractors", org=ctx.organisation.slug, plan=found.key)
    return _providers_page(request, ctx, found, form, status=400)


@org_page(Capability.EDIT)
@require_POST
def withdraw(request: HttpRequest, ctx: OrgContext, plan: str, pk: int) -> HttpResponse:
    found = ctx.plan(plan)
    row = get_object_or_404(SubContractor, pk=pk, plan=found)
    with refusals.flashed(request):
        services.withdraw_provider(provider=row, actor=request.user, via="web")
        messages.success(request, f"{row.provider} withdrawn: capacity review opened, the commissioner to be informed.")
    return redirect("plan-subcontractors", org=ctx.organisation.slug, plan=found.key)


@org_page(Capability.EDIT)
@require_POST
def informed(request: HttpRequest, ctx: OrgContext, plan: str, pk: int) -> HttpResponse:
    found = ctx.plan(plan)
    review = get_object_or_404(CapacityReview, pk=pk, plan=found)
    form = InformedForm(request.POST, prefix=f"review-{review.pk}")
    if not form.is_valid():
        messages.error(request, "Enter who told the commissioner.")
    else:
        with refusals.flashed(request):
            services.commissioner_informed(
                review=review, informed_by=form.cleaned_data["informed_by"], actor=request.user, via="web"
            )
            messages.success(request, "Recorded: the commissioner was informed.")
    return redirect("plan-subcontractors", org=ctx.organisation.slug, plan=found.key)
