"""Validating a draft, moving any value the validator refuses to the leftovers so that a draft always validates (pure)."""

from __future__ import annotations

from typing import Any

from ..problems import PlanInvalid, Problem, format_path
from ..spec import PlanDocument
from ..validate import validate_data
from .mapping import Draft, Leftover

MAX_ROUNDS = 50


def settle(draft: Draft, *, file: str | None = None) -> PlanDocument:
    """Validate the draft's data; a value the validator refuses becomes a leftover and the rest is tried again."""
    for _ in range(MAX_ROUNDS):
        try:
            return validate_data(draft.data, file=file)
        except PlanInvalid as invalid:
            # The last items first, so taking an item out does not shift the place of the others.
            problems = sorted(invalid.problems, key=_item_order, reverse=True)
            moved = [_move(draft, problem.path, problem.message) for problem in problems]
            if not any(moved):
                raise
    return validate_data(draft.data, file=file)


def _item_order(problem: Problem) -> tuple[str, int]:
    path = problem.path
    return (str(path[0]) if path else "", path[1] if len(path) > 1 and isinstance(path[1], int) else -1)


def _move(draft: Draft, path: tuple[str | int, ...], message: str) -> bool:
    """Take the refused value out of the data into the leftovers; False if there is none to take."""
    if len(path) < 2 or path[0] not in ("people", "functions", "risks", "procedures", "document"):
        return False
    section = draft.data.get(str(path[0]))
    if path[0] == "document":
        holder, key = section, path[1]
        where = "document control"
    else:
        if not isinstance(section, list) or not isinstance(path[1], int) or path[1] >= len(section):
            return False
        item = section[path[1]]
        where = draft.origins.get(id(item), "the document")
        if len(path) == 2 or path[2] in ("id", "name", "title"):
            del section[path[1]]
            draft.leftovers.append(Leftover(where, _flatten(item), message))
            draft.placed[str(path[0])] -= 1
            if not section:
                del draft.data[str(path[0])]
            return True
        holder, key = item, path[2]
    if not isinstance(holder, dict) or key not in holder:
        return False
    value = holder.pop(key)
    draft.leftovers.append(
        Leftover(where, f"{format_path(path[1:]) if path[0] == 'document' else key}: {_flatten(value)}", message)
    )
    return True


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items() if k != "id")
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    return str(value)
