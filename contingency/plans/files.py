"""Finding and loading plan files named on the command line: files, or directories of them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .problems import PlanInvalid, PositionMap, Problem
from .spec import PlanDocument
from .validate import load_text

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Loaded:
    file: str
    plan: PlanDocument
    positions: PositionMap


def collect(paths: Iterable[str]) -> tuple[list[Path], list[Problem]]:
    """The plan files named: each file as given, each directory's *.yaml/*.yml (recursively, sorted)."""
    found: list[Path] = []
    problems: list[Problem] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
            if not inside:
                problems.append(Problem("file.empty-directory", "no plan files (*.yaml, *.yml) here", (), name))
            found.extend(inside)
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem("file.missing", "no such file or directory", (), name))
    return found, problems


def load_file(path: Path) -> Loaded:
    """Read and validate one plan file; raise PlanInvalid naming the file."""
    name = str(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PlanInvalid([Problem("file.encoding", f"not UTF-8 text (byte {exc.start})", (), name)]) from None
    except OSError as exc:
        raise PlanInvalid([Problem("file.unreadable", f"cannot be read: {exc.strerror}", (), name)]) from None
    plan, positions = load_text(text, name)
    return Loaded(name, plan, positions)


def load_all(paths: Iterable[Path]) -> tuple[list[Loaded], list[Problem]]:
    """Load every file, gathering every problem; also refuse two files declaring the same plan."""
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(load_file(path))
        except PlanInvalid as exc:
            problems.extend(exc.problems)
    return loaded, problems + duplicates(loaded)


def duplicates(loaded: Iterable[Loaded]) -> list[Problem]:
    """A problem for each file that declares a plan an earlier file already declared."""
    seen: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for item in loaded:
        key = (item.plan.organisation.id, item.plan.id)
        if key in seen:
            message = f"plan {item.plan.id!r} of {key[0]!r} is also defined in {seen[key]}"
            problems.append(Problem("plan.duplicate", message, ("id",), item.file, item.positions.locate(("id",))))
        seen.setdefault(key, item.file)
    return problems
