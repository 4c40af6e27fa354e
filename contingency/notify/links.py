"""Signed acknowledgement links: a callout's random token, signed and time-stamped by the site.

The token alone is unguessable; the signature adds an expiry without a database lookup, so an old
link is refused plainly. Single use is the callout's state: acknowledging twice changes nothing.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.core import signing

SALT = "callout-ack"
# Codes for replying by SMS: no 0/O or 1/I, so a code read aloud or typed on a phone survives.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ACK_PATH = "/ack/"  # where web/urls.py mounts the acknowledgement page


class LinkInvalid(Exception):
    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.expired = expired


def new_token() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits: short enough for an SMS


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def max_age() -> timedelta:
    return timedelta(hours=settings.CONTINGENCY_ACK_LINK_HOURS)


def signed(token: str) -> str:
    return signing.TimestampSigner(salt=SALT).sign(token)


def link(token: str) -> str:
    return f"{settings.CONTINGENCY_BASE_URL}{ACK_PATH}{signed(token)}/"


def token_of(value: str) -> str:
    """The callout token a signed link carries; raise LinkInvalid when altered or expired."""
    try:
        return signing.TimestampSigner(salt=SALT).unsign(value, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkInvalid(
            "This acknowledgement link has expired. Reply to the message with its code, or call the incident lead.",
            expired=True,
        ) from None
    except signing.BadSignature:
        raise LinkInvalid("This acknowledgement link is not valid: it may have been cut short when copied.") from None


def incident_link(org_slug: str, number: int) -> str:
    return f"{settings.CONTINGENCY_BASE_URL}/o/{org_slug}/incidents/{number}/"
