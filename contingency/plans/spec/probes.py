"""Checks that probes run against a system's components, and when their failures raise the alarm.

A component of a system may carry checks: HTTP(S), a TCP connect, a DICOM C-ECHO or an HL7 v2
message over MLLP. Probes at each site run every check of the organisation's plans and report to
the server, which decides per component and for the system (see contingency/monitor/verdict.py).
The system's `probes` settings say how often checks run, after how many failing intervals a
suspected incident is opened, and which of the plan's confirm-it-is-down checks the probes answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from .types import CallTreeRef, CheckRef, Count, Id, Spec

_SPAN_RE = re.compile(r"^\s*(\d{1,7})\s*(ms|s|m|h)\s*$")
_SPAN_UNITS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


@dataclass(frozen=True, order=True)
class Span:
    """A short duration for probes, exact to the millisecond: `500ms`, `10s`, `2m`, `1h`."""

    ms: int

    @property
    def seconds(self) -> float:
        return self.ms / 1000

    @classmethod
    def parse(cls, text: str) -> Span:
        match = _SPAN_RE.match(text.lower())
        if match is None:
            raise ValueError(f"{text!r} is not a probe duration (expected e.g. 500ms, 10s, 2m, 1h)")
        return cls(int(match.group(1)) * _SPAN_UNITS[match.group(2)])

    def __str__(self) -> str:
        for unit in ("h", "m", "s"):
            size = _SPAN_UNITS[unit]
            if self.ms and self.ms % size == 0:
                return f"{self.ms // size}{unit}"
        return f"{self.ms}ms"


def _parse_span(value: object) -> Span:
    if isinstance(value, Span):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Span(value * 1000)  # a bare number is seconds
    if isinstance(value, str):
        try:
            return Span.parse(value)
        except ValueError as exc:
            raise PydanticCustomError("probe_duration", str(exc)) from None
    raise PydanticCustomError(
        "probe_duration", "expected a duration such as 500ms, 10s or 2m, got {got}", {"got": repr(value)}
    )


def _bounded(low: Span, high: Span) -> AfterValidator:
    def check(value: Span) -> Span:
        if not low <= value <= high:
            raise PydanticCustomError("probe_duration", "must be from {low} to {high}", {"low": low, "high": high})
        return value

    return AfterValidator(check)


_SPAN_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^\s*\d{1,7}\s*(ms|s|m|h)\s*$", "examples": ["500ms", "10s", "2m"]}
)
SpanText = Annotated[Span, BeforeValidator(_parse_span), PlainSerializer(str, return_type=str), _SPAN_SCHEMA]
Interval = Annotated[SpanText, _bounded(Span(10_000), Span(86_400_000))]  # 10s to a day
Timeout = Annotated[SpanText, _bounded(Span(100), Span(300_000))]  # 100ms to 5 minutes

_HOST_RE = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$"
)


def _check_host(value: str) -> str:
    if _HOST_RE.match(value) or (":" in value and re.fullmatch(r"[0-9A-Fa-f:.]+", value)):
        return value
    raise PydanticCustomError(
        "host", "'{value}' is not a host name or address (e.g. pacs.example.org or 127.0.0.1)", {"value": value}
    )


Host = Annotated[str, AfterValidator(_check_host), WithJsonSchema({"type": "string", "minLength": 1})]
Port = Annotated[int, Field(ge=1, le=65535)]


def _check_ae_title(value: str) -> str:
    if not value.strip() or len(value) > 16 or "\\" in value or not all(32 <= ord(c) < 127 for c in value):
        raise PydanticCustomError(
            "ae_title",
            "'{value}' is not an AE title: 1 to 16 printable ASCII characters, no backslash (e.g. PACS_SCP)",
            {"value": value},
        )
    return value


AeTitle = Annotated[
    str,
    AfterValidator(_check_ae_title),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 16, "pattern": r"^[ -\[\]-~]+$"}),
]


def _check_url(value: str) -> str:
    if not re.match(r"^https?://[^\s/?#]+", value):
        raise PydanticCustomError(
            "url", "'{value}' is not an http:// or https:// address with a host", {"value": value}
        )
    return value


Url = Annotated[
    str,
    AfterValidator(_check_url),
    WithJsonSchema({"type": "string", "pattern": r"^https?://[^\s/?#]+"}),
]


class HttpCheck(Spec):
    """An HTTP(S) request: the status expected, text the page must contain, the certificate's expiry."""

    url: Url
    status: Annotated[int, Field(ge=100, le=599)] = 200
    text: str | None = None
    certificate_days: Annotated[int, Field(ge=1, le=365)] = 14  # warn (degraded) this close to expiry
    timeout: Timeout = Span(10_000)
    slow: Timeout | None = None  # slower than this is degraded


