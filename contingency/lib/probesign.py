"""Signing probe requests: HMAC-SHA256 over the request, a timestamp and a nonce (pure; see ADR 0020).

A probe token is `ctp_<key id>_<secret>`, made by the server for one site of one organisation and
shown once. Both ends derive the signing key from the secret (`signing_key`); the server keeps only
that key and the key id, never the token. Every request a probe makes carries:

    X-Probe-Key: <key id>
    X-Probe-Timestamp: <unix seconds>
    X-Probe-Nonce: <32 hex digits, new for every request>
    X-Probe-Signature: v1=<hex HMAC-SHA256(key, canonical request)>

where the canonical request is, one per line: "v1", the method, the path with its query, the
timestamp, the nonce and the hex SHA-256 of the body. The server refuses a signature that does not
match, a timestamp more than WINDOW from its own clock, and a nonce it has already seen from that key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "ctp_"
WINDOW = 300  # seconds a signed request stays acceptable either side of the server's clock
KEY_HEADER, TIME_HEADER, NONCE_HEADER, SIGNATURE_HEADER = (
    "X-Probe-Key",
    "X-Probe-Timestamp",
    "X-Probe-Nonce",
    "X-Probe-Signature",
)
_TOKEN_RE = re.compile(r"^ctp_([a-z0-9]{12})_([A-Za-z0-9_-]{32,128})$")
_NONCE_RE = re.compile(r"^[0-9a-f]{32}$")


class BadToken(ValueError):
    """The text is not a probe token."""


@dataclass(frozen=True)
class Token:
    key_id: str
    secret: str

    def __str__(self) -> str:
        return f"{PREFIX}{self.key_id}_{self.secret}"


def new_token() -> Token:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return Token("".join(secrets.choice(alphabet) for _ in range(12)), secrets.token_urlsafe(32))


def parse_token(text: str) -> Token:
    match = _TOKEN_RE.match(text.strip())
    if match is None:
        raise BadToken(
            "not a probe token: expected ctp_ followed by the key id and the secret, as shown when it was made"
        )
    return Token(match.group(1), match.group(2))


def signing_key(secret: str) -> bytes:
    """The key both ends sign with, derived from the token's secret."""
    return hashlib.sha256(b"contingency-probe-v1\0" + secret.encode()).digest()


def canonical(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join(["v1", method.upper(), path, timestamp, nonce, digest]).encode()


def signature(key: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    return "v1=" + hmac.new(key, canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()


def sign(token: Token, method: str, path: str, body: bytes, *, now: float, nonce: str | None = None) -> dict[str, str]:
    """The headers that sign one request made at `now` (unix seconds)."""
    stamp = str(int(now))
    nonce = nonce or secrets.token_hex(16)
    return {
        KEY_HEADER: token.key_id,
        TIME_HEADER: stamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(signing_key(token.secret), method, path, stamp, nonce, body),
    }


def matches(key: bytes, given: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bool:
    """Whether `given` is the signature of this request (compared in constant time)."""
    expected = signature(key, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected.encode(), given.strip().encode("utf-8", "replace"))


def well_formed(timestamp: str, nonce: str) -> bool:
    return timestamp.isdigit() and len(timestamp) <= 12 and bool(_NONCE_RE.match(nonce))


def fresh(timestamp: str, now: float) -> bool:
    return abs(int(timestamp) - now) <= WINDOW
