"""Signed links: copy holders ("I have received issue N of this plan") and status page subscriptions.

A link carries (plan id, issue, copy number), signed with the site's secret and a salt of its
own, and stamped with the time it was made, so it cannot be altered, reused for another copy
or plan, or used after MAX_AGE. Whoever holds the link may acknowledge that one copy; that is
the whole of what it grants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core import signing

SALT = "holder-ack"
MAX_AGE = timedelta(days=60)


class TokenInvalid(Exception):
    """The link was altered, made for something else, or is too old; `message` says which, plainly."""

    def __init__(self, message: str, *, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.expired = expired


@dataclass(frozen=True)
class HolderToken:
    plan_id: int
    issue: int
    copy_number: int


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def make_token(*, plan_id: int, issue: int, copy_number: int) -> str:
    """A URL-safe token for acknowledging one copy of one issue of one plan."""
    return _signer().sign_object({"p": plan_id, "i": issue, "c": copy_number}, compress=False)


def read_token(token: str, *, max_age: timedelta = MAX_AGE) -> HolderToken:
    """What a token is for; raise TokenInvalid when it is altered, malformed or older than `max_age`."""
    try:
        value = _signer().unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenInvalid(
            "This acknowledgement link has expired. Ask the plan's owner for a new link.", expired=True
        ) from None
    except (signing.BadSignature, ValueError):
        raise TokenInvalid(
            "This acknowledgement link is not valid: it may have been copied incompletely. "
            "Check the whole link was copied, or ask the plan's owner for a new one."
        ) from None
    fields = [value.get(name) if isinstance(value, dict) else None for name in ("p", "i", "c")]
    if not all(isinstance(field, int) and not isinstance(field, bool) and field > 0 for field in fields):
        raise TokenInvalid("This acknowledgement link is not valid. Ask the plan's owner for a new one.")
    plan_id, issue, copy_number = fields
    assert isinstance(plan_id, int) and isinstance(issue, int) and isinstance(copy_number, int)
    return HolderToken(plan_id, issue, copy_number)


# ---------------------------------------------------------------- status page subscriptions
#
# A confirmation link carries the address itself (signed and time-stamped): nothing about an
# unconfirmed address is kept in the database, so the link is the whole of the pending request.
# An unsubscribe link carries the subscriber's random token and does not expire.

SUBSCRIBE_SALT = "status-subscribe"
UNSUBSCRIBE_SALT = "status-unsubscribe"


@dataclass(frozen=True)
class SubscriptionToken:
    organisation_id: int
    email: str
    language: str


def make_subscription_token(*, organisation_id: int, email: str, language: str) -> str:
    """A URL-safe token confirming that `email` wants the organisation's public updates."""
    return signing.TimestampSigner(salt=SUBSCRIBE_SALT).sign_object(
        {"o": organisation_id, "e": email, "l": language}, compress=True
    )


def read_subscription_token(token: str, *, max_age: timedelta) -> SubscriptionToken:
    """What a confirmation token is for; TokenInvalid when altered, malformed or older than `max_age`."""
    try:
        value = signing.TimestampSigner(salt=SUBSCRIBE_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenInvalid("This link has expired.", expired=True) from None
    except (signing.BadSignature, ValueError):
        raise TokenInvalid("This link is not valid.") from None
    if not isinstance(value, dict):
        raise TokenInvalid("This link is not valid.")
    organisation_id, email, language = value.get("o"), value.get("e"), value.get("l")
    if not (isinstance(organisation_id, int) and isinstance(email, str) and isinstance(language, str)):
        raise TokenInvalid("This link is not valid.")
    return SubscriptionToken(organisation_id, email, language)


def make_unsubscribe_token(subscriber_token: str) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(subscriber_token)


def read_unsubscribe_token(token: str) -> str:
    """The subscriber token an unsubscribe link carries; TokenInvalid when altered."""
    try:
        return signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    except signing.BadSignature:
        raise TokenInvalid("This link is not valid.") from None
