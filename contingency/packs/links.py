"""Signed links to one copy of a printed pack: sent to its holder, they download it without signing in.

A link carries (print record, copy number), signed with the site's secret and a salt of its own and
stamped with the time, so it cannot be altered to reach another copy or print, and stops working after
MAX_AGE. It grants that one download only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from contingency.lib.signing import TokenInvalid

SALT = "pack-download"
MAX_AGE = timedelta(days=60)


@dataclass(frozen=True)
class PackToken:
    record_id: int
    copy_number: int


def make_token(*, record_id: int, copy_number: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign_object({"r": record_id, "c": copy_number}, compress=False)


def read_token(token: str, *, max_age: timedelta = MAX_AGE) -> PackToken:
    """What a token is for; raise TokenInvalid when altered, malformed or older than `max_age`."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired:
        raise TokenInvalid("This download link has expired. Ask the plan's owner for the pack.", expired=True) from None
    except (signing.BadSignature, ValueError):
        raise TokenInvalid(
            "This download link is not valid: it may have been copied incompletely. Check the whole link was copied."
        ) from None
    fields = [value.get(name) if isinstance(value, dict) else None for name in ("r", "c")]
    if not all(isinstance(f, int) and not isinstance(f, bool) and f > 0 for f in fields):
        raise TokenInvalid("This download link is not valid. Ask the plan's owner for the pack.")
    record_id, copy_number = fields
    assert isinstance(record_id, int) and isinstance(copy_number, int)
    return PackToken(record_id, copy_number)


def download_link(org_slug: str, *, record_id: int, copy_number: int) -> str:
    token = make_token(record_id=record_id, copy_number=copy_number)
    return settings.CONTINGENCY_BASE_URL + reverse("pack-copy", kwargs={"org": org_slug, "token": token})


def acknowledge_link(org_slug: str, *, plan_id: int, issue: int, copy_number: int) -> str:
    """The existing signed acknowledgement link of a copy holder (web/control/ack.py)."""
    from contingency.lib.signing import make_token as holder_token

    token = holder_token(plan_id=plan_id, issue=issue, copy_number=copy_number)
    return settings.CONTINGENCY_BASE_URL + reverse("holder-ack", kwargs={"org": org_slug, "token": token})
