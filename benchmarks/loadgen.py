"""A small HTTP/1.1 load generator for benchmarks/pages.py: many users, each with its own connection.

Run by pages.py in a process of its own (so that it shares no interpreter lock with the server or the
benchmark), with one JSON document on standard input, and prints one JSON document of results:

    {"port": 8000, "mode": "closed", "duration": 20, "paths": ["/o/x/"], "cookies": ["sessionid=..."]}

Modes (every user has its own cookie, taken in turn from `cookies`):
  closed  every user sends a request as soon as the last answer came, for `duration` seconds, on one
          kept-alive connection (reconnecting if the server closes it): throughput and latency;
  poll    every user polls `paths` every `interval` seconds (starting at a random moment within the
          first interval), sending the ETag it last received as If-None-Match, as the live page does;
  burst   every user opens a new connection at a random moment within `spread` seconds and asks once.

Results: requests answered (2xx or 304), the rate, latency percentiles of those, how many users had at
least one answer, status counts, failures, and the share of one core the generator itself used - if
that nears 1.0, the generator and not the server was the limit.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    served_users: set[int] = field(default_factory=set)
    bytes: int = 0

    def add(self, user: int, status: int, seconds: float, size: int) -> None:
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if 200 <= status < 300 or status == 304:
            self.latencies.append(seconds)
            self.served_users.add(user)
            self.bytes += size


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=2**20)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def get(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
        """One GET: the status, the response headers (lower-case names) and the body's length."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}", *(f"{k}: {v}" for k, v in headers.items())]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        found: dict[str, str] = {}
        for line in header_lines:
            if ":" in line:
                name, value = line.split(":", 1)
                found[name.strip().lower()] = value.strip()
        size = 0
        if status in (204, 304) or 100 <= status < 200:
            pass
        elif "content-length" in found:
            size = int(found["content-length"])
            await self.reader.readexactly(size)
        elif found.get("transfer-encoding", "").lower() == "chunked":
            while True:
                chunk = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                await self.reader.readexactly(chunk + 2)
                size += chunk
                if chunk == 0:
                    break
        else:
            size = len(await self.reader.read())
            self.close()
        if found.get("connection", "").lower() == "close":
            self.close()
        return status, found, size


async def closed(config: dict[str, Any], tally: Tally) -> None:
    end = time.monotonic() + config["duration"]

    async def user(n: int) -> None:
        conn = Connection(config.get("host", "127.0.0.1"), config["port"])
        headers = {"Cookie": config["cookies"][n % len(config["cookies"])]}
        path = config["paths"][n % len(config["paths"])]
        while time.monotonic() < end:
            start = time.monotonic()
            try:
                status, _, size = await conn.get(path, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                tally.failures += 1
                conn.close()
                await asyncio.sleep(0.05)
                continue
            tally.add(n, status, time.monotonic() - start, size)
        conn.close()

    await asyncio.gather(*(user(n) for n in range(config["users"])))


async def poll(config: dict[str, Any], tally: Tally) -> None:
    begin = time.monotonic()
    end = begin + config["duration"]
    interval = config["interval"]

    async def user(n: int) -> None:
        conn = Connection(config.get("host", "127.0.0.1"), config["port"])
        cookie = config["cookies"][n % len(config["cookies"])]
        path = config["paths"][n % len(config["paths"])]
        etag = config.get("etag", "")
        tick = begin + random.uniform(0, interval)
        while tick < end:
            await asyncio.sleep(max(0.0, tick - time.monotonic()))
            headers = {"Cookie": cookie, **({"If-None-Match": etag} if etag else {})}
            start = time.monotonic()
            try:
                status, found, size = await conn.get(path, headers)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                tally.failures += 1
                conn.close()
            else:
                tally.add(n, status, time.monotonic() - start, size)
                etag = found.get("etag", etag)
            tick += interval
        conn.close()

    await asyncio.gather(*(user(n) for n in range(config["users"])))


async def burst(config: dict[str, Any], tally: Tally) -> None:
    spread = config.get("spread", 1.0)
    begin = time.monotonic()

    async def user(n: int) -> None:
        await asyncio.sleep(random.uniform(0, spread))
        conn = Connection(config.get("host", "127.0.0.1"), config["port"])
        headers = {"Cookie": config["cookies"][n % len(config["cookies"])], "Connection": "close"}
        start = time.monotonic()
        try:
            status, _, size = await conn.get(config["paths"][n % len(config["paths"])], headers)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            tally.failures += 1
        else:
            tally.add(n, status, time.monotonic() - start, size)
        finally:
            conn.close()

    await asyncio.gather(*(user(n) for n in range(config["users"])))
    tally.statuses["_span"] = int((time.monotonic() - begin) * 1000)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(config: dict[str, Any]) -> dict[str, Any]:
    tally = Tally()
    modes = {"closed": closed, "poll": poll, "burst": burst}
    cpu, wall = time.process_time(), time.monotonic()
    asyncio.run(modes[config["mode"]](config, tally))
    wall = time.monotonic() - wall
    cpu = time.process_time() - cpu
    answered = len(tally.latencies)
    return {
        "mode": config["mode"],
        "users": config["users"],
        "seconds": round(wall, 3),
        "answered": answered,
        "rate": round(answered / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(tally.latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(tally.latencies, 0.95) * 1000, 1),
        "max_ms": round(max(tally.latencies, default=0.0) * 1000, 1),
        "users_served": len(tally.served_users),
        "statuses": tally.statuses,
        "failures": tally.failures,
        "bytes": tally.bytes,
        "generator_cpu": round(cpu / wall, 3) if wall else 0.0,
    }


if __name__ == "__main__":
    print(json.dumps(run(json.load(sys.stdin))))
