"""Shared by the incident endpoints: finding the incident and the members it names.

A refusal of the incidents app's services (IncidentError) is answered by the API's one handler
(api/errors.py):

- it names a field of the request (a future `beganAt`, an unknown check, a skip without a
  reason): 422, with that field, camelCase, as the error's location; nothing is changed;
- it is about the incident's or task's state (restoring one that is not invoked, completing a
  task that is done): 409, with the reason.

An incident number, task id, target key or review action that is not in the organisation is
404, and so is an organisation the caller does not belong to.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from ninja.errors import HttpError, ValidationError

from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.incidents.models import (
    DueAction,
    Incident,
)
from contingency.incidents.snapshot import calendar_of

from . import schemas as s
from .access import organisation_for
from .errors import where
from .plans import ORG, REFUSED

INCIDENTS = ORG + "/incidents"
INCIDENT = INCIDENTS + "/{number}"
CHANGED = {409: s.Error, **REFUSED}
LARGEST = 2**31 - 1  # no id or number is larger; a bigger one in a path is simply not there


def invalid(field: str, message: str, code: str = "incident.refused") -> ValidationError:
    return ValidationError([{"path": where([field]), "loc": [field], "code": code, "message": message}])


def incident_for(request: HttpRequest, org: str, number: int, needs: Capability) -> Incident:
    organisation = organisation_for(request, org, needs)
    found = (
        Incident.objects.filter(organisation=organisation, number=number).select_related("organisation").first()
        if 0 < number <= LARGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"There is no incident #{number} in {organisation.name}.")
    return found


def member_named(organisation: Organisation, username: str, field: str) -> Any:
    user = (
        get_user_model()
        .objects.filter(username=username, memberships__organisation=organisation, is_active=True)
        .first()
    )
    if user is None:
        raise invalid(field, f"{username!r} is not a member of {organisation.name}")
    return user


def local(incident: Incident, at: datetime | None) -> str | None:
    return calendar_of(incident).local(at).isoformat() if at else None


def seconds(later: datetime | None, now: datetime) -> int | None:
    return int((later - now).total_seconds()) if later else None


def due_out(incident: Incident, due: DueAction) -> dict[str, Any]:
    return {
        "key": due.key,
        "kind": due.kind,
        "name": due.name,
        "due_at": due.due_at,
        "local": local(incident, due.due_at),
    }
