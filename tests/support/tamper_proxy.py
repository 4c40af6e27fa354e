"""A small HTTP proxy on 127.0.0.1 for the laptop-copy tests: it forwards GETs to one server, records
each path, can flip one byte of the answers to chosen paths (a tampered response), and can run a hook
before forwarding (e.g. kill the server mid-pull). When the server cannot be reached it closes the
client's connection without an answer, as a server that has gone away does."""

from __future__ import annotations

import http.client
from collections.abc import Callable

from .background_http import BackgroundHTTPServer, QuietHandler

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "server", "date"}


class _Handler(QuietHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        proxy: TamperProxy = self.owner
        with proxy.lock:
            proxy.paths.append(self.path)
        if proxy.before is not None:
            proxy.before(self.path)
        try:
            upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
            upstream.request("GET", self.path, headers=headers)
            answer = upstream.getresponse()
            body = answer.read()
            upstream.close()
        except OSError:
            self.close_connection = True  # no answer at all: the server went away
            return
        if proxy.flip and any(part in self.path for part in proxy.flip):
            middle = len(body) // 2
            body = body[:middle] + bytes([body[middle] ^ 0x01]) + body[middle + 1 :]
            with proxy.lock:
                proxy.flipped.append(self.path)
        extra = {k: v for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP | {"content-type"}}
        self.answer(answer.status, raw=body, headers=extra, content_type=answer.getheader("Content-Type", ""))


class TamperProxy(BackgroundHTTPServer):
    handler = _Handler

    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.paths: list[str] = []
        self.flipped: list[str] = []
        self.flip: tuple[str, ...] = ()  # flip a byte of the answer to any path containing one of these
        self.before: Callable[[str], None] | None = None

    def fetched(self, part: str) -> list[str]:
        with self.lock:
            return [path for path in self.paths if part in path]
