"""Answering a request for the public status page or one of its files: 304, or the bytes, with every header.

One function, `answer`, used by the Django view (web/status/public.py) and by the WSGI edge in front of
Django (`StatusEdge`, wrapped around the application in contingency/wsgi.py). The edge answers the
page's GET and HEAD requests without Django's request machinery: one indexed query on a connection the
thread keeps, then a 304 or the cached bytes. Anything it cannot answer (no such page, a bad Host, an
error) goes on to Django unchanged, which answers it as any other request. Both add the same security
headers Django's middleware would (tests/test_status_edge.py compares them), so a response is the same
whichever answered it. See docs/decisions/0022-status-page-served-by-version.md.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http.request import split_domain_port, validate_host
from django.utils.http import http_date, parse_http_date_safe

from . import readmodel, render
from .publishing.base import content_type
from .words import choose

log = logging.getLogger("contingency.status")

CACHE_CONTROL = "public, max-age=10"  # a reader's cache asks again (conditionally) within ten seconds
FILES = frozenset(render.FILES)


@functools.cache
def security_headers() -> tuple[tuple[str, str], ...]:
    """What SecurityMiddleware, XFrameOptionsMiddleware and our SecurityHeadersMiddleware add to a page
    (settings do not change while a process runs: worked out once)."""
    from contingency.web.middleware import CONTENT_SECURITY_POLICY

    found = [
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        found.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        found.append(("Referrer-Policy", str(settings.SECURE_REFERRER_POLICY)))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        found.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    return tuple(found)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def not_modified(stamp: readmodel.Stamp, etag: str, if_none_match: str | None, if_modified_since: str | None) -> bool:
    if if_none_match is not None:
        tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
        return if_none_match.strip() == "*" or etag in tags
    since = parse_http_date_safe(if_modified_since or "")
    return since is not None and since >= int(stamp.last_modified.timestamp())


def answer(
    slug: str,
    name: str | None,
    *,
    language: str | None = None,
    accept_language: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
) -> Answer | None:
    """The answer for the page (`name` None: in the reader's language) or one file; None when there is none."""
    if name is not None and name not in FILES:
        return None
    stamp = readmodel.stamp(slug)
    if stamp is None:
        return None
    negotiated = name is None
    if name is None:
        name = "index.cy.html" if choose(language, accept_language) == "cy" else "index.html"
    etag = stamp.etag(name)
    headers = [
        ("ETag", etag),
        ("Last-Modified", http_date(stamp.last_modified.timestamp())),
        ("Cache-Control", CACHE_CONTROL),
    ]
    # As Django answers: its middleware reads the session (to mark signed-in pages no-store), so it varies
    # by Cookie as well as, for the page, by language.
    headers.append(("Vary", "Accept-Language, Cookie" if negotiated else "Cookie"))
    if not_modified(stamp, etag, if_none_match, if_modified_since):
        return Answer(304, headers, b"")
    body = readmodel.page(stamp).file(name, "live", render.render)
    return Answer(200, [("Content-Type", content_type(name)), *headers], body)


_PATH = re.compile(r"^/status/(?P<slug>[-a-zA-Z0-9_]+)/(?P<name>[a-z.]+)?$")
_QUERY = re.compile(r"^(lang=(?P<lang>[a-z]{2}))?$")

StartResponse = Callable[..., Any]
Application = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class StatusEdge:
    """WSGI: answer the status page's GET and HEAD requests before Django; pass everything else on."""

    def __init__(self, application: Application) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        found = self._answer(environ) if environ.get("REQUEST_METHOD") in ("GET", "HEAD") else None
        if found is None:
            return self.application(environ, start_response)
        reason = "OK" if found.status == 200 else "Not Modified"
        headers = [*found.headers, *security_headers()]
        if found.status == 200:
            headers.append(("Content-Length", str(len(found.body))))
        start_response(f"{found.status} {reason}", headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" or found.status == 304 else [found.body]

    def _answer(self, environ: dict[str, Any]) -> Answer | None:
        matched = _PATH.match(environ.get("PATH_INFO", ""))
        query = _QUERY.match(environ.get("QUERY_STRING", ""))
        if matched is None or query is None or not self._host_allowed(environ):
            return None
        try:
            return answer(
                matched["slug"],
                matched["name"],
                language=query["lang"],
                accept_language=environ.get("HTTP_ACCEPT_LANGUAGE"),
                if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
                if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
            )
        except Exception:  # the database restarting, say: Django answers this one, and the next try reconnects
            log.exception("the status page's fast path failed; Django answers instead")
            connection.close()
            return None

    def _host_allowed(self, environ: dict[str, Any]) -> bool:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        domain, _ = split_domain_port(host)
        allowed = settings.ALLOWED_HOSTS
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        return bool(domain) and validate_host(domain, allowed)
