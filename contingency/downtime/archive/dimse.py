"""The archive over DICOM (pynetdicom): C-ECHO, and C-FIND at study level streamed into `ArchiveStudy` rows.

One association serves a whole reconciliation. Every failure becomes an `ArchiveError` worded for a human:
nothing listening (connection refused), an unknown host, no answer in time, the association refused
(A-ASSOCIATE-RJ, with the archive's reason), no accepted presentation context, the association dropped or
aborted mid-query, a failure status. Answers are converted one by one as they arrive, and a window's answer
is never held beyond `limit` studies: past it the query is cancelled (C-CANCEL) and the answer marked capped.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from pydicom.charset import python_encoding
from pydicom.dataset import Dataset
from pynetdicom import AE, evt
from pynetdicom import _config as pynetdicom_config
from pynetdicom.association import Association
from pynetdicom.pdu_primitives import A_ABORT, A_ASSOCIATE, A_P_ABORT
from pynetdicom.status import QR_FIND_SERVICE_CLASS_STATUS, code_to_category

from contingency.lib.dicomnet import keep_answers

from .config import VARIABLES, ArchiveConfig
from .errors import ArchiveError, Failure
from .studies import ArchiveStudy, parse_count

VERIFICATION = "1.2.840.10008.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
RETURN_KEYS = (
    "StudyInstanceUID",
    "AccessionNumber",
    "PatientID",
    "StudyDate",
    "StudyTime",
    "ModalitiesInStudy",
    "NumberOfStudyRelatedInstances",
)
PENDING = (0xFF00, 0xFF01)
CANCEL = 0xFE00

logging.getLogger("pynetdicom").addHandler(logging.NullHandler())
# pynetdicom formats every identifier for its log whether or not the log is kept: patient IDs in logs, and
# most of the time spent on a large answer. Queries and answers are never logged here.
pynetdicom_config.LOG_RESPONSE_IDENTIFIERS = False
pynetdicom_config.LOG_REQUEST_IDENTIFIERS = False
pynetdicom_config.LOG_HANDLER_LEVEL = "none"  # nor every PDU and DIMSE message (the default handlers' work)


@dataclass
class FindAnswer:
    """One C-FIND's studies; `capped` when the archive (or our limit) cut the answer short."""

    studies: list[ArchiveStudy]
    capped: bool = False
    unreadable: int = 0  # answers without a StudyInstanceUID, or that could not be decoded
    status: str = ""


_Handler = (
    tuple[evt.NotificationEvent | evt.InterventionEvent, Callable[..., Any]]
    | tuple[evt.NotificationEvent | evt.InterventionEvent, Callable[..., Any], list[Any]]
)


@dataclass
class _Seen:
    """What the association's events told us, to say why it failed."""

    connected: bool = False
    primitive: Any = None  # the last ACSE primitive from the archive (A-ASSOCIATE response, A-ABORT)
    closed: bool = False
    opened_at: float = 0.0
    closed_at: float = 0.0  # perf_counter() when the connection went (the archive's doing, or our own abort)
    extra: list[str] = field(default_factory=list)


def no_delay(event: evt.Event) -> None:
    """EVT_CONN_OPEN handler: DICOM sends small PDUs; without TCP_NODELAY each may wait ~40 ms for an ACK."""
    with contextlib.suppress(Exception):
        event.assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[union-attr]


def _status_text(code: int) -> str:
    category, description = QR_FIND_SERVICE_CLASS_STATUS.get(code, (code_to_category(code), ""))
    return f"0x{code:04X} ({category}{': ' + description if description else ''})"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_FIELDS = {
    0x0020000D: "study_uid",
    0x00080050: "accession_number",
    0x00100020: "patient_id",
    0x00080020: "study_date",
    0x00080030: "study_time",
    0x00080061: "modalities",
    0x00201208: "instances",
}


def _encoding(identifier: Dataset) -> str | None:
    """The Python codec of the answer's character set; None when it needs pydicom (ISO 2022 code extensions)."""
    raw = identifier.get_item(0x00080005)
    value = raw.value if raw is not None else b""
    names = (value.decode("ascii", "replace") if isinstance(value, bytes) else str(value or "")).strip(" \x00")
    if not names:
        return "latin_1"  # the default repertoire is ASCII; latin-1 reads it and never fails
    if "\\" in names:
        return None
    return python_encoding.get(names.strip())


