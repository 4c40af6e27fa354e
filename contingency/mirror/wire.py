"""What the server and a laptop copy agree on: payload kinds, headers, the cursor and the nonce.

Every answer of the mirror endpoints is one JSON object, signed as the exact bytes sent; it names
its kind, the organisation, and echoes the nonce the laptop sent, so an answer cannot be replayed
for another request, another organisation or another plan. The cursor is a pure function of the
issued plans (key, issue, SHA-256 of the issued text), computed the same way by both sides: a
laptop sends the cursor of what it holds, and the server answers "unchanged" when it matches.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

FEED = "contingency.mirror.feed/v1"
PLAN = "contingency.mirror.plan/v1"
ORGANISATIONS = "contingency.mirror.organisations/v1"
SIGNATURE_HEADER = "X-Contingency-Signature"
KEY_HEADER = "X-Contingency-Key"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
CURSOR = re.compile(r"^[0-9a-f]{64}$")
MAX_BODY = 32 * 1024 * 1024  # the largest answer a laptop reads (a plan's issued text is ~100 KB)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cursor_of(entries: Iterable[tuple[str, int, str]]) -> str:
    """The cursor of a set of issued plans: (plan key, issue, SHA-256 of its text) each."""
    canonical = json.dumps(sorted([key, issue, digest] for key, issue, digest in entries), separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def encode(payload: dict[str, Any]) -> bytes:
    """The bytes sent and signed."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")
