"""Members and roles (service and page), the account page and API tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from contingency.core import tokens
from contingency.core.membership import MembershipRefused, add_member, remove_member, roles_of, set_roles
from contingency.core.models import ApiToken, AuditEntry, Membership, Organisation, Role
from contingency.web.members.display import EMPTY, change_rows, day_bounds, readable, role_table

from .web import HOME_ORG, OTHER_ORG, PASSWORD, MemberFactory, client_for, make_user

pytestmark = pytest.mark.django_db

MEMBERS = f"/o/{HOME_ORG}/members/"


@pytest.fixture
def org(demo_plans: list[object]) -> Organisation:
    return Organisation.objects.get(slug=HOME_ORG)


@pytest.fixture
def admin(org: Organisation) -> User:
    return make_user("ada", HOME_ORG, Role.ADMINISTRATOR)


def entries(key: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="membership", object_key=key).order_by("id"))


# --- pure helpers ---------------------------------------------------------------------------------------------


def test_readable_values() -> None:
    assert readable(None) == EMPTY
    assert readable("plain") == "plain"
    assert readable({"a": [1, "é"]}) == '{"a": [1, "é"]}'


def test_role_lists_are_shown_whole_and_fields_by_path() -> None:
    rows = change_rows(["editor", "viewer"], ["viewer"])
    assert [(r.field, r.before, r.after) for r in rows] == [("(whole)", "editor, viewer", "viewer")]
    assert change_rows(["viewer"], ["viewer"]) == []
    rows = change_rows({"name": "A", "rto": [{"d": "4h"}]}, {"name": "A", "rto": [{"d": "2h"}]})
    assert [(r.field, r.before, r.after) for r in rows] == [("rto[0].d", "4h", "2h")]
    assert [(r.field, r.before, r.after) for r in change_rows(None, ["viewer"])] == [("(whole)", EMPTY, "viewer")]


def test_day_bounds_are_whole_days_in_the_zone() -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    since, until = day_bounds(date(2026, 7, 1), date(2026, 7, 1), ZoneInfo("Europe/London"))
    assert since is not None and until is not None
    assert since.isoformat() == "2026-07-01T00:00:00+01:00" and until.isoformat() == "2026-07-02T00:00:00+01:00"
    assert day_bounds(None, None, ZoneInfo("UTC")) == (None, None)


def test_role_table_follows_the_grants() -> None:
    table = {row.role: row.allowed for row in role_table()}
    # Columns: view, respond, edit, approve, administer.
    assert table["viewer"] == (True, False, False, False, False)
    assert table["editor"] == (True, True, True, False, False)
    assert table["approver"] == (True, True, False, True, False)
    assert table["administrator"] == (True, True, False, False, True)


# --- services ---------------------------------------------------------------------------------------------------


def test_add_existing_user_is_audited(org: Organisation, admin: User) -> None:
    bob = make_user("bob", OTHER_ORG, Role.VIEWER)
    add_member(org, username="bob", roles=["viewer", "editor", "viewer"], actor=admin)
    assert roles_of(bob, org) == ["editor", "viewer"]
    (entry,) = entries("bob")
    assert (entry.verb, entry.actor_name, entry.before, entry.after) == ("create", "ada", None, ["editor", "viewer"])
    assert entry.organisation == org


def test_add_refuses_unknown_user_and_existing_member(org: Organisation, admin: User) -> None:
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="nobody", roles=["viewer"], actor=admin)
    assert refused.value.errors == {"username": ["There is no user called 'nobody'."]}
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="ada", roles=["viewer"], actor=admin)
    assert "already a member" in refused.value.errors["username"][0]
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="ada", roles=[], actor=admin)
    assert refused.value.errors == {"roles": ["Choose at least one role."]}
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="ada", roles=["owner"], actor=admin)
    assert refused.value.errors == {"roles": ["Unknown role: owner."]}
    assert entries("nobody") == [] and entries("ada") == []


def test_new_user_password_policy(org: Organisation, admin: User) -> None:
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="carol", email="not-an-email", password="short", roles=["viewer"], actor=admin)
    assert refused.value.errors["email"] == ["Enter an email address, like name@example.org."]
    assert "This password is too short. It must contain at least 12 characters." in refused.value.errors["password"]
    assert not User.objects.filter(username="carol").exists()
    user = add_member(
        org, username="carol", email="carol@example.org", password=PASSWORD, roles=["responder"], actor=admin
    )
    assert user.check_password(PASSWORD) and user.email == "carol@example.org"
    assert entries("carol")[0].note == "new user"
    with pytest.raises(MembershipRefused) as refused:
        add_member(org, username="carol", email="c@example.org", password=PASSWORD, roles=["viewer"], actor=admin)
    assert "is taken" in refused.value.errors["username"][0]


def test_set_roles_audits_before_and_after(org: Organisation, admin: User) -> None:
    dan = make_user("dan", HOME_ORG, Role.VIEWER)
    set_roles(dan, org, ["editor", "approver"], actor=admin)
    assert roles_of(dan, org) == ["approver", "editor"]
    set_roles(dan, org, ["approver", "editor"], actor=admin)  # no change, no entry
    (entry,) = entries("dan")
    assert (entry.verb, entry.before, entry.after) == ("change", ["viewer"], ["approver", "editor"])


def test_last_administrator_is_kept(org: Organisation, admin: User) -> None:
    with pytest.raises(MembershipRefused) as refused:
        set_roles(admin, org, ["viewer"], actor=admin)
    assert refused.value.errors[""] == [
        f"You cannot take the administrator role from ada: they are the last administrator of {org.name}. "
        "Make someone else an administrator first."
    ]
    with pytest.raises(MembershipRefused, match="cannot remove ada: they are the last administrator"):
        remove_member(admin, org, actor=admin)
    assert roles_of(admin, org) == ["administrator"] and entries("ada") == []
    # With a second (active) administrator, the first may go.
    eve = make_user("eve", HOME_ORG, Role.ADMINISTRATOR)
    remove_member(admin, org, actor=eve)
    assert roles_of(admin, org) == []
    (entry,) = entries("ada")
    assert (entry.verb, entry.before, entry.after, entry.actor_name) == ("delete", ["administrator"], None, "eve")
    assert User.objects.filter(username="ada").exists()  # the account stays


def test_inactive_administrator_does_not_count(org: Organisation, admin: User) -> None:
    gone = make_user("gone", HOME_ORG, Role.ADMINISTRATOR)
    gone.is_active = False
    gone.save()
    with pytest.raises(MembershipRefused):
        remove_member(admin, org, actor=admin)


def test_demo_org_administrators_exist_only_via_fixture(org: Organisation) -> None:
    # The demo plans load no users: the tests here make the administrators they need.
    assert not Membership.objects.filter(organisation=org, role=Role.ADMINISTRATOR).exists()


# --- members page -------------------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_for(admin)


def test_members_page_lists_members_and_role_table(admin_client: Client) -> None:
    make_user("frank", HOME_ORG, Role.EDITOR, Role.VIEWER)
    page = admin_client.get(MEMBERS).content.decode()
    assert "<h1>Members of Northwick" in page
    assert 'id="member-frank"' in page
    assert "change plans, upload YAML, submit for approval" in page
    assert page.count("<h1") == 1


def test_add_member_by_form(admin_client: Client, org: Organisation) -> None:
    make_user("gina", None)
    response = admin_client.post(MEMBERS, {"action": "add", "add-username": "gina", "add-roles": ["viewer"]})
    assert response.status_code == 302 and response["Location"] == MEMBERS
    assert roles_of(User.objects.get(username="gina"), org) == ["viewer"]


def test_add_member_errors_beside_fields(admin_client: Client) -> None:
    response = admin_client.post(MEMBERS, {"action": "add", "add-username": "nobody", "add-roles": ["viewer"]})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="field-error" id="id_add-username-error">There is no user called &#x27;nobody&#x27;.</p>' in page
    assert 'class="error-summary"' in page
    response = admin_client.post(MEMBERS, {"action": "add", "add-username": "ada"})
    assert "Choose at least one role." in response.content.decode()
    response = admin_client.post(MEMBERS, {})
    assert response.status_code == 400
    assert "Nothing was changed: the form was not recognised." in response.content.decode()


def test_the_members_page_no_longer_sets_passwords(admin_client: Client, org: Organisation) -> None:
    form = {"action": "create", "new-username": "hal", "new-email": "hal@example.org", "new-roles": ["responder"]}
    response = admin_client.post(MEMBERS, {**form, "new-password": PASSWORD})
    assert response.status_code == 400  # not a form of this page any more: administrators invite by e-mail
    assert not User.objects.filter(username="hal").exists()
    assert 'name="invite-email"' in admin_client.get(MEMBERS).content.decode()


def test_change_roles_and_remove_by_form(admin_client: Client, org: Organisation) -> None:
    ivy = make_user("ivy", HOME_ORG, Role.VIEWER)
    response = admin_client.post(MEMBERS, {"action": "roles", "username": "ivy", "roles": ["approver", "viewer"]})
    assert response.status_code == 302
    assert roles_of(ivy, org) == ["approver", "viewer"]
    response = admin_client.post(MEMBERS, {"action": "remove", "username": "ivy"})
    assert response.status_code == 302
    assert roles_of(ivy, org) == []
    assert [e.verb for e in entries("ivy")] == ["change", "delete"]


def test_last_admin_refusal_is_shown_in_the_row(admin_client: Client, org: Organisation) -> None:
    response = admin_client.post(MEMBERS, {"action": "roles", "username": "ada", "roles": ["viewer"]})
    assert response.status_code == 400
    assert "they are the last administrator of" in response.content.decode()
    assert roles_of(User.objects.get(username="ada"), org) == ["administrator"]


def test_members_of_another_organisation_cannot_be_changed(admin_client: Client) -> None:
    outsider = make_user("jay", OTHER_ORG, Role.ADMINISTRATOR)
    response = admin_client.post(MEMBERS, {"action": "remove", "username": "jay"})
    assert response.status_code == 400
    assert Membership.objects.filter(user=outsider).count() == 1


def test_members_page_needs_administer(member: MemberFactory) -> None:
    assert member(Role.EDITOR).get(MEMBERS).status_code == 403
    assert member(Role.ADMINISTRATOR, organisation=OTHER_ORG).get(MEMBERS).status_code == 404


# --- account and tokens ---------------------------------------------------------------------------------------


def test_account_lists_memberships(member: MemberFactory) -> None:
    client = member(Role.EDITOR, Role.VIEWER)
    page = client.get("/account/").content.decode()
    assert "Northwick General" in page and "plan editor" in page
    assert "Clearview" not in page
    assert 'href="/account/password/"' in page


def test_token_shown_once_then_revoked(member: MemberFactory) -> None:
    client = member(Role.VIEWER)
    response = client.post("/account/tokens/", {"name": "nightly export"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    plain = re.search(r'value="(ctg_[^"]+)"', response.content.decode())
    assert plain is not None
    token = ApiToken.objects.get(name="nightly export")
    assert tokens.user_for_token(plain.group(1)) == token.user
    account = client.get("/account/").content.decode()
    assert plain.group(1) not in account and token.prefix in account and "nightly export" in account
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 302
    assert tokens.user_for_token(plain.group(1)) is None
    assert "revoked" in client.get("/account/").content.decode()
    verbs = list(AuditEntry.objects.filter(object_type="api-token").values_list("verb", flat=True).order_by("id"))
    assert verbs == ["create", "delete"]


def test_token_name_required(member: MemberFactory) -> None:
    response = member(Role.VIEWER).post("/account/tokens/", {"name": "  "})
    assert response.status_code == 400
    assert "Enter a name for the token" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_tokens_are_per_user(member: MemberFactory) -> None:
    owner, other = member(Role.VIEWER), member(Role.ADMINISTRATOR)
    owner.post("/account/tokens/", {"name": "mine"})
    token = ApiToken.objects.get()
    assert "mine" not in other.get("/account/").content.decode()
    assert other.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_password_change_applies_policy(member: MemberFactory) -> None:
    client = member(Role.VIEWER)
    weak = {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    response = client.post("/account/password/", weak)
    assert response.status_code == 200
    assert "This password is too short. It must contain at least 12 characters." in response.content.decode()
    new = "another long pass phrase 7"
    response = client.post("/account/password/", {**weak, "new_password1": new, "new_password2": new})
    assert response.status_code == 302 and response["Location"] == "/account/"
    user = User.objects.get(username="viewer-1")
    assert user.check_password(new)
    assert AuditEntry.objects.filter(object_type="user", object_key="viewer-1", note="password changed").exists()


def test_a_laptop_copy_token_expires_reads_only_the_feed_and_says_how_to_set_up(
    member: MemberFactory, settings: Any, tmp_path: Path
) -> None:
    settings.CONTINGENCY_MIRROR_KEY_FILE = tmp_path / "key.pem"
    client = member(Role.VIEWER)
    response = client.post("/account/tokens/", {"name": "control room laptop", "scope": "mirror", "days": "30"})
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get(name="control room laptop")
    assert token.scope == "mirror" and token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    from contingency.mirror.signer import public_key

    assert f"--server-key {public_key()} --every 15m" in page
    assert "laptop copy, until" in client.get("/account/").content.decode()
    refused = client.post("/account/tokens/", {"name": "too long", "scope": "mirror", "days": "400"})
    assert refused.status_code == 400 and "At most 366 days" in refused.content.decode()
    assert client.post("/account/tokens/", {"name": "odd", "scope": "root"}).status_code == 400
