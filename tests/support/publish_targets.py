"""Real publishing targets on this machine: moto's S3 server on 127.0.0.1, a bare git repository, a directory,
and endpoints that refuse connections or accept and never answer."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUCKET = "status-pages"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing-secret"}


@dataclass
class S3Server:
    url: str

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="eu-west-2",
            aws_access_key_id=KEYS["aws_access_key_id"],
            aws_secret_access_key=KEYS["aws_secret_access_key"],
        )

    def get(self, key: str) -> tuple[bytes, str]:
        found = self.client().get_object(Bucket=BUCKET, Key=key)
        return found["Body"].read(), found["ContentType"]


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto in server mode on a free port of 127.0.0.1, with an empty bucket."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    found = S3Server(f"http://{host}:{port}")
    found.client().create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    try:
        yield found
    finally:
        server.stop()


def s3_environ(url: str, *, timeout: float = 5.0) -> dict[str, str]:
    return {
        "CONTINGENCY_STATUS_S3_BUCKET": BUCKET,
        "CONTINGENCY_STATUS_S3_ENDPOINT_URL": url,
        "CONTINGENCY_STATUS_S3_ACCESS_KEY_ID": KEYS["aws_access_key_id"],
        "CONTINGENCY_STATUS_S3_SECRET_ACCESS_KEY": KEYS["aws_secret_access_key"],
        "CONTINGENCY_STATUS_S3_TIMEOUT": str(timeout),
    }


def bare_repository(path: Path) -> Path:
    subprocess.run(["git", "init", "--quiet", "--bare", str(path)], check=True)
    return path


def checkout(remote: Path, branch: str, into: Path) -> Path:
    subprocess.run(["git", "clone", "--quiet", "--branch", branch, str(remote), str(into)], check=True)
    return into


def commits(remote: Path, branch: str) -> int:
    done = subprocess.run(
        ["git", "--git-dir", str(remote), "rev-list", "--count", branch], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


def closed_port() -> int:
    """A port nothing listens on (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[str]:
    """An address that accepts connections and never answers (a target that times out)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
