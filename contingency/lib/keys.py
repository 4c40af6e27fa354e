"""Ed25519 signatures over bytes: the server signs what it sends a laptop copy, the laptop verifies.

The server keeps one private key in a file (made on first use, readable by its owner only); a
laptop pins the public key, written `ed25519:<43 characters>`, when it first pulls. Whoever holds
a token can read the feed, but only the server can sign it, so a proxy, a cache or a stolen token
cannot slip an altered plan onto a laptop. Pure functions over `cryptography`; no Django.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KIND = "ed25519"


class KeyUnusable(ValueError):
    """A key that cannot be read or used; the message says why, plainly."""


class SignatureInvalid(ValueError):
    """The bytes were not signed by the key, or the signature is malformed."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as a laptop pins it: `ed25519:<base64url of the 32 raw bytes>`."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"{KIND}:{_b64(raw)}"


def fingerprint(public: str) -> str:
    """A short name for a public key (16 hex digits of its SHA-256), to tell keys apart in messages."""
    return hashlib.sha256(public.strip().encode()).hexdigest()[:16]


def parse_public(text: str) -> Ed25519PublicKey:
    """A pinned public key from its text; raise KeyUnusable saying what is wrong with it."""
    kind, _, body = text.strip().partition(":")
    if kind != KIND or not body:
        raise KeyUnusable(f"expected {KIND}:<key> (as `contingency mirror-key` prints it), got {text.strip()[:60]!r}")
    try:
        raw = _unb64(body)
    except (binascii.Error, ValueError):
        raise KeyUnusable("the key is not base64url text") from None
    if len(raw) != 32:
        raise KeyUnusable(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def sign(key: Ed25519PrivateKey, data: bytes) -> str:
    """The signature of `data`, as base64url text for a header."""
    return _b64(key.sign(data))


def verify(public: str, data: bytes, signature: str) -> None:
    """Return if `signature` is `public`'s over exactly `data`; raise SignatureInvalid otherwise."""
    key = parse_public(public)
    try:
        raw = _unb64(signature.strip())
    except (binascii.Error, ValueError):
        raise SignatureInvalid("the signature is not base64url text") from None
    try:
        key.verify(raw, data)
    except InvalidSignature:
        raise SignatureInvalid("the signature does not match the content: it was altered on the way") from None


def load_or_create(path: Path) -> Ed25519PrivateKey:
    """The private key in `path`, made there (mode 0600) if there is none; raise KeyUnusable if unusable.

    Two processes starting at once cannot both make one: the key is written to a temporary file
    and linked into place, which fails for the second, which then reads the first one's key.
    """
    if not path.exists():
        _create(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyUnusable(f"{path} cannot be read: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyUnusable(f"{path} does not hold a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnusable(f"{path} holds a private key that is not Ed25519")
    return key


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=".key-")
        temporary = Path(name)
    except OSError as exc:
        raise KeyUnusable(f"{path} cannot be made: {exc.strerror}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(pem)
        temporary.chmod(0o600)
        with contextlib.suppress(FileExistsError):
            path.hardlink_to(temporary)
    except OSError as exc:
        raise KeyUnusable(f"{path} cannot be written: {exc.strerror}") from None
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()
