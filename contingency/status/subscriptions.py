"""E-mail subscriptions to an organisation's public updates: double opt-in, through the notification outbox.

- Asking (`request`) stores no address: it queues one confirmation e-mail whose signed link carries
  the address, and keeps only a keyed digest of the address with the time, so a second request for
  the same address within PERIOD sends nothing (no mail bombing). The answer is the same whatever
  the address (no enumeration); each client address may ask CLIENT_LIMIT times an hour.
- Confirming (`confirm`, a POST from the link's page) stores the address: the only place it is kept.
- Every public update queues one e-mail per subscriber (`tell_subscribers`), each with a signed link
  that unsubscribes (`unsubscribe`), which deletes the address.

The e-mails are outbox rows (notify.models.Notification, kinds STATUS_CONFIRMATION and STATUS_UPDATE)
sent by the delivery worker like every other message; a confirmation's address and link are wiped
from its row once it is sent or has failed (publishing/worker.py's housekeeping).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind
from contingency.core.models import Organisation
from contingency.lib.signing import (
    SubscriptionToken,
    make_subscription_token,
    make_unsubscribe_token,
    read_subscription_token,
    read_unsubscribe_token,
)
from contingency.notify.channels.base import Transport
from contingency.notify.channels.registry import ChannelConfigError, from_settings
from contingency.notify.models import MessageKind, Notification

from .models import StatusSite, StatusUpdate, Subscriber, SubscriptionRequest, Throttle
from .services import StatusError, record
from .words import Language, state_word, word

log = logging.getLogger("contingency.status")

PERIOD = timedelta(hours=24)  # a confirmation link works this long; one confirmation per address per period
CLIENT_LIMIT = 10  # requests to subscribe from one client address in an hour
VIA_LINK = "subscription link"


class TooMany(StatusError):
    """The client asked too often this hour."""


def email_transport() -> Transport | None:
    """The transport a plan's "email" goes by; None when e-mail is not configured (or misconfigured)."""
    try:
        return from_settings().for_plan_channel("email")
    except ChannelConfigError:
        return None


def normalise(email: str, language: Language) -> str:
    """The address as it will be stored (domain in lower case), or a refusal at `email`."""
    email = (email or "").strip()
    if not email:
        raise StatusError(word("email_required", language), "email")
    try:
        validate_email(email)
    except ValidationError:
        raise StatusError(word("email_invalid", language), "email") from None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def digest(value: str) -> str:
    """A keyed digest (the site's secret): equal values match, and the value cannot be read back."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def mask(email: str) -> str:
    """`h***@example.org`: for the audit log, which should not become a list of addresses."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def page_link(organisation: Organisation, language: Language) -> str:
    url = f"{settings.CONTINGENCY_BASE_URL}{reverse('status-page', kwargs={'org': organisation.slug})}"
    return f"{url}?lang=cy" if language == "cy" else url


def _throttled(client: str, at: datetime) -> bool:
    """Count this request against the client's hour (committed even when the request goes no further)."""
    key = f"subscribe:{digest(client)[:40]}"
    window = at.replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        if not Throttle.objects.filter(key=key, window=window).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    Throttle.objects.create(key=key, window=window, count=1)
            except IntegrityError:
                Throttle.objects.filter(key=key, window=window).update(count=F("count") + 1)
        count = Throttle.objects.values_list("count", flat=True).get(key=key, window=window)
    return count > CLIENT_LIMIT


