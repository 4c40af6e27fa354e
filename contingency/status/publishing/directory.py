"""A directory another web server serves (nginx, Apache, a second machine's share).

Each file is written beside its final name and renamed over it, so a reader never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from .base import PublishError, Target


class DirectoryConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        if not value.is_absolute():
            raise ValueError(f"{str(value)!r} is not an absolute path")
        return value


class DirectoryTarget(Target):
    kind = "directory"

    def __init__(self, config: DirectoryConfig) -> None:
        self.config = config

    def publish(self, slug: str, files: Mapping[str, bytes]) -> str:
        folder = self.config.path / slug
        changed = 0
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for name, content in files.items():
                path = folder / name
                if path.is_file() and path.read_bytes() == content:
                    continue
                descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
                try:
                    with os.fdopen(descriptor, "wb") as out:
                        out.write(content)
                    Path(temporary).chmod(0o644)
                    Path(temporary).replace(path)
                except BaseException:
                    Path(temporary).unlink(missing_ok=True)
                    raise
                changed += 1
        except OSError as exc:
            raise PublishError(f"cannot write {folder}: {exc.strerror or exc}") from None
        return f"{changed} file(s) changed in {folder}"

    def describe(self) -> str:
        return f"the directory {self.config.path}"
