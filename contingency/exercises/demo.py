"""The demo's past exercise: a communications test of the PACS plan ten weeks ago, finished, with its figures.

Loaded by `contingency demo` after the demo incidents; idempotent (an organisation with an exercise is left
alone). It goes through the services and the workers at the moments they would have run, so its call-outs,
acknowledgements and figures are what a real test leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.incidents import worker as timed
from contingency.notify import delivery, dispatch
from contingency.notify.models import Callout
from contingency.plans.models import Plan
from contingency.plans.workflow import organisation_zone

from . import services
from .models import Exercise, Kind

ORGANISATION = "northwick-general"
PLAN = "pacs-bcdr"
AGO = timedelta(days=70)
# Minutes after the call-out at which the people called acknowledge, in call-out order; None: never.
ANSWERS = (3, 9, None, 22, 48, None, 6, 35)


def load(now: datetime | None = None) -> Exercise | None:
    """Run and finish the demo exercise once; None when the organisation or plan is missing, or it has one."""
    organisation = Organisation.objects.filter(slug=ORGANISATION).first()
    plan = Plan.objects.filter(organisation=organisation, key=PLAN).first() if organisation else None
    if organisation is None or plan is None or Exercise.objects.filter(organisation=organisation).exists():
        return None
    lead = get_user_model().objects.filter(username="responder").first()
    zone = organisation_zone(organisation)
    day = ((now or timezone.now()) - AGO).astimezone(zone)
    while day.weekday() != 2:  # a Wednesday morning, in hours
        day -= timedelta(days=1)
    started = day.replace(hour=10, minute=0, second=0, microsecond=0)
    exercise = services.start(plan=plan, kind=Kind.COMMUNICATIONS, subject="system:pacs", actor=lead, via="demo",
                              at=started)  # fmt: skip
    _work(at=started + timedelta(minutes=1))
    callouts = list(Callout.objects.filter(incident=exercise.incident).order_by("event", "position"))
    for callout, minutes in zip(callouts, ANSWERS * (len(callouts) // len(ANSWERS) + 1), strict=False):
        if minutes is not None:
            dispatch.acknowledge(
                callout, via="the link in the text", at=callout.created_at + timedelta(minutes=minutes)
            )
    _work(at=started + timedelta(hours=1))
    return services.finish(
        exercise=exercise,
        outcome="Most of the incident team answered within the hour; two managers never acknowledged and are to "
        "check the numbers the plan holds for them.",
        actor=lead,
        via="demo",
        at=started + timedelta(hours=2),
    )


def _work(*, at: datetime) -> None:
    """What the workers do at `at`: fire the due trigger points, move on ended waits, send the messages."""
    clock: Callable[[], datetime] = lambda: at  # noqa: E731
    timed.run_until_idle(now=clock, worker="demo")
    delivery.run_until_idle(worker="demo", clock=clock)
