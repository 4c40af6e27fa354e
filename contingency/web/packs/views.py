"""Grab-pack downloads: a plan's or the organisation's pack (any member), printing numbered copies for
the copy holders (plan editors: it is recorded in the print register), and a holder's signed link.

Viewers may download an uncontrolled pack: it is what they can already read on the plan page, saved
for when the network is down, and it says on every page that it is not a numbered copy. Printing for
copy holders changes the register (DSPT 7), so it needs the edit permission, as changing the plan does.
"""

from __future__ import annotations

import io
import re
import zipfile

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.lib.signing import TokenInvalid
from contingency.packs import build, jobs, links, register
from contingency.packs.models import PackFile, PrintedCopy
from contingency.plans.models import Plan
from contingency.plans.workflow import organisation_zone
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

FORMATS = {"zip": "application/zip", "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def _download(data: bytes, name: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@org_page(Capability.VIEW)
@require_GET
def plan_pack(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """An uncontrolled copy of the plan's pack: the single HTML file (default), ?format=pdf or ?format=zip."""
    row = ctx.plan(plan)
    kind = request.GET.get("format", "html")
    if kind not in FORMATS:
        return HttpResponse("format must be zip, html or pdf", status=400, content_type="text/plain")
    source = register.source_of(row)
    zone = organisation_zone(ctx.organisation)
    parts = {"zip": build.PARTS, "html": {"html"}, "pdf": {"pdf"}}[kind]
    pack = build.build_plan_pack(source, built_at=timezone.now(), zone=zone, parts=parts)
    if kind == "zip":
        return _download(pack.zip_bytes(), f"{pack.name}.zip", FORMATS["zip"])
    name = f"{row.key}.{kind}"
    return _download(pack.files[name], name, FORMATS[kind])


@org_page(Capability.VIEW)
@require_GET
def organisation_pack(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """Every plan of the organisation, uncontrolled: one HTML file of them all (default), or ?format=zip
    with the PDF of them all and each plan's own files."""
    kind = request.GET.get("format", "html")
    if kind not in ("html", "zip"):
        return HttpResponse("format must be html or zip", status=400, content_type="text/plain")
    plans = list(Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key"))
    if not plans:
        raise Http404("This organisation has no plans to pack.")
    sources = [register.source_of(p) for p in plans]
    zone = organisation_zone(ctx.organisation)
    slug, name = ctx.organisation.slug, ctx.organisation.name
    if kind == "html":
        html = build.organisation_html(sources, organisation=(slug, name), built_at=timezone.now(), zone=zone)
        return _download(html, f"{slug}.html", FORMATS["html"])
    pack = build.build_organisation_pack(sources, organisation=(slug, name), built_at=timezone.now(), zone=zone)
    return _download(pack.zip_bytes(), f"{pack.name}.zip", FORMATS["zip"])


@org_page(Capability.EDIT)
@require_POST
def plan_pack_print(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """Queue numbered copies of the latest issue for the copy holders chosen (all when none is): the worker
    builds them, records them in the print register and e-mails each holder their copy."""
    row = ctx.plan(plan)
    back = reverse("plan", kwargs={"org": ctx.organisation.slug, "plan": row.key}) + "#register"
    raw = request.POST.getlist("copy")
    if any(not re.fullmatch(r"[1-9][0-9]{0,8}", value) for value in raw):
        messages.error(request, "Choose copies by their numbers.")
        return redirect(back)
    with refusals.flashed(request):
        job = jobs.request_print(plan=row, copies=[int(v) for v in raw], actor=request.user, via="web")
        which = "every copy holder" if not job.copies else "copies " + ", ".join(str(n) for n in job.copies)
        messages.success(
            request,
            f"Issue {job.issue} is being printed for {which}. It appears in the print register below when it is "
            "ready (usually within a minute), and each holder is sent their copy.",
        )
    return redirect(back)


@org_page(Capability.EDIT)
@require_GET
def print_download(request: HttpRequest, ctx: OrgContext, plan: str, pk: int) -> HttpResponse:
    """The zip of a pack recorded in the print register (every numbered copy it was printed for)."""
    row = ctx.plan(plan)
    stored = PackFile.objects.filter(record_id=pk, record__plan=row).first()
    if stored is None:
        raise Http404("No such print of this plan.")
    return _download(bytes(stored.data), stored.name, FORMATS["zip"])


def _copy_only(data: bytes, copy_number: int) -> tuple[bytes, str]:
    """The files of one numbered copy (and the manifest) out of a printed pack's zip."""
    marker = f"-copy-{copy_number}"
    out = io.BytesIO()
    folder = ""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as mine:
        for info in source.infolist():
            folder, _, name = info.filename.rpartition("/")
            if name == build.MANIFEST or re.search(rf"{marker}(\.|-)", name):
                mine.writestr(info, source.read(info))
    return out.getvalue(), f"{folder or 'grab-pack'}{marker}.zip"


@never_cache
@require_GET
def pack_copy(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """A copy holder's signed link: their numbered copy of a printed pack, without signing in."""
    organisation = Organisation.objects.filter(slug=org).first()
    if organisation is None:
        raise Http404("No such page.")
    try:
        signed = links.read_token(token)
    except TokenInvalid as invalid:
        return render(request, "web/control/ack_invalid.html", {"message": invalid.message}, status=400)
    stored = PackFile.objects.filter(record_id=signed.record_id, record__organisation=organisation).first()
    printed = PrintedCopy.objects.filter(record_id=signed.record_id, copy_number=signed.copy_number).exists()
    if stored is None or not printed:
        message = "This pack is no longer kept. Ask the plan's owner for a new copy."
        return render(request, "web/control/ack_invalid.html", {"message": message}, status=400)
    data, name = _copy_only(bytes(stored.data), signed.copy_number)
    return _download(data, name, FORMATS["zip"])
