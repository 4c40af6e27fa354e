"""The demo catcher's messages (CONTINGENCY_CATCHER=on): what would have been texted or e-mailed, for administrators.

Only the organisation's own: a caught message is found through its outbox row (incident or organisation).
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contingency.core.permissions import Capability
from contingency.notify.channels.registry import ChannelConfigError, from_settings
from contingency.notify.models import CaughtMessage, Notification
from contingency.web.access import OrgContext, org_page

SHOWN = 200


def catching() -> bool:
    """Whether this installation keeps texts and e-mails in the catcher."""
    try:
        return from_settings().by_name("catcher-sms") is not None
    except ChannelConfigError:
        return False


@org_page(Capability.ADMINISTER)
@require_GET
def caught(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    organisation = ctx.organisation
    keys = Notification.objects.filter(Q(incident__organisation=organisation) | Q(organisation=organisation)).values(
        "key"
    )
    found = CaughtMessage.objects.filter(key__in=keys)
    context = {
        "ctx": ctx,
        "nav": "caught",
        "catching": catching(),
        "caught": list(found[:SHOWN]),
        "total": found.count(),
        "zone": organisation.timezone,
    }
    return render(request, "web/notify/caught.html", context)
