"""A real SMTP server (aiosmtpd) on 127.0.0.1, a free port, in a background thread, recording what it receives.

    with SmtpTestServer() as smtp:                       # plain
    with SmtpTestServer(username="u", password="p"):     # AUTH (over plain text unless starttls)
    with SmtpTestServer(starttls=True) as smtp:          # STARTTLS with a self-signed certificate
        smtp.ca_file                                     # ... which clients trust through this file
        smtp.fail_next(1, 421)                           # the next message is refused, 4xx or 5xx
        smtp.messages[0].message["Subject"]

TLS needs the `openssl` command to make the certificate; `tls_available()` says whether it is there
(tests skip TLS otherwise).
"""

from __future__ import annotations

import asyncio
import atexit
import email
import email.policy
import functools
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

DEFAULT_TEXT = {
    421: "4.3.0 Service not available, try again later",
    451: "4.3.0 Local error in processing",
    450: "4.2.0 Mailbox unavailable",
    550: "5.1.1 Mailbox unavailable",
    554: "5.7.1 Message rejected",
}


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None  # the user name it authenticated as
    tls: bool  # whether the session was encrypted
    received_at: float  # time.monotonic()


@dataclass
class _Failure:
    code: int
    text: str
    stage: Literal["rcpt", "data"]


def tls_available() -> bool:
    return shutil.which("openssl") is not None


@functools.cache
def certificate() -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1 (cert, key), made once per process."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed: no certificate for TLS tests")
    directory = Path(tempfile.mkdtemp(prefix="contingency-smtp-tls-"))
    atexit.register(shutil.rmtree, directory, True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class _Handler:
    def __init__(self, owner: SmtpTestServer) -> None:
        self.owner = owner

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if failure := self.owner._take("rcpt"):
            return f"{failure.code} {failure.text}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if failure := self.owner._take("data"):
            return f"{failure.code} {failure.text}"
        content = envelope.original_content or cast(bytes, envelope.content)
        # Lines end in CRLF on the wire; parsed with LF, as a reader sees them.
        parsed = email.message_from_bytes(content.replace(b"\r\n", b"\n"), policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        received = ReceivedMessage(
            mail_from=str(envelope.mail_from),
            rcpt_tos=list(envelope.rcpt_tos),
            message=parsed,
            login=login,
            tls=session.ssl is not None or _encrypted(server),
            received_at=time.monotonic(),
        )
        with self.owner._lock:
            self.owner._messages.append(received)
            count = len(self.owner._messages)
            self.owner._arrived.notify_all()
        return f"250 2.0.0 OK queued as {count}"


def _encrypted(server: SMTP) -> bool:
    # Implicit TLS (port 465 style) leaves session.ssl unset; the transport knows.
    return server.transport is not None and server.transport.get_extra_info("ssl_object") is not None


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: learn the port the system chose before aiosmtpd connects to itself.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpTestServer:
    def __init__(
        self,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        implicit_tls: bool = False,
        auth_require_tls: bool | None = None,
    ) -> None:
        """`starttls`: offer STARTTLS; `implicit_tls`: TLS from the first byte (port 465 style);
        `auth_require_tls`: offer AUTH only after TLS (default: when TLS is offered)."""
        self.username, self.password = username, password
        self.starttls, self.implicit_tls = starttls, implicit_tls
        self.auth_require_tls = (starttls or implicit_tls) if auth_require_tls is None else auth_require_tls
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._messages: list[ReceivedMessage] = []
        self._failures: list[_Failure] = []
        self._controller: _Controller | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        assert self._controller is not None, "not started"
        return int(self._controller.port)

    @property
    def ca_file(self) -> Path:
        """The certificate a client must trust to talk TLS to this server."""
        return certificate()[0]

    def start(self) -> Self:
        assert self._controller is None, "already started"
        kwargs: dict[str, Any] = {"server_hostname": "localhost", "ident": "Contingency test SMTP"}
        if self.starttls or self.implicit_tls:
            cert, key = certificate()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            if self.implicit_tls:
                kwargs["ssl_context"] = context
            else:
                kwargs["tls_context"] = context
        if self.username is not None:
            kwargs |= {
                "authenticator": self._authenticate,
                "auth_require_tls": self.auth_require_tls,
                # Required only with TLS: aiosmtpd warns about requiring AUTH in plain text.
                "auth_required": self.auth_require_tls,
            }
        controller = _Controller(_Handler(self), hostname="127.0.0.1", port=0, **kwargs)
        controller.start()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def fail_next(
        self, count: int, code: int, text: str | None = None, *, stage: Literal["rcpt", "data"] = "data"
    ) -> None:
        """Refuse the next `count` messages with `code` (421 or 451: try later; 550 or 554: never), at the
        recipient (RCPT) or after the message (DATA)."""
        with self._lock:
            self._failures += [_Failure(code, text or DEFAULT_TEXT.get(code, "refused"), stage)] * count

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        """The messages once there are at least `count` (or what there is after `timeout` seconds)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._messages) >= count, timeout)
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()
            self._failures.clear()

    def _take(self, stage: str) -> _Failure | None:
        with self._lock:
            if self._failures and self._failures[0].stage == stage:
                return self._failures.pop(0)
            return None

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.username is not None
            and self.password is not None
            and auth_data.login == self.username.encode()
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
