"""Problems found in a plan file, located by file, line, column and path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """`('functions', 0, 'rto')` -> `functions[0].rto`; the document root is `(document)`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


@dataclass(frozen=True)
class Location:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file; `code` is stable so scripts and tests can rely on it."""

    code: str
    message: str
    path: Path = ()
    file: str | None = None
    location: Location | None = None

    def __str__(self) -> str:
        where = self.file or "<plan>"
        if self.location:
            where += f":{self.location.line}:{self.location.column}"
        return f"{where}: {format_path(self.path)}: {self.message}"


@dataclass
class PositionMap:
    """Where each path of a parsed YAML document starts, for its key and for its value."""

    keys: dict[Path, Location] = field(default_factory=dict)
    values: dict[Path, Location] = field(default_factory=dict)

    def locate(self, path: Sequence[str | int]) -> Location | None:
        """The closest known position: the key naming `path`, else its value, else its parent's."""
        current = tuple(path)
        while True:
            found = self.keys.get(current) or self.values.get(current)
            if found or not current:
                return found
            current = current[:-1]


class PlanInvalid(Exception):
    """Raised with every problem found, so a user fixes a file in one pass."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(f"{len(problems)} problem(s) in plan")
        self.problems = list(problems)
