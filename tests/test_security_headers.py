"""HTTPS behind a proxy (HSTS, the forwarded protocol) and no caching of what a signed-in user sees.

Signed-in pages carry staff mobile numbers: `Cache-Control: private, no-store` keeps them out of shared
caches and a shared computer's disk cache. With SECURE_COOKIES=true the site is served over HTTPS by a
TLS-terminating proxy: Django trusts its X-Forwarded-Proto and sends Strict-Transport-Security.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from contingency.core.models import Role
from contingency.core.tokens import create_token
from contingency.lib.signing import make_token
from contingency.plans.models import CopyHolder, Plan

from .web import HOME_ORG, PACS, MemberFactory, make_user

pytestmark = pytest.mark.django_db


def directives(response: object) -> set[str]:
    value = response["Cache-Control"]  # type: ignore[index]
    return {part.strip() for part in str(value).split(",")}


@pytest.mark.parametrize(
    "url",
    ["/account/", f"/o/{HOME_ORG}/", f"/o/{HOME_ORG}/plans/{PACS}/", f"/o/{HOME_ORG}/plans/{PACS}/download/"],
)
def test_everything_a_signed_in_user_sees_is_private_and_not_stored(member: MemberFactory, url: str) -> None:
    response = member("viewer").get(url)
    assert response.status_code in (200, 302, 404)
    assert {"private", "no-store"} <= directives(response)


def test_api_answers_to_a_token_are_private_and_not_stored(demo_plans: list[object]) -> None:
    _, plain = create_token(make_user("api-viewer", HOME_ORG, Role.VIEWER), "test")
    response = Client(headers={"Authorization": f"Bearer {plain}"}).get(
        f"/api/v1/organisations/{HOME_ORG}/plans/{PACS}"
    )
    assert response.status_code == 200
    assert {"private", "no-store"} <= directives(response)


def test_signed_acknowledgement_pages_are_private_and_not_stored(demo_plans: list[object]) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    holder = CopyHolder.objects.filter(plan=plan).first()
    assert holder is not None
    token = make_token(plan_id=plan.pk, issue=plan.issue, copy_number=holder.copy_number)
    page = Client().get(reverse("holder-ack", kwargs={"org": HOME_ORG, "token": token}))
    assert page.status_code == 200 and {"private", "no-store"} <= directives(page)
    assert {"private", "no-store"} <= directives(Client().get("/ack/not-a-real-link/"))


def headers_with(tmp_path: Path, **env: str) -> dict[str, object]:
    """The HSTS header of the sign-in page over HTTPS and over HTTP, with these settings in a fresh process."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECURE_COOKIES", "HSTS_SECONDS"}}
    environment.update(CONTINGENCY_DATA_DIR=str(tmp_path), ALLOWED_HOSTS="testserver", **env)
    script = (
        "import django, json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'contingency.settings'; django.setup();"
        "from django.test import Client;"
        "https = Client().get('/login/', headers={'X-Forwarded-Proto': 'https'});"
        "http = Client().get('/login/');"
        "print(json.dumps({'https': https.headers.get('Strict-Transport-Security'),"
        " 'http': http.headers.get('Strict-Transport-Security'), 'secure': https.wsgi_request.is_secure()}))"
    )
    done = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_secure_cookies_turn_on_hsts_and_trust_the_proxys_protocol(tmp_path: Path) -> None:
    assert headers_with(tmp_path, SECURE_COOKIES="true") == {
        "https": "max-age=31536000",
        "http": None,
        "secure": True,
    }
    assert headers_with(tmp_path, SECURE_COOKIES="true", HSTS_SECONDS="600")["https"] == "max-age=600"
    # On a laptop over plain HTTP, a client's X-Forwarded-Proto is not believed and there is no HSTS.
    assert headers_with(tmp_path) == {"https": None, "http": None, "secure": False}


def test_deploy_check_warns_when_the_proxy_hides_client_addresses(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "TRUSTED_PROXIES"}}
    environment.update(CONTINGENCY_DATA_DIR=str(tmp_path), SECURE_COOKIES="true")
    command = [sys.executable, "-m", "contingency.cli", "manage", "check", "--deploy"]
    warned = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert "contingency.W004" in warned.stderr + warned.stdout
    environment["TRUSTED_PROXIES"] = "1"
    quiet = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    assert "contingency.W004" not in quiet.stderr + quiet.stdout
