"""A local HTTP server standing in for Teams (Power Automate), Slack and JSON webhooks.

    with FakeWebhook(ok_status=202) as hook:
        url = hook.url("/teams")
        hook.fail_next(1, 429, retry_after="7")
        ...
        hook.posts("/teams")[0].body

Every POST is recorded in `attempts` (with the status answered); the accepted ones (2xx) in `posts`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .background_http import BackgroundHTTPServer, QuietHandler


@dataclass(frozen=True)
class WebhookPost:
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, or None when the body was not JSON
    raw: bytes
    status: int  # what the server answered
    received_at: float  # time.monotonic()


@dataclass
class _Failure:
    status: int
    retry_after: str | None
    body: str


class _Handler(QuietHandler):
    def do_POST(self) -> None:
        owner: FakeWebhook = self.owner
        received = time.monotonic()
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        with owner.lock:
            failure = owner._failures.pop(0) if owner._failures else None
            slow = owner._slow.pop(0) if owner._slow else owner.delay
        if slow:
            owner.stopping.wait(slow)
        status = failure.status if failure else owner.ok_status
        post = WebhookPost(
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            raw=raw,
            status=status,
            received_at=received,
        )
        with owner.lock:
            owner._attempts.append(post)
        if failure:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            self.answer(status, raw=failure.body.encode(), headers=headers, content_type="text/plain")
        else:
            self.answer(status, raw=owner.ok_body.encode(), content_type="text/plain")


class FakeWebhook(BackgroundHTTPServer):
    handler = _Handler

    def __init__(self, *, ok_status: int = 200, ok_body: str = "ok", delay: float = 0.0) -> None:
        """`ok_status`: 200 as Slack answers, 202 as Power Automate does; `delay`: seconds before every answer."""
        super().__init__()
        self.ok_status = ok_status
        self.ok_body = ok_body if ok_status != 202 else ""
        self.delay = delay
        self._failures: list[_Failure] = []
        self._slow: list[float] = []
        self._attempts: list[WebhookPost] = []

    def url(self, path: str = "/hook") -> str:
        return f"{self.base_url}{path}"

    def fail_next(self, count: int, status: int, *, retry_after: str | None = None, body: str = "") -> None:
        """Answer the next `count` posts with `status` (and a Retry-After header when given)."""
        with self.lock:
            self._failures += [_Failure(status, retry_after, body or f"error {status}")] * count

    def slow_next(self, count: int, seconds: float) -> None:
        """Answer the next `count` posts (successfully) only after `seconds`."""
        with self.lock:
            self._slow += [seconds] * count

    @property
    def attempts(self) -> list[WebhookPost]:
        with self.lock:
            return list(self._attempts)

    def posts(self, path: str | None = None) -> list[WebhookPost]:
        """The accepted posts, to `path` or to any."""
        return [p for p in self.attempts if 200 <= p.status < 300 and (path is None or p.path == path)]
