"""Entries about people (memberships, passwords, tokens, lock-outs) are for administrators only, everywhere.

A viewer could read them from the API with `?key=<username>` (memberships and password changes are keyed
by username) and from the plan history page, which matched `<key>/...` and so a token's `<username>/<prefix>`.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from contingency.core import audit
from contingency.core.membership import add_member
from contingency.core.models import AuditEntry, Organisation, Role
from contingency.core.tokens import create_token

from .web import HOME_ORG, PACS, MemberFactory, client_for, make_user

pytestmark = pytest.mark.django_db
AUDIT_API = f"/api/v1/organisations/{HOME_ORG}/audit"


@pytest.fixture
def people(demo_plans: list[object]) -> User:
    """`nurse`, added by an administrator, with a token, a password change and a lock-out lifted."""
    organisation = Organisation.objects.get(slug=HOME_ORG)
    admin = make_user("ada", HOME_ORG, Role.ADMINISTRATOR)
    nurse = add_member(
        organisation, username="nurse", roles=[Role.VIEWER], actor=admin, email="nurse@example.org",
        password="a long test password 2",
    )  # fmt: skip
    create_token(nurse, "laptop")
    for object_type in (audit.USER, audit.LOCK_OUT):
        audit.record(organisation=organisation, actor=admin, verb="change", object_type=object_type, object_key="nurse")
    return nurse


def api(username: str, *roles: Role) -> Client:
    _, plain = create_token(make_user(username, HOME_ORG, *roles), "test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def types(response: object) -> set[str]:
    return {entry["objectType"] for entry in response.json()}  # type: ignore[attr-defined]


def test_private_types_are_decided_in_one_place() -> None:
    assert {"membership", "user", "api-token", "lock-out"} == audit.PRIVATE_TYPES


def test_api_shows_a_viewer_nothing_about_people_by_username(people: User) -> None:
    viewer = api("viewer-1", Role.VIEWER)
    response = viewer.get(AUDIT_API, {"key": "nurse"})
    assert response.status_code == 200 and response.json() == []
    token_key = AuditEntry.objects.get(object_type=audit.API_TOKEN, object_key__startswith="nurse/").object_key
    assert viewer.get(AUDIT_API, {"key": token_key}).json() == []
    for object_type in sorted(audit.PRIVATE_TYPES):
        refused = viewer.get(AUDIT_API, {"key": "nurse", "object_type": object_type})
        assert refused.status_code == 403, object_type
    admin = api("admin-1", Role.ADMINISTRATOR)
    assert types(admin.get(AUDIT_API, {"key": "nurse"})) == {"membership", "user", "lock-out"}
    assert types(admin.get(AUDIT_API, {"key": token_key})) == {"api-token"}


def test_history_page_never_matches_a_token_by_prefix(people: User, member: MemberFactory) -> None:
    for client in (member(Role.VIEWER), client_for(User.objects.get(username="ada"))):
        response = client.get(f"/o/{HOME_ORG}/history/plan/nurse/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "0 recorded changes" in page and "laptop" not in page and "nurse/ctg_" not in page


@pytest.mark.parametrize("object_type", sorted(audit.PRIVATE_TYPES))
def test_history_of_people_is_for_administrators(people: User, member: MemberFactory, object_type: str) -> None:
    url = f"/o/{HOME_ORG}/history/{object_type}/nurse/"
    assert member(Role.VIEWER, Role.EDITOR, Role.APPROVER).get(url).status_code == 403
    assert client_for(User.objects.get(username="ada")).get(url).status_code == 200


def test_a_plans_history_still_has_its_parts_but_nothing_private(people: User, member: MemberFactory) -> None:
    organisation = Organisation.objects.get(slug=HOME_ORG)
    audit.record(
        organisation=organisation, actor=None, verb="change", object_type="functions", object_key=f"{PACS}/functions/x"
    )
    audit.record(
        organisation=organisation,
        actor=None,
        verb="create",
        object_type=audit.API_TOKEN,
        object_key=f"{PACS}/ctg_secret",
    )
    page = member(Role.VIEWER).get(f"/o/{HOME_ORG}/history/plan/{PACS}/").content.decode()
    assert f"{PACS}/functions/x" in page and "ctg_secret" not in page


def test_a_viewer_still_reads_a_plans_own_history_from_the_api(people: User) -> None:
    organisation = Organisation.objects.get(slug=HOME_ORG)
    audit.record(organisation=organisation, actor=None, verb="change", object_type="plan", object_key=PACS)
    assert types(api("viewer-2", Role.VIEWER).get(AUDIT_API, {"key": PACS})) == {"plan"}
