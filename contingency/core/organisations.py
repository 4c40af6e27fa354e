"""An organisation's own settings - name, time zone, working hours, nation - changed by its administrators.

They are the organisation's, not any plan's: importing or uploading a plan creates an organisation it names
when there is none, and otherwise leaves it as it is (decision 0027). Every change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from . import audit
from .errors import Refused
from .models import Nation, Organisation

Actor = AbstractBaseUser | AnonymousUser | None
OBJECT_TYPE = "organisation-settings"  # "organisation" is a plan's own section
NAME_LIMIT = 200
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class SettingsRefused(Refused):
    """A change to the organisation's settings that was not made; `field` names the input at fault."""

    code = "organisation.refused"


def settings_of(organisation: Organisation) -> dict[str, Any]:
    """The settings as the audit log records them."""
    return {
        "name": organisation.name,
        "timezone": organisation.timezone,
        "nation": organisation.nation,
        "working_days": sorted(organisation.working_days),
        "working_start": organisation.working_start.strftime("%H:%M"),
        "working_end": organisation.working_end.strftime("%H:%M"),
    }


def check(
    *, name: str, timezone: str, nation: str, working_days: Iterable[int], working_start: time, working_end: time
) -> list[int]:
    """Refuse what cannot be stored or used (pure); the working days, sorted."""
    if not name.strip():
        raise SettingsRefused("Enter the organisation's name.", "name")
    if len(name.strip()) > NAME_LIMIT:
        raise SettingsRefused(f"The name is longer than {NAME_LIMIT} characters.", "name")
    if timezone not in available_timezones():
        raise SettingsRefused(f"{timezone!r} is not a time zone (for example Europe/London).", "timezone")
    if nation not in Nation.values:
        raise SettingsRefused(f"{nation!r} is not a UK nation: choose one for the bank holidays.", "nation")
    days = sorted(set(working_days))
    if not days or any(d not in range(7) for d in days):
        raise SettingsRefused("Choose the working days (at least one).", "working_days")
    all_day = working_start == time(0) and working_end == time(0)
    if not all_day and working_start >= working_end:
        raise SettingsRefused("Working hours must end after they start (00:00 to 00:00 means all day).", "working_end")
    return days


def update_settings(
    *,
    organisation: Organisation,
    name: str,
    timezone: str,
    nation: str,
    working_days: Iterable[int],
    working_start: time,
    working_end: time,
    actor: Actor,
    via: str = "web",
) -> Organisation:
    """Change the organisation's settings; plans' derived views (which carry the organisation) move on."""
    from contingency.plans.models import Plan, new_revision  # plans import core, not the other way at load

    days = check(
        name=name,
        timezone=timezone,
        nation=nation,
        working_days=working_days,
        working_start=working_start,
        working_end=working_end,
    )
    with transaction.atomic():
        row = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = settings_of(row)
        row.name = name.strip()
        row.timezone = timezone
        row.nation = nation
        row.working_days = days
        row.working_start = working_start
        row.working_end = working_end
        after = settings_of(row)
        if after == before:
            return row
        row.save()
        Plan.objects.filter(organisation=row).update(revision=new_revision())
        audit.record(
            organisation=row,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type=OBJECT_TYPE,
            object_key=row.slug,
            label=row.name,
            before=before,
            after=after,
            note="organisation settings changed",
            via=via,
        )
    return row
