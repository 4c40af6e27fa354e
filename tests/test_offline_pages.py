"""What the phone's service worker relies on: the worker at the site root, the manifest, the pages marked for
keeping, each page's viewer named (opaquely), and the contacts page. (In Chromium: tests/browser/test_offline.py.)"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.test import Client

from contingency.web.middleware import CONTENT_SECURITY_POLICY
from contingency.web.offline import OWNER_HEADER, SAVE_HEADER

from .web import HOME_ORG, PACS

NOW = f"/o/{HOME_ORG}/plans/{PACS}/functions/image-reporting/now/"
CONTACTS = f"/o/{HOME_ORG}/contacts/"


def test_the_worker_is_served_from_the_root_for_every_page(db: None) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert 'const PAGES = "contingency-pages-v1"' in body and "Saved copy from" in body
    assert Client().post("/sw.js").status_code == 405


def test_the_manifest_starts_at_the_root(db: None) -> None:
    response = Client().get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["scope"] == "/" and data["start_url"] == "/"
    assert Client().get(data["icons"][0]["src"]).status_code == 200


def test_only_the_what_to_do_and_contacts_pages_are_kept(member: Callable[..., Client]) -> None:
    viewer = member("viewer")
    for url in (NOW, CONTACTS):
        response = viewer.get(url)
        assert response.status_code == 200 and response[SAVE_HEADER] == "save", url
        # No HTTP cache may keep them: the service worker keeps them, deliberately, in a cache of its own.
        assert "no-store" in response["Cache-Control"], url
    for url in (f"/o/{HOME_ORG}/", f"/o/{HOME_ORG}/plans/{PACS}/", f"/o/{HOME_ORG}/incidents/", "/account/"):
        response = viewer.get(url)
        assert SAVE_HEADER not in response, url
    # An outsider's refusal is not kept either.
    assert SAVE_HEADER not in member("viewer", organisation="clearview-eyecare").get(NOW)


def test_every_page_names_its_viewer_opaquely(member: Callable[..., Client], demo_plans: list[object]) -> None:
    first, second = member("viewer"), member("viewer")
    owner = first.get(NOW)[OWNER_HEADER]
    assert owner == first.get(CONTACTS)[OWNER_HEADER] == first.get(f"/o/{HOME_ORG}/")[OWNER_HEADER]
    assert owner != second.get(NOW)[OWNER_HEADER] and owner != "anonymous"
    assert len(owner) == 32 and not owner.isdigit()
    assert Client().get("/login/")[OWNER_HEADER] == "anonymous"
    assert OWNER_HEADER not in Client().get("/sw.js")  # not a page


def test_the_pages_load_the_worker_and_keep_the_policy_strict(member: Callable[..., Client]) -> None:
    response = member("viewer").get(NOW)
    html = response.content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'src="/static/js/offline.js"' in html
    assert '<p id="saved-copy" class="saved-copy" hidden></p>' in html
    assert 'data-zone="Europe/London"' in html
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY.split("script-src")[1].split(";")[0]


def test_the_contacts_page_lists_every_plans_directory(member: Callable[..., Client]) -> None:
    html = member("viewer").get(CONTACTS).content.decode()
    assert "<h1>Contacts</h1>" in html
    assert 'id="plan-pacs-bcdr"' in html and "People" in html and 'href="tel:' in html
    assert "eye-care" not in html  # the other organisation's plan
