"""`contingency serve --processes N`: N web processes on one port, supervised, the worker in one of them.

Real processes on a SQLite file in WAL mode: every sign-in (which writes the session and the lock-out
records) from many threads at once succeeds whichever process takes it; a killed web process is
started again (the one running the worker, with the worker); SIGTERM stops them all.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.support.migrated import copy_database

pytestmark = pytest.mark.slow  # seconds each: run first (tests/conftest.py)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long test password 1"
SAFETY = 120.0  # seconds: a bound on waiting for progress, so a broken server fails the test rather than hangs


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Served:
    def __init__(self, tmp: Path, migrated: Path) -> None:
        self.log = tmp / "serve.log"
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
            "CONTINGENCY_DATA_DIR": str(tmp),
            "SECRET_KEY": "test-only",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONUNBUFFERED": "1",
            "DJANGO_SUPERUSER_USERNAME": "lead",
            "DJANGO_SUPERUSER_EMAIL": "lead@example.org",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        copy_database(migrated, tmp / "db.sqlite3")  # migrated once per run; `migrate` finds nothing to do
        self.command("migrate")
        self.command("manage", "createsuperuser", "--noinput")
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "contingency.cli", "serve", "--processes", "2", "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def command(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "contingency.cli", *args], env=self.env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def serving(self) -> dict[int, int]:
        """Process number -> pid of the latest start of each web process."""
        found: dict[int, int] = {}
        for number, pid in re.findall(r"web process (\d+) of 2 \(pid (\d+)\) serving", self.text()):
            found[int(number)] = int(pid)
        return found

    def wait_until(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + SAFETY
        while not condition():
            assert self.process.poll() is None, f"the server stopped while waiting for {what}:\n{self.text()}"
            assert time.monotonic() < deadline, f"no progress towards {what}:\n{self.text()}"
            time.sleep(0.05)

    def sign_in(self) -> int:
        with requests.Session() as browser:
            base = f"http://127.0.0.1:{self.port}"
            page = browser.get(f"{base}/login/", timeout=SAFETY)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert token is not None
            answer = browser.post(
                f"{base}/login/",
                data={"username": "lead", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
                headers={"Referer": f"{base}/login/"},
                allow_redirects=False,
                timeout=SAFETY,
            )
            return answer.status_code


@pytest.fixture
def served(tmp_path: Path, migrated_sqlite: Path) -> Iterator[Served]:
    server = Served(tmp_path, migrated_sqlite)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        for pid in server.serving().values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_two_processes_share_the_port_and_restart_and_stop_together(served: Served) -> None:
    served.wait_until(lambda: len(served.serving()) == 2, "both web processes serving")
    served.wait_until(lambda: served.text().count("read models of 0 plan(s) built") == 2, "both warmed up")
    first = served.serving()
    text = served.text()
    assert "(2 processes; Ctrl+C to stop)" in text
    assert text.count("serving with the worker") == 1 and f"web process 1 of 2 (pid {first[1]}) serving with" in text
    assert first[1] != first[2] and all(alive(pid) for pid in first.values())

    # SQLite in WAL mode under both processes: every sign-in writes, and every one succeeds.
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda _: served.sign_in(), range(40)))
    assert answers == [302] * 40

    # A web process that dies is started again; the one with the worker comes back with it.
    os.kill(first[2], signal.SIGKILL)
    served.wait_until(lambda: served.serving().get(2, first[2]) != first[2], "web process 2 started again")
    os.kill(first[1], signal.SIGKILL)
    served.wait_until(lambda: served.serving().get(1, first[1]) != first[1], "web process 1 started again")
    again = served.serving()
    assert served.text().count("serving with the worker") == 2  # the first process 1, then its successor
    assert f"web process 1 of 2 (pid {again[1]}) serving with the worker" in served.text()
    assert "web process 2 (pid" in served.text() and "ended (signal SIGKILL); starting it again" in served.text()
    assert served.sign_in() == 302

    # SIGTERM stops every process, and the supervisor exits 0.
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=SAFETY) == 0
    assert not any(alive(pid) for pid in again.values())  # the supervisor waited for each of them
