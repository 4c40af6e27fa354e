"""Who is calling: a personal API token (`Authorization: Bearer ctg_...`) or the browser session.

A token needs no CSRF token (a browser never sends it by itself); the session does, for every
unsafe method, because a browser sends the session cookie with any request another site makes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from contingency.core.models import TokenScope
from contingency.core.tokens import check_token

UNAUTHENTICATED = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
MIRROR_ONLY = (
    "This token is for a laptop copy: it may only read the mirror feed. Make an API token on your account page."
)


class BearerToken(HttpBearer):
    """A personal token; `scopes` are the kinds of token this endpoint takes."""

    scopes: tuple[str, ...] = (TokenScope.API,)

    def authenticate(self, request: HttpRequest, token: str) -> User:
        checked = check_token(token.strip())
        if checked.user is None:
            # A token was presented and is wrong: say why, rather than falling back to the session.
            raise AuthenticationError(401, checked.refusal)
        if checked.scope not in self.scopes:
            raise AuthenticationError(403, MIRROR_ONLY)
        return checked.user


class MirrorToken(BearerToken):
    """The mirror feed takes a mirror token or an API token."""

    scopes = (TokenScope.API, TokenScope.MIRROR)


class Session(APIKeyCookie):
    """Django's session, with the CSRF check for unsafe methods (ninja's SessionAuth, CSRF only when signed in)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a signed-in session there is nothing to protect: answer 401, not a CSRF 403.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if key is not None and request.user.is_authenticated else None


def caller(request: HttpRequest) -> User:
    """The user a request authenticated as (set by ninja from BearerToken or Session)."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user
