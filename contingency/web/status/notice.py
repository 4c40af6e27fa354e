"""The incident page's status page button: "put up the maintenance page" in one step.

The eye-care plan's step "Put up the maintenance page" (and "Post an update on the alternate status
page") becomes one POST: a public update announcing an outage (or maintenance) of every published
service the incident reaches, queued for publishing to every target in the same transaction
(contingency.status.updates.outage_notice). The button is drawn by `{% status_notice %}`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from contingency.core.permissions import Capability
from contingency.incidents.models import Incident
from contingency.status import updates
from contingency.status.models import StatusSite
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import incident_of

from .forms import NoticeForm


@org_page(Capability.RESPOND)
@require_POST
def incident_notice(request: HttpRequest, ctx: OrgContext, number: int) -> HttpResponse:
    incident = incident_of(ctx.organisation, number)
    form = NoticeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was posted: choose outage or maintenance.")
    else:
        with refusals.flashed(request):
            update = updates.outage_notice(incident=incident, kind=form.cleaned_data["kind"], actor=request.user)
            names = ", ".join(s.name for s in update.services.all())
            messages.success(request, f"Posted on the status page for {names}; it is being published.")
    return redirect("incident", org=ctx.organisation.slug, number=number)


def panel(incident: Incident, can_respond: bool) -> dict[str, Any]:
    """What the incident page's status box shows: the services it would post for, if any."""
    site = StatusSite.objects.filter(organisation_id=incident.organisation_id).first()
    if site is None or not incident.is_open:
        return {"show": False}
    services = updates.affected_services(incident)
    return {
        "show": bool(services),
        "incident": incident,
        "services": services,
        "published": site.published,
        "can_respond": can_respond,
        "form": NoticeForm(),
    }
