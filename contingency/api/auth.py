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

from contingency.core.tokens import user_for_token

UNAUTHENTICATED = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
BAD_TOKEN = "The API token is not valid: it is unknown or revoked, or its user is inactive."


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User:
        user = user_for_token(token.strip())
        if user is None:
            # A token was presented and is wrong: say so, rather than falling back to the session.
            raise AuthenticationError(401, BAD_TOKEN)
        return user


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
