"""A copy holder acknowledges receipt of an issue from a signed link, without an account.

Deliberately no log-in: copy holders are often not users (a grab pack's keeper, a supplier's
desk). The signed token is the credential, and it grants exactly one thing: recording that
this copy holder has this issue of this plan. It is signed with the site's secret (salt
"holder-ack"), expires after lib.signing.MAX_AGE, and acknowledging twice changes nothing.
The page shows only the plan's title, the issue, the copy number and the holder's name.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from contingency.core.models import Organisation
from contingency.lib.signing import TokenInvalid, read_token
from contingency.plans import workflow


def _invalid(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "web/control/ack_invalid.html", {"message": message}, status=400)


@never_cache
@require_http_methods(["GET", "POST"])
def holder_ack(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """GET: what is being acknowledged, and a button; POST: record it (once)."""
    organisation = Organisation.objects.filter(slug=org).first()
    if organisation is None:
        raise Http404("No such page.")
    try:
        signed = read_token(token)
    except TokenInvalid as invalid:
        return _invalid(request, invalid.message)
    copy = workflow.holder_copy(
        organisation=organisation, plan_id=signed.plan_id, issue=signed.issue, copy_number=signed.copy_number
    )
    if copy is None:
        return _invalid(
            request, "This link is for a copy of a plan that is no longer registered. Nothing was recorded."
        )
    outcome: workflow.Acknowledged | None = None
    status = 200
    if request.method == "POST":
        outcome = workflow.acknowledge(copy)
        status = 409 if outcome is workflow.Acknowledged.SUPERSEDED else 200
    context: dict[str, Any] = {"copy": copy, "outcome": outcome, "organisation": organisation}
    return render(request, "web/control/ack.html", context, status=status)
