"""Shared set-up for page and API tests: the demo plans loaded, and a signed-in member per role.

Two organisations, as the demo has them: Northwick General (the PACS plan) and Clearview
Eyecare (the eye-care plan). `member(role)` signs in a fresh user holding that one role in
Northwick; `outsider` is an editor of Clearview only, to prove nothing leaks across.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.test import Client

from contingency import demo
from contingency.core.models import Membership, Organisation, Role
from contingency.plans.files import collect, load_all
from contingency.plans.models import Plan

from .conftest import DEMO_PLANS

PASSWORD = "a long test password 1"
HOME_ORG = "northwick-general"
OTHER_ORG = "clearview-eyecare"
PACS = "pacs-bcdr"
EYE = "eye-care-data"


def load_demo() -> list[Plan]:
    """The demo plans, issued: those already in the database, or else read from demo/plans/ and loaded."""
    present = list(Plan.objects.filter(organisation__slug__in=(HOME_ORG, OTHER_ORG)).order_by("pk"))
    if len(present) == 2:
        return present
    files, problems = collect([str(DEMO_PLANS)])
    loaded, found = load_all(files)
    assert not problems and not found
    return demo.load_plans(loaded)


def make_user(username: str, organisation: str | None, *roles: Role) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", PASSWORD)
    if organisation is not None:
        org = Organisation.objects.get(slug=organisation)
        for role in roles:
            Membership.objects.create(user=user, organisation=org, role=role)
    return user


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


MemberFactory = Callable[..., Client]