def _fast(identifier: Dataset, encoding: str) -> ArchiveStudy | None:
    """Read the seven values from the raw bytes: pydicom's element conversion is most of a large answer's cost."""
    values: dict[str, str] = {}
    for tag, name in _FIELDS.items():
        element = identifier.get_item(tag)
        if element is None:
            continue
        raw = element.value
        if isinstance(raw, bytes):
            values[name] = raw.decode(encoding, "replace").strip(" \x00")
        elif raw is not None:
            values[name] = "\\".join(str(v) for v in raw) if isinstance(raw, list | tuple) else str(raw).strip()
    study_uid = values.get("study_uid", "")
    if not study_uid:
        return None
    return ArchiveStudy(
        study_uid=study_uid,
        accession_number=values.get("accession_number", "").strip(),
        patient_id=values.get("patient_id", "").strip(),
        study_date=values.get("study_date", "").strip(),
        study_time=values.get("study_time", "").strip(),
        modalities=tuple(m.strip() for m in values.get("modalities", "").split("\\") if m.strip()),
        instances=parse_count(values.get("instances")),
    )


def to_study(identifier: Dataset) -> ArchiveStudy | None:
    """An identifier from the archive as an ArchiveStudy; None without a StudyInstanceUID or if unreadable."""
    try:
        encoding = _encoding(identifier)
        if encoding is not None:
            return _fast(identifier, encoding)
        return _slow(identifier)
    except Exception:  # a malformed element raises on access; one bad answer must not end the run
        return None


def _slow(identifier: Dataset) -> ArchiveStudy | None:
    study_uid = _text(identifier.get("StudyInstanceUID"))
    if not study_uid:
        return None
    modalities = identifier.get("ModalitiesInStudy")
    if modalities is None or modalities == "":
        kinds: tuple[str, ...] = ()
    elif isinstance(modalities, str):
        kinds = tuple(m.strip() for m in modalities.split("\\") if m.strip())
    else:
        kinds = tuple(str(m).strip() for m in modalities if str(m).strip())
    return ArchiveStudy(
        study_uid=study_uid,
        accession_number=_text(identifier.get("AccessionNumber")),
        patient_id=_text(identifier.get("PatientID")),
        study_date=_text(identifier.get("StudyDate")),
        study_time=_text(identifier.get("StudyTime")),
        modalities=kinds,
        instances=parse_count(identifier.get("NumberOfStudyRelatedInstances")),
    )


def _probe(config: ArchiveConfig) -> ArchiveError:
    """Why no connection was made: connect again by hand to find out (refused, unknown host, timeout, TLS)."""
    where = f"{config.host}:{config.port}"
    try:
        with socket.create_connection((config.host, config.port), timeout=config.connect_timeout) as sock:
            if config.tls:
                try:
                    with config.ssl_context().wrap_socket(sock, server_hostname=config.host):
                        pass
                except (ssl.SSLError, OSError) as exc:
                    return ArchiveError(
                        Failure.TLS,
                        f"The TLS handshake with {where} failed: {getattr(exc, 'reason', None) or exc}",
                        hint=f"check {VARIABLES['tls_ca_file']} and the archive's certificate",
                    )
    except ConnectionRefusedError:
        return ArchiveError(
            Failure.REFUSED,
            f"Nothing is listening at {where} (connection refused)",
            hint=f"is the archive running, and is {VARIABLES['port']} right?",
        )
    except TimeoutError:
        return ArchiveError(
            Failure.TIMEOUT,
            f"{where} did not answer within {config.connect_timeout:g} s",
            hint=f"a firewall, or the wrong {VARIABLES['host']}; {VARIABLES['connect_timeout']} sets the wait",
        )
    except socket.gaierror:
        return ArchiveError(
            Failure.UNREACHABLE, f"The host name {config.host!r} is not known", hint=f"check {VARIABLES['host']}"
        )
    except OSError as exc:
        return ArchiveError(Failure.UNREACHABLE, f"Cannot reach {where}: {exc.strerror or exc}")
    return ArchiveError(Failure.ABORTED, f"The connection to {where} was closed before the association was made")


def _rejection(config: ArchiveConfig, primitive: A_ASSOCIATE) -> ArchiveError:
    reason = primitive.reason_str
    source, diagnostic = primitive.result_source, primitive.diagnostic
    hint = ""
    if source == 1 and diagnostic == 7:
        hint = f"{VARIABLES['called_aet']} is {config.called_aet!r}; it must be the archive's own AE title"
    elif source == 1 and diagnostic == 3:
        hint = (
            f"the archive does not know our AE title {config.calling_aet!r} "
            f"({VARIABLES['calling_aet']}): ask the PACS team to add it"
        )
    elif source == 3:
        hint = "the archive is busy; try again shortly"
    return ArchiveError(
        Failure.REJECTED,
        f"The archive refused the association: {reason} ({primitive.result_str.lower()}, from the "
        f"{primitive.source_str.lower()})",
        hint=hint,
    )


