"""Personal API tokens: made once and shown once, stored as a SHA-256 digest, revocable.

A token has a scope: the whole API (as its user, with their roles), or the mirror only (a laptop
copy reads the issued plans of its user's organisations, and nothing else). Mirror tokens expire.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import ApiToken, Organisation, TokenScope

PREFIX = "ctg_"  # makes a leaked token easy to recognise in logs and by secret scanners
NOT_VALID = "The API token is not valid"


@dataclass(frozen=True)
class TokenCheck:
    """A presented token: its user when it may be used now, else why not (fit to show to its holder)."""

    user: User | None
    scope: str = ""
    refusal: str = ""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    user: User, name: str, *, scope: str = TokenScope.API, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain token is returned here and never again."""
    plain = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=plain[:10],
            digest=digest(plain),
            scope=TokenScope(scope),
            expires_at=expires_at,
        )
        _audit(user, token, "create")
    return token, plain


def revoke_token(token: ApiToken) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            _audit(token.user, token, "delete")


def check_token(plain: str) -> TokenCheck:
    """Whether a presented token may be used now: its user and scope, or why not; records its use."""
    unknown = TokenCheck(None, refusal=f"{NOT_VALID}: it is unknown, or its user is inactive.")
    if not plain.startswith(PREFIX):
        return unknown
    token = ApiToken.objects.select_related("user").filter(digest=digest(plain)).first()
    if token is None or not token.user.is_active:
        return unknown
    now = timezone.now()
    if token.revoked_at is not None:
        return TokenCheck(None, token.scope, f"{NOT_VALID}: it was revoked on {_when(token.revoked_at)}.")
    if token.expires_at is not None and token.expires_at <= now:
        return TokenCheck(None, token.scope, f"{NOT_VALID}: it expired on {_when(token.expires_at)}.")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return TokenCheck(token.user, token.scope)


def user_for_token(plain: str) -> User | None:
    """The active user a live token belongs to, recording its use; None for anything else."""
    return check_token(plain).user


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M %Z}"


def _audit(user: User, token: ApiToken, verb: str) -> None:
    # A token belongs to a person, not an organisation: record it in each of theirs.
    for organisation in Organisation.objects.filter(memberships__user=user).distinct():
        audit.record(
            organisation=organisation,
            actor=user,
            verb=verb,
            object_type=audit.API_TOKEN,
            object_key=f"{user.get_username()}/{token.prefix}",
            label=token.name,
            after=None if verb == "delete" else _token_state(token),
            before={"name": token.name, "prefix": token.prefix} if verb == "delete" else None,
        )


def _token_state(token: ApiToken) -> dict[str, str | None]:
    expires = token.expires_at.isoformat() if token.expires_at else None
    return {"name": token.name, "prefix": token.prefix, "scope": token.scope, "expiresAt": expires}
