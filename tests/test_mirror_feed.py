"""The mirror feed on the server: signed answers, issued plans only, the cursor, and who may read it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contingency.core.models import ApiToken, Role, TokenScope
from contingency.core.tokens import create_token, revoke_token
from contingency.lib import keys
from contingency.mirror import signer, wire
from contingency.plans import editing
from contingency.plans.models import Plan, PlanIssue
from contingency.plans.validate import validate_data

from .web import HOME_ORG, OTHER_ORG, PACS, make_user

BASE = "/api/v1/mirror"
FEED = f"{BASE}/organisations/{HOME_ORG}/feed"
NONCE = "n" * 20
_COUNT = itertools.count(1)


@pytest.fixture(autouse=True)
def signing_key(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.CONTINGENCY_MIRROR_KEY_FILE = tmp_path / "key.pem"
    yield tmp_path / "key.pem"


def mirror_client(*roles: Role, organisation: str = HOME_ORG, **token: Any) -> Client:
    """A client sending a new user's mirror token (or another scope's) on every request."""
    user = make_user(f"laptop-{next(_COUNT)}", organisation, *roles)
    _, plain = create_token(user, "laptop", scope=token.pop("scope", TokenScope.MIRROR), **token)
    return Client(headers={"Authorization": f"Bearer {plain}"})


def signed(response: Any) -> dict[str, Any]:
    """The body, once its signature is checked against the server's public key."""
    assert response.status_code == 200, response.content
    keys.verify(signer.public_key(), response.content, response[wire.SIGNATURE_HEADER])
    assert response[wire.KEY_HEADER] == keys.fingerprint(signer.public_key())
    assert "no-store" in response["Cache-Control"]
    payload: dict[str, Any] = json.loads(response.content)
    return payload


def test_feed_lists_each_issued_plan_signed(demo_plans: list[object]) -> None:
    payload = signed(mirror_client(Role.VIEWER).get(FEED, {"nonce": NONCE}))
    assert payload["kind"] == wire.FEED and payload["nonce"] == NONCE and payload["changed"] is True
    assert payload["organisation"]["id"] == HOME_ORG
    [entry] = payload["plans"]
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    kept = PlanIssue.objects.get(plan=pacs, issue=pacs.issue)
    assert entry == {
        "key": PACS,
        "title": pacs.title,
        "issue": pacs.issue,
        "issueDate": kept.issue_date.isoformat(),
        "issuedAt": kept.issued_at.isoformat(),
        "summary": kept.summary,
        "sha256": wire.sha256_text(kept.text),
    }
    assert payload["cursor"] == wire.cursor_of([(PACS, pacs.issue, entry["sha256"])])


def test_the_current_cursor_means_nothing_changed(demo_plans: list[object]) -> None:
    client = mirror_client(Role.VIEWER)
    cursor = signed(client.get(FEED, {"nonce": NONCE}))["cursor"]
    unchanged = signed(client.get(FEED, {"nonce": NONCE, "since": cursor}))
    assert unchanged["changed"] is False and unchanged["plans"] == [] and unchanged["cursor"] == cursor
    assert signed(client.get(FEED, {"nonce": NONCE, "since": "0" * 64}))["changed"] is True


def test_a_draft_is_never_in_the_feed(demo_plans: list[object]) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    client = mirror_client(Role.VIEWER)
    before = signed(client.get(FEED, {"nonce": NONCE}))
    data = editing.plan_data(pacs)
    data["aim"] = "A draft nobody has approved."
    editing.save_document(validate_data(data), organisation=pacs.organisation, actor=None, via="test", plan=pacs)
    assert signed(client.get(FEED, {"nonce": NONCE}))["plans"] == before["plans"]
    issue = signed(client.get(f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}/issues/{pacs.issue}", {"nonce": NONCE}))
    assert "A draft nobody has approved." not in issue["text"]


def test_an_issue_as_issued(demo_plans: list[object]) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    url = f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}/issues/{pacs.issue}"
    payload = signed(mirror_client(Role.VIEWER).get(url, {"nonce": NONCE}))
    assert payload["kind"] == wire.PLAN and payload["organisation"] == HOME_ORG and payload["nonce"] == NONCE
    assert payload["text"] == PlanIssue.objects.get(plan=pacs, issue=pacs.issue).text
    assert payload["sha256"] == wire.sha256_text(payload["text"])
    missing = mirror_client(Role.VIEWER).get(url.replace(f"/{pacs.issue}", "/999"), {"nonce": NONCE})
    assert missing.status_code == 404 and "no issue 999" in missing.json()["detail"]


