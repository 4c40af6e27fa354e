"""What can go wrong talking to an archive, classified and worded for the person at the screen."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Failure(StrEnum):
    CONFIGURATION = "configuration"  # the installation's archive variables are wrong or missing
    REFUSED = "refused"  # nothing listens at host:port (connection refused)
    UNREACHABLE = "unreachable"  # no route, unknown host name
    TIMEOUT = "timeout"  # no answer within the configured time
    REJECTED = "rejected"  # A-ASSOCIATE-RJ: the archive refused the association (and said why)
    NO_CONTEXT = "no-context"  # the association was accepted, but not for the query we need
    ABORTED = "aborted"  # the connection or association dropped mid-query
    STATUS = "status"  # the archive answered the query with a failure status
    TLS = "tls"  # the TLS handshake failed
    PROTOCOL = "protocol"  # the archive answered something we could not read
    TOO_LARGE = "too-large"  # an answer beyond the memory bound


class ArchiveError(Exception):
    """A classified failure with a message for a human (what happened, in the archive's own words where it gave any)."""

    def __init__(self, kind: Failure, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "message": self.message, "hint": self.hint}
