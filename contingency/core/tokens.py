"""Personal API tokens: made once and shown once, stored as a SHA-256 digest, revocable."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import ApiToken, Organisation

PREFIX = "ctg_"  # makes a leaked token easy to recognise in logs and by secret scanners


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; the plain token is returned here and never again."""
    plain = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=plain[:10], digest=digest(plain))
        _audit(user, token, "create")
    return token, plain


def revoke_token(token: ApiToken) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
            _audit(token.user, token, "delete")


def user_for_token(plain: str) -> User | None:
    """The active user a live token belongs to, recording its use; None for anything else."""
    if not plain.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=digest(plain), revoked_at__isnull=True).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


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
            after=None if verb == "delete" else {"name": token.name, "prefix": token.prefix},
            before={"name": token.name, "prefix": token.prefix} if verb == "delete" else None,
        )
