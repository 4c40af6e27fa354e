"""E-mail through an SMTP relay (smtplib), with STARTTLS or implicit TLS and optional authentication.

One connection per message: nothing is shared between calls, so the transport is thread-safe by
construction, and a relay that drops idle connections never breaks a later send. The Message-ID comes
from the message's key, so a resend after a crash carries the same Message-ID and a receiving system
that de-duplicates on it keeps one copy.
"""

from __future__ import annotations

import functools
import hashlib
import re
import smtplib
import socket
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from .base import Outgoing, Receipt, Transport, TransportError

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}


class SmtpConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)  # default: 25, 587 or 465 by `security`
    security: Security = "starttls"
    username: str | None = None
    password: SecretStr | None = Field(default=None, validate_default=True)
    sender: str  # the From header: "Name <address>" or an address
    timeout: float = Field(default=15.0, gt=0, le=300)
    rate_per_minute: int | None = Field(default=None, ge=1)
    ca_file: Path | None = None  # certificates to trust besides the system's (a relay with a private CA)

    @model_validator(mode="before")
    @classmethod
    def _default_port(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("port") is None:
            data = {**data, "port": DEFAULT_PORTS.get(str(data.get("security", "starttls")), 587)}
        return data

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not _is_address(parseaddr(value)[1]):
            raise ValueError(
                f"{value!r} is not an e-mail address (write address@example.org or Name <address@example.org>)"
            )
        return value

    @field_validator("password")
    @classmethod
    def _paired(cls, value: SecretStr | None, info: Any) -> SecretStr | None:
        username = info.data.get("username")
        if username and value is None:
            raise ValueError("a password is needed with the user name")
        if value is not None and not username:
            raise ValueError("a password was given without a user name")
        return value

    @field_validator("ca_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r} is not a file")
        return value


class SmtpTransport(Transport):
    kind = "smtp"

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.timeout = config.timeout
        self.rate_per_minute = config.rate_per_minute
        self._envelope_from = parseaddr(config.sender)[1]

    def describe(self) -> str:
        how = {"none": "without TLS", "starttls": "with STARTTLS", "tls": "over TLS"}[self.config.security]
        who = f", signed in as {self.config.username}" if self.config.username else ""
        return f"SMTP {self.config.host}:{self.config.port} {how}{who}, from {self.config.sender}"

    def send(self, message: Outgoing) -> Receipt:
        email = build_message(message, sender=self.config.sender)
        try:
            connection = self._connect()
            try:
                if self.config.username and self.config.password is not None:
                    connection.login(self.config.username, self.config.password.get_secret_value())
                connection.send_message(email, from_addr=self._envelope_from, to_addrs=[message.address])
            finally:
                _close(connection)
        except (smtplib.SMTPException, OSError) as exc:
            raise _classify(exc, self.config) from exc
        return Receipt(provider_ref=str(email["Message-ID"]), detail=f"accepted by {self.config.host}")

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "none":
            return smtplib.SMTP(config.host, config.port, local_hostname=_local_hostname(), timeout=config.timeout)
        context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
        if config.security == "tls":
            return smtplib.SMTP_SSL(
                config.host, config.port, local_hostname=_local_hostname(), timeout=config.timeout, context=context
            )
        connection = smtplib.SMTP(config.host, config.port, local_hostname=_local_hostname(), timeout=config.timeout)
        try:
            connection.starttls(context=context)
        except BaseException:
            connection.close()
            raise
        return connection


def build_message(message: Outgoing, *, sender: str) -> EmailMessage:
    """The e-mail for one message; a recipient address that is not an e-mail address is a permanent failure."""
    if not _is_address(message.address):
        raise TransportError(f"{message.address!r} is not an e-mail address", permanent=True)
    email = EmailMessage()
    email["From"] = sender
    try:
        email["To"] = Address(display_name=_one_line(message.recipient), addr_spec=message.address)
    except (ValueError, IndexError) as exc:
        raise TransportError(f"{message.address!r} is not an e-mail address", permanent=True) from exc
    email["Subject"] = _one_line(message.subject)
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = message_id(message.key)
    email["X-Contingency-Key"] = _one_line(message.key)
    body = message.body
    if message.ack_link and message.ack_link not in body:
        body = f"{body.rstrip()}\n\nAcknowledge this message: {message.ack_link}\n"
    email.set_content(body)
    return email


def message_id(key: str) -> str:
    """`<key@contingency>`; a key with characters a Message-ID cannot carry has them replaced and a digest
    of the whole key added, so two different keys never share a Message-ID."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", key)[:64]
    if safe != key or not safe:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        safe = f"{safe}.{digest}" if safe else digest
    return f"<{safe}@contingency>"


def _is_address(value: str) -> bool:
    local, at, domain = value.rpartition("@")
    return bool(at and local and domain) and not re.search(r"[\s<>,;]", value)


def _one_line(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _local_hostname() -> str:
    # smtplib looks the name up on every connection; a laptop without DNS can take seconds over it.
    return socket.getfqdn() or "localhost"


def _close(connection: smtplib.SMTP) -> None:
    """QUIT, ignoring a failure: the message was accepted (or refused) already, and that is the outcome."""
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {_one_line(words)[:200]}"


def _classify(exc: BaseException, config: SmtpConfig) -> TransportError:
    """4xx replies, lost connections and timeouts may pass; 5xx replies and refused TLS will not."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = list(exc.recipients.values())
        permanent = bool(replies) and all(500 <= code < 600 for code, _ in replies)
        said = "; ".join(_reply(code, text) for code, text in replies)
        return TransportError(f"{where} refused the recipient: {said}", permanent=permanent)
    if isinstance(exc, smtplib.SMTPResponseException):
        what = {
            smtplib.SMTPAuthenticationError: "refused the user name and password",
            smtplib.SMTPSenderRefused: "refused the sender",
            smtplib.SMTPDataError: "refused the message",
            smtplib.SMTPConnectError: "refused the connection",
            smtplib.SMTPHeloError: "refused the greeting",
        }.get(type(exc), "answered")
        return TransportError(
            f"{where} {what}: {_reply(exc.smtp_code, exc.smtp_error)}", permanent=500 <= exc.smtp_code < 600
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return TransportError(f"{where}: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return TransportError(f"{where} closed the connection: {exc}", permanent=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TransportError(
            f"{where}: the server's certificate is not trusted ({exc.verify_message})", permanent=True
        )
    if isinstance(exc, TimeoutError):
        return TransportError(f"{where} did not answer within {config.timeout:g} s", permanent=False)
    if isinstance(exc, ConnectionRefusedError):
        return TransportError(f"{where} refused the connection (nothing listening?)", permanent=False)
    if isinstance(exc, socket.gaierror):
        return TransportError(f"{config.host} could not be looked up: {exc.strerror}", permanent=False)
    return TransportError(f"{where}: {type(exc).__name__}: {exc}", permanent=False)
