"""SMS and e-mail through GOV.UK Notify, with its official Python client.

The deployment's Notify service needs two templates, whose ids go in the configuration:
an SMS template whose text is `((body))`, and an e-mail template whose subject is `((subject))` and
whose body is `((body))`. Contingency writes the words; Notify only carries them. Each message's key
is sent as Notify's `reference`, so a message found in Notify's dashboard can be traced to its row.

The client keeps a `requests.Session` and says it is not thread-safe, so each send makes its own
client (and closes its session afterwards); the delivery worker sends from several threads.
Notify's limit (3,000 messages a minute by default) is per service, shared by SMS and e-mail: both
transports report the same `rate_group`.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .base import Outgoing, Receipt, Transport, TransportError
from .webhooks import retry_after_seconds

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_UUID_RE = re.compile(f"^{_UUID}$")
_KEY_TAIL_RE = re.compile(f"^{_UUID}-{_UUID}$")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def _uuid(value: str | None, what: str) -> str | None:
    if value is not None and not _UUID_RE.match(value):
        raise ValueError(f"{value!r} is not {what} (a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6)")
    return value


class NotifyConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    sms_template_id: str | None = None
    email_template_id: str | None = None
    sms_sender_id: str | None = None
    email_reply_to_id: str | None = None
    timeout: float = Field(default=15.0, gt=0, le=300)
    rate_per_minute: int | None = Field(default=3000, ge=1)

    @field_validator("api_key")
    @classmethod
    def _key_shape(cls, value: SecretStr) -> SecretStr:
        key = value.get_secret_value()
        # {name}-{service id}-{secret}: the client reads the last 73 characters as two UUIDs.
        if not _KEY_TAIL_RE.match(key[-73:]) or (len(key) > 73 and key[-74] != "-"):
            raise ValueError(
                "not a GOV.UK Notify API key: a key is its name, the service id and the secret joined by '-', "
                "ending in two UUIDs (copy the whole key from the API integration page)"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in _LOCAL_HOSTS
        if not parts.hostname or parts.scheme not in ("https", "http") or (parts.scheme == "http" and not local):
            raise ValueError(f"{value!r} is not an https:// address (http:// is only for a local test server)")
        return value.rstrip("/")

    @field_validator("sms_template_id", "email_template_id")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return _uuid(value, "a Notify template id")

    @field_validator("sms_sender_id")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        return _uuid(value, "a Notify text message sender id")

    @field_validator("email_reply_to_id")
    @classmethod
    def _reply_to(cls, value: str | None) -> str | None:
        return _uuid(value, "a Notify reply-to address id")

    @property
    def service_id(self) -> str:
        return self.api_key.get_secret_value()[-73:-37]


class _NotifyTransport(Transport):
    channel: Literal["sms", "email"]

    def __init__(self, config: NotifyConfig) -> None:
        self.config = config
        self.timeout = config.timeout
        self.rate_per_minute = config.rate_per_minute
        template = config.sms_template_id if self.channel == "sms" else config.email_template_id
        if template is None:
            raise ValueError(f"the Notify configuration has no {self.channel} template id")
        self.template_id = template

    @property
    def rate_group(self) -> str:
        return "notify"

    def describe(self) -> str:
        what = "SMS" if self.channel == "sms" else "e-mail"
        host = urlsplit(self.config.base_url).netloc
        return f"GOV.UK Notify {what} at {host}, service {self.config.service_id}, template {self.template_id}"

    def send(self, message: Outgoing) -> Receipt:
        client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.config.api_key.get_secret_value(), base_url=self.config.base_url, timeout=self.config.timeout
        )
        try:
            answer = self._post(client, message)
        except InvalidResponse as exc:
            if exc.response is not None and 200 <= exc.response.status_code < 300:
                # Accepted, with an answer we cannot read: sending again would send twice.
                return Receipt(detail=f"accepted ({exc.response.status_code}) without a readable answer")
            raise _classify(exc, self.config.timeout) from exc
        except APIError as exc:
            raise _classify(exc, self.config.timeout) from exc
        finally:
            client.request_session.close()
        ref = str(answer.get("id", "")) if isinstance(answer, dict) else ""
        return Receipt(provider_ref=ref, detail="accepted by GOV.UK Notify")

    def _post(self, client: NotificationsAPIClient, message: Outgoing) -> Any:
        raise NotImplementedError


class NotifySmsTransport(_NotifyTransport):
    kind = "notify-sms"
    channel = "sms"

    def _post(self, client: NotificationsAPIClient, message: Outgoing) -> Any:
        return client.send_sms_notification(  # type: ignore[no-untyped-call]
            phone_number=message.address,
            template_id=self.template_id,
            personalisation={"subject": message.subject, "body": message.short},
            reference=message.key,
            sms_sender_id=self.config.sms_sender_id,
        )


class NotifyEmailTransport(_NotifyTransport):
    kind = "notify-email"
    channel = "email"

    def _post(self, client: NotificationsAPIClient, message: Outgoing) -> Any:
        body = message.body
        if message.ack_link and message.ack_link not in body:
            body = f"{body.rstrip()}\n\nAcknowledge this message: {message.ack_link}\n"
        return client.send_email_notification(  # type: ignore[no-untyped-call]
            email_address=message.address,
            template_id=self.template_id,
            personalisation={"subject": message.subject, "body": body},
            reference=message.key,
            email_reply_to_id=self.config.email_reply_to_id,
        )


def _said(exc: APIError) -> str:
    """Notify's own words: `{"errors": [{"error": "BadRequestError", "message": "..."}]}`."""
    said = exc.message
    if isinstance(said, list):
        return "; ".join(
            f"{e.get('error', 'Error')}: {e.get('message', '')}" if isinstance(e, dict) else str(e) for e in said
        )
    return str(said)


def _classify(exc: APIError, timeout: float) -> TransportError:
    """429, 5xx and no answer at all may pass; any other 4xx (a bad number, a refused key) will not."""
    response = exc.response
    if response is None:
        cause = exc.__cause__
        if isinstance(cause, requests.Timeout):
            sent = not isinstance(cause, requests.ConnectTimeout)
            return TransportError(
                f"GOV.UK Notify did not answer within {timeout:g} s", permanent=False, maybe_sent=sent
            )
        if isinstance(cause, requests.ConnectionError):
            return TransportError("could not connect to GOV.UK Notify", permanent=False)
        name = type(cause).__name__ if cause else type(exc).__name__
        return TransportError(f"the request to GOV.UK Notify failed ({name})", permanent=False)
    status = response.status_code
    if status == 429:
        return TransportError(
            f"GOV.UK Notify is limiting the rate (429): {_said(exc)}",
            permanent=False,
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if 400 <= status < 500:
        return TransportError(f"GOV.UK Notify refused the message ({status}): {_said(exc)}", permanent=True)
    return TransportError(f"GOV.UK Notify failed ({status}): {_said(exc)}", permanent=False)
