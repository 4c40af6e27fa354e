"""QIDO-RS against Orthanc's DICOMweb plugin (Debian's orthanc-dicomweb): the same result as C-FIND.

The failures DICOMweb adds (credentials refused, an answer that is not JSON) are played by a local HTTP
server in this process.
"""

from __future__ import annotations

import json
import socket
from http.server import BaseHTTPRequestHandler

import pytest

from contingency.downtime.archive import ArchiveError, Failure, echo, reconcile
from contingency.downtime.archive.localorthanc import dicomweb_available
from contingency.downtime.archive.qido import QidoArchive

from ..support.background_http import BackgroundHTTPServer
from ..support.orthanc import CAP, WINDOW_END, WINDOW_START, LoadedArchive

pytestmark = pytest.mark.skipif(
    not dicomweb_available(), reason="Orthanc's DICOMweb plugin (orthanc-dicomweb) is missing"
)


def test_qido_gives_the_same_result_as_c_find(archive: LoadedArchive):
    by_find = reconcile(archive.scenario.expected, archive.config(), start=WINDOW_START, end=WINDOW_END)
    by_qido = reconcile(archive.scenario.expected, archive.qido_config(), start=WINDOW_START, end=WINDOW_END)
    assert by_qido.ok, by_qido.failure
    assert by_qido.via == "qido" and "QIDO-RS http://127.0.0.1:" in by_qido.archive
    assert by_qido.digest() == by_find.digest()
    assert by_qido.counts["missing"] == 7
    assert any(w.capped for w in by_qido.windows)  # our limit (cap + 1) found the cap, and the window was split
    assert all(w.studies <= CAP for w in by_qido.windows if w.kept)


def test_qido_echo(archive: LoadedArchive):
    assert echo(archive.qido_config()).queries_allowed


def test_qido_dropped_mid_answer_is_a_failed_run(archive: LoadedArchive):
    forwarder = archive.orthanc.http
    assert forwarder is not None
    forwarder.drop_after(4_000)
    run = reconcile(archive.scenario.expected, archive.qido_config(), start=WINDOW_START, end=WINDOW_END)
    assert run.failure is not None and run.failure.kind in (Failure.ABORTED, Failure.PROTOCOL), run.failure
    assert run.matching is None


def test_qido_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from contingency.downtime.archive.config import ArchiveConfig

    config = ArchiveConfig(dicomweb_url=f"http://127.0.0.1:{port}/dicom-web")
    with pytest.raises(ArchiveError) as caught:
        echo(config)
    assert caught.value.kind == Failure.REFUSED
    assert "Nothing is listening at http://127.0.0.1:" in caught.value.message


class FakeQido(BackgroundHTTPServer):
    class handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = self.server.owner.answer  # type: ignore[attr-defined]
            self.send_response(status)
            self.send_header("Content-Type", "application/dicom+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    answer: tuple[int, bytes] = (200, b"[]")


@pytest.mark.parametrize(
    ("answer", "kind", "words"),
    [
        ((401, b""), Failure.REJECTED, "refused our credentials (HTTP 401)"),
        ((503, b""), Failure.STATUS, "answered the search with HTTP 503"),
        ((200, b"<html>not json</html>"), Failure.PROTOCOL, "not DICOM JSON"),
        ((200, json.dumps({"00080020": {}}).encode()), Failure.CONFIGURATION, ""),
    ],
)
def test_qido_answers_that_are_not_studies(answer, kind, words):
    from contingency.downtime.archive.config import ArchiveConfig

    with FakeQido() as fake:
        fake.answer = answer
        config = ArchiveConfig(dicomweb_url=f"{fake.base_url}/dicom-web", dicomweb_username="u", dicomweb_password="p")
        if kind == Failure.CONFIGURATION:  # one malformed study: counted unreadable, not a failure
            with QidoArchive(config) as web:
                assert web.find(limit=5).unreadable == 1
            return
        with pytest.raises(ArchiveError) as caught:
            echo(config)
    assert caught.value.kind == kind
    assert words in caught.value.message
    assert "p" not in caught.value.hint.split()  # the password is never repeated
