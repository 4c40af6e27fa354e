"""The acknowledgement page a message links to: opened on a phone, from an SMS, without logging in.

Deliberately no log-in: the people told are often not users. The signed link is the credential and
grants one thing: recording that this person received this message (notify.services.acknowledge,
audited as done by the acknowledgement link). GET only shows the message (mail scanners and link
previews follow links); the button POSTs. Acknowledging twice changes nothing, and an ended
incident takes no more acknowledgements.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from contingency.incidents.models import State
from contingency.incidents.snapshot import calendar_of
from contingency.lib.calendar import CalendarError
from contingency.notify import links, services
from contingency.notify.models import Callout
from contingency.web import refusals

VIA = "acknowledgement link"
UNKNOWN = (
    "This acknowledgement link is not for any message we sent. Check that the whole link was copied, "
    "or reply to the message with its code."
)


def _refused(request: HttpRequest, message: str, status: int, expired: bool = False) -> HttpResponse:
    context = {"message": message, "expired": expired}
    return render(request, "web/notify/ack_invalid.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def callout_ack(request: HttpRequest, signed: str) -> HttpResponse:
    """GET: the message and one button; POST: record the acknowledgement (once)."""
    try:
        token = links.token_of(signed)
    except links.LinkInvalid as invalid:
        return _refused(request, invalid.message, 410 if invalid.expired else 404, invalid.expired)
    callout = Callout.objects.select_related("incident__organisation").filter(ack_token=token).first()
    if callout is None:
        return _refused(request, UNKNOWN, 404)
    ended = callout.incident.state not in (State.INVOKED, State.RESTORED)
    outcome = ""
    status = 200
    if request.method == "POST":
        with refusals.caught() as caught:
            recorded = services.acknowledge(callout=callout, actor=None, via=VIA)
            outcome = "recorded" if recorded else "already"
        if caught.refused is not None:
            outcome, status = "ended", 409
        callout.refresh_from_db()
    context: dict[str, Any] = {
        "callout": callout,
        "incident": callout.incident,
        "organisation": callout.incident.organisation,
        "outcome": outcome,
        "ended": ended,
        "zone": _zone(callout),
    }
    return render(request, "web/notify/ack.html", context, status=status)


def _zone(callout: Callout) -> Any:
    """The organisation's time zone; the site's when its calendar settings are broken (this page must work)."""
    try:
        return calendar_of(callout.incident).zone
    except CalendarError:
        return settings.TIME_ZONE
