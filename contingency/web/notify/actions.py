"""The incident lead's changes to a call-out: send it again, or record a telephone call made by hand.

Each is a POST by someone who may change the incident's tasks (the RESPOND capability, as the task
actions need), writes an audit entry in the transaction of the change, and redirects back to the
call-out. A refusal (NotifyError, or input of the wrong shape) re-renders the incident page with
status 400 and the message beside the call-out's form; nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from contingency.core import audit
from contingency.core.permissions import Capability
from contingency.incidents.models import Incident, State
from contingency.incidents.services import incident_key
from contingency.notify import dispatch
from contingency.notify.dispatch import NotifyError
from contingency.notify.models import Callout, CalloutState
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page
from contingency.web.incidents.present import Problem, incident_of
from contingency.web.incidents.views import render_page

from .present import channel_words

REACHED, NOT_REACHED = "reached", "not-reached"


def callout_of(incident: Incident, pk: int) -> Callout:
    found = Callout.objects.filter(incident=incident, pk=pk).select_related("incident__organisation").first()
    if found is None:
        raise Http404("No such person to reach in this incident.")
    return found


def callout_state(callout: Callout) -> dict[str, Any]:
    return {
        "state": callout.state,
        "channel": callout.channel,
        "step": callout.step,
        "round": callout.round,
        "acknowledged_at": callout.acknowledged_at.isoformat() if callout.acknowledged_at else None,
        "acknowledged_via": callout.acknowledged_via,
    }


def audit_callout(callout: Callout, *, actor: Any, before: dict[str, Any], what: str, via: str = "web") -> None:
    """The audit entry of a change to a call-out, written inside the change's transaction."""
    callout.refresh_from_db()
    audit.record(
        organisation=callout.incident.organisation,
        actor=actor,
        verb=audit.Verb.CHANGE,
        object_type="incident-callout",
        object_key=f"{incident_key(callout.incident)}/callouts/{callout.pk}",
        label=f"{callout.recipient_name} for {callout.event_label}"[:200],
        before=before,
        after=callout_state(callout),
        note=what,
        via=via,
    )


def _running(callout: Callout) -> None:
    if callout.incident.state not in (State.INVOKED, State.RESTORED):
        raise NotifyError("the incident has ended: nothing more is sent or recorded")


Change = Callable[[], str]


def _run(request: HttpRequest, ctx: OrgContext, callout: Callout, form: str, change: Change) -> HttpResponse:
    with refusals.caught() as caught, transaction.atomic():
        done = change()
    if (refused := caught.refused) is not None:
        anchor = f"{form}-{refused.field}" if refused.field == "outcome" else form
        problem = Problem(form, refused.field, refused.message, anchor)
        return render_page(request, ctx, callout.incident, problem, status=refusals.STATUS)
    messages.success(request, done)
    url = reverse("incident", kwargs={"org": ctx.organisation.slug, "number": callout.incident.number})
    return redirect(f"{url}#callout-{callout.pk}")


def _locked(callout: Callout) -> Callout:
    return Callout.objects.select_for_update(of=("self",)).select_related("incident__organisation").get(pk=callout.pk)


@org_page(Capability.RESPOND)
@require_POST
def resend(request: HttpRequest, ctx: OrgContext, number: int, callout: int) -> HttpResponse:
    found = callout_of(incident_of(ctx.organisation, number), callout)
    who = audit.actor_name(request.user, "web")

    def change() -> str:
        current = _locked(found)
        _running(current)
        if not current.channels:
            raise NotifyError(
                f"{current.recipient_name} has no address or number in the plan: there is nothing to send again",
                "state",
            )
        before = callout_state(current)
        done = dispatch.resend(current, at=timezone.now(), by=who)
        audit_callout(done, actor=request.user, before=before, what="sent again")
        return f"Sent again to {done.recipient_name}, by {channel_words(done.channel) or 'the first channel'}."

    return _run(request, ctx, found, f"callout-{found.pk}-resend", change)


def _step(request: HttpRequest, current: Callout) -> int:
    """The step the page showed; the call-out may have moved on since (a worker, another lead)."""
    given = request.POST.get("step", "")
    return int(given) if given.isdigit() else current.step


@org_page(Capability.RESPOND)
@require_POST
def record_call(request: HttpRequest, ctx: OrgContext, number: int, callout: int) -> HttpResponse:
    """I rang them: reached acknowledges for them; not reached moves on to the next channel or the fall-back."""
    found = callout_of(incident_of(ctx.organisation, number), callout)
    who = audit.actor_name(request.user, "web")
    outcome = request.POST.get("outcome", "")

    def change() -> str:
        now = timezone.now()
        current = _locked(found)
        if outcome not in (REACHED, NOT_REACHED):
            raise NotifyError(f"choose whether you got through to {current.recipient_name}", "outcome")
        _running(current)
        before = callout_state(current)
        if outcome == REACHED:
            return _reached(request, current, who, before, now)
        if current.state != CalloutState.WAITING:
            raise NotifyError(
                f"{current.recipient_name} is {current.get_state_display()}: there is no wait to end", "state"
            )
        if _step(request, current) != current.step or not dispatch.move_on(current.pk, current.step, now):
            raise NotifyError(
                f"{current.recipient_name}'s call-out moved on while you were calling "
                f"(now: {channel_words(current.channel) or 'no channel'}); look again before recording",
                "state",
            )
        audit_callout(current, actor=request.user, before=before, what="call recorded: not reached")
        if current.state == CalloutState.UNREACHED:
            return f"Recorded: {current.recipient_name} not reached. The fall-back, if any, is being tried."
        return f"Recorded: {current.recipient_name} not reached. Now trying {channel_words(current.channel)}."

    return _run(request, ctx, found, f"callout-{found.pk}-call", change)


def _reached(request: HttpRequest, current: Callout, who: str, before: dict[str, Any], now: datetime) -> str:
    if current.state == CalloutState.ACKNOWLEDGED:
        raise NotifyError(f"{current.recipient_name} has already acknowledged ({current.acknowledged_via})")
    if not dispatch.acknowledge(current, via=f"telephone call (recorded by {who})", at=now, by=who):
        raise NotifyError(f"{current.recipient_name}'s call-out is {current.get_state_display()}")
    audit_callout(current, actor=request.user, before=before, what="call recorded: reached")
    return f"Recorded: {current.recipient_name} reached by telephone."
