"""Every channel configured against real local servers: SMTP (aiosmtpd), GOV.UK Notify's API, a webhook.

`live_channels()` starts the servers and returns the environment that points Contingency at them;
the `channels` fixture in tests/conftest.py applies it for one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .fake_notify import FakeNotify
from .fake_webhook import FakeWebhook
from .smtp_server import SmtpTestServer


@dataclass
class LiveChannels:
    smtp: SmtpTestServer
    notify: FakeNotify
    webhook: FakeWebhook
    environ: dict[str, str]


@contextmanager
def live_channels(*, notify_delay: float = 0.0, notify_rate: int | None = None) -> Iterator[LiveChannels]:
    with (
        SmtpTestServer() as smtp,
        FakeNotify(delay=notify_delay, rate_limit=notify_rate) as notify,
        FakeWebhook(ok_status=202) as webhook,
    ):
        environ = {
            "CONTINGENCY_SMTP_HOST": smtp.host,
            "CONTINGENCY_SMTP_PORT": str(smtp.port),
            "CONTINGENCY_SMTP_SECURITY": "none",
            "CONTINGENCY_SMTP_FROM": "contingency@northwick.example.org",
            "CONTINGENCY_NOTIFY_API_KEY": notify.api_key,
            "CONTINGENCY_NOTIFY_BASE_URL": notify.base_url,
            "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": notify.sms_template_id,
            "CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID": notify.email_template_id,
            "CONTINGENCY_WEBHOOK_RADIOLOGY_TEAMS": f"teams:{webhook.url('/teams')}",
        }
        yield LiveChannels(smtp, notify, webhook, environ)
