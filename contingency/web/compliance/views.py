"""The compliance pages: each framework's requirements and their status on a chosen date (any member), manual
evidence recorded against a requirement and framework libraries imported (plan editors and administrators),
evidence files, the evidence pack and library files downloaded (any member).
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contingency.compliance import evidencepack, library, services
from contingency.compliance.facts import gather
from contingency.compliance.files import MAX_BYTES
from contingency.compliance.models import EvidenceFile
from contingency.core.permissions import Capability
from contingency.plans.workflow import local_today
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

LIBRARY_MAX_BYTES = 2 * 1024 * 1024


def may_record(ctx: OrgContext) -> bool:
    """Plan editors and administrators record evidence and import libraries; other members only look."""
    return ctx.can_edit or ctx.can_administer


def _require_record(ctx: OrgContext) -> None:
    if not may_record(ctx):
        raise PermissionDenied(
            f"Recording evidence needs the plan editor or administrator role in {ctx.organisation.name}."
        )


class DateForm(forms.Form):
    on = forms.DateField(
        label="Status on", required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _on(request: HttpRequest, ctx: OrgContext) -> tuple[DateForm, date]:
    form = DateForm(request.GET or None)
    today = local_today(ctx.organisation)
    if form.is_bound and form.is_valid() and form.cleaned_data["on"]:
        return form, form.cleaned_data["on"]
    return form, today


def _framework(ctx: OrgContext, key: str) -> library.Framework:
    with refusals.caught() as caught:
        return services.framework(ctx.organisation, key)
    raise Http404(caught.refused.message if caught.refused else "No such framework.")


def _download(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ImportForm(forms.Form):
    file = forms.FileField(
        label="Library file (YAML)",
        help_text="A framework library in CISO Assistant's library format, at most 2 MB.",
        error_messages={"required": "Choose the library file."},
    )


@org_page(Capability.VIEW)
@require_GET
def index(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    form, on = _on(request, ctx)
    assessments = services.assess_all(ctx.organisation, on)
    return render(
        request,
        "web/compliance/index.html",
        {
            "ctx": ctx,
            "nav": "compliance",
            "form": form,
            "on": on,
            "assessments": assessments,
            "may_record": may_record(ctx),
            "import_form": ImportForm(),
        },
    )


@org_page(Capability.VIEW)
@require_GET
def framework_page(request: HttpRequest, ctx: OrgContext, framework: str) -> HttpResponse:
    item = _framework(ctx, framework)
    form, on = _on(request, ctx)
    assessment = services.assess(item, gather(ctx.organisation), on)
    return render(
        request,
        "web/compliance/framework.html",
        {"ctx": ctx, "nav": "compliance", "form": form, "on": on, "a": assessment, "may_record": may_record(ctx)},
    )


class EvidenceForm(forms.Form):
    requirement = forms.ChoiceField(label="Requirement", error_messages={"required": "Choose the requirement."})
    title = forms.CharField(
        label="What the evidence is",
        max_length=services.MAX_TITLE,
        help_text="For example: table-top exercise report, March.",
        error_messages={"required": "Say what the evidence is."},
    )
    attested_on = forms.DateField(
        label="Attested on",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The day you confirm the evidence is true: it counts from then.",
        error_messages={"required": "Enter the day the evidence was attested.", "invalid": "Enter a real date."},
    )
    expires_on = forms.DateField(
        label="Expires on (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="From this day it no longer counts. Left empty: the requirement's usual period.",
        error_messages={"invalid": "Enter a real date."},
    )
    file = forms.FileField(
        label="Evidence file",
        help_text="PDF, picture, Word, Excel, OpenDocument, text or CSV, at most 5 MB.",
        error_messages={"required": "Choose the evidence file."},
    )
    note = forms.CharField(
        label="Note (optional)", required=False, max_length=services.MAX_NOTE, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: object, framework: library.Framework, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["requirement"].choices = [("", "Choose…")] + [(r.urn, r.title) for r in framework.assessable]  # type: ignore[attr-defined]


@org_page(Capability.VIEW)
@require_http_methods(["GET", "POST"])
def record_evidence(request: HttpRequest, ctx: OrgContext, framework: str) -> HttpResponse:
    _require_record(ctx)
    item = _framework(ctx, framework)
    status = 200
    if request.method == "POST":
        form = EvidenceForm(request.POST, request.FILES, framework=item)
        upload = request.FILES.get("file")
        if upload is not None and upload.size is not None and upload.size > MAX_BYTES:
            form.add_error(
                "file", f"{upload.name} is {upload.size / 1024 / 1024:.1f} MB: an evidence file may be at most 5 MB"
            )
        if form.is_valid() and upload is not None:
            data = form.cleaned_data
            with refusals.onto(form):
                services.record_evidence(
                    organisation=ctx.organisation,
                    framework_key=item.key,
                    requirement_urn=data["requirement"],
                    title=data["title"],
                    note=data["note"],
                    attested_on=data["attested_on"],
                    expires_on=data["expires_on"],
                    file_name=upload.name or "evidence",
                    data=upload.read(MAX_BYTES + 1),
                    actor=request.user,
                    via="web",
                )
                messages.success(request, f"Evidence recorded: {data['title']}.")
                url = reverse("compliance-framework", kwargs={"org": ctx.organisation.slug, "framework": item.key})
                return redirect(url)
        status = 400
    else:
        form = EvidenceForm(
            initial={"requirement": request.GET.get("requirement", ""), "attested_on": local_today(ctx.organisation)},
            framework=item,
        )
    return render(
        request,
        "web/compliance/record.html",
        {"ctx": ctx, "nav": "compliance", "form": form, "framework": item},
        status=status,
    )


@org_page(Capability.VIEW)
@require_GET
def evidence_file(request: HttpRequest, ctx: OrgContext, pk: int) -> HttpResponse:
    stored = (
        EvidenceFile.objects.filter(evidence_id=pk, evidence__organisation=ctx.organisation)
        .select_related("evidence")
        .first()
    )
    if stored is None:
        raise Http404("No such evidence.")
    return _download(bytes(stored.data), stored.evidence.file_name, stored.evidence.content_type)


@org_page(Capability.VIEW)
@require_GET
def evidence_pack(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    _, on = _on(request, ctx)
    name, data = evidencepack.build(
        organisation=ctx.organisation,
        assessments=services.assess_all(ctx.organisation, on),
        on=on,
        built_at=timezone.now(),
        built_by=request.user.get_username(),
    )
    return _download(data, name, "application/zip")


@org_page(Capability.VIEW)
@require_GET
def export_library(request: HttpRequest, ctx: OrgContext, framework: str) -> HttpResponse:
    item = _framework(ctx, framework)
    return _download(library.dump(item).encode("utf-8"), f"{item.key}.yaml", "application/yaml; charset=utf-8")


@org_page(Capability.VIEW)
@require_POST
def import_library(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    _require_record(ctx)
    form = ImportForm(request.POST, request.FILES)
    back = reverse("compliance", kwargs={"org": ctx.organisation.slug})
    upload = request.FILES.get("file")
    if not form.is_valid() or upload is None:
        messages.error(request, "Choose the library file.")
        return redirect(back)
    name = (upload.name or "library.yaml").replace("\\", "/").rsplit("/", 1)[-1]
    if upload.size is not None and upload.size > LIBRARY_MAX_BYTES:
        messages.error(request, f"{name} is {upload.size / 1024 / 1024:.1f} MB: a library file may be at most 2 MB.")
        return redirect(back)
    try:
        text = upload.read(LIBRARY_MAX_BYTES + 1).decode("utf-8-sig")
    except UnicodeDecodeError:
        messages.error(request, f"{name} is not UTF-8 text: save it as UTF-8 and try again.")
        return redirect(back)
    with refusals.flashed(request):
        row = services.import_library(
            organisation=ctx.organisation, text=text, file=name, actor=request.user, via="web"
        )
        messages.success(request, f"Framework imported: {row.name}.")
    return redirect(back)
