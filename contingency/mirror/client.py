"""The laptop's side of the wire: ask the server, and accept only a fresh answer it signed.

Every way a request can fail becomes a PullFailed whose message says why in words a continuity
lead can act on: the server did not answer or broke off, refused the token (and why: expired,
revoked), does not know the organisation, or sent something that is not signed by the pinned key,
is for another request, or does not match what the feed promised.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from contingency import __version__
from contingency.lib import keys

from . import wire

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0


class PullFailed(Exception):
    """A pull that cannot go on; `message` says why, for the laptop's pages and the command line."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def check_url(url: str) -> str:
    """The server's base address without a trailing slash; ValueError when it is not http(s)://host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not a server address: give it as https://host (or http://host:port)")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} has a query or fragment: give the server's address only")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass
class Client:
    """Signed requests to one server with one token, verified against the pinned public key."""

    base: str
    token: str
    public_key: str
    session: requests.Session | None = None

    def __post_init__(self) -> None:
        self.session = self.session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {self.token}", "User-Agent": f"contingency-mirror/{__version__}"}
        )

    def organisations(self) -> list[str]:
        payload = self._get("/api/v1/mirror/organisations", {}, wire.ORGANISATIONS, what="the list of organisations")
        found = payload.get("organisations")
        if not isinstance(found, list) or not all(
            isinstance(o, dict) and isinstance(o.get("slug"), str) for o in found
        ):
            raise PullFailed("the server's list of organisations is not in the expected form")
        return [str(o["slug"]) for o in found]

    def feed(self, slug: str, since: str) -> dict[str, Any]:
        path = f"/api/v1/mirror/organisations/{quote(slug)}/feed"
        payload = self._get(path, {"since": since}, wire.FEED, what=f"the feed of {slug}", organisation=slug)
        if not isinstance(payload.get("organisation"), dict) or payload["organisation"].get("id") != slug:
            raise PullFailed(f"the feed describes another organisation than {slug!r}: refused")
        return payload

    def plan(self, slug: str, key: str, issue: int) -> dict[str, Any]:
        path = f"/api/v1/mirror/organisations/{quote(slug)}/plans/{quote(key)}/issues/{issue}"
        what = f"issue {issue} of plan {key}"
        payload = self._get(path, {}, wire.PLAN, what=what, organisation=slug)
        if payload.get("key") != key or payload.get("issue") != issue:
            raise PullFailed(f"the server answered with another plan or issue than {what}: refused")
        return payload

    def _get(
        self, path: str, params: dict[str, str], kind: str, *, what: str, organisation: str | None = None
    ) -> dict[str, Any]:
        nonce = secrets.token_urlsafe(24)
        body, headers = self._fetch(path, {**params, "nonce": nonce}, what, organisation)
        self._verify(body, headers, what)
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise PullFailed(f"{what}: the signed answer is not JSON") from None
        if not isinstance(payload, dict) or payload.get("kind") != kind:
            raise PullFailed(f"{what}: the signed answer is not a {kind} payload")
        if payload.get("nonce") != nonce:
            raise PullFailed(f"{what}: the answer was signed for another request (a replayed answer?): refused")
        if organisation is not None and kind == wire.PLAN and payload.get("organisation") != organisation:
            raise PullFailed(f"{what}: the answer is for another organisation: refused")
        return payload

    def _fetch(
        self, path: str, params: dict[str, str], what: str, organisation: str | None
    ) -> tuple[bytes, requests.structures.CaseInsensitiveDict[str]]:
        assert self.session is not None
        url = self.base + path
        try:
            with self.session.get(url, params=params, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True) as answer:
                body = _read_bounded(answer, what)
                status, headers = answer.status_code, answer.headers
        except requests.Timeout:
            raise PullFailed(f"the server {self.base} did not answer in time while sending {what}") from None
        except requests.exceptions.ChunkedEncodingError:
            raise PullFailed(f"the connection to {self.base} broke off while it was sending {what}") from None
        except requests.ConnectionError as exc:
            raise PullFailed(f"the server {self.base} could not be reached for {what}: {_reason(exc)}") from None
        except requests.RequestException as exc:
            raise PullFailed(f"the request for {what} failed: {exc}") from None
        if status != 200:
            raise PullFailed(_refusal(status, body, what, self.base, organisation))
        return body, headers

    def _verify(self, body: bytes, headers: requests.structures.CaseInsensitiveDict[str], what: str) -> None:
        signature = headers.get(wire.SIGNATURE_HEADER)
        if not signature:
            raise PullFailed(
                f"{what}: the answer is not signed (a proxy may have answered instead of the server): refused"
            )
        try:
            keys.verify(self.public_key, body, signature)
        except keys.SignatureInvalid as exc:
            signed_by = headers.get(wire.KEY_HEADER, "")
            pinned = keys.fingerprint(self.public_key)
            if signed_by and signed_by != pinned:
                raise PullFailed(
                    f"{what}: signed with key {signed_by}, not the pinned key {pinned}: refused "
                    "(if the server's key was replaced on purpose, pin the new one with --server-key and --repin)"
                ) from None
            raise PullFailed(f"{what}: {exc}: refused") from None


def _read_bounded(answer: requests.Response, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in answer.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > wire.MAX_BODY:
            raise PullFailed(f"{what}: the answer is larger than {wire.MAX_BODY // (1024 * 1024)} MB: refused")
        chunks.append(chunk)
    declared = answer.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) != size and "Content-Encoding" not in answer.headers:
        raise PullFailed(f"the connection broke off while the server was sending {what} ({size} of {declared} bytes)")
    return b"".join(chunks)


def _reason(exc: requests.ConnectionError) -> str:
    text = str(exc)
    for known in ("Connection refused", "Connection reset", "Name or service not known", "timed out"):
        if known.lower() in text.lower():
            return known.lower()
    return "the connection failed"


def _refusal(status: int, body: bytes, what: str, base: str, organisation: str | None) -> str:
    try:
        detail = json.loads(body.decode("utf-8")).get("detail", "")
    except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        detail = ""
    detail = str(detail)[:300]
    if status == 401:
        return f"the server refused the token: {detail or 'it is not valid'}"
    if status == 403:
        return f"the server refused {what}: {detail or 'forbidden'}"
    if status == 404 and organisation is not None and what.startswith("the feed"):
        return (
            f"the server has no organisation {organisation!r} that this token may read: "
            "check the organisation's id, and that the token's user is a member of it"
        )
    if status == 404:
        return f"the server has no {what} ({detail or 'not found'})"
    return f"the server {base} answered {status} for {what}" + (f": {detail}" if detail else "")
