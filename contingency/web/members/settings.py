"""The organisation's settings page (administrators): name, time zone, working hours, nation for bank holidays."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from contingency.core.models import Nation
from contingency.core.organisations import DAY_NAMES, NAME_LIMIT, update_settings
from contingency.core.permissions import Capability
from contingency.web import refusals
from contingency.web.access import OrgContext, org_page


class SettingsForm(forms.Form):
    """Shape only: the service refuses what cannot be used."""

    name = forms.CharField(max_length=NAME_LIMIT, error_messages={"required": "Enter the organisation's name."})
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=[(z, z) for z in sorted(available_timezones())],
        help_text="Times on every page and in messages are shown in it.",
    )
    working_days = forms.TypedMultipleChoiceField(
        label="Working days",
        coerce=int,
        choices=list(enumerate(DAY_NAMES)),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the working days (at least one)."},
    )
    working_start = forms.TimeField(
        label="Working hours start", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    working_end = forms.TimeField(
        label="Working hours end",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="00:00 to 00:00 means all day.",
    )
    nation = forms.ChoiceField(
        label="Nation for bank holidays",
        choices=[(n.value, n.label.title()) for n in Nation],
        help_text="Its bank holidays are not working days.",
    )


def _initial(ctx: OrgContext) -> dict[str, Any]:
    o = ctx.organisation
    return {
        "name": o.name,
        "timezone": o.timezone,
        "working_days": list(o.working_days),
        "working_start": o.working_start,
        "working_end": o.working_end,
        "nation": o.nation,
    }


@org_page(Capability.ADMINISTER)
@require_http_methods(["GET", "POST"])
def organisation_settings(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    form = SettingsForm(request.POST or None, initial=_initial(ctx))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusals.onto(form):
            update_settings(organisation=ctx.organisation, actor=request.user, via="web", **data)
            messages.success(request, "The organisation's settings are saved.")
            return redirect("organisation-settings", org=ctx.organisation.slug)
    context = {"ctx": ctx, "nav": "settings", "form": form}
    return render(request, "web/members/settings.html", context, status=400 if form.is_bound else 200)
