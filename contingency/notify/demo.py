"""The demo's incident in progress: PACS reported and invoked this morning, trigger points fired, some people
acknowledged, the rest being chased by the cascade.

Loaded by `contingency demo` after the plans and users; idempotent (an organisation that already has it is
left alone). Everything goes through the services and the two workers, run at the moments they would have
run, so the timeline, tasks, call-outs and outbox are what a real morning leaves. With the catcher on
(CONTINGENCY_CATCHER=on, as `make run` sets) its texts and e-mails are on the Caught messages page, each
acknowledgement link working; without it they are telephone tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.incidents import leads
from contingency.incidents import services as incidents
from contingency.incidents import worker as timed
from contingency.incidents.models import Incident
from contingency.plans.models import Plan

from . import delivery, dispatch
from .models import Callout, CalloutState

TITLE = "PACS images will not load (demo: in progress)"
ORGANISATION = "northwick-general"
PLAN = "pacs-bcdr"
SINCE = timedelta(hours=5)  # long enough for the second trigger point (4 hours after invocation) to fire


def load(now: datetime | None = None) -> Incident | None:
    """Create the demo incident once (reported by the demo's responder, when there is one); None when the
    organisation or plan is missing, or it exists."""
    now = (now or timezone.now()).replace(microsecond=0)
    organisation = Organisation.objects.filter(slug=ORGANISATION).first()
    plan = Plan.objects.filter(organisation=organisation, key=PLAN).first() if organisation else None
    reporter = get_user_model().objects.filter(username="responder").first()
    if organisation is None or plan is None:
        return None
    if Incident.objects.filter(organisation=organisation, title=TITLE).exists():
        return None
    began = now - SINCE
    incident = incidents.report(
        plan=plan,
        subject="system:pacs",
        actor=reporter,
        answers=_answers(plan),
        began_at=began,
        title=TITLE,
        description="Images will not load on several PCs in the main department and in ED; nobody can search.",
        via="demo",
        at=began + timedelta(minutes=5),
    )
    invoked = began + timedelta(minutes=15)
    incidents.invoke(incident=incident, actor=reporter, via="demo", at=invoked)  # the plan's lead: PACS team, or
    # the senior radiographer on shift. The responder, a member, takes the lead, as nobody signed in held it.
    if reporter is not None:
        leads.ask(
            incident=incident,
            actor=reporter,
            note_text="I reported it and I am in the department.",
            via="demo",
            at=invoked,
        )
    _work(at=invoked + timedelta(minutes=1))  # TP1 fires, its messages go out
    # About half the incident team acknowledge within minutes, by the link or by replying.
    for n, callout in enumerate(Callout.objects.filter(incident=incident).order_by("position")):
        if n % 2 == 0:
            dispatch.acknowledge(callout, via="the link in the text", at=invoked + timedelta(minutes=4 + n))
    _work(at=now)  # the waits end, the cascade moves on; TP2 fires at four hours
    return Incident.objects.get(pk=incident.pk)


def _answers(plan: Plan) -> dict[str, bool]:
    """Yes to every check of the PACS system the plan asks (a complete failure)."""
    from contingency.incidents import assess
    from contingency.plans import readmodel as plan_views
    from contingency.plans.graph import BadReference

    view = plan_views.view(plan)
    try:
        ref = view.graph.find("system:pacs")
    except BadReference:
        return {}
    return {check.key: True for check in assess.checks_for(view.document, ref)}


def _work(*, at: datetime) -> None:
    """What the workers do at `at`: fire the due trigger points, move on ended waits, send the messages."""
    clock: Callable[[], datetime] = lambda: at  # noqa: E731
    timed.run_until_idle(now=clock, worker="demo")
    delivery.run_until_idle(worker="demo", clock=clock)


def waiting(incident: Incident) -> int:
    return Callout.objects.filter(incident=incident, state=CalloutState.WAITING).count()
