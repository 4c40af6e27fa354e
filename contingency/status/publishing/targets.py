"""The publishing targets the operator configured, read from the environment (like the notification channels).

A target is configured when its main variable is set. Every problem is collected and reported at
once, each naming its variable; secrets (the S3 secret key, the git remote, which may carry a token)
are never repeated in a message.

    directory  CONTINGENCY_STATUS_DIR (an absolute path another web server serves)
    s3         CONTINGENCY_STATUS_S3_BUCKET, _S3_PREFIX, _S3_ENDPOINT_URL, _S3_REGION, _S3_ACCESS_KEY_ID,
               _S3_SECRET_ACCESS_KEY, _S3_TIMEOUT, _S3_CACHE_SECONDS
    git        CONTINGENCY_STATUS_GIT_REMOTE, _GIT_BRANCH, _GIT_PATH, _GIT_AUTHOR, _GIT_TIMEOUT

Why the environment and not the database: see docs/decisions/0021-status-page-published-by-the-worker.md.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel

from contingency.notify.channels.registry import _build, _given

from .base import Target
from .directory import DirectoryConfig, DirectoryTarget
from .git import GitConfig, GitTarget
from .s3 import S3Config, S3Target

log = logging.getLogger("contingency.status")

DIRECTORY_VARIABLES = {"path": "CONTINGENCY_STATUS_DIR"}
S3_VARIABLES = {
    "bucket": "CONTINGENCY_STATUS_S3_BUCKET",
    "prefix": "CONTINGENCY_STATUS_S3_PREFIX",
    "endpoint_url": "CONTINGENCY_STATUS_S3_ENDPOINT_URL",
    "region": "CONTINGENCY_STATUS_S3_REGION",
    "access_key_id": "CONTINGENCY_STATUS_S3_ACCESS_KEY_ID",
    "secret_access_key": "CONTINGENCY_STATUS_S3_SECRET_ACCESS_KEY",
    "timeout": "CONTINGENCY_STATUS_S3_TIMEOUT",
    "cache_seconds": "CONTINGENCY_STATUS_S3_CACHE_SECONDS",
}
GIT_VARIABLES = {
    "remote": "CONTINGENCY_STATUS_GIT_REMOTE",
    "branch": "CONTINGENCY_STATUS_GIT_BRANCH",
    "path": "CONTINGENCY_STATUS_GIT_PATH",
    "author": "CONTINGENCY_STATUS_GIT_AUTHOR",
    "timeout": "CONTINGENCY_STATUS_GIT_TIMEOUT",
}
SECRETS = {"CONTINGENCY_STATUS_S3_SECRET_ACCESS_KEY", "CONTINGENCY_STATUS_GIT_REMOTE"}


class TargetConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Targets:
    by_name: Mapping[str, Target]

    def names(self) -> list[str]:
        return list(self.by_name)

    def get(self, name: str) -> Target | None:
        return self.by_name.get(name)

    def describe(self) -> list[tuple[str, str]]:
        return [(name, target.describe()) for name, target in self.by_name.items()]


def load(environ: Mapping[str, str]) -> Targets:
    """The targets the environment configures, or TargetConfigError listing every problem."""
    problems: list[str] = []
    found: dict[str, Target] = {}
    if directory := _section(environ, DirectoryConfig, DIRECTORY_VARIABLES, problems):
        found["directory"] = DirectoryTarget(directory)
    if s3 := _section(environ, S3Config, S3_VARIABLES, problems):
        found["s3"] = S3Target(s3)
    if git := _section(environ, GitConfig, GIT_VARIABLES, problems):
        found["git"] = GitTarget(git)
    if problems:
        raise TargetConfigError(problems)
    return Targets(found)


Config = TypeVar("Config", bound=BaseModel)


def _section(
    environ: Mapping[str, str], model: type[Config], variables: dict[str, str], problems: list[str]
) -> Config | None:
    main_field, main = next(iter(variables.items()))
    values = {name: value for name, variable in variables.items() if (value := _given(environ, variable))}
    if main_field not in values:
        problems.extend(f"{variables[name]} is set, but {main} is not" for name in values)
        return None
    return _build(environ, model, values, variables, problems, secrets=SECRETS)


_cached: Targets | None = None
_lock = threading.Lock()


def from_settings() -> Targets:
    """This process's targets, read once; none (and an error logged) when the variables are wrong.

    `serve` and `worker` refuse to start with wrong variables (the system checks); this guards other
    WSGI servers, so that a change on the page is never refused for the operator's mistake.
    """
    global _cached
    with _lock:
        if _cached is None:
            try:
                _cached = load(os.environ)
            except TargetConfigError as exc:
                log.error("status page publishing targets are misconfigured, so nothing is published: %s", exc)
                _cached = Targets({})
        return _cached


def reset() -> None:
    """Forget the cached targets (tests that change the environment)."""
    global _cached
    with _lock:
        _cached = None
