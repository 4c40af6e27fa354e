"""Wrong passwords slow one username at one address down; they never lock people out of addresses they use.

25 unauthenticated requests (five wrong passwords for each of five usernames) locked the whole on-call
team out for 15 minutes, repeatably, during an incident. Now each username and address pair waits longer
after each wrong password past the fifth; the per-username lock-out remains, but not at an address the
user has signed in from lately; administrators see the locks on the Members page and lift them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from contingency.core import audit, signin
from contingency.core.models import AuditEntry, Organisation, Role, SignInThrottle

from .web import HOME_ORG, OTHER_ORG, PASSWORD, client_for, make_user

pytestmark = pytest.mark.django_db
WARD = "10.1.1.1"  # the hospital's NAT address, where the team signs in every day
ATTACKER = "203.0.113.9"
HOME = "198.51.100.7"  # a laptop at home: never signed in from
TEAM = ["alice", "bob", "carol", "dev", "erin"]
START = datetime(2027, 3, 10, 2, 0, tzinfo=ZoneInfo("Europe/London"))
MEMBERS = f"/o/{HOME_ORG}/members/"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def team(db: None, clock: time_machine.Traveller) -> list[str]:
    """Five members of the demo's Northwick General who signed in at the ward yesterday, and signed out."""
    make_user("ada", HOME_ORG, Role.ADMINISTRATOR)
    clock.move_to(START - timedelta(days=1))
    for username in TEAM:
        make_user(username, HOME_ORG, Role.RESPONDER)
        assert sign_in(username, PASSWORD, WARD) == 302
    clock.move_to(START)
    return TEAM


def sign_in(username: str, password: str, address: str) -> int:
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password}).status_code


def said(username: str, password: str, address: str) -> str:
    return str(Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password}).content)


def attack(usernames: list[str], address: str = ATTACKER) -> None:
    for username in usernames:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(username, "guess", address)


# ---------------------------------------------------------------- pure


def test_the_delay_grows_after_five_wrong_passwords_up_to_five_minutes() -> None:
    assert [signin.delay_after(n).total_seconds() for n in range(1, 14)] == [
        0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 300,
    ]  # fmt: skip
    assert signin.delay_after(1000) == timedelta(minutes=5)


def test_the_address_behind_trusted_proxies_is_counted_from_the_right() -> None:
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 198.51.100.7"}
    assert signin.address_of(meta, 0) == "10.0.0.2"
    assert signin.address_of(meta, 1) == "198.51.100.7"  # what the proxy saw; the client wrote 6.6.6.6
    assert signin.address_of({"REMOTE_ADDR": "10.0.0.2"}, 1) == "10.0.0.2"


# ---------------------------------------------------------------- the attack


def test_25_wrong_passwords_from_elsewhere_do_not_lock_the_team_out_of_the_ward(team: list[str]) -> None:
    attack(team)
    for username in team:
        assert sign_in(username, PASSWORD, WARD) == 302, username
    # Repeatably: the attacker's addresses and the lock-out of other addresses change nothing at the ward.
    attack(team, "203.0.113.10")
    assert sign_in("alice", PASSWORD, WARD) == 302


def test_the_per_username_lock_out_remains_for_addresses_never_used(team: list[str]) -> None:
    attack(["alice"])
    response = Client(REMOTE_ADDR=HOME).post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code in (403, 429) and "Account locked for now" in response.content.decode()
    assert sign_in("bob", PASSWORD, HOME) == 302  # another username is not locked


