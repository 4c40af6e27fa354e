"""Signing in, the lock-out after five wrong passwords, session cookie flags, and log-in on every page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from contingency.core.models import Role

from .web import HOME_ORG, PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOCKED_TEXT = "Account locked for now"


@pytest.fixture
def users(db: None) -> None:
    # The demo's Northwick General: the organisation exists before anyone signs in.
    make_user("alice", HOME_ORG, Role.VIEWER)
    make_user("bob", HOME_ORG, Role.VIEWER)


def sign_in(client: Client, username: str, password: str) -> int:
    return client.post("/login/", {"username": username, "password": password}).status_code


def test_sign_in_works(users: None) -> None:
    client = Client()
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/account/").status_code == 200


def test_wrong_password_is_refused_with_a_message(users: None) -> None:
    response = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()


def test_five_failures_lock_the_username_even_for_the_right_password(users: None) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, "alice", "wrong") == 200
    fifth = client.post("/login/", {"username": "alice", "password": "wrong"})
    assert fifth.status_code in (403, 429)
    sixth = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert sixth.status_code in (403, 429)
    assert LOCKED_TEXT in sixth.content.decode()
    assert "_auth_user_id" not in client.session
    # Another username, from the same address, still signs in.
    other = Client()
    assert sign_in(other, "bob", PASSWORD) == 302
    assert other.get("/account/").status_code == 200


def test_success_resets_the_count(users: None) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "alice", "wrong")
    assert sign_in(client, "alice", PASSWORD) == 302
    fresh = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(fresh, "alice", "wrong") == 200


def test_session_cookie_flags(users: None) -> None:
    client = Client()
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/account/",
        "/account/password/",
        f"/o/{HOME_ORG}/",
        f"/o/{HOME_ORG}/members/",
        f"/o/{HOME_ORG}/audit/",
        f"/o/{HOME_ORG}/history/plan/pacs-bcdr/",
        "/o/no-such-org/members/",
    ],
)
def test_pages_send_anonymous_users_to_sign_in(db: None, url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_sign_in_page_is_public(db: None) -> None:
    response = Client().get("/login/")
    assert response.status_code == 200 and "<h1>Sign in</h1>" in response.content.decode()
