"""The imaging archive pages of an incident: the runs, "Check the archive", a run's report (print or CSV), a CD.

"Check the archive" (responders and above) runs the reconciliation while the request waits: the run is bounded
by CONTINGENCY_ARCHIVE_RUN_TIMEOUT (docs/decisions/0023-reconciliation-runs.md). Without an archive configured
the page says what the system administrator sets; a refusal is shown as the page's message, nothing written.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.downtime import cds, proof
from contingency.downtime.archive import BUCKET_LABELS, Bucket
from contingency.downtime.archive.dicomdir import MAX_BYTES
from contingency.downtime.models import Outcome, ReconciliationRun, RunStatus, UnloggedStudy
from contingency.downtime.reconciliation import (
    CORRECTION,
    HOW_TO_CONFIGURE,
    ReconciliationError,
    archive_kinds,
    configured,
    counts_words,
    run_reconciliation,
)
from contingency.downtime.services import DowntimeError
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import incident_of

from .views import detail_context, names_of, record_of

SHOWN = 500  # rows of one bucket on the page; the CSV has them all
ORDER = (Bucket.MISSING, Bucket.IDENTITY_MISMATCH, Bucket.COUNT_MISMATCH, Bucket.PRESENT)
ACTIONS = {
    Bucket.MISSING: "re-send it from the modality, or import the CD",
    Bucket.IDENTITY_MISMATCH: CORRECTION,
    Bucket.COUNT_MISMATCH: "re-send the missing images; check the log",
    Bucket.PRESENT: "",
}
CSV_COLUMNS = (
    "run", "bucket", "action", "record", "kind", "downtime_id", "cd_study", "expected_accession_number",
    "expected_patient_id", "expected_study_uid", "expected_instances", "archive_study_uid",
    "archive_accession_number", "archive_patient_id", "archive_study_date", "archive_study_time",
    "archive_modalities", "archive_instances", "matched_by", "note",
)  # fmt: skip


def _setup(incident: Incident) -> dict[str, Any]:
    """The archive as configured for this page: ready, or what is missing, in words."""
    try:
        config = configured()
    except ReconciliationError as exc:
        return {"ready": False, "problem": exc.message, "how": ""}
    if config is None:
        return {"ready": False, "problem": "No imaging archive is configured.", "how": HOW_TO_CONFIGURE}
    if not config.systems:
        return {
            "ready": False,
            "problem": f"The archive ({config.describe()}) is configured, but not which of the plan's systems it is.",
            "how": "the system administrator sets CONTINGENCY_ARCHIVE_SYSTEM to the plan's system id, e.g. pacs",
        }
    kinds = archive_kinds(incident, config.systems)
    return {
        "ready": True,
        "archive": config.describe(),
        "systems": ", ".join(config.systems),
        "kinds": [k.name for k in kinds.values()],
        "timeout": int(config.run_timeout),
        "standing": proof.standing_of(incident, config),
    }


@org_page(Capability.VIEW)
@require_GET
def runs(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """Every run of the incident, newest first, and the button to run another."""
    incident = incident_of(ctx.organisation, number)
    setup = _setup(incident)
    standing = setup.get("standing")
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "setup": setup,
        "summary": proof.summary(incident, standing)[0] if standing else "",
        "runs": list(ReconciliationRun.objects.filter(incident=incident).order_by("-number")),
        "zone": calendar_of(incident).zone,
    }
    return render(request, "web/downtime/archive.html", context)


@org_page(Capability.RESPOND)
@require_POST
def run(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    """Check the archive now; the report of the run, or the refusal on the runs page."""
    incident = incident_of(ctx.organisation, number)
    with refusals.flashed(request):
        made = run_reconciliation(incident=incident, actor=request.user, via="web")
        if made.status == RunStatus.FAILED:
            messages.error(request, f"Run {made.number} failed: {made.failure}")
        else:
            messages.success(
                request,
                f"Run {made.number}: " + ("clean." if made.is_clean else counts_words(made.result["counts"]) + "."),
            )
        return redirect("downtime-archive-report", org=ctx.organisation.slug, number=number, run=made.number)
    return redirect("downtime-archive", org=ctx.organisation.slug, number=number)


def _run_of(incident: Incident, number: int) -> ReconciliationRun:
    found = ReconciliationRun.objects.filter(incident=incident, number=number).first()
    if found is None:
        raise Http404("No such reconciliation run.")
    return found


@org_page(Capability.VIEW)
@require_GET
def report(request: HttpRequest, ctx: OrgContext, number: int, run: int) -> HttpResponse:
    """One run: its buckets (records and the archive's studies side by side), the studies nobody logged; a page
    that prints, or CSV (?format=csv)."""
    incident = incident_of(ctx.organisation, number)
    found = _run_of(incident, run)
    outcomes = Outcome.objects.filter(run=found).select_related("record", "cd_study").order_by("position")
    if request.GET.get("format") == "csv":
        return _csv(incident, found, outcomes.iterator(), found.unlogged.order_by("position").iterator())
    counts = {Bucket.PRESENT: found.present, Bucket.MISSING: found.missing}
    counts |= {Bucket.COUNT_MISMATCH: found.count_mismatch, Bucket.IDENTITY_MISMATCH: found.identity_mismatch}
    buckets = [
        {
            "key": str(bucket),
            "label": BUCKET_LABELS[bucket],
            "action": ACTIONS[bucket],
            "count": counts[bucket],
            "rows": list(outcomes.filter(bucket=bucket)[:SHOWN]),
        }
        for bucket in ORDER
    ]
    context = {
        "ctx": ctx,
        "nav": "incidents",
        "incident": incident,
        "tab": "downtime",
        "run": found,
        "buckets": buckets,
        "unlogged": list(found.unlogged.order_by("position")[:SHOWN]),
        "shown": SHOWN,
        "names": names_of(incident),
        "warnings": found.result.get("warnings", []),
        "zone": calendar_of(incident).zone,
    }
    return render(request, "web/downtime/archive_report.html", context)


def _safe(value: object) -> object:
    """A cell a spreadsheet would run as a formula is written as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value


def _csv(
    incident: Incident, found: ReconciliationRun, outcomes: Iterable[Outcome], unlogged: Iterable[UnloggedStudy]
) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for o in outcomes:
        r = o.record
        writer.writerow(
            _safe(c)
            for c in (
                found.number, o.bucket, ACTIONS.get(Bucket(o.bucket), ""), r.number, r.kind_key, r.downtime_id,
                o.cd_study.position if o.cd_study else "", o.expected_accession, o.expected_patient,
                o.expected_study_uid, o.expected_instances, o.study_uid, o.accession_number, o.patient_id,
                o.study_date, o.study_time, o.modalities, o.instances, o.matched_by, o.note,
            )
        )  # fmt: skip
    for s in unlogged:
        writer.writerow(
            _safe(c)
            for c in (
                found.number, "not-logged", "find the paper record, or who sent it", "", "", "", "", "", "", "",
                "", s.study_uid, s.accession_number, s.patient_id, s.study_date, s.study_time, s.modalities,
                s.instances, "", "",
            )
        )  # fmt: skip
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"incident-{incident.number}-reconciliation-{found.number}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@org_page(Capability.RESPOND)
@require_POST
def cd(request: HttpRequest, ctx: OrgContext, number: int, record: int) -> HttpResponse:
    """List a CD's studies on its record from the CD's DICOMDIR (uploaded): all of them, or nothing."""
    incident = incident_of(ctx.organisation, number)
    found = record_of(incident, record)
    upload = request.FILES.get("dicomdir")
    with refusals.caught() as caught:
        if upload is None:
            raise DowntimeError("Choose the CD's DICOMDIR file (in the CD's top folder).", "dicomdir")
        name = upload.name or "DICOMDIR"
        if (upload.size or 0) > MAX_BYTES:
            raise DowntimeError(f"{name}: is larger than {MAX_BYTES // 1048576} MB: not a CD's DICOMDIR", "dicomdir")
        studies = cds.read_upload(upload.read(MAX_BYTES + 1), name)
        made = cds.list_cd(record=found, studies=studies, source=name, actor=request.user, via="web")
        images = sum(s.instances for s in made)
        messages.success(request, f"CD listed on record {record}: {len(made)} study(ies), {images} image(s).")
        return redirect("downtime-record-detail", org=ctx.organisation.slug, number=number, record=record)
    context = detail_context(ctx, incident, record_of(incident, record), request)
    refused = caught.refused
    context["problem"] = {"action": "cd", "field": "dicomdir", "message": refused.message if refused else ""}
    return render(request, "web/downtime/detail.html", context, status=refusals.STATUS)
