"""A local Orthanc archive confined to loopback: for the demo archive, the tests and the benchmark.

Orthanc (Debian's `orthanc` package, 1.10) listens on every interface and has no setting to bind to
127.0.0.1 alone (its `RemoteAccessAllowed` only refuses HTTP requests from elsewhere; the DICOM port stays
open). So it runs in a network namespace of its own with only `lo` (`unshare --net`, with
`--map-root-user` when not root), and its DICOM and HTTP ports are brought out to 127.0.0.1 in this
namespace by a pair of forwarders over Unix-domain sockets (see `forward.py`, `netns.py`, ADR 0014).

    with LocalOrthanc(workdir, limit_find_results=50) as archive:
        archive.dicom_port, archive.http_port        # on 127.0.0.1 here
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .forward import TcpToUnix
from .netns import die_with_parent

INSIDE_DICOM_PORT = 4242
INSIDE_HTTP_PORT = 8042
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
CALLER_AET = "CONTINGENCY"


class LocalOrthancError(Exception):
    """Orthanc could not be started here (not installed, no network namespace, or it failed)."""


def orthanc_binary() -> str | None:
    """The Orthanc executable (Debian puts it in /usr/sbin, which is not on every PATH), or None."""
    return shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/local/sbin")


def dicomweb_available() -> bool:
    return DICOMWEB_PLUGIN.exists()


@dataclass
class OrthancOptions:
    """What differs between the archives we start: AE title, result cap, DICOMweb, who may query."""

    aet: str = "ARCHIVE"
    limit_find_results: int = 0  # 0: no cap
    dicomweb: bool = True
    callers: tuple[str, ...] = (CALLER_AET,)  # calling AE titles allowed to C-FIND (others are refused)
    extra: dict[str, Any] = field(default_factory=dict)


def configuration(storage: Path, options: OrthancOptions) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Name": "Contingency local archive",
        "StorageDirectory": str(storage),
        "IndexDirectory": str(storage),
        "StorageCompression": False,
        "DicomAet": options.aet,
        "DicomPort": INSIDE_DICOM_PORT,
        "HttpPort": INSIDE_HTTP_PORT,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomCheckCalledAet": True,
        "DicomAlwaysAllowEcho": True,
        "DicomAlwaysAllowStore": True,
        "DicomAlwaysAllowFind": False,
        "DicomModalities": {aet.lower(): [aet, "127.0.0.1", 104] for aet in options.callers},
        "LimitFindResults": options.limit_find_results,
        "LimitFindInstances": 0,
        "SaveJobs": False,
        "DicomThreadsCount": 4,
        "Plugins": [],
    }
    if options.dicomweb and dicomweb_available():
        config["Plugins"] = [str(DICOMWEB_PLUGIN)]
        config["DicomWeb"] = {"Enable": True, "Root": "/dicom-web/", "EnableWado": True, "Ssl": False}
    config.update(options.extra)
    return config


class LocalOrthanc:
    """One Orthanc in its own network namespace, its ports forwarded to 127.0.0.1 (0: free ports)."""

    def __init__(
        self,
        workdir: Path | None = None,
        options: OrthancOptions | None = None,
        *,
        dicom_port: int = 0,
        http_port: int = 0,
    ) -> None:
        self.options = options or OrthancOptions()
        self._own_dir = workdir is None
        # Unix socket paths must be short (108 bytes): keep the directory short.
        self.workdir = Path(tempfile.mkdtemp(prefix="orthanc-")) if workdir is None else workdir
        self._ports = (dicom_port, http_port)
        self._runner: subprocess.Popen[str] | None = None
        self.dicom: TcpToUnix | None = None
        self.http: TcpToUnix | None = None

    @property
    def dicom_port(self) -> int:
        assert self.dicom is not None, "not started"
        return self.dicom.port

    @property
    def http_port(self) -> int:
        assert self.http is not None, "not started"
        return self.http.port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def dicomweb_url(self) -> str | None:
        return f"{self.base_url}/dicom-web" if self.options.dicomweb and dicomweb_available() else None

    @property
    def log(self) -> Path:
        return self.workdir / "logs"

    def start(self) -> Self:
        binary = orthanc_binary()
        if binary is None:
            raise LocalOrthancError("Orthanc is not installed (Debian package `orthanc`; scripts/setup.sh installs it)")
        unshare = shutil.which("unshare")
        if unshare is None:
            raise LocalOrthancError("`unshare` (util-linux) is needed to run Orthanc confined to loopback")
        storage, sockets = self.workdir / "storage", self.workdir / "sockets"
        for directory in (storage, sockets, self.log):
            directory.mkdir(parents=True, exist_ok=True)
        for stale in sockets.glob("*.sock"):
            stale.unlink()
        config = self.workdir / "orthanc.json"
        config.write_text(json.dumps(configuration(storage, self.options), indent=2))
        namespace = [unshare, "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
        command = [
            *namespace,
            "--",
            sys.executable,
            "-m",
            "contingency.downtime.archive.netns",
            str(sockets),
            f"dicom={INSIDE_DICOM_PORT}",
            f"http={INSIDE_HTTP_PORT}",
            "--",
            binary,
            f"--logdir={self.log}",
            str(config),
        ]
        self._runner = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            # DCMTK (Orthanc's DICOM layer) reads TCP_NODELAY: without it each answer waits ~40 ms for an ACK.
            env={**os.environ, "TCP_NODELAY": "1"},
            preexec_fn=die_with_parent,
        )
        assert self._runner.stdout is not None
        line = self._runner.stdout.readline().strip()  # blocks until the runner says READY or FAILED
        if line != "READY":
            self._runner.kill()
            _, err = self._runner.communicate()
            raise LocalOrthancError(
                f"Orthanc did not start: {line or err.strip()[-800:] or 'no output'}\n{self.log_tail()}"
            )
        dicom_port, http_port = self._ports
        self.dicom = TcpToUnix(str(sockets / "dicom.sock"), dicom_port)
        self.http = TcpToUnix(str(sockets / "http.sock"), http_port)
        return self

    def log_tail(self, chars: int = 1500) -> str:
        logs = sorted(self.log.glob("Orthanc.log*"), key=lambda p: p.stat().st_mtime) if self.log.is_dir() else []
        return logs[-1].read_text(errors="replace")[-chars:] if logs else ""

    def stop(self) -> None:
        """Stop Orthanc (SIGTERM, waiting for it) and the forwarders; a temporary directory of our own is removed."""
        for forwarder in (self.dicom, self.http):
            if forwarder is not None:
                forwarder.close()
        self.dicom = self.http = None
        if self._runner is not None:
            if self._runner.poll() is None:
                self._runner.send_signal(signal.SIGTERM)
            self._runner.communicate()
            self._runner = None
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL the runner; the kernel then kills Orthanc (its parent-death signal)."""
        if self._runner is not None:
            self._runner.kill()
            self._runner.communicate()
            self._runner = None
        for forwarder in (self.dicom, self.http):
            if forwarder is not None:
                forwarder.drop_connections()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