def test_wrong_passwords_at_a_known_address_slow_down_rather_than_lock(
    team: list[str], clock: time_machine.Traveller
) -> None:
    for _ in range(5):
        assert sign_in("bob", "typo", WARD) == 200
    # The sixth try is refused before the password is checked, even the right one, with how long to wait.
    response = Client(REMOTE_ADDR=WARD).post("/login/", {"username": "bob", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many wrong passwords for bob from here: try again in 2 seconds." in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session
    # Refusals are not failures: the wait does not grow while bob waits.
    assert SignInThrottle.objects.get(username="bob", address=WARD).failures == 5
    clock.shift(2)
    assert sign_in("bob", "typo", WARD) == 200  # the sixth wrong password: now four seconds
    clock.shift(3)
    assert "try again in 1 second." in said("bob", PASSWORD, WARD)
    clock.shift(1)
    assert sign_in("bob", PASSWORD, WARD) == 302  # never locked out, and the count starts again
    assert not SignInThrottle.objects.filter(username="bob").exists()
    # Another address is not slowed by bob's typing at the ward.
    assert sign_in("carol", PASSWORD, WARD) == 302


def test_the_admin_site_sign_in_is_slowed_down_too(team: list[str]) -> None:
    User.objects.filter(username="bob").update(is_staff=True)
    for _ in range(5):
        Client(REMOTE_ADDR=WARD).post("/admin/login/", {"username": "bob", "password": "typo"})
    page = Client(REMOTE_ADDR=WARD).post("/admin/login/", {"username": "bob", "password": PASSWORD})
    assert "try again in 2 seconds" in page.content.decode()


# ---------------------------------------------------------------- administrators


def test_administrators_see_and_lift_locks_on_the_members_page(team: list[str]) -> None:
    attack(["alice"])
    for _ in range(6):
        sign_in("bob", "typo", WARD)  # the sixth is refused unchecked: not a wrong password
    make_user("outsider", OTHER_ORG, Role.RESPONDER)
    attack(["outsider"])
    admin = client_for(User.objects.get(username="ada"))
    page = admin.get(MEMBERS).content.decode()
    assert '<h2 id="locks-heading">Locked out now</h2>' in page
    assert "Locked out after 5 wrong passwords from addresses alice has not signed in from lately" in page
    assert f"Slowed down after 5 wrong passwords from {WARD}" in page
    assert "outsider" not in page  # another organisation's member
    response = admin.post(MEMBERS, {"action": "unlock", "username": "alice"})
    assert response.status_code == 302
    assert sign_in("alice", PASSWORD, HOME) == 302
    entry = AuditEntry.objects.get(object_type=audit.LOCK_OUT, object_key="alice")
    assert entry.actor_name == "ada" and entry.verb == "delete" and entry.note == "lock-out lifted"
    assert entry.before == [
        {"kind": "slowed", "failures": 5, "until": (START + timedelta(seconds=2)).isoformat(), "address": ATTACKER},
        {"kind": "locked", "failures": 5, "until": (START + timedelta(minutes=15)).isoformat(), "address": ""},
    ]
    assert admin.post(MEMBERS, {"action": "unlock", "username": "bob"}).status_code == 302
    assert sign_in("bob", PASSWORD, WARD) == 302


def test_only_members_locks_can_be_lifted_and_only_by_administrators(team: list[str]) -> None:
    make_user("outsider", OTHER_ORG, Role.RESPONDER)
    attack(["outsider"])
    admin = client_for(User.objects.get(username="ada"))
    refused = admin.post(MEMBERS, {"action": "unlock", "username": "outsider"})
    assert refused.status_code == 400
    name = Organisation.objects.get(slug=HOME_ORG).name
    assert f"Nothing was changed: &#x27;outsider&#x27; is not a member of {name}." in refused.content.decode()
    assert admin.post(MEMBERS, {"action": "unlock", "username": "carol"}).status_code == 400  # nothing to lift
    responder = client_for(User.objects.get(username="carol"))
    attack(["alice"])
    assert responder.post(MEMBERS, {"action": "unlock", "username": "alice"}).status_code == 403
    assert not AuditEntry.objects.filter(object_type=audit.LOCK_OUT).exists()


def test_behind_a_proxy_each_client_is_told_apart(team: list[str], settings: object) -> None:
    settings.CONTINGENCY_TRUSTED_PROXIES = 1  # type: ignore[attr-defined]
    proxy = "10.0.0.2"

    def through_proxy(username: str, password: str, client_address: str) -> int:
        client = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=client_address)
        return client.post("/login/", {"username": username, "password": password}).status_code

    assert through_proxy("alice", PASSWORD, WARD) == 302
    for _ in range(settings.AXES_FAILURE_LIMIT):  # type: ignore[attr-defined]
        through_proxy("alice", "guess", ATTACKER)
    assert through_proxy("alice", PASSWORD, HOME) in (403, 429)  # not the proxy's address: locked here
    assert through_proxy("alice", PASSWORD, WARD) == 302
