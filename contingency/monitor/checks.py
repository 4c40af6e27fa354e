"""Running one check from a probe's site, and saying which layer failed (no database, no Django).

Each check connects itself (so that a refused connection, a name that does not resolve and a
timeout are told apart from the protocol's own failures), then speaks its protocol:

- http: DNS, connect, TLS (the certificate verified; its expiry read), the status, the text;
- tcp: DNS, connect;
- dicom: DNS, connect, the association (rejected, and why; no accepted presentation context),
  the C-ECHO's status (pynetdicom);
- mllp: DNS, connect, the acknowledgement (none; a negative one, AE/AR/CE/CR, with its text;
  one for another message), parsed with hl7apy.

A check never raises: it returns a Result. `routes` maps a (host, port) a check names to the
(host, port) this site reaches it at (split DNS, NAT, or a test pointing a site at closed ports).
"""

from __future__ import annotations

import http.client
import math
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import urlsplit

from contingency.lib.dicomnet import keep_answers
from contingency.plans.spec.probes import DicomCheck, HttpCheck, MllpCheck, ProbeCheck, Span, TcpCheck

MAX_BODY = 1 << 20  # bytes of a page or an acknowledgement read at most
Routes = Mapping[tuple[str, int], tuple[str, int]]


class Layer(StrEnum):
    """Where a check failed, from the network up."""

    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    STATUS = "status"
    TEXT = "text"
    ASSOCIATION_REJECTED = "association-rejected"
    NO_PRESENTATION_CONTEXT = "no-presentation-context"
    ASSOCIATION = "association"
    DICOM_STATUS = "dicom-status"
    NO_ACK = "no-ack"
    NEGATIVE_ACK = "negative-ack"
    ERROR = "error"


LAYER_WORDS = {
    Layer.DNS: "name does not resolve",
    Layer.CONNECT: "cannot connect",
    Layer.TLS: "TLS / certificate",
    Layer.STATUS: "wrong HTTP status",
    Layer.TEXT: "expected text missing",
    Layer.ASSOCIATION_REJECTED: "association rejected",
    Layer.NO_PRESENTATION_CONTEXT: "no accepted presentation context",
    Layer.ASSOCIATION: "association failed",
    Layer.DICOM_STATUS: "bad C-ECHO status",
    Layer.NO_ACK: "no acknowledgement",
    Layer.NEGATIVE_ACK: "negative acknowledgement",
    Layer.ERROR: "probe error",
}


@dataclass(frozen=True)
class Result:
    """What one run of one check found."""

    check: str
    ok: bool
    layer: str = ""  # a Layer value when the check failed
    detail: str = ""
    elapsed_ms: int = 0
    slow: bool = False
    certificate_days: int | None = None  # days until the server's certificate expires (https only)
    warning: str = ""  # why a passing check is degraded (slow, certificate near expiry)

    @property
    def degraded(self) -> bool:
        return self.ok and bool(self.warning)


class Failed(Exception):
    def __init__(self, layer: Layer, detail: str) -> None:
        super().__init__(detail)
        self.layer = layer
        self.detail = detail


class Deadline:
    """The time left for one check (its timeout), for each step in turn."""

    def __init__(self, timeout: Span) -> None:
        self.timeout = timeout.seconds
        self.ends = time.monotonic() + self.timeout

    def left(self) -> float:
        return max(0.01, self.ends - time.monotonic())


def connect(host: str, port: int, deadline: Deadline, routes: Routes) -> socket.socket:
    """A TCP connection to where this site reaches (host, port); Failed at the DNS or connect layer."""
    host, port = routes.get((host, port), (host, port))
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Failed(Layer.DNS, f"{host} does not resolve: {getattr(exc, 'strerror', None) or exc}") from None
    problem = Failed(Layer.CONNECT, f"cannot connect to {host}:{port}")
    for family, kind, proto, _, address in addresses:
        sock = socket.socket(family, kind, proto)
        sock.settimeout(deadline.left())
        try:
            sock.connect(address)
            return sock
        except ConnectionRefusedError:
            problem = Failed(Layer.CONNECT, f"connection refused by {host}:{port}")
        except TimeoutError:
            problem = Failed(Layer.CONNECT, f"no answer from {host}:{port} within {deadline.timeout:g}s")
        except OSError as exc:
            problem = Failed(Layer.CONNECT, f"cannot connect to {host}:{port}: {exc.strerror or exc}")
        sock.close()
    raise problem


