"""Who may call what: exactly the pages' rules (core.access), answered in JSON.

An organisation the caller does not belong to is 404, like one that does not exist, so the
API never confirms another organisation's slug or plans; a member without the capability gets 403.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError

from contingency.core.access import capabilities
from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.plans.models import Plan

from .auth import caller

NO_ORGANISATION = "No such organisation."


def organisation_for(request: HttpRequest, slug: str, needs: Capability) -> Organisation:
    organisation = Organisation.objects.filter(slug=slug).first()
    granted = capabilities(caller(request), organisation) if organisation else frozenset()
    if organisation is None or not granted:
        raise HttpError(404, NO_ORGANISATION)
    if needs not in granted:
        raise HttpError(403, refusal(needs, organisation.name))
    return organisation


def plan_for(request: HttpRequest, slug: str, key: str, needs: Capability) -> Plan:
    organisation = organisation_for(request, slug, needs)
    plan = Plan.objects.filter(organisation=organisation, key=key).first()
    if plan is None:
        raise HttpError(404, f"There is no plan {key!r} in {organisation.name}.")
    return plan


def refusal(needs: Capability, organisation: str) -> str:
    return f"This needs the {needs.value} permission in {organisation}."


def audit_needs(key: str | None) -> Capability:
    """The whole audit log is for administrators; one object's history is for anyone who may view it."""
    return Capability.VIEW if key else Capability.ADMINISTER