class TcpCheck(Spec):
    """A TCP connection opened and closed: the service listens."""

    host: Host
    port: Port
    timeout: Timeout = Span(10_000)
    slow: Timeout | None = None


class DicomCheck(Spec):
    """A DICOM association and a C-ECHO (verification): the archive answers."""

    host: Host
    port: Port = 104
    called_ae: AeTitle
    calling_ae: AeTitle = "CONTINGENCY"
    timeout: Timeout = Span(10_000)
    slow: Timeout | None = None


class AckCode(StrEnum):
    AA = "AA"  # application accept (original acknowledgement mode)
    CA = "CA"  # commit accept (enhanced acknowledgement mode)


def _check_hl7(value: str | None) -> str | None:
    if value is None:
        return value
    from hl7apy.consts import VALIDATION_LEVEL
    from hl7apy.parser import parse_message

    text = "\r".join(line.strip("\r") for line in value.strip().splitlines())
    if not text.startswith("MSH|"):
        raise PydanticCustomError("hl7", "an HL7 v2 message starts with its MSH segment (MSH|^~\\&|...)")
    try:
        parse_message(text, validation_level=VALIDATION_LEVEL.TOLERANT, find_groups=False)
    except Exception as exc:  # hl7apy raises several types for text it cannot read
        reason = {"reason": str(exc) or type(exc).__name__}
        raise PydanticCustomError("hl7", "not an HL7 v2 message: {reason}", reason) from None
    return value


class MllpCheck(Spec):
    """An HL7 v2 message sent over MLLP and its acknowledgement (MSA-1 `AA`): the interface engine answers.

    Without `message`, a network management query (NMQ^N01) is sent, which changes no patient record.
    """

    host: Host
    port: Port
    message: Annotated[str | None, AfterValidator(_check_hl7)] = None
    ack: AckCode = AckCode.AA
    timeout: Timeout = Span(10_000)
    slow: Timeout | None = None


CHECK_KINDS = ("http", "tcp", "dicom", "mllp")


class ProbeCheck(Spec):
    """One check of a component, run from every site; exactly one of http, tcp, dicom or mllp."""

    id: Id
    name: str | None = None
    http: HttpCheck | None = None
    tcp: TcpCheck | None = None
    dicom: DicomCheck | None = None
    mllp: MllpCheck | None = None
    every: Interval | None = None  # default: the system's probes.every
    fail_after: Count | None = None  # default: the system's probes.failAfter

    @model_validator(mode="after")
    def _one_kind(self) -> ProbeCheck:
        given = [kind for kind in CHECK_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            what = f"names {' and '.join(given)}" if given else "names none"
            raise ValueError(f"a check names exactly one of http, tcp, dicom or mllp; this one {what}")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in CHECK_KINDS if getattr(self, kind) is not None)

    @property
    def target(self) -> HttpCheck | TcpCheck | DicomCheck | MllpCheck:
        found: HttpCheck | TcpCheck | DicomCheck | MllpCheck = getattr(self, self.kind)
        return found

    @property
    def label(self) -> str:
        return self.name or self.id


class Holds(StrEnum):
    """When the statement of a confirm check holds, by what the probes see."""

    FAILING = "failing"  # whenever the probes see the failure (at any site)
    EVERY_SITE = "every-site"  # only when every reporting site sees it ("several PCs" = several sites)


class ProbeAnswer(Spec):
    """A confirm-it-is-down check of the plan that the probes answer when they open an incident."""

    check: CheckRef
    holds: Holds = Holds.FAILING


class OpenOn(StrEnum):
    COMPLETE = "complete"  # every site fails (the default: one site alone is not an outage)
    PARTIAL = "partial"  # some sites fail (a complete failure opens one too)


class ProbeSettings(Spec):
    """How a system's checks run, and when their failures open a suspected incident."""

    every: Interval | None = None  # how often each check runs at each site (default 1m)
    fail_after: Count | None = None  # failing intervals in a row before an incident is opened; none: never
    recover_after: Count | None = None  # passing intervals in a row at every site before restoring is proposed
    open_on: OpenOn = OpenOn.COMPLETE
    call_tree: CallTreeRef | None = None  # who is told when an incident is opened (default: the system's owner)
    answers: list[ProbeAnswer] = []


DEFAULT_EVERY = Span(60_000)
