"""The interface every channel implements, and the message it is given to send.

A transport sends one message and returns a receipt, or raises TransportError saying whether
trying again later could help (temporary: timeouts, 429, 5xx) or not (permanent: a bad address,
refused credentials, a 4xx). It keeps no state between calls and must be safe to call from
several threads at once: the delivery worker sends through a pool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Outgoing:
    """One message to one address. `key` is the same on every attempt at this message: transports
    pass it on as an idempotency key or reference where the provider takes one."""

    key: str
    address: str  # an e-mail address, a phone number in E.164 or national form, or a webhook's name
    recipient: str  # who it is for, as people read it
    subject: str
    body: str  # the full text, for e-mail and chat
    short: str  # the text for SMS (already within the SMS length the template allows)
    link: str = ""  # the incident page, for buttons in chat cards
    ack_link: str = ""  # the signed acknowledgement link, empty when none is asked for


@dataclass(frozen=True)
class Receipt:
    provider_ref: str = ""  # the provider's id for the message, when it gives one
    detail: str = ""


class TransportError(Exception):
    def __init__(
        self, message: str, *, permanent: bool, retry_after: float | None = None, maybe_sent: bool = False
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the provider asked us to wait (Retry-After), if it did
        # The request may have reached the provider (no answer in time): a retry may be a second copy.
        self.maybe_sent = maybe_sent


class Transport(ABC):
    """A configured way of sending. `kind` is its sort ("smtp", "teams"), `name` its registry name (the kind,
    or `webhook:<name>` for webhooks, of which there may be several); `rate_per_minute` is the most
    messages a minute the delivery worker may send through it, across every worker (None: no limit)."""

    kind: ClassVar[str]
    rate_per_minute: int | None = None
    # The longest one send may take before the transport gives up (its configured timeout, seconds):
    # the delivery worker's claim lease follows it.
    timeout: float = 30.0

    @property
    def name(self) -> str:
        """The name the registry knows this transport by, unique among the configured ones."""
        return self.kind

    @property
    def rate_group(self) -> str:
        """Transports with the same rate group share one `rate_per_minute` budget: GOV.UK Notify's limit
        is per service, across its SMS and e-mail."""
        return self.name

    @abstractmethod
    def send(self, message: Outgoing) -> Receipt: ...

    def describe(self) -> str:
        """Where messages go, for `contingency notify check` (never a secret)."""
        return self.kind
