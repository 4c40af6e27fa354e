"""Memberships from the database: which organisations a user belongs to, and what they may do there."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

from .models import Membership, Organisation
from .permissions import Capability, capabilities_of

AnyUser = AbstractBaseUser | AnonymousUser


def capabilities(user: AnyUser, organisation: Organisation) -> frozenset[Capability]:
    """What `user` may do in `organisation`: nothing unless they are an active member."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    roles = Membership.objects.filter(user_id=user.pk, organisation=organisation).values_list("role", flat=True)
    return capabilities_of(roles)


def organisations_of(user: AnyUser) -> list[Organisation]:
    """The organisations `user` is a member of, by name."""
    if not user.is_authenticated or not user.is_active:
        return []
    return list(Organisation.objects.filter(memberships__user_id=user.pk).distinct().order_by("name"))


def roles_in(user: AnyUser, organisation: Organisation) -> list[str]:
    if not user.is_authenticated:
        return []
    return sorted(Membership.objects.filter(user_id=user.pk, organisation=organisation).values_list("role", flat=True))
