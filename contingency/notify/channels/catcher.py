"""The demo's catcher: texts and e-mails kept inside the application instead of being sent.

Configured with CONTINGENCY_CATCHER=on (`make run` sets it). Each message becomes a CaughtMessage row that
administrators read on the Caught messages page, acknowledgement link and all, so the whole cascade can be
shown on a laptop with no mail server and no SMS account. Never for a live installation: nobody is told.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from django.utils import timezone

from .base import Outgoing, Receipt, Transport

VARIABLE = "CONTINGENCY_CATCHER"


class CatcherTransport(Transport):
    channel: ClassVar[Literal["sms", "email"]]
    timeout = 5.0

    def describe(self) -> str:
        what = "texts" if self.channel == "sms" else "e-mails"
        return f"the demo's catcher: {what} are kept in the application (Caught messages page), never sent"

    def send(self, message: Outgoing) -> Receipt:
        from contingency.notify.models import CaughtMessage  # models load after the channels

        caught, _ = CaughtMessage.objects.get_or_create(
            key=message.key,
            defaults={
                "channel": self.channel,
                "address": message.address,
                "recipient": message.recipient,
                "subject": message.subject,
                "body": message.short if self.channel == "sms" else message.body,
                "link": message.link,
                "ack_link": message.ack_link,
                "caught_at": timezone.now(),
            },
        )
        return Receipt(provider_ref=f"caught-{caught.pk}", detail="kept by the demo's catcher")


class CatcherSms(CatcherTransport):
    kind = "catcher-sms"
    channel = "sms"


class CatcherEmail(CatcherTransport):
    kind = "catcher-email"
    channel = "email"
