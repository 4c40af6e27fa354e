"""Byte forwarders between TCP on 127.0.0.1 and a Unix-domain socket, to reach a server in another network namespace.

A local Orthanc (for the demo archive, the tests and the benchmark) runs in a network namespace of its own
that has only a loopback interface, because Orthanc listens on every interface and cannot be told otherwise.
A Unix-domain socket is a file, so it crosses network namespaces: inside, `UnixToTcp` accepts on a socket
file and connects to Orthanc's 127.0.0.1 port; outside, `TcpToUnix` listens on 127.0.0.1 and connects to
that file. Nothing leaves loopback. `TcpToUnix.drop_connections` cuts every open connection at once (an
archive that goes away mid-query), and `drop_after` does so once a number of bytes has come back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

_CHUNK = 64 * 1024


def _pump(source: socket.socket, sink: socket.socket, allow: Callable[[int], int] | None = None) -> None:
    """Copy bytes until the source closes, then half-close the sink; any error closes both.

    `allow(n)` says how many of n received bytes may pass (fewer: the rest is cut, and the connection with it).
    """
    try:
        while data := source.recv(_CHUNK):
            n = len(data) if allow is None else allow(len(data))
            sink.sendall(data[:n])
            if n < len(data):
                raise OSError("cut")
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)
    except OSError:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Forwarder:
    """Accepts on a listening socket and joins each connection to a new connection made by `connect`."""

    def __init__(self, listener: socket.socket, connect: Callable[[], socket.socket]) -> None:
        self._listener = listener
        self._connect = connect
        self._lock = threading.Condition()
        self._open: set[socket.socket] = set()
        self._received = 0
        self._drop_at: int | None = None
        self._pause_at: int | None = None
        self._paused = False
        self._closed = False
        self._thread = threading.Thread(target=self._accept, daemon=True, name="forwarder")

    def start(self) -> None:
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = self._connect()
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                if sock.family == socket.AF_INET:  # DICOM sends small PDUs: do not let Nagle hold them back
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closed:
                    client.close()
                    upstream.close()
                    return
                self._open.update((client, upstream))
            threading.Thread(target=self._join, args=(client, upstream), daemon=True).start()

    def _join(self, client: socket.socket, upstream: socket.socket) -> None:
        back = threading.Thread(target=_pump, args=(upstream, client, self._count), daemon=True)
        back.start()
        _pump(client, upstream)
        back.join()
        with self._lock:
            self._open.difference_update((client, upstream))
        client.close()
        upstream.close()

    def _count(self, n: int) -> int:
        """Count n bytes back from the server; how many may pass before a planned cut (then cut everything)."""
        with self._lock:
            allowed = n if self._drop_at is None else max(0, min(n, self._drop_at - self._received))
            self._received += allowed
            self._lock.notify_all()
            due = allowed < n or (self._drop_at is not None and self._received >= self._drop_at)
            if self._pause_at is not None and self._received >= self._pause_at:
                self._paused = True
                self._lock.notify_all()
                self._lock.wait_for(lambda: self._pause_at is None)
        if due:
            self.drop_connections()
        return allowed

    @property
    def received(self) -> int:
        """Bytes that have come back from the server so far."""
        with self._lock:
            return self._received

    def wait_received(self, n_bytes: int) -> None:
        """Block until at least `n_bytes` in all have come back from the server (progress, not time)."""
        with self._lock:
            self._lock.wait_for(lambda: self._received >= n_bytes)

    def pause_after(self, n_bytes: int) -> None:
        """Hold every answer once `n_bytes` more have come back (an archive gone quiet), until `resume()`."""
        with self._lock:
            self._pause_at, self._paused = self._received + n_bytes, False

    def wait_paused(self, timeout: float | None = None) -> bool:
        """Block until the answers are held (True), or `timeout` seconds have passed (False): a caller that must
        also watch its client, which may end before it gets that far, waits in slices."""
        with self._lock:
            return self._lock.wait_for(lambda: self._paused, timeout)

    def resume(self) -> None:
        with self._lock:
            self._pause_at, self._paused = None, False
            self._lock.notify_all()

    def drop_after(self, n_bytes: int) -> None:
        """Cut every connection once `n_bytes` more have come back from the server."""
        with self._lock:
            self._drop_at = self._received + n_bytes

    def drop_connections(self) -> None:
        """Cut every open connection now (each side sees the connection reset or closed)."""
        with self._lock:
            self._drop_at = None
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        with self._lock:
            self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self.drop_connections()


class TcpToUnix(_Forwarder):
    """Listens on 127.0.0.1:`port` (0: a free port) and forwards each connection to the Unix socket at `path`."""

    def __init__(self, path: str, port: int = 0) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self.port = int(listener.getsockname()[1])

        def connect() -> socket.socket:
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(path)
            return upstream

        super().__init__(listener, connect)
        self.start()


class UnixToTcp(_Forwarder):
    """Listens on the Unix socket at `path` and forwards each connection to 127.0.0.1:`port`."""

    def __init__(self, path: str, port: int) -> None:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)

        def connect() -> socket.socket:
            return socket.create_connection(("127.0.0.1", port))

        super().__init__(listener, connect)
        self.start()
