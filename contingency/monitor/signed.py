"""Accepting a probe's signed request, or refusing it and counting the refusal (ADR 0020).

The server checks, in this order: the headers are there and well formed; the key id names a live
site; the site belongs to the organisation in the URL; the signature matches the request; the
timestamp is within probesign.WINDOW of the server's clock; the nonce has not been used by that
site (the nonce is recorded, so the same request sent again is refused). Each refusal is counted
per organisation, claimed site and reason, and logged; the counts are on the probes page.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F

from contingency.core.models import Organisation
from contingency.lib import probesign

from .models import ProbeNonce, ProbeRefusal, ProbeSite, Refusal

log = logging.getLogger("contingency.monitor.signed")

MESSAGES = {
    Refusal.MALFORMED: "Sign the request: X-Probe-Key, X-Probe-Timestamp, X-Probe-Nonce and X-Probe-Signature.",
    Refusal.UNKNOWN_KEY: "The probe token is unknown or revoked: ask an administrator for a new one.",
    Refusal.OTHER_ORGANISATION: "The probe token belongs to another organisation.",
    Refusal.WRONG_SITE: "The probe token was made for another site: start the probe with its own --site.",
    Refusal.BAD_SIGNATURE: "The signature does not match the request.",
    Refusal.STALE: f"The request's timestamp is more than {probesign.WINDOW}s from the server's clock: check the probe's clock.",
    Refusal.REPLAYED: "The request's nonce has been used before: a request is accepted once.",
}


class ProbeRefused(Exception):
    def __init__(self, reason: Refusal) -> None:
        super().__init__(MESSAGES[reason])
        self.reason = reason
        self.message = MESSAGES[reason]


def count(organisation: Organisation, site_name: str, reason: Refusal, now: datetime) -> None:
    """One more refusal of `reason` for this organisation and claimed site (committed on its own)."""
    with transaction.atomic():
        row, created = ProbeRefusal.objects.get_or_create(
            organisation=organisation,
            site_name=site_name,
            reason=reason.value,
            defaults={"count": 1, "first_at": now, "last_at": now},
        )
        if not created:
            ProbeRefusal.objects.filter(pk=row.pk).update(count=F("count") + 1, last_at=now)
    log.warning("probe request to %s refused (%s), site %r", organisation.slug, reason.value, site_name or "-")


def refuse(organisation: Organisation, site_name: str, reason: Refusal, now: datetime) -> ProbeRefused:
    count(organisation, site_name, reason, now)
    return ProbeRefused(reason)


def verify(
    *, organisation: Organisation, method: str, path: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> ProbeSite:
    """The site that signed this request; ProbeRefused (counted) otherwise."""
    key = headers.get(probesign.KEY_HEADER, "").strip()
    stamp = headers.get(probesign.TIME_HEADER, "").strip()
    nonce = headers.get(probesign.NONCE_HEADER, "").strip()
    given = headers.get(probesign.SIGNATURE_HEADER, "").strip()
    if not (key and given and probesign.well_formed(stamp, nonce)):
        raise refuse(organisation, "", Refusal.MALFORMED, now)
    site = ProbeSite.objects.select_related("organisation").filter(key_id=key[:12], revoked_at__isnull=True).first()
    if site is None:
        raise refuse(organisation, "", Refusal.UNKNOWN_KEY, now)
    if site.organisation_id != organisation.pk:
        raise refuse(organisation, "", Refusal.OTHER_ORGANISATION, now)
    if not probesign.matches(bytes.fromhex(site.signing_key), given, method, path, stamp, nonce, body):
        raise refuse(organisation, site.name, Refusal.BAD_SIGNATURE, now)
    if not probesign.fresh(stamp, now.timestamp()):
        raise refuse(organisation, site.name, Refusal.STALE, now)
    try:
        with transaction.atomic():
            ProbeNonce.objects.create(site=site, nonce=nonce, seen_at=now)
    except IntegrityError:
        raise refuse(organisation, site.name, Refusal.REPLAYED, now) from None
    return site
