"""Response headers every page gets, beyond what Django's SecurityMiddleware sets."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from .offline import OWNER_HEADER, owner_of

# Scripts come only from this site (htmx is vendored) and never inline; inline style attributes
# are allowed because the admin uses them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if signed_in(request):
            # What a signed-in user sees carries staff mobile numbers and plans: no shared or disk cache
            # (a proxy, a kiosk browser's history) may keep it.
            patch_cache_control(response, private=True, no_store=True)
        return response


def signed_in(request: HttpRequest) -> bool:
    """A user signed in with a session, or an API caller with a token (set on the request by the API)."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated) or getattr(request, "auth", None) is not None


class OfflineOwnerMiddleware:
    """Name each page's viewer for the phone's service worker, which forgets saved pages of anyone else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # The public status page is the same for everyone (and is answered before Django, without this
        # header, when nothing has changed): it names no viewer, so it never makes a phone forget its pages.
        if response.get("Content-Type", "").startswith("text/html") and not request.path.startswith("/status/"):
            response[OWNER_HEADER] = owner_of(request)
        return response
