"""The status page's WSGI edge: it answers the page's GET and HEAD requests before Django exactly as Django
would (status, body and every header), and passes everything else on."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections
from django.test import Client

from contingency.status import readmodel
from contingency.wsgi import application, django_application

from .support.status import northwick

pytestmark = pytest.mark.django_db
IGNORED = {"date", "server", "content-length"}


def call(path: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """The WSGI application called as a server would; (status, headers, body)."""
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.input": BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": BytesIO(),
        **{f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()},
    }
    seen: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"] = int(status.split()[0])
        seen["headers"] = {k.lower(): v for k, v in response_headers}

    # As Django's test client does: a request must not close the test's connection (its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        body = b"".join(application(environ, start_response))
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"], body


@pytest.fixture
def page(demo_plans: list[object]) -> None:
    northwick()
    readmodel.clear()


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/status/northwick-general/", {}),
        ("/status/northwick-general/?lang=cy", {}),
        ("/status/northwick-general/", {"Accept-Language": "cy"}),
        ("/status/northwick-general/feed.atom", {}),
        ("/status/northwick-general/maintenance.ics", {}),
        ("/status/northwick-general/status.json", {}),
    ],
)
def test_the_edge_answers_as_django_does(page: None, path: str, headers: dict[str, str]) -> None:
    status, edge_headers, body = call(path, **headers)
    assert status == 200
    django = Client().get(path, headers=headers)
    assert body == django.content
    assert {k: v for k, v in edge_headers.items() if k not in IGNORED} == {
        k.lower(): v for k, v in django.headers.items() if k.lower() not in IGNORED
    }
    assert int(edge_headers["content-length"]) == len(body)
    etag = edge_headers["etag"]
    status, again, body = call(path, **{**headers, "If-None-Match": etag})
    assert (status, body) == (304, b"")
    django_304 = Client().get(path, headers={**headers, "If-None-Match": etag})
    assert django_304.status_code == 304
    assert {k: v for k, v in again.items() if k not in IGNORED} == {
        k.lower(): v for k, v in django_304.headers.items() if k.lower() not in IGNORED
    }


def test_head_has_the_headers_and_no_body(page: None) -> None:
    status, headers, body = call("/status/northwick-general/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


@pytest.mark.parametrize(
    "path",
    [
        "/status/no-such-organisation/",
        "/status/northwick-general/secret.txt",
        "/status/northwick-general/?lang=cy&x=1",  # a query the edge does not know: Django answers
        "/status/northwick-general/subscribe/",
        "/o/northwick-general/status/",
    ],
)
def test_everything_else_goes_on_to_django(page: None, path: str) -> None:
    status, _, _ = call(path)
    plain = path.partition("?")[0]
    expected = Client().get(path).status_code
    assert status == expected, (path, status, expected)
    assert plain  # the edge never swallows a request it does not know


def test_a_host_that_is_not_allowed_is_left_to_django(page: None) -> None:
    path = "/status/northwick-general/"
    environ_host = {"Host": "evil.example.org"}
    status, _, _ = call(path, **environ_host)
    assert status == 400  # Django's DisallowedHost


def test_the_edge_is_the_application_served() -> None:
    assert application.application is django_application