# ---------------------------------------------------------------- the four kinds


def run_http(check: HttpCheck, deadline: Deadline, routes: Routes, tls: ssl.SSLContext) -> int | None:
    """Fetch the page; the certificate's days left (https) or None."""
    url = urlsplit(check.url)
    secure = url.scheme == "https"
    host = url.hostname or ""
    try:
        port = url.port or (443 if secure else 80)
    except ValueError:
        raise Failed(Layer.ERROR, f"{check.url} has a port that is not a number") from None
    sock = connect(host, port, deadline, routes)
    days: int | None = None
    try:
        if secure:
            try:
                sock = tls.wrap_socket(sock, server_hostname=host)
            except ssl.SSLCertVerificationError as exc:
                raise Failed(Layer.TLS, f"certificate not accepted: {exc.verify_message}") from None
            except (ssl.SSLError, OSError) as exc:
                raise Failed(Layer.TLS, f"TLS handshake with {host} failed: {exc}") from None
            cert = sock.getpeercert()
            not_after = cert.get("notAfter") if cert else None
            if isinstance(not_after, str):
                days = math.floor((ssl.cert_time_to_seconds(not_after) - time.time()) / 86400)
        sock.settimeout(deadline.left())
        conn = http.client.HTTPConnection(host, port, timeout=deadline.left())
        conn.sock = sock
        path = url.path or "/"
        try:
            conn.request(
                "GET", path + (f"?{url.query}" if url.query else ""), headers={"User-Agent": "contingency-probe"}
            )
            response = conn.getresponse()
            body = response.read(MAX_BODY)
        except TimeoutError:
            raise Failed(Layer.STATUS, f"no answer from {check.url} within {deadline.timeout:g}s") from None
        except (http.client.HTTPException, OSError) as exc:
            raise Failed(Layer.STATUS, f"{check.url} did not answer HTTP: {exc or type(exc).__name__}") from None
        if response.status != check.status:
            raise Failed(Layer.STATUS, f"answered {response.status} {response.reason}, expected {check.status}")
        if check.text and check.text not in body.decode(response.headers.get_content_charset() or "utf-8", "replace"):
            raise Failed(Layer.TEXT, f"the page does not contain {check.text!r}")
    finally:
        sock.close()
    return days


def run_tcp(check: TcpCheck, deadline: Deadline, routes: Routes) -> None:
    connect(check.host, check.port, deadline, routes).close()


def run_dicom(check: DicomCheck, deadline: Deadline, routes: Routes) -> None:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

    connect(check.host, check.port, deadline, routes).close()  # the connect layer, told apart
    host, port = routes.get((check.host, check.port), (check.host, check.port))
    ae = AE(ae_title=check.calling_ae)
    ae.add_requested_context(Verification)
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = ae.connection_timeout = deadline.left()
    assoc = ae.associate(host, port, ae_title=check.called_ae)
    answer = assoc.acceptor.primitive
    if assoc.is_rejected and answer is not None:
        raise Failed(
            Layer.ASSOCIATION_REJECTED,
            f"association rejected by {check.called_ae} ({answer.result_str.lower()}, "
            f"{answer.source_str.lower()}): {answer.reason_str}",
        )
    if not assoc.is_established:
        if answer is not None and answer.result == 0:
            raise Failed(
                Layer.NO_PRESENTATION_CONTEXT,
                f"{check.called_ae} accepted the association but no presentation context for verification (C-ECHO)",
            )
        raise Failed(Layer.ASSOCIATION, f"no association with {check.called_ae}: aborted or not answered in time")
    keep_answers(assoc)
    try:
        status = assoc.send_c_echo()
    finally:
        if assoc.is_established:
            assoc.release()
    code = getattr(status, "Status", None)
    if code is None:
        raise Failed(Layer.DICOM_STATUS, "no answer to the C-ECHO (the association was aborted or timed out)")
    if code != 0x0000:
        raise Failed(Layer.DICOM_STATUS, f"C-ECHO answered status 0x{code:04X}")


START, END = b"\x0b", b"\x1c\x0d"


def network_query(control_id: str, at: datetime, sender: str = "CONTINGENCY") -> str:
    """A network management query (NMQ^N01): asks the engine to answer, changes no record."""
    stamp = at.strftime("%Y%m%d%H%M%S")
    return f"MSH|^~\\&|CONTINGENCY|{sender}|||{stamp}||NMQ^N01^NMQ_N01|{control_id}|P|2.5\rNCK|{stamp}"