def test_organisations_of_the_token(demo_plans: list[object]) -> None:
    payload = signed(mirror_client(Role.VIEWER).get(f"{BASE}/organisations", {"nonce": NONCE}))
    assert payload["kind"] == wire.ORGANISATIONS
    assert [o["slug"] for o in payload["organisations"]] == [HOME_ORG]


@pytest.mark.parametrize("nonce", ["", "short", "n" * 129, "has space in it!!!"])
def test_a_request_needs_a_fresh_nonce(demo_plans: list[object], nonce: str) -> None:
    response = mirror_client(Role.VIEWER).get(FEED, {"nonce": nonce} if nonce else {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "query.nonce"


# ---------------------------------------------------------------- who may read it


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read_its_own_organisation(demo_plans: list[object], role: Role) -> None:
    signed(mirror_client(role).get(FEED, {"nonce": NONCE}))


def test_an_api_token_may_read_the_feed_too(api_as: Callable[..., Client]) -> None:
    signed(api_as("viewer").get(FEED, {"nonce": NONCE}))


def test_anonymous_outsider_and_sessions(demo_plans: list[object], member: Callable[..., Client]) -> None:
    assert Client().get(FEED, {"nonce": NONCE}).status_code == 401
    outsider = mirror_client(*Role, organisation=OTHER_ORG)
    for url in (FEED, f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}/issues/1"):
        response = outsider.get(url, {"nonce": NONCE})
        assert response.status_code == 404 and response.json() == {"detail": "No such organisation."}
    # The feed is for programs with a token; a signed-in browser has no business there.
    assert member("viewer").get(FEED, {"nonce": NONCE}).status_code == 401


def test_a_mirror_token_reads_nothing_else(demo_plans: list[object]) -> None:
    client = mirror_client(Role.ADMINISTRATOR)
    for url in ("/api/v1/organisations", f"/api/v1/organisations/{HOME_ORG}/plans/{PACS}"):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["detail"].startswith("This token is for a laptop copy")


def test_expired_and_revoked_tokens_say_why(demo_plans: list[object]) -> None:
    expired = mirror_client(Role.VIEWER, expires_at=timezone.now() - timedelta(minutes=1))
    response = expired.get(FEED, {"nonce": NONCE})
    assert response.status_code == 401
    assert response.json()["detail"].startswith("The API token is not valid: it expired on ")
    user = make_user("revoked-laptop", HOME_ORG, Role.VIEWER)
    token, plain = create_token(user, "laptop", scope=TokenScope.MIRROR)
    revoke_token(token)
    response = Client(headers={"Authorization": f"Bearer {plain}"}).get(FEED, {"nonce": NONCE})
    assert response.json()["detail"].startswith("The API token is not valid: it was revoked on ")
    assert ApiToken.objects.get(pk=token.pk).last_used_at is None


def test_an_unreadable_key_is_a_503_that_says_why(demo_plans: list[object], signing_key: Path) -> None:
    signing_key.write_text("not a key")
    response = mirror_client(Role.VIEWER).get(FEED, {"nonce": NONCE})
    assert response.status_code == 503
    assert "does not hold a PEM private key" in response.json()["detail"]


# ---------------------------------------------------------------- the key itself


def test_the_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "key.pem"
    first = keys.load_or_create(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert keys.public_text(keys.load_or_create(path)) == keys.public_text(first)
    public = keys.public_text(first)
    signature = keys.sign(first, b"the plan")
    keys.verify(public, b"the plan", signature)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(public, b"the plan!", signature)
    with pytest.raises(keys.SignatureInvalid):
        keys.verify(public, b"the plan", "***")


@pytest.mark.parametrize(
    ("text", "says"),
    [("rsa:abc", "expected ed25519:<key>"), ("ed25519:", "expected"), ("ed25519:c2hvcnQ", "32 bytes")],
)
def test_a_bad_public_key_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(keys.KeyUnusable, match=says):
        keys.parse_public(text)
