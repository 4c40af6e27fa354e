"""Test certificates made with Debian's openssl: a CA, and server certificates valid, near expiry and expired."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

CA_CONFIG = """[ca]
default_ca = d
[d]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = p
copy_extensions = copy
unique_subject = no
[p]
commonName = supplied
"""


@dataclass(frozen=True)
class Certificates:
    ca: Path
    key: Path
    valid: Path  # 90 days
    soon: Path  # 5 days
    expired: Path  # January 2020


def _run(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make(where: Path) -> Certificates:
    where.mkdir(parents=True, exist_ok=True)
    _run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=Contingency test CA",
        cwd=where,
    )
    _run(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", cwd=where,
    )  # fmt: skip
    (where / "ca.cnf").write_text(CA_CONFIG)
    (where / "index.txt").write_text("")
    (where / "serial").write_text("01\n")
    sign = [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca.key",
        "-in",
        "server.csr",
        "-notext",
    ]
    _run(*sign, "-out", "valid.pem", "-days", "90", cwd=where)
    _run(*sign, "-out", "soon.pem", "-days", "5", cwd=where)
    _run(*sign, "-out", "expired.pem", "-startdate", "20200101000000Z", "-enddate", "20200201000000Z", cwd=where)
    return Certificates(
        where / "ca.pem", where / "server.key", where / "valid.pem", where / "soon.pem", where / "expired.pem"
    )
