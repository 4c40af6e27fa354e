"""The probe that runs at a site: fetch the organisation's checks, run those due, push signed results.

Runs without Django or a database: a site needs only the package and a token. Each round fetches the
check list (so a plan edit reaches every site on its next round), runs the checks that are due
concurrently, and pushes their results in one signed request. A round whose push fails is dropped
(the server then sees the site's silence as "no news", which is the truth); the probe carries on.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from pydantic import ValidationError

from contingency.lib import probesign
from contingency.plans.spec.probes import ProbeCheck, Span

from . import checks

log = logging.getLogger("contingency.probe")
TIMEOUT = 30.0  # seconds for a request to the server
MAX_THREADS = 16


class ProbeError(Exception):
    """The server could not be reached, or refused the probe; `message` says which in plain words."""

    def __init__(self, message: str, *, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.refused = refused


@dataclass(frozen=True)
class Assigned:
    """A check the server asked this site to run."""

    plan: str
    system: str
    every: Span
    check: ProbeCheck


@dataclass
class Probe:
    server: str
    organisation: str
    site: str
    token: probesign.Token
    routes: checks.Routes = field(default_factory=dict)
    tls: ssl.SSLContext | None = None  # for the checks; the server is reached with the system's CAs
    session: requests.Session = field(default_factory=requests.Session)
    clock: Callable[[], float] = time.time
    last_run: dict[tuple[str, str], float] = field(default_factory=dict)

    def _url(self, tail: str) -> tuple[str, str]:
        base = urlsplit(self.server.rstrip("/"))
        path = f"{base.path}/api/v1/organisations/{self.organisation}/probe/{tail}"
        return f"{base.scheme}://{base.netloc}{path}", path

    def _send(self, method: str, tail: str, body: bytes = b"", query: dict[str, str] | None = None) -> Any:
        url, path = self._url(tail)
        if query:
            encoded = urlencode(query)
            url, path = f"{url}?{encoded}", f"{path}?{encoded}"
        headers = probesign.sign(self.token, method, path, body, now=self.clock())
        headers["Content-Type"] = "application/json"
        try:
            response = self.session.request(method, url, data=body or None, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise ProbeError(f"cannot reach the server at {self.server}: {exc}") from None
        if response.status_code in (401, 403, 404):
            raise ProbeError(
                f"the server refused the probe ({response.status_code}): {_detail(response)}", refused=True
            )
        if response.status_code != 200:
            raise ProbeError(f"the server answered {response.status_code}: {_detail(response)}")
        return response.json()

    def fetch(self) -> tuple[list[Assigned], Span]:
        """The checks to run here, and how often the server expects a round."""
        listing = self._send("GET", "checks", query={"site": self.site})
        found: list[Assigned] = []
        for entry in listing.get("checks", []):
            try:
                found.append(
                    Assigned(
                        entry["plan"],
                        entry["system"],
                        Span.parse(entry["every"]),
                        ProbeCheck.model_validate(entry["check"]),
                    )
                )
            except (KeyError, ValueError, ValidationError) as exc:
                log.warning("skipping a check this probe cannot read (a newer server?): %s", str(exc).splitlines()[0])
        return found, Span.parse(listing.get("every", "1m"))

    def due(self, assigned: list[Assigned], now: float) -> list[Assigned]:
        return [a for a in assigned if now - self.last_run.get((a.plan, a.check.id), -1e12) >= a.every.seconds - 0.5]

    def run(self, assigned: list[Assigned]) -> list[dict[str, Any]]:
        """Run the checks concurrently; their results as the server takes them."""
        if not assigned:
            return []
        started = self.clock()

        def one(item: Assigned) -> dict[str, Any]:
            at = datetime.now(UTC)
            result = checks.run(item.check, routes=self.routes, tls=self.tls, site=self.site)
            return {
                "plan": item.plan,
                "system": item.system,
                "check": item.check.id,
                "at": at.isoformat(),
                "ok": result.ok,
                "layer": result.layer,
                "detail": result.detail[:2000],
                "warning": result.warning[:2000],
                "elapsedMs": result.elapsed_ms,
                "certificateDays": result.certificate_days,
            }

        with ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(assigned))) as pool:
            done = list(pool.map(one, assigned))
        for item in assigned:
            self.last_run[(item.plan, item.check.id)] = started
        return done

    def push(self, results: list[dict[str, Any]], every: Span) -> dict[str, Any]:
        body = {"site": self.site, "everySeconds": max(1, round(every.seconds)), "results": results}
        answer: dict[str, Any] = self._send("POST", "results", json.dumps(body).encode())
        return answer

    def round(self) -> tuple[list[Assigned], int, int, dict[str, Any]]:
        """Fetch, run what is due, push: (the checks assigned, how many ran, how many failed, the server's answer)."""
        assigned, every = self.fetch()
        results = self.run(self.due(assigned, self.clock()))
        answer = self.push(results, every)
        failed = sum(1 for r in results if not r["ok"])
        log.info(
            "probe %s: %d check(s) run, %d failed; server kept %s; %s",
            self.site,
            len(results),
            failed,
            answer.get("accepted"),
            ", ".join(f"{k} {v}" for k, v in sorted(answer.get("states", {}).items())) or "no system decided",
        )
        return assigned, len(results), failed, answer

    def next_due(self, assigned: list[Assigned], now: float) -> float:
        """Seconds until the next check is due."""
        waits = [self.last_run.get((a.plan, a.check.id), now) + a.every.seconds - now for a in assigned]
        return max(1.0, min(waits, default=60.0))


def _detail(response: requests.Response) -> str:
    try:
        return str(response.json().get("detail", response.text[:200]))
    except ValueError:
        return response.text[:200]


def loop(probe: Probe, stop: threading.Event, *, wait: Callable[[float], bool] | None = None) -> Iterator[int]:
    """Run rounds until `stop` is set, yielding after each (the number of checks run, -1 for a failed round)."""
    wait = wait or stop.wait
    log.info("probe %s started for %s at %s", probe.site, probe.organisation, probe.server)
    assigned: list[Assigned] = []
    while not stop.is_set():
        try:
            assigned, ran, _, _ = probe.round()
            yield ran
        except ProbeError as exc:
            log.error("probe %s: %s", probe.site, exc.message)
            yield -1
        wait(probe.next_due(assigned, probe.clock()) if assigned else 60.0)
    log.info("probe %s stopped", probe.site)
