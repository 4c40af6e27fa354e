"""`contingency serve`: waitress in one process, or N forked waitress processes on one listening socket.

One process (the default) is the laptop configuration: the web server and the background worker
threads in one process, nothing else to run. With `--processes N` this process opens the socket,
forks N web processes that all accept from it (the kernel hands each connection to one of them), and
supervises them: a process that dies is started again, and SIGTERM or Ctrl+C stops them all. The
background worker (trigger points and notifications) runs in process 1 only, so timed work is not
done N times over (each action is claimed atomically anyway, so a second worker would be harmless,
just wasted). See docs/decisions/0009-several-web-processes.md.

Each web process has its own database connections (one per thread), opened after the fork; SQLite
in WAL mode lets the processes read at once and queues their writes (IMMEDIATE transactions).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import click

RESTART_PAUSE = 1.0  # seconds before a crashed web process is started again (no tight crash loop)
STOP_GRACE = 30.0  # seconds the processes get to finish their requests on SIGTERM


@dataclass(frozen=True)
class ServerOptions:
    host: str
    port: int
    threads: int
    connection_limit: int
    backlog: int

    def waitress(self) -> dict[str, Any]:
        """The options every web process passes to waitress."""
        return {
            "threads": self.threads,
            "connection_limit": self.connection_limit,
            "backlog": self.backlog,
            # select() cannot watch more than 1,024 sockets; poll() can, and the limit may be higher.
            "asyncore_use_poll": True,
            "ident": "contingency",
        }


Background = Callable[[], Callable[[], None]]  # starts the worker threads; returns how to stop them


def warm_up(number: int = 1) -> None:
    """Build the plans' read models in a thread, so the first dashboard after a start does not wait."""
    from contingency.plans import readmodel

    def warm() -> None:
        started = time.monotonic()
        built = readmodel.warm()
        took = time.monotonic() - started
        click.echo(f"web process {number} (pid {os.getpid()}): read models of {built} plan(s) built in {took:.1f} s")

    threading.Thread(target=warm, name="warm-up", daemon=True).start()


def serve_one(application: Any, options: ServerOptions, background: Background | None) -> None:
    """Serve in this process (with the worker threads, when given), until Ctrl+C."""
    from waitress import serve

    warm_up()
    stop = background() if background is not None else None
    try:
        serve(application, host=options.host, port=options.port, **options.waitress())
    finally:
        if stop is not None:
            stop()


def listening_socket(options: ServerOptions) -> socket.socket:
    """The socket every web process accepts connections from."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((options.host, options.port))
    sock.listen(options.backlog)
    sock.setblocking(False)
    return sock


class Supervisor:
    """Forks the web processes, starts again any that dies, and stops them all on SIGTERM or SIGINT."""

    def __init__(
        self,
        application: Any,
        options: ServerOptions,
        processes: int,
        background: Background | None,
        before_fork: Callable[[], None],
        warm: bool = True,
    ) -> None:
        self.application = application
        self.warm = warm
        self.options = options
        self.processes = processes
        self.background = background
        self.before_fork = before_fork
        self.children: dict[int, int] = {}  # pid -> process number (1..N)
        self.stopping = threading.Event()

    def run(self) -> int:
        sock = listening_socket(self.options)
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        for number in range(1, self.processes + 1):
            self._start(number, sock)
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:  # pragma: no cover - os.wait retries on EINTR since Python 3.5
                continue
            number = self.children.pop(pid, 0)
            if not number or self.stopping.is_set():
                continue
            click.echo(f"web process {number} (pid {pid}) ended ({_how(status)}); starting it again", err=True)
            time.sleep(RESTART_PAUSE)
            if not self.stopping.is_set():
                self._start(number, sock)
        sock.close()
        return 0

    def _start(self, number: int, sock: socket.socket) -> None:
        self.before_fork()
        pid = os.fork()
        if pid == 0:  # the web process
            code = 1
            try:
                self._child(number, sock)
                code = 0
            except BaseException:
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.children[pid] = number

    def _child(self, number: int, sock: socket.socket) -> None:
        from waitress.server import create_server

        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the supervisor decides; it sends SIGTERM
        server = create_server(self.application, sockets=[sock], **self.options.waitress())

        def stop(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(0)  # waitress's run() closes the server on SystemExit, finishing its threads' work

        signal.signal(signal.SIGTERM, stop)
        if self.warm:
            warm_up(number)
        halt = self.background() if self.background is not None and number == 1 else None
        work = " with the worker" if halt is not None else ""
        click.echo(f"web process {number} of {self.processes} (pid {os.getpid()}) serving{work}")
        try:
            server.run()
        finally:
            if halt is not None:
                halt()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        threading.Thread(target=self._kill_late, daemon=True).start()

    def _kill_late(self) -> None:
        deadline = time.monotonic() + STOP_GRACE
        while self.children and time.monotonic() < deadline:
            time.sleep(0.1)
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _how(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
