"""Page access: log-in, organisation membership and role, checked before every organisation page.

A page of an organisation the user does not belong to answers 404, exactly as a page that
does not exist, so nobody learns another organisation's plans or even its id. A member
without the needed capability gets 403 with a plain explanation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from contingency.core.models import Membership, Organisation
from contingency.core.permissions import Capability, capabilities_of
from contingency.plans.models import Plan

P = ParamSpec("P")


@dataclass(frozen=True)
class OrgContext:
    """The organisation a page is about, and what the signed-in user may do there."""

    organisation: Organisation
    capabilities: frozenset[Capability]
    roles: tuple[str, ...]

    def can(self, capability: Capability | str) -> bool:
        return Capability(capability) in self.capabilities

    @property
    def can_edit(self) -> bool:
        return Capability.EDIT in self.capabilities

    @property
    def can_approve(self) -> bool:
        return Capability.APPROVE in self.capabilities

    @property
    def can_respond(self) -> bool:
        return Capability.RESPOND in self.capabilities

    @property
    def can_administer(self) -> bool:
        return Capability.ADMINISTER in self.capabilities

    def plan(self, key: str, *, only: tuple[str, ...] = ()) -> Plan:
        """A plan of this organisation, or 404; `only` these columns, for a page that reads no others."""
        plans = Plan.objects.filter(organisation=self.organisation, key=key)
        found = get_object_or_404(plans.only(*only) if only else plans)
        found.organisation = self.organisation
        return found

    def editable_plan(self, key: str) -> Plan:
        """A plan of this organisation that may be changed here: 404, or 403 for a read-only laptop copy."""
        plan = self.plan(key)
        if plan.read_only_reason:
            raise PermissionDenied(plan.read_only_reason)
        return plan


OrgView = Callable[Concatenate[HttpRequest, OrgContext, P], HttpResponse]


def org_page(needs: Capability) -> Callable[[OrgView[P]], Callable[..., HttpResponse]]:
    """Decorate `view(request, ctx, **kwargs)`; the URL supplies `org` (the organisation's slug)."""

    def decorate(view: OrgView[P]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            ctx = org_context(request, org)
            if needs not in ctx.capabilities:
                raise PermissionDenied(f"This needs the {needs.value} permission in {ctx.organisation.name}.")
            return view(request, ctx, *args, **kwargs)

        return wrapper

    return decorate


def org_context(request: HttpRequest, slug: str) -> OrgContext:
    """The context for `slug`, or 404 when the user is not a member (the organisation stays hidden)."""
    user = request.user
    # The user's roles there, each with the organisation: one query for both.
    memberships = (
        list(Membership.objects.filter(user_id=user.pk, organisation__slug=slug).select_related("organisation"))
        if user.is_authenticated and user.is_active
        else []
    )
    roles = sorted(m.role for m in memberships)
    granted = capabilities_of(roles)
    if not granted:
        raise Http404("No such page.")
    return OrgContext(memberships[0].organisation, granted, tuple(roles))
