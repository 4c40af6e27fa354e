"""An incident's roles: the lead and deputy, requests to lead and their answers.

The same services as the Lead page (incidents.leads): respond to ask; only the lead or an
administrator changes a role or answers a request, else 409 with the reason.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.core.permissions import Capability
from contingency.incidents import leads
from contingency.incidents.models import Incident, LeadRequest

from . import incident_schemas as i
from .auth import caller
from .incident_access import CHANGED, INCIDENT, LARGEST, incident_for, member_named
from .plans import DENIED

router = Router(by_alias=True)
ROLES = INCIDENT + "/roles"


def request_out(found: LeadRequest) -> dict[str, Any]:
    return {
        "id": found.pk,
        "at": found.at,
        "by": found.by_name,
        "note": found.note,
        "state": found.state,
        "decided_at": found.decided_at,
        "decided_by": found.decided_by_name,
        "answer": found.answer,
    }


def roles_out(incident: Incident) -> dict[str, Any]:
    incident = Incident.objects.select_related("lead", "deputy").defer("snapshot").get(pk=incident.pk)
    return {
        "lead": incident.lead.get_username() if incident.lead else None,
        "lead_name": incident.lead_name,
        "deputy": incident.deputy.get_username() if incident.deputy else None,
        "deputy_name": incident.deputy_name,
        "requests": [request_out(r) for r in LeadRequest.objects.filter(incident=incident).order_by("at", "id")],
    }


@router.get(ROLES, response={200: i.Roles, **DENIED}, url_name="incident-roles")
def get_roles(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """Who leads and deputises (a member's username, and the name shown), and the requests to lead."""
    return roles_out(incident_for(request, org, number, Capability.VIEW))


def _change(request: HttpRequest, org: str, number: int, body: i.RoleIn, which: leads.Which) -> dict[str, Any]:
    incident = incident_for(request, org, number, Capability.RESPOND)
    to = member_named(incident.organisation, body.to, "to") if body.to else None
    leads.change(
        incident=incident,
        actor=caller(request),
        which=which,
        to_user_id=to.pk if to else None,
        to_name=body.to_name,
        note_text=body.note,
        via="api",
    )
    return roles_out(incident)


@router.put(ROLES + "/lead", response={200: i.Roles, **CHANGED}, url_name="incident-roles-lead")
def put_lead(request: HttpRequest, org: str, number: int, body: i.RoleIn) -> dict[str, Any]:
    """Hand the lead to a member (`to`) or a named person (`toName`): the lead or an administrator only."""
    return _change(request, org, number, body, "lead")


@router.put(ROLES + "/deputy", response={200: i.Roles, **CHANGED}, url_name="incident-roles-deputy")
def put_deputy(request: HttpRequest, org: str, number: int, body: i.RoleIn) -> dict[str, Any]:
    """Make a member (`to`) or a named person (`toName`) the deputy: the lead or an administrator only."""
    return _change(request, org, number, body, "deputy")


@router.post(ROLES + "/requests", response={201: i.LeadRequestOut, **CHANGED}, url_name="incident-roles-requests")
def ask(request: HttpRequest, org: str, number: int, body: i.AskLeadIn) -> Status[dict[str, Any]]:
    """Ask to be lead; the lead accepts or declines. Granted at once while no member holds the lead."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    asked = leads.ask(incident=incident, actor=caller(request), note_text=body.note, via="api")
    return Status(201, request_out(asked))


def _answer(request: HttpRequest, org: str, number: int, pk: int, accept: bool, answer: str) -> dict[str, Any]:
    incident = incident_for(request, org, number, Capability.RESPOND)
    found = LeadRequest.objects.filter(incident=incident, pk=pk).first() if 0 < pk <= LARGEST else None
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no request to lead {pk}.")
    done = leads.decide(lead_request=found, actor=caller(request), accept=accept, answer=answer, via="api")
    return request_out(done)


@router.post(
    ROLES + "/requests/{pk}/accept", response={200: i.LeadRequestOut, **CHANGED}, url_name="incident-roles-accept"
)
def accept(request: HttpRequest, org: str, number: int, pk: int) -> dict[str, Any]:
    """Accept a request to lead: the asker becomes the incident lead (the lead or an administrator only)."""
    return _answer(request, org, number, pk, True, "")


@router.post(
    ROLES + "/requests/{pk}/decline", response={200: i.LeadRequestOut, **CHANGED}, url_name="incident-roles-decline"
)
def decline(request: HttpRequest, org: str, number: int, pk: int, body: i.AnswerLeadIn) -> dict[str, Any]:
    """Decline a request to lead, with a reason if you like (the lead or an administrator only)."""
    return _answer(request, org, number, pk, False, body.answer)
