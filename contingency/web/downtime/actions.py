"""The changes to one downtime record (re-enter, spot-check, resolve), drawing samples, and the report."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.downtime import progress
from contingency.downtime import services as downtime
from contingency.downtime.models import DowntimeRecord
from contingency.incidents.snapshot import calendar_of
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import incident_of

from .views import detail_context, names_of, record_of

CSV_COLUMNS = (
    "number", "function", "kind", "system", "state", "downtime_id", "nhs_number", "hospital_number",
    "accession_number", "study_uid", "occurred_at", "recorded_by", "recorded_via", "reentered_at",
    "reentered_by", "system_reference", "sampled", "checked_by", "discrepancy", "resolution",
)  # fmt: skip


def _change(request: HttpRequest, ctx: OrgContext, number: int, record: int, action: str) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    found = record_of(incident, record)
    post = request.POST
    with refusals.caught() as caught:
        if action == "re-enter":
            downtime.reenter(record=found, system_reference=post.get("system_reference", ""), actor=request.user)
            done = f"Record {record} re-entered."
        elif action == "check":
            matches = post.get("outcome") == "matches"
            if post.get("outcome") not in ("matches", "differs"):
                raise downtime.DowntimeError("say whether the system matches the record", "outcome")
            downtime.spot_check(record=found, matches=matches, reason=post.get("reason", ""), actor=request.user)
            done = f"Record {record} {'verified' if matches else 'marked as a discrepancy: the sample is widened'}."
        else:
            downtime.resolve(record=found, resolution=post.get("resolution", ""), actor=request.user)
            done = f"Record {record}: discrepancy resolved."
        messages.success(request, done)
        return redirect("downtime-record-detail", org=ctx.organisation.slug, number=number, record=record)
    context = detail_context(ctx, incident, record_of(incident, record), request)
    refused = caught.refused
    context["problem"] = {
        "action": action,
        "field": refused.field if refused else None,
        "message": refused.message if refused else "",
    }
    return render(request, "web/downtime/detail.html", context, status=refusals.STATUS)


@org_page(Capability.RESPOND)
@require_POST
def reenter(request: HttpRequest, ctx: OrgContext, number: int, record: int) -> HttpResponse:
    return _change(request, ctx, number, record, "re-enter")


@org_page(Capability.RESPOND)
@require_POST
def check(request: HttpRequest, ctx: OrgContext, number: int, record: int) -> HttpResponse:
    return _change(request, ctx, number, record, "check")


@org_page(Capability.RESPOND)
@require_POST
def resolve(request: HttpRequest, ctx: OrgContext, number: int, record: int) -> HttpResponse:
    return _change(request, ctx, number, record, "resolve")


@org_page(Capability.RESPOND)
@require_POST
def draw(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    with refusals.flashed(request):
        made = downtime.draw_spot_checks(incident=incident, actor=request.user)
        drawn = sum(len(m.drawn) for m in made)
        messages.success(
            request,
            f"Drew {drawn} record(s) for spot checks." if drawn else "Nothing to draw: every sample is complete.",
        )
    return redirect("incident-downtime", org=ctx.organisation.slug, number=number)


@org_page(Capability.VIEW)
@require_GET
def report(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """The final counts and every record, for the review: a page that prints, or CSV (?format=csv)."""
    incident = incident_of(ctx.organisation, number)
    records = DowntimeRecord.objects.filter(incident=incident).order_by("number")
    zone = calendar_of(incident).zone
    if request.GET.get("format") == "csv":
        return _csv(incident.number, records, zone)
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "progress": progress.progress_of(incident),
        "records": records,
        "names": names_of(incident),
        "zone": zone,
        "now": timezone.now(),
        "draws": incident.spot_check_draws.all(),
    }
    return render(request, "web/downtime/report.html", context)


def _csv(number: int, records: object, zone: object) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in records:  # type: ignore[attr-defined]
        row = [
            r.number, r.function_key, r.kind_key, r.system_key, r.state, r.downtime_id, r.nhs_number,
            r.hospital_number, r.accession_number, r.study_uid,
            r.occurred_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if r.occurred_at else "",
            r.recorded_by_name, r.recorded_via,
            r.reentered_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if r.reentered_at else "",
            r.reentered_by_name, r.system_reference, "yes" if r.sampled_in_id else "no", r.checked_by_name,
            r.discrepancy, r.resolution,
        ]  # fmt: skip
        # A cell a spreadsheet would run as a formula is written as text.
        writer.writerow(["'" + c if isinstance(c, str) and c[:1] in ("=", "+", "-", "@") else c for c in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="incident-{number}-downtime-records.csv"'
    return response
