"""The channels against real local servers: aiosmtpd for SMTP, a fake GOV.UK Notify API that checks the
client's JWT, and a webhook receiver; and the registry's reading of the environment. No database."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import jwt
import pytest
import requests

from contingency.notify.channels import registry
from contingency.notify.channels.base import Outgoing, TransportError
from contingency.notify.channels.govuk_notify import NotifyConfig, NotifyEmailTransport, NotifySmsTransport
from contingency.notify.channels.registry import ChannelConfigError, load
from contingency.notify.channels.smtp import SmtpConfig, SmtpTransport, message_id
from contingency.notify.channels.webhooks import WebhookConfig, retry_after_seconds, webhook_transport

from .support.fake_notify import FakeNotify, make_api_key
from .support.fake_webhook import FakeWebhook
from .support.smtp_server import SmtpTestServer, tls_available

needs_tls = pytest.mark.skipif(not tls_available(), reason="openssl is not installed: no certificate for TLS")

MESSAGE = Outgoing(
    key="incident-7:tp1:person-3:email",
    address="ann.lee@example.org",
    recipient="Ann Lee",
    subject="PACS outage: radiology reporting down",
    body="PACS is down at Northwick.\nThe incident team meets at 10:00.",
    short="PACS down at Northwick. Team meets 10:00.",
    link="https://contingency.example.org/incidents/7",
    ack_link="https://contingency.example.org/ack/abc123",
)
SMS = Outgoing(
    key="incident-7:tp1:person-3:sms",
    address="07700 900123",
    recipient="Ann Lee",
    subject="PACS outage",
    body="long text not sent by SMS",
    short="PACS down at Northwick. Reply 4821 to acknowledge.",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def failure(transport, message: Outgoing) -> TransportError:
    with pytest.raises(TransportError) as caught:
        transport.send(message)
    return caught.value


# SMTP


@pytest.fixture
def smtp() -> Iterator[SmtpTestServer]:
    with SmtpTestServer() as server:
        yield server


def smtp_transport(server: SmtpTestServer, **options) -> SmtpTransport:
    values = {"host": server.host, "port": server.port, "security": "none", "sender": "Contingency <bcdr@example.org>"}
    return SmtpTransport(SmtpConfig(**(values | options)))


def test_smtp_delivers_the_message_with_its_headers(smtp: SmtpTestServer) -> None:
    receipt = smtp_transport(smtp).send(MESSAGE)

    [got] = smtp.messages
    assert (got.mail_from, got.rcpt_tos, got.login, got.tls) == (
        "bcdr@example.org",
        ["ann.lee@example.org"],
        None,
        False,
    )
    email = got.message
    assert email["From"] == "Contingency <bcdr@example.org>"
    assert email["To"] == "Ann Lee <ann.lee@example.org>"
    assert email["Subject"] == "PACS outage: radiology reporting down"
    assert email["X-Contingency-Key"] == "incident-7:tp1:person-3:email"
    assert email["Message-ID"] == receipt.provider_ref == message_id(MESSAGE.key)
    assert email["Date"] is not None
    assert email.get_content() == (
        "PACS is down at Northwick.\nThe incident team meets at 10:00.\n\n"
        "Acknowledge this message: https://contingency.example.org/ack/abc123\n"
    )


def test_smtp_does_not_repeat_an_ack_link_the_body_has(smtp: SmtpTestServer) -> None:
    body = f"Acknowledge here: {MESSAGE.ack_link}"
    smtp_transport(smtp).send(Outgoing(**(MESSAGE.__dict__ | {"body": body})))
    assert smtp.messages[0].message.get_content() == body + "\n"


def test_smtp_message_id_is_the_same_on_a_resend_and_differs_between_keys(smtp: SmtpTestServer) -> None:
    transport = smtp_transport(smtp)
    transport.send(MESSAGE)
    transport.send(MESSAGE)
    for key in ("a:b", "a-b", "a/b"):
        transport.send(Outgoing(**(MESSAGE.__dict__ | {"key": key})))
    ids = [m.message["Message-ID"] for m in smtp.messages]
    assert ids[0] == ids[1]
    assert len(set(ids[1:])) == 4
    assert ids[3] == "<a-b@contingency>"
    assert ids[2].startswith("<a-b.") and ids[2].endswith("@contingency>")
    assert [m.message["X-Contingency-Key"] for m in smtp.messages[2:]] == ["a:b", "a-b", "a/b"]


def test_smtp_signs_in_and_a_wrong_password_is_permanent() -> None:
    with SmtpTestServer(username="bcdr", password="right-horse-battery") as server:
        smtp_transport(server, username="bcdr", password="right-horse-battery").send(MESSAGE)
        assert [m.login for m in server.messages] == ["bcdr"]

        error = failure(smtp_transport(server, username="bcdr", password="wrong-horse-staple"), MESSAGE)
    assert error.permanent
    assert "refused the user name and password: 535" in str(error)
    assert "wrong-horse-staple" not in str(error)
    assert len(server.messages) == 1


@needs_tls
def test_smtp_starttls_with_authentication() -> None:
    with SmtpTestServer(starttls=True, username="bcdr", password="right-horse-battery") as server:
        smtp_transport(
            server, security="starttls", ca_file=server.ca_file, username="bcdr", password="right-horse-battery"
        ).send(MESSAGE)
        [got] = server.messages
    assert (got.tls, got.login, got.message["Subject"]) == (True, "bcdr", MESSAGE.subject)


@needs_tls
def test_smtp_implicit_tls() -> None:
    with SmtpTestServer(implicit_tls=True) as server:
        smtp_transport(server, security="tls", ca_file=server.ca_file).send(MESSAGE)
        assert [m.tls for m in server.messages] == [True]


@needs_tls
def test_smtp_untrusted_certificate_is_permanent() -> None:
    with SmtpTestServer(starttls=True) as server:
        error = failure(smtp_transport(server, security="starttls"), MESSAGE)
        assert server.messages == []
    assert error.permanent
    assert "certificate is not trusted" in str(error)


def test_smtp_starttls_not_offered_is_permanent(smtp: SmtpTestServer) -> None:
    error = failure(smtp_transport(smtp, security="starttls"), MESSAGE)
    assert error.permanent
    assert "STARTTLS" in str(error)
    assert smtp.messages == []


@pytest.mark.parametrize("stage", ["data", "rcpt"])
def test_smtp_421_is_temporary_and_the_next_attempt_goes_through(smtp: SmtpTestServer, stage: str) -> None:
    smtp.fail_next(1, 421, stage=stage)  # type: ignore[arg-type]
    transport = smtp_transport(smtp)
    error = failure(transport, MESSAGE)
    assert not error.permanent
    assert "421" in str(error)
    assert smtp.messages == []
    transport.send(MESSAGE)
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(("code", "stage"), [(550, "rcpt"), (554, "data")])
def test_smtp_5xx_is_permanent(smtp: SmtpTestServer, code: int, stage: str) -> None:
    smtp.fail_next(1, code, stage=stage)  # type: ignore[arg-type]
    error = failure(smtp_transport(smtp), MESSAGE)
    assert error.permanent
    assert str(code) in str(error)
    assert smtp.messages == []


def test_smtp_nothing_listening_is_temporary() -> None:
    config = SmtpConfig(host="127.0.0.1", port=free_port(), security="none", sender="bcdr@example.org", timeout=2)
    error = failure(SmtpTransport(config), MESSAGE)
    assert not error.permanent
    assert "refused the connection" in str(error)


def test_smtp_an_address_that_is_not_an_email_is_permanent(smtp: SmtpTestServer) -> None:
    for address in ("ann.lee", "ann lee@example.org", "<ann@example.org>"):
        error = failure(smtp_transport(smtp), Outgoing(**(MESSAGE.__dict__ | {"address": address})))
        assert error.permanent
    assert smtp.messages == []


def test_smtp_describe_never_shows_the_password(smtp: SmtpTestServer) -> None:
    transport = smtp_transport(smtp, username="bcdr", password="right-horse-battery")
    assert "right-horse-battery" not in transport.describe() + repr(transport.config)
    assert transport.describe().startswith(f"SMTP 127.0.0.1:{smtp.port} without TLS, signed in as bcdr")


# GOV.UK Notify


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as server:
        yield server


def notify_config(server: FakeNotify, **options) -> NotifyConfig:
    values = {
        "api_key": server.api_key,
        "base_url": server.base_url,
        "sms_template_id": server.sms_template_id,
        "email_template_id": server.email_template_id,
        "timeout": 5,
    }
    return NotifyConfig(**(values | options))


def test_notify_sms_is_accepted_with_personalisation_and_reference(notify: FakeNotify) -> None:
    sender = str(uuid.uuid4())
    receipt = NotifySmsTransport(notify_config(notify, sms_sender_id=sender)).send(SMS)

    [got] = notify.notifications
    assert (got.type, got.to, got.template_id, got.reference, got.sender_id) == (
        "sms",
        "07700 900123",
        notify.sms_template_id,
        SMS.key,
        sender,
    )
    assert got.personalisation == {"subject": "PACS outage", "body": SMS.short}
    assert receipt.provider_ref == got.id


def test_notify_email_is_accepted_with_the_ack_link(notify: FakeNotify) -> None:
    reply_to = str(uuid.uuid4())
    receipt = NotifyEmailTransport(notify_config(notify, email_reply_to_id=reply_to)).send(MESSAGE)

    [got] = notify.notifications
    assert (got.type, got.to, got.template_id, got.reference, got.sender_id) == (
        "email",
        "ann.lee@example.org",
        notify.email_template_id,
        MESSAGE.key,
        reply_to,
    )
    assert got.personalisation == {
        "subject": MESSAGE.subject,
        "body": MESSAGE.body + "\n\nAcknowledge this message: https://contingency.example.org/ack/abc123\n",
    }
    assert receipt.provider_ref == got.id


def test_notify_wrong_key_is_permanent(notify: FakeNotify) -> None:
    other_secret = str(uuid.uuid4())
    config = notify_config(notify, api_key=make_api_key(notify.service_id, other_secret))
    error = failure(NotifySmsTransport(config), SMS)
    assert error.permanent
    assert "(403)" in str(error)
    assert "AuthError: Invalid token: API key not found" in str(error)
    assert other_secret not in str(error)
    assert notify.notifications == []


def test_notify_other_service_is_permanent(notify: FakeNotify) -> None:
    config = notify_config(notify, api_key=make_api_key(str(uuid.uuid4()), notify.secret))
    error = failure(NotifySmsTransport(config), SMS)
    assert error.permanent
    assert "Invalid token: service not found" in str(error)


@pytest.mark.parametrize(("status", "said"), [(429, "RateLimitError"), (500, "Internal server error"), (503, "503")])
def test_notify_429_and_5xx_are_temporary(notify: FakeNotify, status: int, said: str) -> None:
    notify.fail_next(1, status)
    transport = NotifySmsTransport(notify_config(notify))
    error = failure(transport, SMS)
    assert not error.permanent
    assert said in str(error)
    assert error.retry_after is None
    assert notify.notifications == []
    transport.send(SMS)
    assert len(notify.notifications) == 1


def test_notify_slow_answer_past_the_timeout_is_temporary(notify: FakeNotify) -> None:
    notify.slow_next(1, 5.0)
    error = failure(NotifySmsTransport(notify_config(notify, timeout=0.3)), SMS)
    assert not error.permanent
    assert "did not answer within 0.3 s" in str(error)


def test_notify_nothing_listening_is_temporary() -> None:
    config = NotifyConfig(
        api_key=make_api_key(str(uuid.uuid4()), str(uuid.uuid4())),
        base_url=f"http://127.0.0.1:{free_port()}",
        sms_template_id=str(uuid.uuid4()),
    )
    error = failure(NotifySmsTransport(config), SMS)
    assert not error.permanent
    assert "could not connect" in str(error)


@pytest.mark.parametrize(
    ("number", "said"),
    [
        ("01632 960001", "ValidationError: phone_number Not a UK mobile number"),
        ("07700 90012", "ValidationError: phone_number Not enough digits"),
        ("07700 900123x", "ValidationError: phone_number Must not contain letters or symbols"),
    ],
)
def test_notify_bad_number_is_permanent(notify: FakeNotify, number: str, said: str) -> None:
    error = failure(NotifySmsTransport(notify_config(notify)), Outgoing(**(SMS.__dict__ | {"address": number})))
    assert error.permanent
    assert "(400)" in str(error)
    assert said in str(error)
    assert notify.notifications == []


def test_notify_unknown_template_is_permanent(notify: FakeNotify) -> None:
    error = failure(NotifyEmailTransport(notify_config(notify, email_template_id=str(uuid.uuid4()))), MESSAGE)
    assert error.permanent
    assert "BadRequestError: Template not found" in str(error)


def test_fake_notify_enforces_its_rate_limit() -> None:
    with FakeNotify(rate_limit=2) as server:
        transport = NotifySmsTransport(notify_config(server))
        transport.send(SMS)
        transport.send(SMS)
        error = failure(transport, SMS)
        assert not error.permanent
        assert "RateLimitError: Exceeded rate limit for key type LIVE of 2 requests per 60 seconds" in str(error)
        assert (len(server.notifications), server.rate_limited, server.max_in_window()) == (2, 1, 2)


def test_fake_notify_checks_the_token_like_notify() -> None:
    with FakeNotify() as server:
        url = f"{server.base_url}/v2/notifications/sms"
        body = {"phone_number": "07700900123", "template_id": server.sms_template_id, "personalisation": {"body": "x"}}

        def post(token: str | None) -> requests.Response:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            return requests.post(url, json=body, headers=headers, timeout=5)

        def token(iat: float, secret: str = server.secret) -> str:
            return jwt.encode({"iss": server.service_id, "iat": int(iat)}, secret, algorithm="HS256")

        missing = post(None)
        stale = post(token(time.time() - 120))
        fresh = post(token(time.time()))
    assert (missing.status_code, missing.json()["errors"][0]["error"]) == (401, "AuthError")
    assert stale.status_code == 403
    assert stale.json() == {
        "errors": [{"error": "AuthError", "message": "Error: Your system clock must be accurate to within 30 seconds"}],
        "status_code": 403,
    }
    assert fresh.status_code == 201
    assert set(fresh.json()) >= {"id", "reference", "content", "template", "uri"}
    assert fresh.json()["content"]["body"] == "x"


@pytest.mark.parametrize(
    ("options", "field", "said"),
    [
        ({"api_key": "live-sekrit-sekrit-sekrit"}, "api_key", "not a GOV.UK Notify API key"),
        ({"sms_template_id": "pacs-sms"}, "sms_template_id", "'pacs-sms' is not a Notify template id"),
        ({"base_url": "http://notify.example.org"}, "base_url", "is not an https:// address"),
    ],
)
def test_notify_config_rejects_with_clear_messages(options: dict[str, str], field: str, said: str) -> None:
    values = {"api_key": make_api_key(str(uuid.uuid4()), str(uuid.uuid4())), "sms_template_id": str(uuid.uuid4())}
    with pytest.raises(ValueError) as caught:
        NotifyConfig(**(values | options))
    assert said in str(caught.value)
    assert field in str(caught.value)
    assert "sekrit" not in str(caught.value)


# Webhooks


@pytest.fixture
def hook() -> Iterator[FakeWebhook]:
    with FakeWebhook() as server:
        yield server


def hook_transport(server: FakeWebhook, kind: str, path: str = "/hook", **options):
    return webhook_transport(WebhookConfig(name="radiology", kind=kind, url=server.url(path), **options))


def test_teams_posts_an_adaptive_card_and_202_is_accepted() -> None:
    with FakeWebhook(ok_status=202) as server:
        transport = hook_transport(server, "teams", "/workflows/abc")
        receipt = transport.send(MESSAGE)
        [post] = server.posts("/workflows/abc")
    assert receipt.detail == "202 from 127.0.0.1"
    assert transport.name == "webhook:radiology" and transport.kind == "teams"
    assert post.body == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": MESSAGE.subject,
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                        },
                        {"type": "TextBlock", "text": MESSAGE.body, "wrap": True},
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": "Open the incident", "url": MESSAGE.link}],
                },
            }
        ],
    }
    assert post.headers["idempotency-key"] == MESSAGE.key
    assert post.headers["user-agent"] == "Contingency"
    assert post.headers["content-type"] == "application/json"


def test_slack_posts_escaped_mrkdwn_with_the_link(hook: FakeWebhook) -> None:
    message = Outgoing(**(MESSAGE.__dict__ | {"subject": "PACS <down> & out", "body": "Call 07700 900123"}))
    hook_transport(hook, "slack").send(message)
    [post] = hook.posts()
    assert post.body == {
        "text": "PACS &lt;down&gt; &amp; out\nCall 07700 900123\n<https://contingency.example.org/incidents/7|Open the incident>"
    }
    assert post.headers["idempotency-key"] == MESSAGE.key


def test_generic_webhook_posts_the_fields(hook: FakeWebhook) -> None:
    hook_transport(hook, "webhook").send(MESSAGE)
    [post] = hook.posts()
    assert json.loads(post.raw) == {
        "key": MESSAGE.key,
        "recipient": "Ann Lee",
        "subject": MESSAGE.subject,
        "body": MESSAGE.body,
        "link": MESSAGE.link,
    }
    assert post.headers["idempotency-key"] == MESSAGE.key


@pytest.mark.parametrize(("retry_after", "expected"), [("7", 7.0), (None, None), ("in 120 s as a date", 120.0)])
def test_webhook_429_is_temporary_with_retry_after(hook: FakeWebhook, retry_after: str | None, expected) -> None:
    if retry_after and retry_after.startswith("in "):
        retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    hook.fail_next(1, 429, retry_after=retry_after, body="rate limited")
    error = failure(hook_transport(hook, "slack"), MESSAGE)
    assert not error.permanent
    assert "answered 429: rate limited" in str(error)
    if expected is None:
        assert error.retry_after is None
    else:
        assert error.retry_after == pytest.approx(expected, abs=5)


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (400, True), (404, True), (302, True)])
def test_webhook_status_mapping(hook: FakeWebhook, status: int, permanent: bool) -> None:
    hook.fail_next(1, status, body="invalid_payload" if status == 400 else "")
    transport = hook_transport(hook, "teams")
    error = failure(transport, MESSAGE)
    assert error.permanent is permanent
    assert f"answered {status}" in str(error)
    assert [a.status for a in hook.attempts] == [status]
    transport.send(MESSAGE)
    assert len(hook.posts()) == 1


def test_webhook_slow_answer_is_temporary(hook: FakeWebhook) -> None:
    hook.slow_next(1, 5.0)
    error = failure(hook_transport(hook, "webhook", timeout=0.3), MESSAGE)
    assert not error.permanent
    assert "did not answer within 0.3 s" in str(error)


def test_webhook_nothing_listening_is_temporary_and_the_url_is_never_shown() -> None:
    url = f"http://127.0.0.1:{free_port()}/services/T000/B000/sekrit-token"
    transport = webhook_transport(WebhookConfig(name="ops", kind="slack", url=url))
    error = failure(transport, MESSAGE)
    assert not error.permanent
    assert "could not connect" in str(error)
    for text in (str(error), transport.describe(), repr(transport.config)):
        assert "sekrit" not in text


def test_retry_after_seconds() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retry_after_seconds("30") == 30.0
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("inf") is None
    assert retry_after_seconds("Mon, 02 Mar 2026 09:01:00 GMT", now=now.timestamp()) == 60.0


# The registry


KEY = make_api_key("3fa85f64-5717-4562-b3fc-2c963f66afa6", "9c0e2b8e-1f41-4a7c-9d34-5b0e6a7f8c21")
SMS_TEMPLATE = "7cef218d-1143-48cd-80c4-8d3ffc2df7d9"
EMAIL_TEMPLATE = "22b87de8-52fa-4952-9b9c-78660f5b4d78"
SMTP_ENV = {"CONTINGENCY_SMTP_HOST": "relay.example.org", "CONTINGENCY_SMTP_FROM": "bcdr@example.org"}
NOTIFY_ENV = {
    "CONTINGENCY_NOTIFY_API_KEY": KEY,
    "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE,
    "CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID": EMAIL_TEMPLATE,
}
TEAMS_URL = "https://prod-01.uksouth.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?sig=sekrit"


def test_registry_nothing_configured() -> None:
    channels = load({})
    assert channels.names() == []
    assert [channels.for_plan_channel(c) for c in ("sms", "email", "phone")] == [None, None, None]
    assert channels.plan_channels() == []
    assert channels.email_via is None


def test_registry_everything_configured() -> None:
    env = (
        SMTP_ENV
        | NOTIFY_ENV
        | {
            "CONTINGENCY_SMTP_PORT": "2525",
            "CONTINGENCY_SMTP_RATE_PER_MINUTE": "600",
            "CONTINGENCY_WEBHOOK_RADIOLOGY_TEAMS": f"teams:{TEAMS_URL}",
            "CONTINGENCY_WEBHOOK_RADIOLOGY_TEAMS_RATE_PER_MINUTE": "30",
            "CONTINGENCY_WEBHOOK_OPS": "slack:https://hooks.slack.com/services/T0/B0/sekrit",
            "CONTINGENCY_WEBHOOK_AUDIT_FEED": "json:http://audit.example.org/in",
        }
    )
    channels = load(env)
    assert channels.names() == [
        "smtp",
        "notify-sms",
        "notify-email",
        "webhook:audit-feed",
        "webhook:ops",
        "webhook:radiology-teams",
    ]
    assert channels.email_via == "smtp"
    assert channels.for_plan_channel("email") is channels.by_name("smtp")
    assert channels.for_plan_channel("sms") is channels.by_name("notify-sms")
    assert channels.for_plan_channel("phone") is None
    assert channels.plan_channels() == ["sms", "email"]
    teams = channels.webhook("radiology-teams")
    assert teams is not None and (teams.kind, teams.name, teams.rate_per_minute) == (
        "teams",
        "webhook:radiology-teams",
        30,
    )
    assert [channels.webhook(n).kind for n in ("ops", "audit-feed")] == ["slack", "webhook"]  # type: ignore[union-attr]
    assert channels.webhook("nope") is None
    smtp = channels.by_name("smtp")
    assert isinstance(smtp, SmtpTransport)
    assert (smtp.config.port, smtp.config.security, smtp.rate_per_minute) == (2525, "starttls", 600)
    sms, email = channels.by_name("notify-sms"), channels.by_name("notify-email")
    assert sms is not None and email is not None
    assert (sms.rate_per_minute, sms.rate_group, email.rate_group) == (3000, "notify", "notify")
    described = channels.describe()
    assert [name for name, _ in described] == channels.names()
    text = repr(described)
    assert "sekrit" not in text and KEY[-36:] not in text


@pytest.mark.parametrize(
    ("env", "via", "name"),
    [
        (SMTP_ENV | NOTIFY_ENV | {"CONTINGENCY_EMAIL_VIA": "notify"}, "notify", "notify-email"),
        (SMTP_ENV | NOTIFY_ENV | {"CONTINGENCY_EMAIL_VIA": "SMTP"}, "smtp", "smtp"),
        (NOTIFY_ENV, "notify", "notify-email"),
        (SMTP_ENV, "smtp", "smtp"),
        ({k: v for k, v in NOTIFY_ENV.items() if "EMAIL" not in k}, None, None),
    ],
)
def test_registry_email_via(env: dict[str, str], via: str | None, name: str | None) -> None:
    channels = load(env)
    assert channels.email_via == via
    transport = channels.for_plan_channel("email")
    assert (transport.name if transport else None) == name


def test_registry_smtp_port_follows_security() -> None:
    ports = [
        load(SMTP_ENV | {"CONTINGENCY_SMTP_SECURITY": security}).by_name("smtp").config.port  # type: ignore[union-attr]
        for security in ("none", "starttls", "tls")
    ]
    assert ports == [25, 587, 465]


def test_registry_empty_variables_are_not_set() -> None:
    assert load({"CONTINGENCY_SMTP_HOST": "", "CONTINGENCY_NOTIFY_API_KEY": "  "}).names() == []


PASSWORD = "correct-horse-sekrit"


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        (SMTP_ENV | {"CONTINGENCY_SMTP_PORT": "abc"}, "CONTINGENCY_SMTP_PORT: 'abc': Input should be a valid integer"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_PORT": "70000"}, "CONTINGENCY_SMTP_PORT: '70000': Input should be less than"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_SECURITY": "ssl"}, "CONTINGENCY_SMTP_SECURITY: 'ssl': Input should be 'none', 'starttls' or 'tls'"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_USERNAME": "bcdr"}, "CONTINGENCY_SMTP_PASSWORD: a password is needed with the user name"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_PASSWORD": PASSWORD}, "CONTINGENCY_SMTP_PASSWORD: a password was given without a user name"),
        ({"CONTINGENCY_SMTP_HOST": "relay.example.org"}, "CONTINGENCY_SMTP_FROM is not set; it is needed with CONTINGENCY_SMTP_HOST"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_FROM": "bcdr"}, "CONTINGENCY_SMTP_FROM: 'bcdr' is not an e-mail address"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_TIMEOUT": "0"}, "CONTINGENCY_SMTP_TIMEOUT: '0': Input should be greater than 0"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_RATE_PER_MINUTE": "0"}, "CONTINGENCY_SMTP_RATE_PER_MINUTE: '0': Input should be greater than or equal to 1"),
        (SMTP_ENV | {"CONTINGENCY_SMTP_CA_FILE": "/no/such/ca.pem"}, "CONTINGENCY_SMTP_CA_FILE: '/no/such/ca.pem' is not a file"),
        ({"CONTINGENCY_SMTP_PASSWORD": PASSWORD}, "CONTINGENCY_SMTP_PASSWORD is set, but CONTINGENCY_SMTP_HOST is not"),
        ({"CONTINGENCY_NOTIFY_API_KEY": "live-" + PASSWORD, "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE}, "CONTINGENCY_NOTIFY_API_KEY: not a GOV.UK Notify API key"),
        ({"CONTINGENCY_NOTIFY_API_KEY": KEY}, "CONTINGENCY_NOTIFY_API_KEY is set, but neither CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID nor CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID is"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": "pacs"}, "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID: 'pacs' is not a Notify template id"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID": "pacs"}, "CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID: 'pacs' is not a Notify template id"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_SMS_SENDER_ID": "NHS"}, "CONTINGENCY_NOTIFY_SMS_SENDER_ID: 'NHS' is not a Notify text message sender id"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_EMAIL_REPLY_TO_ID": "x"}, "CONTINGENCY_NOTIFY_EMAIL_REPLY_TO_ID: 'x' is not a Notify reply-to address id"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_BASE_URL": "http://notify.example.org"}, "CONTINGENCY_NOTIFY_BASE_URL: 'http://notify.example.org' is not an https:// address"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_TIMEOUT": "soon"}, "CONTINGENCY_NOTIFY_TIMEOUT: 'soon': Input should be a valid number"),
        (NOTIFY_ENV | {"CONTINGENCY_NOTIFY_RATE_PER_MINUTE": "-1"}, "CONTINGENCY_NOTIFY_RATE_PER_MINUTE: '-1': Input should be greater than or equal to 1"),
        ({"CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID": SMS_TEMPLATE}, "CONTINGENCY_NOTIFY_SMS_TEMPLATE_ID is set, but CONTINGENCY_NOTIFY_API_KEY is not"),
        (SMTP_ENV | {"CONTINGENCY_EMAIL_VIA": "fax"}, "CONTINGENCY_EMAIL_VIA: 'fax' should be smtp or notify"),
        (NOTIFY_ENV | {"CONTINGENCY_EMAIL_VIA": "smtp"}, "CONTINGENCY_EMAIL_VIA is smtp, but CONTINGENCY_SMTP_HOST is not set"),
        (SMTP_ENV | {"CONTINGENCY_EMAIL_VIA": "notify"}, "CONTINGENCY_EMAIL_VIA is notify, but CONTINGENCY_NOTIFY_EMAIL_TEMPLATE_ID is not set"),
        ({"CONTINGENCY_WEBHOOK_OPS": "https://hooks.slack.com/services/sekrit"}, "CONTINGENCY_WEBHOOK_OPS: should be teams:<url>, slack:<url> or json:<url>"),
        ({"CONTINGENCY_WEBHOOK_OPS": "discord:https://example.org/sekrit"}, "CONTINGENCY_WEBHOOK_OPS: should be teams:<url>, slack:<url> or json:<url>"),
        ({"CONTINGENCY_WEBHOOK_OPS": "teams:ftp://example.org/sekrit"}, "CONTINGENCY_WEBHOOK_OPS: not a web address"),
        ({"CONTINGENCY_WEBHOOK_OPS": "slack:https://x.example.org/sekrit", "CONTINGENCY_WEBHOOK_OPS_RATE_PER_MINUTE": "lots"}, "CONTINGENCY_WEBHOOK_OPS_RATE_PER_MINUTE: 'lots': Input should be a valid integer"),
        ({"CONTINGENCY_WEBHOOK_OPS_RATE_PER_MINUTE": "10"}, "CONTINGENCY_WEBHOOK_OPS_RATE_PER_MINUTE is set, but CONTINGENCY_WEBHOOK_OPS is not"),
        ({"CONTINGENCY_WEBHOOK__OPS": "slack:https://x.example.org/sekrit"}, "CONTINGENCY_WEBHOOK__OPS: '-ops' is not a webhook name"),
    ],
)  # fmt: skip
def test_registry_problems_name_the_variable_and_never_the_secret(env: dict[str, str], problem: str) -> None:
    with pytest.raises(ChannelConfigError) as caught:
        load(env)
    assert len(caught.value.problems) == 1, caught.value.problems
    assert caught.value.problems[0].startswith(problem), caught.value.problems
    assert "sekrit" not in str(caught.value)
    assert KEY[-36:] not in str(caught.value)


def test_registry_reports_every_problem_at_once() -> None:
    env = {
        "CONTINGENCY_SMTP_HOST": "relay.example.org",
        "CONTINGENCY_SMTP_PORT": "x",
        "CONTINGENCY_NOTIFY_API_KEY": "nonsense",
        "CONTINGENCY_WEBHOOK_OPS": "nonsense",
    }
    with pytest.raises(ChannelConfigError) as caught:
        load(env)
    assert [p.split(maxsplit=1)[0].rstrip(":") for p in caught.value.problems] == [
        "CONTINGENCY_SMTP_PORT",
        "CONTINGENCY_SMTP_FROM",
        "CONTINGENCY_NOTIFY_API_KEY",
        "CONTINGENCY_WEBHOOK_OPS",
    ]


def test_from_settings_reads_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith(
            ("CONTINGENCY_SMTP_", "CONTINGENCY_NOTIFY_", "CONTINGENCY_WEBHOOK_", "CONTINGENCY_EMAIL_VIA")
        ):
            monkeypatch.delenv(name)
    registry.reset()
    try:
        for name, value in SMTP_ENV.items():
            monkeypatch.setenv(name, value)
        first = registry.from_settings()
        monkeypatch.setenv("CONTINGENCY_WEBHOOK_OPS", "slack:https://x.example.org/hook")
        assert registry.from_settings() is first
        assert first.names() == ["smtp"]
        registry.reset()
        assert registry.from_settings().names() == ["smtp", "webhook:ops"]
    finally:
        registry.reset()
