"""Posts to chat and JSON webhooks: Microsoft Teams (Power Automate workflows), Slack, generic JSON.

Posted directly with requests rather than through apprise (decision 0006): the HTTP status decides
temporary or permanent, the message's key goes in an Idempotency-Key header, and any URL works, so a
local server can stand in for Teams or Slack. Webhook URLs carry their credentials (Slack's token,
Power Automate's signature): no message, description or repr here shows more than the host.
"""

from __future__ import annotations

import math
import time
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, field_validator

from contingency.plans.spec.types import ID_PATTERN

from .base import Outgoing, Receipt, Transport, TransportError

WebhookKind = Literal["teams", "slack", "webhook"]
OPEN_INCIDENT = "Open the incident"


class WebhookConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    name: str = Field(pattern=ID_PATTERN)
    kind: WebhookKind
    url: str = Field(repr=False)
    timeout: float = Field(default=10.0, gt=0, le=120)
    rate_per_minute: int | None = Field(default=60, ge=1)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError("not a web address: it should start with https:// (or http://) and name a host")
        return value


class WebhookTransport(Transport):
    """One configured webhook; the subclasses say what the posted JSON looks like."""

    kind: ClassVar[str] = "webhook"
    label: ClassVar[str] = "JSON webhook"

    def __init__(self, config: WebhookConfig) -> None:
        self.config = config
        self.timeout = config.timeout
        self.rate_per_minute = config.rate_per_minute

    @property
    def name(self) -> str:
        return f"webhook:{self.config.name}"

    def describe(self) -> str:
        return f"{self.label} at {urlsplit(self.config.url).hostname}"

    def payload(self, message: Outgoing) -> dict[str, Any]:
        return {
            "key": message.key,
            "recipient": message.recipient,
            "subject": message.subject,
            "body": message.body,
            "link": message.link,
        }

    def send(self, message: Outgoing) -> Receipt:
        where = f"the {self.label} {self.config.name!r}"
        try:
            response = requests.post(
                self.config.url,
                json=self.payload(message),
                timeout=self.config.timeout,
                headers={"Idempotency-Key": message.key, "User-Agent": "Contingency"},
                # A redirect would turn the POST into a GET that "succeeds" without posting anything.
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            sent = not isinstance(exc, requests.ConnectTimeout)
            raise TransportError(
                f"{where} did not answer within {self.config.timeout:g} s", permanent=False, maybe_sent=sent
            ) from exc
        except requests.ConnectionError as exc:
            raise TransportError(f"could not connect to {where}", permanent=False) from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.InvalidHeader) as exc:
            raise TransportError(f"{where} cannot be posted to ({type(exc).__name__})", permanent=True) from exc
        except requests.RequestException as exc:
            # Never str(exc): requests puts the URL, and so its credentials, in its messages.
            raise TransportError(f"posting to {where} failed ({type(exc).__name__})", permanent=False) from exc
        status = response.status_code
        if 200 <= status < 300:
            return Receipt(detail=f"{status} from {urlsplit(self.config.url).hostname}")
        said = " ".join(response.text.split())[:200]
        text = f"{where} answered {status}" + (f": {said}" if said else "")
        if status == 429:
            raise TransportError(
                text, permanent=False, retry_after=retry_after_seconds(response.headers.get("Retry-After"))
            )
        if 300 <= status < 400:
            raise TransportError(f"{text} (a redirect: the URL needs updating)", permanent=True)
        raise TransportError(text, permanent=400 <= status < 500)


class TeamsWebhook(WebhookTransport):
    """A Power Automate "workflows" webhook (Teams' replacement for connectors): an Adaptive Card."""

    kind = "teams"
    label = "Teams webhook"

    def payload(self, message: Outgoing) -> dict[str, Any]:
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True},
                {"type": "TextBlock", "text": message.body, "wrap": True},
            ],
            "actions": [{"type": "Action.OpenUrl", "title": OPEN_INCIDENT, "url": message.link}]
            if message.link
            else [],
        }
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
            ],
        }


class SlackWebhook(WebhookTransport):
    """A Slack incoming webhook: one mrkdwn text."""

    kind = "slack"
    label = "Slack webhook"

    def payload(self, message: Outgoing) -> dict[str, Any]:
        text = f"{_slack_escape(message.subject)}\n{_slack_escape(message.body)}"
        if message.link:
            text += f"\n<{message.link}|{OPEN_INCIDENT}>"
        return {"text": text}


_FLAVOURS: dict[str, type[WebhookTransport]] = {
    "teams": TeamsWebhook,
    "slack": SlackWebhook,
    "webhook": WebhookTransport,
}


def webhook_transport(config: WebhookConfig) -> WebhookTransport:
    """The transport for a webhook's kind."""
    return _FLAVOURS[config.kind](config)


def _slack_escape(text: str) -> str:
    # Slack reads <...> as links and mentions; these three are all it asks to be escaped.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header in seconds: delay-seconds or an HTTP date; None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))
