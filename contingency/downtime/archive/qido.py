"""The archive over DICOMweb: QIDO-RS study searches (dicomweb-client), answering like `DimseArchive`.

Each search asks for one more study than `limit`; an answer with more, or with the server's "there are more
results" Warning header (PS3.18 6.7.1.2), is capped. An answer larger than the memory bound is refused
before its body is read (Content-Length). Failures are classified like C-FIND's: refused, timeout, HTTP
status (401/403: our credentials), dropped mid-answer, unreadable JSON.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, Self

import requests
from dicomweb_client.api import DICOMwebClient

from .config import VARIABLES, ArchiveConfig
from .dimse import FindAnswer
from .errors import ArchiveError, Failure
from .studies import ArchiveStudy, parse_count

FIELDS = ("00080061", "00201208", "00100020", "00080050", "00080020", "00080030", "0020000D")
BYTES_PER_STUDY = 4096  # a study-level answer is about 1.5 KB of DICOM JSON; the bound is generous
_TAGS = {
    "study_uid": "0020000D",
    "accession_number": "00080050",
    "patient_id": "00100020",
    "study_date": "00080020",
    "study_time": "00080030",
}


def _first(item: dict[str, Any], tag: str) -> str:
    values = (item.get(tag) or {}).get("Value") or []
    return str(values[0]).strip() if values and values[0] is not None else ""


def to_study(item: Any) -> ArchiveStudy | None:
    """One QIDO-RS study (DICOM JSON) as an ArchiveStudy; None without a StudyInstanceUID or if malformed."""
    try:
        fields = {name: _first(item, tag) for name, tag in _TAGS.items()}
        if not fields["study_uid"]:
            return None
        modalities = tuple(str(m).strip() for m in (item.get("00080061") or {}).get("Value") or [] if m)
        count = (item.get("00201208") or {}).get("Value") or [None]
        return ArchiveStudy(**fields, modalities=modalities, instances=parse_count(count[0]))
    except (AttributeError, TypeError, IndexError):
        return None


class QidoArchive:
    """QIDO-RS searches against CONTINGENCY_ARCHIVE_DICOMWEB_URL. `with QidoArchive(config) as archive: ...`."""

    def __init__(self, config: ArchiveConfig, *, deadline: float | None = None) -> None:
        if not config.dicomweb_url:
            raise ArchiveError(Failure.CONFIGURATION, f"{VARIABLES['dicomweb_url']} is not set: no DICOMweb to query")
        self.config = config
        self.deadline = deadline
        self._max_bytes = 0
        self._warning = ""
        self._session: requests.Session | None = None
        self._client: DICOMwebClient | None = None

    def open(self) -> Self:
        session = requests.Session()
        if self.config.dicomweb_username:
            session.auth = (self.config.dicomweb_username, self.config.dicomweb_password)
        if self.config.tls_ca_file:
            session.verify = str(self.config.tls_ca_file)
        self._session = session
        self._client = DICOMwebClient(
            self.config.dicomweb_url,
            session=session,
            timeout=(self.config.connect_timeout, self.config.query_timeout),
            callback=self._inspect,
        )
        self._client.set_http_retry_params(retry=False)
        return self

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = self._client = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _inspect(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        """Before the body is read: note a "more results" warning, refuse an answer beyond the bound."""
        self._warning = response.headers.get("Warning", "")
        length = response.headers.get("Content-Length", "")
        if self._max_bytes and length.isdigit() and int(length) > self._max_bytes:
            response.close()
            raise ArchiveError(
                Failure.TOO_LARGE,
                f"The archive's answer is {int(length):,} bytes, more than the {self._max_bytes:,} allowed for one window",
            )
        return response

    def echo(self) -> float:
        """One small search (the QIDO-RS equivalent of C-ECHO); the round trip in milliseconds."""
        started = time.perf_counter()
        self.find(limit=1)
        return (time.perf_counter() - started) * 1000

    def find(
        self, *, study_date: str = "", study_time: str = "", accession: str = "", study_uid: str = "", limit: int
    ) -> FindAnswer:
        assert self._client is not None, "not open"
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise ArchiveError(
                Failure.TIMEOUT,
                f"The reconciliation took longer than {self.config.run_timeout:g} s and was stopped",
                hint=f"{VARIABLES['run_timeout']} sets the limit; nothing was recorded",
            )
        filters = {
            key: value
            for key, value in (
                ("StudyDate", study_date),
                ("StudyTime", study_time),
                ("AccessionNumber", accession),
                ("StudyInstanceUID", study_uid),
            )
            if value
        }
        self._max_bytes = (limit + 1) * BYTES_PER_STUDY + 65536
        items = self._search(filters, limit + 1)
        answer = FindAnswer(studies=[], status="HTTP 200")
        for item in items:
            study = to_study(item)
            if study is None:
                answer.unreadable += 1
            elif len(answer.studies) >= limit:
                answer.capped = True
                break
            else:
                answer.studies.append(study)
        warning = self._warning.lower()
        if warning and ("more" in warning or "additional" in warning or "remaining" in warning):
            answer.capped = True
        return answer

    def _search(self, filters: dict[str, str], limit: int) -> list[Any]:
        assert self._client is not None
        url = self.config.dicomweb_url
        try:
            found = self._client.search_for_studies(search_filters=filters, fields=list(FIELDS), limit=limit)
        except requests.exceptions.ConnectTimeout:
            raise ArchiveError(
                Failure.TIMEOUT,
                f"{url} did not answer within {self.config.connect_timeout:g} s",
                hint=f"{VARIABLES['connect_timeout']} sets the wait",
            ) from None
        except requests.exceptions.ReadTimeout:
            raise ArchiveError(
                Failure.TIMEOUT,
                f"The archive did not answer a search within {self.config.query_timeout:g} s",
                hint=f"{VARIABLES['query_timeout']} sets the wait",
            ) from None
        except requests.exceptions.SSLError as exc:
            raise ArchiveError(
                Failure.TLS, f"The TLS handshake with {url} failed: {exc}", hint=f"check {VARIABLES['tls_ca_file']}"
            ) from None
        except requests.exceptions.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if status in (401, 403):
                raise ArchiveError(
                    Failure.REJECTED,
                    f"The archive refused our credentials (HTTP {status})",
                    hint=f"check {VARIABLES['dicomweb_username']} and {VARIABLES['dicomweb_password']}",
                ) from None
            reason = exc.response.reason if exc.response is not None else ""
            raise ArchiveError(
                Failure.STATUS, f"The archive answered the search with HTTP {status} {reason}".strip()
            ) from None
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            raise ArchiveError(
                Failure.ABORTED,
                "The archive dropped the connection in the middle of an answer",
                hint="nothing was recorded; run it again when the archive is back",
            ) from None
        except requests.exceptions.ConnectionError as exc:
            text = str(exc)
            if "refused" in text.lower():
                raise ArchiveError(
                    Failure.REFUSED,
                    f"Nothing is listening at {url} (connection refused)",
                    hint=f"is the archive running, and is {VARIABLES['dicomweb_url']} right?",
                ) from None
            if "Name or service not known" in text or "nodename nor servname" in text:
                raise ArchiveError(Failure.UNREACHABLE, f"The host in {url} is not known") from None
            raise ArchiveError(
                Failure.ABORTED,
                f"The connection to {url} failed or dropped mid-answer",
                hint="nothing was recorded; run it again when the archive is back",
            ) from None
        except ValueError:  # the body was not JSON
            raise ArchiveError(Failure.PROTOCOL, f"{url} answered with something that is not DICOM JSON") from None
        if not isinstance(found, list):
            raise ArchiveError(Failure.PROTOCOL, f"{url} answered with something that is not a list of studies")
        return found
