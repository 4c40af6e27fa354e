"""Ranges of downtime IDs: who holds which, how many are used, allocating a new range, the IDs to print."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from contingency.core.permissions import Capability
from contingency.downtime import printing, progress
from contingency.downtime import services as downtime
from contingency.downtime.models import IdRange
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page

FIELDS = ("prefix", "first", "last", "digits", "allocated_to", "forms")


@org_page(Capability.VIEW)
@require_GET
def ranges(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """The organisation's ranges, with how many IDs each has used; editors see the form to allocate one."""
    return _page(request, ctx, {"digits": "6"}, {})


@org_page(Capability.EDIT)
@require_POST
def allocate(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    values = {name: request.POST.get(name, "") for name in FIELDS}
    problem: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name in ("first", "last", "digits"):
        text = values[name].strip()
        if not text.isdigit():
            problem = {"field": name, "message": "give a whole number"}
            break
        numbers[name] = int(text)
    if not problem:
        with refusals.caught() as caught:
            made = downtime.allocate_range(
                organisation=ctx.organisation,
                prefix=values["prefix"],
                first=numbers["first"],
                last=numbers["last"],
                digits=numbers["digits"],
                allocated_to=values["allocated_to"],
                forms=values["forms"],
                actor=request.user,
            )
            messages.success(request, f"Allocated {made}: the first ID is {downtime.ids_of(made, limit=1)[0].printed}.")
            return redirect("downtime-ids", org=ctx.organisation.slug)
        if caught.refused is not None:
            problem = {"field": caught.refused.field or "prefix", "message": caught.refused.message}
    return _page(request, ctx, values, problem)


def _page(request: HttpRequest, ctx: OrgContext, values: dict[str, str], problem: dict[str, str]) -> HttpResponse:
    found = [
        (r, progress.ids_used(r), downtime.ids_of(r, limit=3), printing.remaining(r))
        for r in IdRange.objects.filter(organisation=ctx.organisation)
    ]
    context = {"ctx": ctx, "nav": "incidents", "ranges": found, "values": values, "problem": problem}
    return render(request, "web/downtime/ids.html", context, status=400 if problem else 200)
