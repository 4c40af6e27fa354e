"""The incident lead's changes to a call-out: send it again, or record a telephone call made by hand.

Each is a POST by someone who may change the incident's tasks (the RESPOND capability, as the task
actions need); the change and its audit entry are notify.services', as for the API. A refusal
(NotifyError, or input of the wrong shape) re-renders the incident page with status 400 and the
message beside the call-out's form; nothing is changed. Otherwise it redirects back to the call-out.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from contingency.core.permissions import Capability
from contingency.incidents.models import Incident
from contingency.notify import services
from contingency.notify.dispatch import NotifyError
from contingency.notify.models import Callout, CalloutState
from contingency.notify.services import channel_words
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import Problem, incident_of
from contingency.web.incidents.views import render_page

REACHED, NOT_REACHED = "reached", "not-reached"
VIA = "web"


def callout_of(incident: Incident, pk: int) -> Callout:
    found = Callout.objects.filter(incident=incident, pk=pk).select_related("incident__organisation").first()
    if found is None:
        raise Http404("No such person to reach in this incident.")
    return found


def _run(request: HttpRequest, ctx: OrgContext, callout: Callout, form: str, change: Callable[[], str]) -> HttpResponse:
    with refusals.caught() as caught:
        done = change()
    if (refused := caught.refused) is not None:
        anchor = f"{form}-{refused.field}" if refused.field == "outcome" else form
        problem = Problem(form, refused.field, refused.message, anchor)
        return render_page(request, ctx, callout.incident, problem, status=refusals.STATUS)
    messages.success(request, done)
    url = reverse("incident", kwargs={"org": ctx.organisation.slug, "number": callout.incident.number})
    return redirect(f"{url}#callout-{callout.pk}")


@org_page(Capability.RESPOND)
@require_POST
def resend(request: HttpRequest, ctx: OrgContext, number: int, callout: int) -> HttpResponse:
    found = callout_of(incident_of(ctx.organisation, number), callout)

    def change() -> str:
        done = services.resend(callout=found, actor=request.user, via=VIA)
        return f"Sent again to {done.recipient_name}, by {channel_words(done.channel) or 'the first channel'}."

    return _run(request, ctx, found, f"callout-{found.pk}-resend", change)


@org_page(Capability.RESPOND)
@require_POST
def record_call(request: HttpRequest, ctx: OrgContext, number: int, callout: int) -> HttpResponse:
    """I rang them: reached acknowledges for them; not reached moves on to the next channel or the fall-back."""
    found = callout_of(incident_of(ctx.organisation, number), callout)
    outcome = request.POST.get("outcome", "")
    step = request.POST.get("step", "")  # the step the page showed: the call-out may have moved on since

    def change() -> str:
        if outcome not in (REACHED, NOT_REACHED):
            raise NotifyError(f"choose whether you got through to {found.recipient_name}", "outcome")
        done = services.record_call(
            callout=found,
            reached=outcome == REACHED,
            note=request.POST.get("note", ""),
            step=int(step) if step.isdigit() else None,
            actor=request.user,
            via=VIA,
        )
        if outcome == REACHED:
            return f"Recorded: {done.recipient_name} reached by telephone."
        if done.state == CalloutState.UNREACHED:
            return f"Recorded: {done.recipient_name} not reached. The fall-back, if any, is being tried."
        return f"Recorded: {done.recipient_name} not reached. Now trying {channel_words(done.channel)}."

    return _run(request, ctx, found, f"callout-{found.pk}-call", change)
