"""What every publishing target implements: put one organisation's bundle somewhere, whole.

A target writes the files of the bundle (index.html, index.cy.html, status.json, feed.atom,
feed.cy.atom, maintenance.ics) under `<slug>/` at its place, replacing what is there. It keeps no
state between calls and is called from one worker thread at a time per job. It raises
PublishError with a message for the administrator (never a secret); the worker retries later.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import ClassVar

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".atom": "application/atom+xml; charset=utf-8",
    ".ics": "text/calendar; charset=utf-8",
}


def content_type(name: str) -> str:
    suffix = name[name.rfind(".") :]
    return CONTENT_TYPES.get(suffix, "application/octet-stream")


class PublishError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Target(ABC):
    kind: ClassVar[str]

    @property
    def name(self) -> str:
        return self.kind

    @abstractmethod
    def publish(self, slug: str, files: Mapping[str, bytes]) -> str:
        """Put the files under `slug/`; returns what was done, in a few words ("3 files changed")."""

    @abstractmethod
    def describe(self) -> str:
        """Where the bundle goes, for the admin page and `contingency status check` (never a secret)."""