def with_control_id(message: str, control_id: str) -> str:
    """The message with MSH-10 (message control id) set to `control_id`, segments ended by CR."""
    segments = [line.strip("\r") for line in message.strip().splitlines() if line.strip()]
    fields = segments[0].split("|")
    fields += [""] * max(0, 10 - len(fields))
    fields[9] = control_id
    return "\r".join(["|".join(fields), *segments[1:]])


def read_frame(sock: socket.socket, deadline: Deadline) -> bytes:
    """One MLLP frame's content; Failed (no acknowledgement) when the peer closes or the time runs out first."""
    data = b""
    while END not in data and len(data) < MAX_BODY:
        sock.settimeout(deadline.left())
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise Failed(Layer.NO_ACK, f"no acknowledgement within {deadline.timeout:g}s") from None
        except OSError as exc:
            raise Failed(
                Layer.NO_ACK, f"the connection failed before an acknowledgement: {exc.strerror or exc}"
            ) from None
        if not chunk:
            raise Failed(Layer.NO_ACK, "the connection was closed without an acknowledgement")
        data += chunk
    if END not in data:
        raise Failed(Layer.NO_ACK, "the answer is not an MLLP frame")
    return data[data.find(START) + 1 if START in data else 0 : data.find(END)]


def run_mllp(check: MllpCheck, deadline: Deadline, routes: Routes, sender: str) -> None:
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    control = uuid.uuid4().hex[:20]
    text = (
        with_control_id(check.message, control) if check.message else network_query(control, datetime.now(UTC), sender)
    )
    sock = connect(check.host, check.port, deadline, routes)
    try:
        try:
            sock.sendall(START + text.encode("utf-8") + END)
        except OSError as exc:
            raise Failed(Layer.NO_ACK, f"the connection closed while sending: {exc.strerror or exc}") from None
        frame = read_frame(sock, deadline)
    finally:
        sock.close()
    answer = frame.decode("utf-8", "replace").replace("\n", "\r")
    try:
        ack = parse_message(answer, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
        msa = ack.msa
        code, acked, words = msa.msa_1.value, msa.msa_2.value, msa.msa_3.value
    except Exception:  # hl7apy raises several types for text it cannot read
        raise Failed(Layer.NO_ACK, "the answer is not an HL7 acknowledgement (no MSA segment)") from None
    if code != check.ack.value:
        raise Failed(
            Layer.NEGATIVE_ACK, f"acknowledged {code}, expected {check.ack.value}" + (f": {words}" if words else "")
        )
    if acked != control:
        raise Failed(Layer.NO_ACK, f"the acknowledgement is for message {acked!r}, not the one sent")


# ---------------------------------------------------------------- one check, timed


def default_tls(ca_file: str | None = None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)


def run(
    check: ProbeCheck,
    *,
    routes: Routes | None = None,
    tls: ssl.SSLContext | None = None,
    site: str = "CONTINGENCY",
    clock: Callable[[], float] = time.monotonic,
) -> Result:
    """Run `check` once; never raises."""
    routes = routes or {}
    target = check.target
    deadline = Deadline(target.timeout)
    started = clock()
    days: int | None = None
    try:
        if isinstance(target, HttpCheck):
            days = run_http(target, deadline, routes, tls or default_tls())
        elif isinstance(target, TcpCheck):
            run_tcp(target, deadline, routes)
        elif isinstance(target, DicomCheck):
            run_dicom(target, deadline, routes)
        else:
            run_mllp(target, deadline, routes, site)
        result = Result(check.id, True)
    except Failed as failed:
        result = Result(check.id, False, failed.layer.value, failed.detail)
    except Exception as exc:  # a library's surprise is a failed check, not a dead probe
        result = Result(check.id, False, Layer.ERROR.value, f"{type(exc).__name__}: {exc}")
    elapsed = int((clock() - started) * 1000)
    warnings = []
    slow = target.slow is not None and elapsed > target.slow.ms
    if result.ok and slow:
        warnings.append(f"slow: {elapsed / 1000:.1f}s (over {target.slow})")
    if result.ok and days is not None and isinstance(target, HttpCheck) and days < target.certificate_days:
        warnings.append(f"certificate expires in {days} day{'s' if days != 1 else ''}")
    return replace(result, elapsed_ms=elapsed, slow=slow, certificate_days=days, warning="; ".join(warnings))
