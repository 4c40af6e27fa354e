"""Telling copy holders that a new pack is printed for them: one e-mail each through the outbox.

Written inside the transaction that records the print, so a message exists exactly when the print
does; the delivery worker sends it like any other (notify/delivery.py). Each holder gets a signed link
to download their copy and the existing signed link to acknowledge the issue.
"""

from __future__ import annotations

from datetime import datetime

from contingency.notify.channels.registry import ChannelConfigError, from_settings
from contingency.notify.models import MessageKind, Notification, NotificationState
from contingency.plans.models import CopyHolder

from . import links
from .models import HolderNotice, PrintRecord

NO_EMAIL = "no e-mail address in the plan"


def _email_transport() -> tuple[str, str]:
    """(transport name, error): the transport carrying e-mail, or why there is none."""
    try:
        transport = from_settings().for_plan_channel("email")
    except ChannelConfigError:
        transport = None
    if transport is None:
        return "smtp", "no e-mail channel is configured (CONTINGENCY_SMTP_HOST, or GOV.UK Notify)"
    return transport.name, ""


def tell_holders(record: PrintRecord, *, at: datetime) -> list[HolderNotice]:
    """One message per printed copy whose holder has an e-mail address; a note for those without."""
    plan = record.plan
    assert plan is not None
    org = record.organisation.slug
    holders = {h.copy_number: h for h in CopyHolder.objects.filter(plan=plan).select_related("holder")}
    transport, error = _email_transport()
    notices = []
    for copy in record.copies.all():
        holder = holders.get(copy.copy_number)
        email = (holder.holder.email or "").strip() if holder else ""
        if not email:
            notices.append(
                HolderNotice.objects.create(
                    record=record, copy_number=copy.copy_number, holder_name=copy.holder_name, not_sent=NO_EMAIL
                )
            )
            continue
        pack = links.download_link(org, record_id=record.pk, copy_number=copy.copy_number)
        ack = links.acknowledge_link(org, plan_id=plan.pk, issue=record.issue, copy_number=copy.copy_number)
        where = f", kept at {copy.location}" if copy.location else ""
        subject = f"Issue {record.issue} of {record.plan_title}: your numbered copy {copy.copy_number}"
        body = (
            f"Dear {copy.holder_name},\n\n"
            f"Issue {record.issue} of {record.plan_title} has been issued, and a grab pack has been printed for "
            f"your numbered copy {copy.copy_number}{where}.\n\n"
            f"Download your copy (PDF, the single HTML file for a phone or USB stick, and the paper downtime "
            f"forms): {pack}\n\n"
            f"Put it in the grab pack in place of the old copy, destroy the old one, then acknowledge that you "
            f"hold issue {record.issue}: {ack}\n"
        )
        short = f"Issue {record.issue} of {record.plan_title}: your copy {copy.copy_number} is ready: {pack}"
        message = Notification.objects.create(
            incident=None,
            organisation=record.organisation,
            kind=MessageKind.PACK_NOTICE,
            key=f"pack:{record.pk}:copy:{copy.copy_number}:email",
            channel="email",
            transport=transport,
            address=email,
            recipient_name=copy.holder_name,
            subject=subject,
            body=body,
            short=short,
            link=pack,
            ack_link=ack,
            state=NotificationState.FAILED if error else NotificationState.PENDING,
            permanent=bool(error),
            last_error=error,
            next_attempt_at=at,
            created_at=at,
        )
        notices.append(
            HolderNotice.objects.create(
                record=record, copy_number=copy.copy_number, holder_name=copy.holder_name, notification=message
            )
        )
    return notices
