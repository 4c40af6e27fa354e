"""The server's signing key for the mirror feed, read (or made) once per process from its file."""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from contingency.lib import keys

from . import wire


@functools.cache
def _key_at(path: Path) -> Ed25519PrivateKey:
    return keys.load_or_create(path)


def server_key() -> Ed25519PrivateKey:
    """The signing key; raise keys.KeyUnusable saying why it cannot be read or made."""
    return _key_at(Path(settings.CONTINGENCY_MIRROR_KEY_FILE))


def public_key() -> str:
    """The public key laptops pin (`ed25519:...`)."""
    return keys.public_text(server_key())


def signature_headers(body: bytes) -> dict[str, str]:
    key = server_key()
    public = keys.public_text(key)
    return {wire.SIGNATURE_HEADER: keys.sign(key, body), wire.KEY_HEADER: keys.fingerprint(public)}