class DimseArchive:
    """An open association with the archive. `with DimseArchive(config) as archive: archive.find(...)`."""

    def __init__(self, config: ArchiveConfig, *, deadline: float | None = None, find: bool = True) -> None:
        if not config.host:
            raise ArchiveError(Failure.CONFIGURATION, f"{VARIABLES['host']} is not set: no DICOM archive to query")
        self.config = config
        self.deadline = deadline  # time.monotonic() by which the whole run must be done
        self._wants_find = find
        self._seen = _Seen()
        self._assoc: Association | None = None
        self._message_id = 0

    # -------------------------------------------------------------- the association

    def _handlers(self) -> list[_Handler]:
        seen = self._seen

        def opened(event: evt.Event) -> None:
            seen.connected = True
            seen.opened_at = time.perf_counter()
            no_delay(event)

        def received(event: evt.Event) -> None:
            seen.primitive = event.primitive  # type: ignore[attr-defined]

        def closed(event: evt.Event) -> None:
            if not seen.closed:
                seen.closed, seen.closed_at = True, time.perf_counter()
            # pynetdicom's query waits for the next answer until its DIMSE timeout even when the connection
            # has gone; an empty item wakes it now, and the query ends as dropped.
            with contextlib.suppress(Exception):
                event.assoc.dimse.msg_queue.put((None, None))

        return [
            (evt.EVT_CONN_OPEN, opened),
            (evt.EVT_ACSE_RECV, received),
            (evt.EVT_CONN_CLOSE, closed),
            (evt.EVT_ABORTED, closed),
        ]

    def open(self) -> Self:
        config = self.config
        ae = AE(ae_title=config.calling_aet)
        ae.connection_timeout = config.connect_timeout
        ae.acse_timeout = config.connect_timeout
        ae.dimse_timeout = config.query_timeout
        ae.network_timeout = max(config.query_timeout * 2, 60)
        ae.add_requested_context(VERIFICATION)
        ae.add_requested_context(STUDY_ROOT_FIND)
        tls = (config.ssl_context(), config.host) if config.tls else None
        assoc = ae.associate(
            config.host, config.port, ae_title=config.called_aet, tls_args=tls, evt_handlers=self._handlers()
        )
        if not assoc.is_established:
            raise self._not_established(assoc)
        keep_answers(assoc)
        self._assoc = assoc
        if self._wants_find and not self.find_accepted:
            self.close()
            raise ArchiveError(
                Failure.NO_CONTEXT,
                "The archive accepted the association but not Study Root C-FIND: it will not answer study queries "
                "from us",
                hint=f"ask the PACS team to allow queries from {config.calling_aet!r}, or use DICOMweb "
                f"({VARIABLES['dicomweb_url']})",
            )
        return self

    @property
    def find_accepted(self) -> bool:
        """Whether the archive accepted Study Root C-FIND on this association."""
        return self._assoc is not None and any(
            cx.abstract_syntax == STUDY_ROOT_FIND for cx in self._assoc.accepted_contexts
        )

    def _not_established(self, assoc: Association) -> ArchiveError:
        seen, config = self._seen, self.config
        if not seen.connected:
            return _probe(config)
        primitive = seen.primitive
        if assoc.is_rejected and isinstance(primitive, A_ASSOCIATE):
            return _rejection(config, primitive)
        if isinstance(primitive, A_ASSOCIATE) and primitive.result == 0:
            return ArchiveError(
                Failure.NO_CONTEXT,
                "The archive accepted the association but none of the services we asked for "
                "(Verification, Study Root C-FIND)",
                hint="ask the PACS team to allow C-ECHO and C-FIND from us",
            )
        if isinstance(primitive, A_ABORT | A_P_ABORT):
            return ArchiveError(Failure.ABORTED, "The archive aborted the association request")
        waited = (seen.closed_at or time.perf_counter()) - seen.opened_at
        if seen.closed and primitive is None and waited < config.connect_timeout * 0.9:
            return ArchiveError(
                Failure.ABORTED, f"{config.host}:{config.port} closed the connection without answering (is it DICOM?)"
            )
        return ArchiveError(
            Failure.TIMEOUT,
            f"Connected to {config.host}:{config.port}, but the archive did not answer the association request "
            f"within {config.connect_timeout:g} s",
            hint=f"{VARIABLES['connect_timeout']} sets the wait",
        )

    def close(self) -> None:
        if self._assoc is not None:
            assoc, self._assoc = self._assoc, None
            if assoc.is_established:
                with contextlib.suppress(Exception):
                    assoc.release()
            if assoc.is_established:
                assoc.abort()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if value is not None and self._assoc is not None:
            with contextlib.suppress(Exception):
                self._assoc.abort()
            self._assoc = None
        self.close()

    @property
    def assoc(self) -> Association:
        if self._assoc is None or not self._assoc.is_established:
            raise ArchiveError(Failure.ABORTED, "The association with the archive is no longer open")
        return self._assoc

    # -------------------------------------------------------------- services

    def echo(self) -> float:
        """C-ECHO; the round trip in milliseconds."""
        started = time.perf_counter()
        status = self.assoc.send_c_echo()
        if "Status" not in status:
            raise self._dropped("the C-ECHO", started)
        if status.Status != 0x0000:
            raise ArchiveError(Failure.STATUS, f"The archive answered the C-ECHO with status 0x{status.Status:04X}")
        return (time.perf_counter() - started) * 1000

    def _dropped(self, what: str, since: float, *, first: bool = False) -> ArchiveError:
        """An empty answer: the DIMSE timeout ran out, or the association dropped."""
        waited = (self._seen.closed_at if self._seen.closed else time.perf_counter()) - since
        primitive = self._seen.primitive
        if isinstance(primitive, A_ABORT | A_P_ABORT) or waited < self.config.query_timeout * 0.9:
            hint = "nothing was recorded; run it again when the archive is back"
            if first:
                hint = (
                    f"if it happens at once every time, the archive may not allow queries from our AE title "
                    f"{self.config.calling_aet!r} ({VARIABLES['calling_aet']}): ask the PACS team; "
                    "nothing was recorded"
                )
            return ArchiveError(
                Failure.ABORTED,
                f"The archive dropped the association during {what}"
                + (" (it sent A-ABORT)" if isinstance(primitive, A_ABORT) else " (the connection closed)"),
                hint=hint,
            )
        return ArchiveError(
            Failure.TIMEOUT,
            f"The archive did not answer {what} within {self.config.query_timeout:g} s",
            hint=f"{VARIABLES['query_timeout']} sets the wait",
        )

    def _over_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ArchiveError(
                Failure.TIMEOUT,
                f"The reconciliation took longer than {self.config.run_timeout:g} s and was stopped",
                hint=f"{VARIABLES['run_timeout']} sets the limit; nothing was recorded",
            )

    def find(
        self, *, study_date: str = "", study_time: str = "", accession: str = "", study_uid: str = "", limit: int
    ) -> FindAnswer:
        """C-FIND at study level with these keys; at most `limit` studies kept (more: cancelled, capped)."""
        self._over_deadline()
        if self._seen.closed:
            raise self._dropped("a query", time.perf_counter())
        query = Dataset()
        query.QueryRetrieveLevel = "STUDY"
        for keyword in RETURN_KEYS:
            setattr(query, keyword, "")
        query.StudyDate, query.StudyTime = study_date, study_time
        query.AccessionNumber, query.StudyInstanceUID = accession, study_uid
        self._message_id = self._message_id % 65535 + 1
        answer = FindAnswer(studies=[])
        cancelled = False
        since = time.perf_counter()
        first = self._message_id == 1
        answered = 0
        for status, identifier in self._responses(query):
            if "Status" not in status:
                raise self._dropped("a query", since, first=first and not answered)
            answered += 1
            since = time.perf_counter()
            code = int(status.Status)
            if code in PENDING:
                if cancelled:
                    continue
                study = to_study(identifier) if identifier is not None else None
                if study is None:
                    answer.unreadable += 1
                elif len(answer.studies) >= limit:
                    answer.capped = cancelled = True
                    with contextlib.suppress(Exception):
                        self.assoc.send_c_cancel(self._message_id, query_model=STUDY_ROOT_FIND)
                else:
                    answer.studies.append(study)
                self._over_deadline()
                continue
            answer.status = _status_text(code)
            if code == CANCEL:  # the archive stopped matching (Orthanc's LimitFindResults), or we cancelled
                answer.capped = True
            elif code_to_category(code) == "Failure":
                raise ArchiveError(Failure.STATUS, f"The archive answered the query with {answer.status}")
            break
        else:
            raise self._dropped("a query", since)
        return answer

    def _responses(self, query: Dataset) -> Iterator[tuple[Dataset, Dataset | None]]:
        try:
            yield from self.assoc.send_c_find(query, STUDY_ROOT_FIND, msg_id=self._message_id)
        except (RuntimeError, ValueError) as exc:  # association gone, or no context for the query
            raise ArchiveError(Failure.ABORTED, f"The query could not be sent: {exc}") from None
