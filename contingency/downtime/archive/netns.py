"""Runs a server inside a network namespace that has only loopback, and offers its ports as Unix-domain sockets.

    python -m contingency.downtime.archive.netns SOCKET_DIR NAME=PORT [NAME=PORT ...] -- COMMAND [ARG ...]

Started by `localorthanc.LocalOrthanc` under `unshare --net`. It refuses to run if the namespace has any
interface but `lo` (so the server can never be reached from a network), brings `lo` up, starts COMMAND,
and for each NAME=PORT accepts on SOCKET_DIR/NAME.sock and forwards to 127.0.0.1:PORT. Once every port
accepts a connection (and the first one answers HTTP GET /system, when it is named `http`) it prints
`READY` on standard output; if the command exits first, or nothing answers within --wait seconds, it prints
`FAILED: <why>` and exits 1. SIGTERM stops the command and exits. The command is killed with the runner
if the runner dies (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import fcntl
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .forward import UnixToTcp

_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: have the kernel kill this child with SIGKILL when its parent dies (kept across exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def interfaces() -> list[str]:
    """The interfaces of this process's network namespace (not /sys/class/net: that shows the mounter's)."""
    return sorted(name for _, name in socket.if_nameindex())


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, _SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, _SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | _IFF_UP))


def _answers(port: int, http: bool) -> bool:
    try:
        if http:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/system", timeout=2) as response:
                return int(response.status) == 200
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    wait = 60.0
    if argv[:1] == ["--wait"]:
        wait, argv = float(argv[1]), argv[2:]
    if "--" not in argv or len(argv) < 3:
        print("FAILED: usage: netns SOCKET_DIR NAME=PORT ... -- COMMAND ...", flush=True)
        return 2
    split = argv.index("--")
    socket_dir, ports = Path(argv[0]), dict(item.split("=", 1) for item in argv[1:split])
    command = argv[split + 1 :]
    others = [name for name in interfaces() if name != "lo"]
    if others:
        print(f"FAILED: this network namespace has interfaces besides lo ({', '.join(others)}); refusing", flush=True)
        return 1
    loopback_up()
    server = subprocess.Popen(command, preexec_fn=die_with_parent, stdin=subprocess.DEVNULL)
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    forwarders = [UnixToTcp(str(socket_dir / f"{name}.sock"), int(port)) for name, port in ports.items()]
    started = time.monotonic()
    pending = dict(ports)
    while pending:
        if server.poll() is not None:
            print(f"FAILED: {command[0]} exited with code {server.returncode} before it answered", flush=True)
            return 1
        if stopping.is_set() or time.monotonic() - started > wait:
            server.kill()
            print(f"FAILED: {command[0]} did not answer on {', '.join(pending)} within {wait:.0f} s", flush=True)
            return 1
        pending = {name: port for name, port in pending.items() if not _answers(int(port), name == "http")}
        if pending:
            stopping.wait(0.02)
    print("READY", flush=True)
    while not stopping.is_set() and server.poll() is None:
        stopping.wait(0.2)
    for forwarder in forwarders:
        forwarder.close()
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
