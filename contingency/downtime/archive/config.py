"""The imaging archive's connection: installation configuration read from the environment, never the plan file.

The archive is configured when CONTINGENCY_ARCHIVE_HOST (DICOM C-FIND) or CONTINGENCY_ARCHIVE_DICOMWEB_URL
(QIDO-RS) is set. Every problem is collected and reported at once, each naming its variable; the DICOMweb
password is never repeated in a message.

    CONTINGENCY_ARCHIVE_HOST, _PORT (104), _CALLED_AET (the archive's AE title), _CALLING_AET (CONTINGENCY)
    CONTINGENCY_ARCHIVE_TLS (false), _TLS_CA_FILE, _TLS_CERT_FILE, _TLS_KEY_FILE
    CONTINGENCY_ARCHIVE_CONNECT_TIMEOUT (10 s), _QUERY_TIMEOUT (30 s, the longest wait for any answer),
    CONTINGENCY_ARCHIVE_RUN_TIMEOUT (600 s, a whole reconciliation)
    CONTINGENCY_ARCHIVE_RESULT_CAP (0: unknown), _MIN_WINDOW_SECONDS (60), _MAX_STUDIES (200000),
    CONTINGENCY_ARCHIVE_ASSOCIATIONS (1; more: days queried in parallel, each on its own association),
    CONTINGENCY_ARCHIVE_TIME_ZONE (Europe/London: the modalities' clocks)
    CONTINGENCY_ARCHIVE_DICOMWEB_URL, _DICOMWEB_USERNAME, _DICOMWEB_PASSWORD
    CONTINGENCY_ARCHIVE_QUERY = c-find | qido (default: c-find when _HOST is set, else qido)
    CONTINGENCY_ARCHIVE_SYSTEM = the plan system id(s) this archive is, comma-separated (e.g. pacs): records of
    kinds that must reach one of them are reconciled with it (downtime/reconciliation.py)
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

VARIABLES = {
    "host": "CONTINGENCY_ARCHIVE_HOST",
    "dicomweb_url": "CONTINGENCY_ARCHIVE_DICOMWEB_URL",
    "port": "CONTINGENCY_ARCHIVE_PORT",
    "called_aet": "CONTINGENCY_ARCHIVE_CALLED_AET",
    "calling_aet": "CONTINGENCY_ARCHIVE_CALLING_AET",
    "tls": "CONTINGENCY_ARCHIVE_TLS",
    "tls_ca_file": "CONTINGENCY_ARCHIVE_TLS_CA_FILE",
    "tls_cert_file": "CONTINGENCY_ARCHIVE_TLS_CERT_FILE",
    "tls_key_file": "CONTINGENCY_ARCHIVE_TLS_KEY_FILE",
    "connect_timeout": "CONTINGENCY_ARCHIVE_CONNECT_TIMEOUT",
    "query_timeout": "CONTINGENCY_ARCHIVE_QUERY_TIMEOUT",
    "run_timeout": "CONTINGENCY_ARCHIVE_RUN_TIMEOUT",
    "result_cap": "CONTINGENCY_ARCHIVE_RESULT_CAP",
    "min_window_seconds": "CONTINGENCY_ARCHIVE_MIN_WINDOW_SECONDS",
    "max_studies": "CONTINGENCY_ARCHIVE_MAX_STUDIES",
    "associations": "CONTINGENCY_ARCHIVE_ASSOCIATIONS",
    "time_zone": "CONTINGENCY_ARCHIVE_TIME_ZONE",
    "dicomweb_username": "CONTINGENCY_ARCHIVE_DICOMWEB_USERNAME",
    "dicomweb_password": "CONTINGENCY_ARCHIVE_DICOMWEB_PASSWORD",
    "query": "CONTINGENCY_ARCHIVE_QUERY",
    "systems": "CONTINGENCY_ARCHIVE_SYSTEM",
}
_SECRETS = {"CONTINGENCY_ARCHIVE_DICOMWEB_PASSWORD"}
_MAINS = ("host", "dicomweb_url")

Query = Literal["c-find", "qido"]
SYSTEM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # a plan's id (plans/spec/types.py ID_PATTERN)


class ArchiveConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _ae_title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ValueError("an AE title cannot be blank")
    if len(title) > 16:
        raise ValueError(f"{value!r}: an AE title has at most 16 characters")
    if not all(" " <= ch <= "~" and ch != "\\" for ch in title):
        raise ValueError(f"{value!r}: an AE title is plain ASCII letters, digits and spaces, no backslash")
    return title


class ArchiveConfig(BaseModel):
    """How to reach the archive; validated, each field named after its variable in messages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = ""
    port: int = Field(104, ge=1, le=65535)
    called_aet: str = ""
    calling_aet: str = "CONTINGENCY"
    tls: bool = False
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    connect_timeout: float = Field(10.0, gt=0, le=600)
    query_timeout: float = Field(30.0, gt=0, le=3600)
    run_timeout: float = Field(600.0, gt=0, le=86400)
    result_cap: int = Field(0, ge=0, le=1_000_000)
    min_window_seconds: int = Field(60, ge=1, le=86400)
    max_studies: int = Field(200_000, ge=1, le=10_000_000)
    associations: int = Field(1, ge=1, le=8)
    time_zone: str = "Europe/London"
    dicomweb_url: str = ""
    dicomweb_username: str = ""
    dicomweb_password: str = ""
    query: Query | None = None
    systems: tuple[str, ...] = ()

    @field_validator("called_aet", "calling_aet")
    @classmethod
    def _titles(cls, value: str) -> str:
        return _ae_title(value) if value else value

    @field_validator("tls_ca_file", "tls_cert_file", "tls_key_file")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"{str(value)!r}: no such file")
        return value

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r}: not a time zone name such as Europe/London") from None
        return value

    @field_validator("systems", mode="before")
    @classmethod
    def _systems(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        for system in found:
            if not SYSTEM_ID.match(system):
                raise ValueError(f"{system!r}: a plan's system id is lower-case letters, digits and hyphens, e.g. pacs")
        return found

    @field_validator("dicomweb_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r}: should be an http:// or https:// address")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _consistent(self) -> ArchiveConfig:
        if self.host and not self.called_aet:
            raise ValueError(f"{VARIABLES['called_aet']} is not set; it is needed with {VARIABLES['host']}")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError(f"{VARIABLES['tls_cert_file']} and {VARIABLES['tls_key_file']} go together")
        if self.query == "c-find" and not self.host:
            raise ValueError(f"{VARIABLES['query']} is c-find, but {VARIABLES['host']} is not set")
        if self.query == "qido" and not self.dicomweb_url:
            raise ValueError(f"{VARIABLES['query']} is qido, but {VARIABLES['dicomweb_url']} is not set")
        return self

    @property
    def via(self) -> Query:
        return self.query or ("c-find" if self.host else "qido")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(
            ssl.Purpose.SERVER_AUTH, cafile=str(self.tls_ca_file) if self.tls_ca_file else None
        )
        if self.tls_cert_file and self.tls_key_file:
            context.load_cert_chain(str(self.tls_cert_file), str(self.tls_key_file))
        return context

    def describe(self) -> str:
        """Where queries go, for messages and run records; never a secret."""
        parts = []
        if self.host:
            scheme = "dicom+tls" if self.tls else "dicom"
            parts.append(f"{scheme}://{self.called_aet}@{self.host}:{self.port} as {self.calling_aet}")
        if self.dicomweb_url:
            parts.append(f"QIDO-RS {self.dicomweb_url}")
        return f"{' and '.join(parts)} (queries by {self.via})"


def _given(environ: Mapping[str, str], variable: str) -> str | None:
    value = environ.get(variable, "").strip()
    return value or None


def load(environ: Mapping[str, str]) -> ArchiveConfig | None:
    """The archive the environment configures; None when none is; ArchiveConfigError listing every problem."""
    values = {field: value for field, variable in VARIABLES.items() if (value := _given(environ, variable))}
    if not any(main in values for main in _MAINS):
        if values:
            mains = " or ".join(VARIABLES[m] for m in _MAINS)
            raise ArchiveConfigError([f"{VARIABLES[field]} is set, but {mains} is not" for field in values])
        return None
    if "query" in values:
        values["query"] = values["query"].lower()
    try:
        return ArchiveConfig.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            message = error["msg"].removeprefix("Value error, ")
            field = str(error["loc"][0]) if error["loc"] else ""
            if field not in VARIABLES:  # a whole-model check names its variables itself
                problems.append(message)
                continue
            variable = VARIABLES[field]
            value = _given(environ, variable)
            if error["type"] != "value_error" and value and variable not in _SECRETS:
                message = f"{value!r}: {message}"
            problems.append(f"{variable}: {message}")
        raise ArchiveConfigError(problems) from None


def from_environment() -> ArchiveConfig | None:
    import os

    return load(os.environ)
