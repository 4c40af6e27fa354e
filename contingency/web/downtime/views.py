"""Downtime record pages of an incident: the overview and worklists, recording on a phone, one record, upload.

Each change calls one service of contingency.downtime; a refusal is shown beside the input it names
(status 400) and nothing is changed. The actions on one record (re-enter, check, resolve) and the
report are in actions.py; the ranges of downtime IDs in ids.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from contingency.core.permissions import Capability
from contingency.downtime import importing, progress, proof
from contingency.downtime import services as downtime
from contingency.downtime.archive.dicomdir import MAX_BYTES as CD_MAX_BYTES
from contingency.downtime.models import DowntimeRecord
from contingency.downtime.reconciliation import CORRECTION, names_a_study
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.plans.spec.directory import RoleKind
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import incident_of

from . import forms

SHOWN = 200  # records listed on the overview; the report has them all


def record_of(incident: Incident, number: int) -> DowntimeRecord:
    found = (
        DowntimeRecord.objects.filter(incident=incident, number=number).select_related("incident__organisation").first()
    )
    if found is None:
        raise Http404("No such downtime record.")
    return found


def names_of(incident: Incident) -> dict[str, str]:
    document = document_of(incident)
    found = {s.id: s.name for s in document.sites} | {r.id: r.name for r in document.roles}
    found |= {f.id: f.name for f in document.functions} | {k.id: k.name for k in document.record_kinds}
    return found


@org_page(Capability.VIEW)
@require_GET
def overview(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    mine = progress.worklist(incident, recorded_by=request.user.pk).count() if request.user.is_authenticated else 0
    records = list(DowntimeRecord.objects.filter(incident=incident).order_by("-number")[:SHOWN])
    names = names_of(incident)
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "kinds": downtime.kinds_of(incident),
        "progress": progress.progress_of(incident),
        "mine": mine,
        "departments": [
            (key, names.get(key, key or "no department"), n) for key, n in progress.by_department(incident)
        ],
        "checks": list(progress.checks_due(incident)[:50]),
        "records": records,
        "names": names,
        "zone": calendar_of(incident).zone,
    }
    return render(request, "web/downtime/overview.html", context)


@org_page(Capability.VIEW)
@require_GET
def worklist(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """What is left to re-enter: mine (?who=me), a department's (?department=key), or everyone's."""
    incident = incident_of(ctx.organisation, number)
    department = request.GET.get("department")
    mine = request.GET.get("who") == "me"
    found = progress.worklist(incident, recorded_by=request.user.pk if mine else None, department=department)
    names = names_of(incident)
    title = (
        "My records left to re-enter"
        if mine
        else (
            f"Left to re-enter: {names.get(department, department or 'no department')}"
            if department is not None
            else "Left to re-enter"
        )
    )
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "records": list(found[:1000]),
        "count": found.count(),
        "title": title,
        "names": names,
        "zone": calendar_of(incident).zone,
    }
    return render(request, "web/downtime/worklist.html", context)


@org_page(Capability.RESPOND)
@require_GET
def choose(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """The phone page: which kind of record (one big button each)."""
    incident = incident_of(ctx.organisation, number)
    kinds = downtime.kinds_of(incident)
    if len(kinds) == 1:
        return redirect("downtime-record-kind", org=ctx.organisation.slug, number=number, kind=kinds[0].kind.id)
    return render(
        request, "web/downtime/choose.html", {"ctx": ctx, "incident": incident, "kinds": kinds, "phone": True}
    )


def _session_key(incident: Incident, kind: str) -> str:
    return f"downtime-sticky-{incident.pk}-{kind}"


@org_page(Capability.RESPOND)
@require_http_methods(["GET", "POST"])
def record(request: HttpRequest, ctx: OrgContext, number: int, kind: str) -> HttpResponse:
    """Record one thing done by hand: a short form for a phone, one field a row; saved, it is ready for the next."""
    incident = incident_of(ctx.organisation, number)
    offered = next((k for k in downtime.kinds_of(incident) if k.kind.id == kind), None)
    if offered is None:
        raise Http404("This incident keeps no such kind of record.")
    document = document_of(incident)
    calendar = calendar_of(incident)
    sites = {s.id: s.name for s in document.sites}
    departments = {r.id: r.name for r in document.roles if r.kind is RoleKind.DEPARTMENT}
    inputs = forms.inputs(offered.kind, sites, departments, calendar.local(timezone.now()))
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    values: dict[str, str] = dict(request.session.get(_session_key(incident, kind), {}))
    status = 200
    if request.method == "POST":
        values = {item.name: request.POST.get(item.name, "") for item in inputs}
        with refusals.caught() as caught:
            made = downtime.record(
                incident=incident,
                kind=kind,
                values={k: v for k, v in values.items() if v.strip()},
                actor=request.user,
                via="phone",
                client_key=request.POST.get("client_key", ""),
            )
            request.session[_session_key(incident, kind)] = forms.sticky(offered.kind, values)
            messages.success(request, f"Saved: record {made.number}. Ready for the next {offered.kind.name.lower()}.")
            return redirect("downtime-record-kind", org=ctx.organisation.slug, number=number, kind=kind)
        if caught.refused is not None:
            for field, message in caught.refused.problems():
                if field in values:
                    errors.setdefault(field, []).append(message)
                else:
                    general.append(message)
            status = 400
    forms.fill(inputs, values, errors)
    context = {
        "ctx": ctx,
        "incident": incident,
        "offered": offered,
        "inputs": inputs,
        "general": general,
        "summary": [(item, message) for item in inputs for message in item.errors],
        "client_key": request.POST.get("client_key") if status == 400 else uuid.uuid4().hex,
        "others": len(downtime.kinds_of(incident)) > 1,
        "phone": True,
    }
    return render(request, "web/downtime/record.html", context, status=status)


@org_page(Capability.RESPOND)
@require_http_methods(["GET", "POST"])
def upload(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """A CSV or XLSX file typed up from the paper forms: all of it, or nothing with every problem located."""
    incident = incident_of(ctx.organisation, number)
    kinds = downtime.kinds_of(incident)
    problems: list[str] = []
    chosen = request.POST.get("kind", "")
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if upload_file is None:
            problems = ["Choose a CSV or XLSX file to upload."]
        else:
            data = (
                upload_file.read(importing.MAX_BYTES + 1)
                if (upload_file.size or 0) <= importing.MAX_BYTES
                else b"x" * (importing.MAX_BYTES + 1)
            )
            with refusals.caught() as caught:
                made = importing.import_file(
                    incident=incident,
                    name=upload_file.name or "upload",
                    data=data,
                    kind=chosen or None,
                    actor=request.user,
                    via="upload",
                )
                messages.success(request, f"Imported {len(made)} record(s) from {upload_file.name}.")
                return redirect("incident-downtime", org=ctx.organisation.slug, number=number)
            refused = caught.refused
            if isinstance(refused, importing.ImportRefused):
                problems = [str(p) for p in refused.located] + (
                    [f"... and {refused.more} more"] if refused.more else []
                )
            elif refused is not None:
                problems = [refused.message]
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "kinds": kinds,
        "chosen": chosen,
        "problems": problems,
        "max_mb": importing.MAX_BYTES // 1_048_576,
        "max_rows": importing.MAX_ROWS,
    }
    return render(request, "web/downtime/upload.html", context, status=400 if problems else 200)


def detail_context(ctx: OrgContext, incident: Incident, found: DowntimeRecord, request: HttpRequest) -> dict[str, Any]:
    kind = next((k for k in document_of(incident).record_kinds if k.id == found.kind_key), None)
    labels = {f.name: f.shown for f in kind.fields} if kind else {}
    user = request.user
    return {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "record": found,
        "kind": kind,
        "values": [(labels.get(name, name), value) for name, value in found.values.items()],
        "names": names_of(incident),
        "zone": calendar_of(incident).zone,
        "own_reentry": user.is_authenticated and found.reentered_by_id == user.pk,
        # The imaging archive: the latest run's outcome for the record, and a CD's studies listed on it.
        "outcomes": proof.record_outcomes(found),
        "correction": CORRECTION,
        "takes_cd": kind is not None and names_a_study(kind),
        "cd_studies": list(found.cd_studies.all()),
        "cd_max_mb": CD_MAX_BYTES // 1_048_576,
    }


@org_page(Capability.VIEW)
@require_GET
def detail(request: HttpRequest, ctx: OrgContext, number: int, record: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    found = record_of(incident, record)
    return render(request, "web/downtime/detail.html", detail_context(ctx, incident, found, request))
