"""Signed links for copy holders: "I have received issue N of this plan" without an account.

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