def request(
    *, organisation: Organisation, email: str, language: Language, client: str, at: datetime | None = None
) -> None:
    """Ask for updates by e-mail: a confirmation is queued unless one went to the address within PERIOD.

    Refused only for a malformed address, too many requests from the client, or no e-mail configured;
    otherwise the same (nothing) whatever the address, so nobody learns who has subscribed.
    """
    now = at or timezone.now()
    address = normalise(email, language)
    transport = email_transport()
    if transport is None:
        raise StatusError(word("no_email_here", language), kind=Kind.CONFLICT)
    if _throttled(client, now):
        raise TooMany(word("too_many", language), kind=Kind.CONFLICT)
    key = digest(f"{organisation.pk}:{address.lower()}")
    with transaction.atomic():
        known = SubscriptionRequest.objects.select_for_update().filter(organisation=organisation, digest=key).first()
        if known is not None and known.requested_at > now - PERIOD:
            return  # one confirmation per address per period
        if known is None:
            SubscriptionRequest.objects.create(organisation=organisation, digest=key, requested_at=now)
        else:
            SubscriptionRequest.objects.filter(pk=known.pk).update(requested_at=now)
        name = site_name(organisation, language)
        token = make_subscription_token(organisation_id=organisation.pk, email=address, language=language)
        link = f"{settings.CONTINGENCY_BASE_URL}{reverse('status-confirm', kwargs={'signed': token})}"
        hours = int(PERIOD.total_seconds() // 3600)
        subject = word("confirm_mail_subject", language, name=name)
        Notification.objects.create(
            kind=MessageKind.STATUS_CONFIRMATION,
            organisation=organisation,
            key=f"status-confirm:{organisation.pk}:{key[:32]}:{int(now.timestamp())}",
            channel="email",
            transport=transport.name,
            address=address,
            recipient_name="",
            subject=subject,
            body=word("confirm_mail_body", language, name=name, hours=hours, link=link),
            short=subject,
            link=page_link(organisation, language),
            next_attempt_at=now,
            created_at=now,
        )


def site_name(organisation: Organisation, language: Language) -> str:
    """The page's heading in `language` (the English when no Welsh is given), for e-mails and link pages."""
    site = StatusSite.objects.filter(organisation=organisation).first()
    if site is None:
        return organisation.name
    return site.title_cy if language == "cy" and site.title_cy else site.title


def read_confirmation(signed: str) -> SubscriptionToken:
    """What a confirmation link is for; TokenInvalid when altered or older than PERIOD."""
    return read_subscription_token(signed, max_age=PERIOD)


def subscriber_for(signed: str) -> Subscriber | None:
    """The subscriber an unsubscribe link names (None when gone); TokenInvalid when altered."""
    token = read_unsubscribe_token(signed)
    return Subscriber.objects.select_related("organisation").filter(token=token).first()


def confirm(*, signed: str, at: datetime | None = None) -> tuple[Subscriber, bool]:
    """Store the address a confirmation link carries; (subscriber, False) when it was stored already.

    Raises TokenInvalid (lib.signing) for an altered or expired link, StatusError when the page is gone.
    """
    now = at or timezone.now()
    token = read_confirmation(signed)
    organisation = Organisation.objects.filter(pk=token.organisation_id, status_site__published=True).first()
    if organisation is None:
        raise StatusError("this status page is no longer published", kind=Kind.NOT_FOUND)
    language = token.language if token.language in ("en", "cy") else "en"
    with transaction.atomic():
        subscriber, created = Subscriber.objects.get_or_create(
            organisation=organisation,
            email=token.email,
            defaults={"language": language, "token": secrets.token_hex(16), "confirmed_at": now},
        )
        if created:
            record(
                organisation,
                actor=None,
                via=VIA_LINK,
                verb=audit.Verb.CREATE,
                object_type="status-subscriber",
                key=f"status/subscribers/{subscriber.pk}",
                label=mask(subscriber.email),
                after={"language": language},
                note="subscription confirmed",
            )
    return subscriber, created


def unsubscribe(*, signed: str) -> Subscriber | None:
    """Delete the subscriber an unsubscribe link names; None when already gone. TokenInvalid when altered."""
    token = read_unsubscribe_token(signed)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().select_related("organisation").filter(token=token).first()
        if subscriber is None:
            return None
        record(
            subscriber.organisation,
            actor=None,
            via="unsubscribe link",
            verb=audit.Verb.DELETE,
            object_type="status-subscriber",
            key=f"status/subscribers/{subscriber.pk}",
            label=mask(subscriber.email),
            note="unsubscribed",
        )
        subscriber.delete()
    return subscriber


def unsubscribe_link(subscriber: Subscriber) -> str:
    signed = make_unsubscribe_token(subscriber.token)
    return f"{settings.CONTINGENCY_BASE_URL}{reverse('status-unsubscribe', kwargs={'signed': signed})}"


def tell_subscribers(update: StatusUpdate, *, at: datetime) -> int:
    """Queue the public update to every subscriber, in the caller's transaction; how many were queued."""
    if update.audience != "public":
        return 0
    subscribers = list(Subscriber.objects.filter(organisation_id=update.organisation_id))
    if not subscribers:
        return 0
    transport = email_transport()
    if transport is None:
        log.warning("update #%s: %d subscriber(s), but e-mail is not configured", update.pk, len(subscribers))
        return 0
    organisation = update.organisation
    names: dict[Language, str] = {"en": site_name(organisation, "en"), "cy": site_name(organisation, "cy")}
    rows = []
    for subscriber in subscribers:
        language: Language = "cy" if subscriber.language == "cy" else "en"
        text = update.text_cy if language == "cy" and update.text_cy else update.text
        heading = state_word(update.state, language) if update.state else word("updates", language)
        footer = word(
            "update_mail_footer",
            language,
            page=page_link(organisation, language),
            unsubscribe=unsubscribe_link(subscriber),
        )
        subject = f"{names[language]}: {heading}"
        rows.append(
            Notification(
                kind=MessageKind.STATUS_UPDATE,
                organisation_id=update.organisation_id,
                key=f"status-update:{update.pk}:{subscriber.pk}",
                channel="email",
                transport=transport.name,
                address=subscriber.email,
                recipient_name="",
                subject=subject,
                body=f"{text}\n\n--\n{footer}",
                short=subject,
                link=page_link(organisation, language),
                next_attempt_at=at,
                created_at=at,
            )
        )
    Notification.objects.bulk_create(rows, batch_size=500)
    return len(rows)
