"""Whole installs of Contingency in temporary directories, each with its own SQLite database: a main
server run as `contingency serve` on a free port, and a laptop that runs `contingency mirror` against it.

Making an install from nothing (migrate, the demo) takes seconds, so the tests make one of each kind
once and copy it (SQLite's backup API) for each test. Waits fail only when nothing moves for STALL
seconds (the process's log stops growing), never on a wall-clock deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .forkserver import Commands

ROOT = Path(__file__).resolve().parent.parent.parent
SEED = Path(__file__).resolve().parent / "mirror_seed.py"
STALL = 120.0
DATABASE = "contingency.sqlite3"


class Install:
    """One install: a data directory (its secret key, its signing key) and a SQLite database in it.

    Its short commands run in children forked from one process that has imported Contingency for this
    install (tests/support/forkserver.py): the same command, environment and output as the console script,
    without a second of imports each time. `close()` ends that process."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.database = root / DATABASE
        self._commands: Commands | None = None

    def _forked(self, kind: str, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        if self._commands is None:
            self._commands = Commands(self.env)
        return self._commands.run(kind, args)

    def close(self) -> None:
        """End the process that runs this install's commands (a later command starts another)."""
        if self._commands is not None:
            self._commands.close()
            self._commands = None

    @property
    def env(self) -> dict[str, str]:
        kept = {k: v for k, v in os.environ.items() if not k.startswith("CONTINGENCY_") and k != "DATABASE_URL"}
        return kept | {
            "CONTINGENCY_DATA_DIR": str(self.root),
            "DATABASE_URL": f"sqlite:///{self.database}",
            "DJANGO_SETTINGS_MODULE": "contingency.settings",
            "PYTHONPATH": str(ROOT),
        }

    def contingency(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run `contingency ARGS` on this install to its end."""
        done = self._forked("cli", args)
        if check:
            assert done.returncode == 0, f"contingency {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def seed(self, *args: str) -> str:
        """Run tests/support/mirror_seed.py ARGS on this install; what it printed last."""
        done = self._forked("seed", args)
        assert done.returncode == 0, f"mirror_seed {args} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(self.database, timeout=20)
        try:
            return list(connection.execute(sql, params).fetchall())
        finally:
            connection.close()

    def copy(self, root: Path) -> Install:
        """A new install with a copy of this one's database and keys."""
        copied = type(self)(root)
        for name in ("secret_key", "mirror_signing_key.pem"):
            if (self.root / name).exists():
                shutil.copy2(self.root / name, root / name)
        source, target = sqlite3.connect(self.database), sqlite3.connect(copied.database)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return copied


def make_in_parallel(*jobs: tuple[Install, tuple[str, ...]]) -> None:
    """Run one `contingency` command on each install at once (setting up two installs takes half as long)."""
    running = [
        (args, subprocess.Popen([sys.executable, "-m", "contingency.cli", *args], env=install.env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for install, args in jobs
    ]  # fmt: skip
    for args, proc in running:
        out, _ = proc.communicate()
        assert proc.returncode == 0, f"contingency {' '.join(args)} failed:\n{out}"


def wait_until(condition: Callable[[], bool], what: str, *, watch: subprocess.Popen[Any] | None = None) -> None:
    """Wait for `condition`; fail if `watch` exits first, or nothing comes true for STALL seconds."""
    started = time.monotonic()
    while not condition():
        if watch is not None and watch.poll() is not None and not condition():
            raise AssertionError(f"the process ended (exit {watch.returncode}) before {what}")
        assert time.monotonic() - started < STALL, f"no sign of {what} for {STALL:.0f}s"
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server(Install):
    """An install serving HTTP with `contingency serve` (no worker) until killed."""

    proc: subprocess.Popen[bytes] | None = None
    port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "serve.log"

    def start(self) -> Server:
        self.port = free_port()
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "contingency.cli", "serve", "--port", str(self.port), "--no-worker"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_answering()
        return self

    def _wait_until_answering(self) -> None:
        last, moved = -1, time.monotonic()
        while True:
            assert self.proc is not None
            assert self.proc.poll() is None, f"the server died while starting:\n{self.log.read_text()}"
            try:
                with urllib.request.urlopen(f"{self.url}/login/", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            size = self.log.stat().st_size
            if size != last:
                last, moved = size, time.monotonic()
            assert time.monotonic() - moved < STALL, f"the server did not start:\n{self.log.read_text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.close()

    @property
    def public_key(self) -> str:
        done = self.contingency("mirror-key", check=True)
        return done.stdout.strip()
