"""The phone's saved copies: the service worker, the web app manifest, and which pages it may keep.

The service worker (static/js/offline-sw.js) is served from the site root so that its scope covers
every page. It keeps only the pages a view marks with `Contingency-Offline: save` (the "what do I
do" pages and the contact directory), only when fetched for the signed-in user, and shows a kept
page only when the network fails - marked "saved copy from <time>". Every page names its viewer
with an opaque `Contingency-Offline-Owner` (never the user's id), so the worker forgets the saved
pages as soon as a page is answered for somebody else, or for nobody (signed out).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET, require_safe

SAVE_HEADER = "Contingency-Offline"
OWNER_HEADER = "Contingency-Offline-Owner"
ANONYMOUS = "anonymous"
WORKER = Path(settings.BASE_DIR) / "static" / "js" / "offline-sw.js"


def save_offline(response: HttpResponse) -> HttpResponse:
    """Let the service worker keep this page for its viewer (a GET page of the signed-in user)."""
    response[SAVE_HEADER] = "save"
    return response


def owner_of(request: HttpRequest) -> str:
    """Who a page was made for, as the service worker compares it: opaque, stable for one user."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    return salted_hmac("contingency.offline-owner", str(user.pk)).hexdigest()[:32]


@functools.cache
def _worker_script() -> bytes:
    return WORKER.read_bytes()


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_worker_script(), content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"  # a new version of the worker is picked up at once
    return response


@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    data = {
        "name": "Contingency",
        "short_name": "Contingency",
        "description": "What to do when a system is down, and whom to ring - saved on this phone.",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#004b87",
        "icons": [{"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    return HttpResponse(json.dumps(data, indent=1), content_type="application/manifest+json")


ICON = Path(settings.BASE_DIR) / "static" / "img" / "icon.svg"


@functools.cache
def _icon() -> bytes:
    return ICON.read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links: the site's icon (an SVG, which they all read)."""
    response = HttpResponse(_icon(), content_type="image/svg+xml")
    response["Cache-Control"] = "public, max-age=86400"
    return response
