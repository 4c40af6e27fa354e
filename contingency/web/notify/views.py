"""A plan's call trees and message templates, previewed: who each would reach, and the words they get."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from contingency.core.permissions import Capability
from contingency.lib.calendar import WorkingCalendar
from contingency.notify.channels.registry import ChannelConfigError, Channels, from_settings
from contingency.plans.store import export_plan
from contingency.web.access import OrgContext, org_page
from contingency.web.overview.urls import calendar_of

from .preview import Moment, preview


def moments(calendar: WorkingCalendar | None, now: datetime) -> tuple[list[Moment], bool | None]:
    """In hours and out of hours: now for whichever it is, and the next change of time for the other."""
    if calendar is None:
        local = timezone.localtime(now)
        return [Moment("in hours", local, True), Moment("out of hours", local, False)], None
    local = calendar.local(now)
    in_hours = calendar.is_in_hours(now)
    change = calendar.next_change(now)
    other = calendar.local(change) if change is not None else local
    later = f"from {other:%H:%M} on {other:%A} {other.day} {other:%B}" if change is not None else "never, here"
    if in_hours:
        return [Moment("in hours (now)", local, True), Moment(f"out of hours ({later})", other, False)], True
    return [Moment(f"in hours ({later})", other, True), Moment("out of hours (now)", local, False)], False


@org_page(Capability.VIEW)
@require_GET
def plan_messages(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    stored = ctx.plan(plan)
    document = export_plan(stored)
    now = timezone.now()
    calendar = calendar_of(ctx.organisation)
    times, in_hours = moments(calendar, now)
    local = calendar.local(now) if calendar is not None else timezone.localtime(now)
    try:
        channels, broken = from_settings(), []
    except ChannelConfigError as exc:  # the cascade rings everyone instead (see notify.dispatch)
        channels, broken = Channels({}), exc.problems
    shown = preview(document, org_slug=ctx.organisation.slug, now=local, moments=times, channels=channels)
    context = {
        "ctx": ctx,
        "nav": "plan",
        "plan": stored,
        "doc": document,
        "preview": shown,
        "in_hours": in_hours,
        "broken": broken,
    }
    return render(request, "web/notify/plan_messages.html", context)
