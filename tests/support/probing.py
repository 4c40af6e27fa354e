"""Signed probe requests through Django's test client, and results as a probe would push them."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.test import Client

from contingency.lib import probesign

BASE = "/api/v1/organisations"


def signed(
    token: str | probesign.Token,
    method: str,
    path: str,
    body: Any = None,
    *,
    now: float,
    nonce: str | None = None,
    client: Client | None = None,
    tamper: dict[str, str] | None = None,
) -> Any:
    """Send one signed request (`tamper` replaces headers after signing)."""
    parsed = probesign.parse_token(token) if isinstance(token, str) else token
    data = b"" if body is None else json.dumps(body).encode()
    headers = probesign.sign(parsed, method, path, data, now=now, nonce=nonce) | (tamper or {})
    client = client or Client()
    if method == "GET":
        return client.get(path, headers=headers)
    return client.generic(method, path, data, content_type="application/json", headers=headers)


def result(
    check: str, ok: bool, at: datetime, *, plan: str = "pacs-bcdr", system: str = "pacs", **extra: Any
) -> dict[str, Any]:
    return {"plan": plan, "system": system, "check": check, "at": at.isoformat(), "ok": ok, **extra}


def report(site: str, *results: dict[str, Any], every: int = 60) -> dict[str, Any]:
    return {"site": site, "everySeconds": every, "results": list(results)}
