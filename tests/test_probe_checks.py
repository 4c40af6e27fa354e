"""Each kind of check against a real peer the test starts, and the layer it names when it fails.

HTTP(S): a local web server (TLS with certificates made by openssl); DICOM: pynetdicom's SCP on
127.0.0.1 (a real DICOM peer: association, presentation contexts, C-ECHO); MLLP: a real listener
that acknowledges AA or AE, stays silent or hangs up. No database.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from contingency.monitor import checks
from contingency.monitor.checks import Layer, Result, network_query, with_control_id
from contingency.plans.spec.probes import ProbeCheck

from .support import certificates
from .support.dicom_peer import DicomPeer
from .support.mllp_server import MllpServer
from .support.pages import PageServer


def run(check: dict[str, Any], **kwargs: Any) -> Result:
    return checks.run(ProbeCheck.model_validate({"id": "c", **check}), **kwargs)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> certificates.Certificates:
    return certificates.make(tmp_path_factory.mktemp("tls"))


# ---------------------------------------------------------------- HTTP(S)


def test_http_up_and_the_layers_it_fails_at() -> None:
    with PageServer() as page:
        assert run({"http": {"url": page.url(), "text": "Meridian"}}).ok
        missing = run({"http": {"url": page.url(), "text": "Sign in"}})
        assert (missing.ok, missing.layer, missing.detail) == (False, "text", "the page does not contain 'Sign in'")
        page.status = 503
        down = run({"http": {"url": page.url()}})
        assert (down.layer, down.detail) == ("status", "answered 503 Service Unavailable, expected 200")
        page.status = 302
        assert run({"http": {"url": page.url(), "status": 302}}).ok
    refused = run({"http": {"url": f"http://127.0.0.1:{closed_port()}/"}})
    assert refused.layer == "connect" and refused.detail.startswith("connection refused by 127.0.0.1:")
    unknown = run({"http": {"url": "http://pacs.invalid/"}})
    assert unknown.layer == "dns" and unknown.detail.startswith("pacs.invalid does not resolve")


def test_https_reads_the_certificate_and_warns_before_it_expires(certs: certificates.Certificates) -> None:
    tls = checks.default_tls(str(certs.ca))
    with PageServer(cert=certs.valid, key=certs.key) as page:
        good = run({"http": {"url": page.url(scheme="https", host="localhost")}}, tls=tls)
        assert good.ok and not good.degraded and good.certificate_days is not None and 88 <= good.certificate_days <= 90
        untrusted = run({"http": {"url": page.url(scheme="https", host="localhost")}})
        assert untrusted.layer == "tls" and "certificate not accepted" in untrusted.detail
    with PageServer(cert=certs.soon, key=certs.key) as page:
        soon = run({"http": {"url": page.url(scheme="https", host="localhost")}}, tls=tls)
        assert soon.ok and soon.degraded and soon.warning.startswith("certificate expires in 4 day")
    with PageServer(cert=certs.expired, key=certs.key) as page:
        expired = run({"http": {"url": page.url(scheme="https", host="localhost")}}, tls=tls)
        assert (expired.ok, expired.layer) == (False, "tls")
        assert expired.detail == "certificate not accepted: certificate has expired"


def test_a_slow_answer_is_degraded() -> None:
    ticks = count(0, 2.5)  # each look at the clock is 2.5 s later: the check took 2.5 s

    with PageServer() as page:
        found = run({"http": {"url": page.url(), "slow": "2s"}}, clock=lambda: float(next(ticks)))
    assert found.ok and found.slow and found.degraded and found.warning == "slow: 2.5s (over 2s)"


# ---------------------------------------------------------------- TCP and routes


def test_tcp_and_a_route_to_another_address() -> None:
    with PageServer() as page:
        assert run({"tcp": {"host": "127.0.0.1", "port": page.port}}).ok
        # The plan names pacs.example.org:104; this site reaches it at the local server.
        routed = run(
            {"tcp": {"host": "pacs.example.org", "port": 104}},
            routes={("pacs.example.org", 104): ("127.0.0.1", page.port)},
        )
        assert routed.ok
        # A site whose network is down: everything routed to a closed port.
        cut = run(
            {"tcp": {"host": "127.0.0.1", "port": page.port}},
            routes={("127.0.0.1", page.port): ("127.0.0.1", closed_port())},
        )
        assert cut.layer == "connect"


# ---------------------------------------------------------------- DICOM


def echo(port: int, called: str = "MERIDIAN_PACS") -> dict[str, Any]:
    return {"dicom": {"host": "127.0.0.1", "port": port, "calledAe": called, "callingAe": "NGH_PROBE", "timeout": "5s"}}


def test_dicom_echo_against_a_real_peer() -> None:
    with DicomPeer() as peer:
        found = run(echo(peer.port))
        assert found.ok, found
        assert peer.echoes == 1


def test_dicom_echo_against_a_real_archive(archive: Any) -> None:
    """Debian's Orthanc (the session's archive, in its own network namespace, reached on 127.0.0.1)."""
    from .support.orthanc import ARCHIVE_AET

    found = run(echo(archive.orthanc.dicom_port, called=ARCHIVE_AET))
    assert found.ok, found


def test_dicom_association_rejected_says_why() -> None:
    with DicomPeer() as peer:
        found = run(echo(peer.port, called="WRONG_AE"))
    assert found.layer == Layer.ASSOCIATION_REJECTED.value
    assert (
        found.detail
        == "association rejected by WRONG_AE (rejected permanent, service user): Called AE title not recognised"
    )


def test_dicom_no_accepted_presentation_context() -> None:
    with DicomPeer(accept_verification=False) as peer:
        found = run(echo(peer.port))
    assert found.layer == Layer.NO_PRESENTATION_CONTEXT.value
    assert "no presentation context for verification" in found.detail


def test_dicom_bad_status_and_connection_refused() -> None:
    with DicomPeer(echo_status=0x0110) as peer:
        found = run(echo(peer.port))
    assert (found.layer, found.detail) == (Layer.DICOM_STATUS.value, "C-ECHO answered status 0x0110")
    refused = run(echo(closed_port()))
    assert refused.layer == Layer.CONNECT.value and "connection refused" in refused.detail


# ---------------------------------------------------------------- HL7 over MLLP


@pytest.fixture
def mllp() -> Iterator[MllpServer]:
    with MllpServer() as server:
        yield server


def hl7(port: int, **extra: Any) -> dict[str, Any]:
    return {"mllp": {"host": "127.0.0.1", "port": port, "timeout": "300ms", **extra}}


def test_mllp_sends_a_network_query_and_takes_its_aa(mllp: MllpServer) -> None:
    found = run(hl7(mllp.port), site="north-wing")
    assert found.ok, found
    [sent] = mllp.received
    fields = sent.split("\r")[0].split("|")
    assert fields[3] == "north-wing" and fields[8] == "NMQ^N01^NMQ_N01" and len(fields[9]) == 20


def test_mllp_sends_the_plans_own_message_with_a_fresh_control_id(mllp: MllpServer) -> None:
    message = "MSH|^~\\&|CONTINGENCY|NGH|RIS|NGH|20260101120000||QRY^A19|FIXED|P|2.3\nQRD|20260101120000|R|I|1"
    assert run(hl7(mllp.port, message=message)).ok
    sent = mllp.received[0]
    assert sent.startswith("MSH|^~\\&|CONTINGENCY|NGH|RIS|NGH|20260101120000||QRY^A19|") and "FIXED" not in sent
    assert sent.split("\r")[1] == "QRD|20260101120000|R|I|1"


@pytest.mark.parametrize(
    ("answer", "layer", "detail"),
    [
        ("AE", "negative-ack", "acknowledged AE, expected AA: Unknown message type"),
        ("AR", "negative-ack", "acknowledged AR, expected AA: Unknown message type"),
        ("silent", "no-ack", "no acknowledgement within 0.3s"),
        ("close", "no-ack", "the connection was closed without an acknowledgement"),
    ],
)
def test_mllp_failures(answer: str, layer: str, detail: str) -> None:
    with MllpServer(answer, "Unknown message type") as server:
        found = run(hl7(server.port))
    assert (found.ok, found.layer, found.detail) == (False, layer, detail)


def test_mllp_commit_accept_when_asked_and_refused_connection(mllp: MllpServer) -> None:
    mllp.answer = "CA"
    assert run(hl7(mllp.port, ack="CA")).ok
    assert run(hl7(mllp.port)).layer == "negative-ack"
    assert run(hl7(closed_port())).layer == "connect"


def test_message_helpers() -> None:
    from datetime import UTC, datetime

    query = network_query("abc", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), "site")
    assert query == "MSH|^~\\&|CONTINGENCY|site|||20260102030405||NMQ^N01^NMQ_N01|abc|P|2.5\rNCK|20260102030405"
    assert with_control_id("MSH|^~\\&|A", "x").split("|")[9] == "x"


def test_an_unexpected_error_is_a_failed_check_not_a_dead_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object) -> None:
        raise RuntimeError("library surprise")

    monkeypatch.setattr(checks, "run_tcp", explode)
    found = run({"tcp": {"host": "127.0.0.1", "port": 1}})
    assert (found.ok, found.layer, found.detail) == (False, "error", "RuntimeError: library surprise")


def test_certificates_helper_writes_files(certs: certificates.Certificates) -> None:
    assert all(Path(p).exists() for p in (certs.ca, certs.valid, certs.soon, certs.expired))
