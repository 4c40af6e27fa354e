"""How big, deep and long plan input may be, from a YAML file or a JSON body (pure).

Far beyond any real plan (the demo plans have about 3,000 values nested 6 deep), and small enough
that a hostile file or body is refused in bounded time and memory before anything expensive runs:
Python refuses to read integers past 4,300 digits, and recursive code fails on deep nesting.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .problems import Path, PlanInvalid, Problem

MAX_CHARACTERS = 2 * 1024 * 1024
MAX_DEPTH = 20
MAX_VALUES = 100_000
MAX_NUMBER_LENGTH = 40

_NUMBER = re.compile(r"^[-+]?(?:[0-9]+|\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?$")


def too_long_number(text: str) -> bool:
    """Whether text that reads as a number is too long to read safely."""
    return len(text) > MAX_NUMBER_LENGTH and bool(_NUMBER.match(text))


def number_message(text: str) -> str:
    return f"a number of {len(text):,} characters is too long: numbers in a plan have at most {MAX_NUMBER_LENGTH}"


def depth_message() -> str:
    return f"nested more than {MAX_DEPTH} levels deep: a plan needs far fewer"


def size_message() -> str:
    return f"more than {MAX_VALUES:,} values: a plan may have at most {MAX_VALUES:,}"


def characters_message(count: int) -> str:
    return f"{count:,} characters: a plan may have at most {MAX_CHARACTERS:,}"


def _number(text: str) -> str:
    if len(text) > MAX_NUMBER_LENGTH:
        raise PlanInvalid([Problem("json.number", number_message(text))])
    return text


def _int(text: str) -> int:
    return int(_number(text))


def _float(text: str) -> float:
    return float(_number(text))


def _constant(text: str) -> float:
    raise PlanInvalid([Problem("json.number", f"{text} is not a number JSON allows")])


def parse_json(raw: bytes | str) -> Any:
    """A JSON body as plain data; raise PlanInvalid if it is too long, too deep or has too many values.

    Syntax errors are raised as json.JSONDecodeError (or UnicodeDecodeError), as by json.loads.
    """
    if len(raw) > MAX_CHARACTERS:
        message = f"the body has {len(raw):,} bytes: a plan may have at most {MAX_CHARACTERS:,}"
        raise PlanInvalid([Problem("json.size", message)])
    try:
        data = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:  # deeper than Python's recursion limit: far deeper than MAX_DEPTH
        raise PlanInvalid([Problem("json.depth", depth_message())]) from None
    check_shape(data)
    return data


def check_shape(data: Any) -> None:
    """Raise PlanInvalid, located at the path, if plain data is nested too deep or has too many values."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    count = 0
    while stack:
        value, path = stack.pop()
        count += 1
        if count > MAX_VALUES:
            raise PlanInvalid([Problem("json.size", size_message(), path)])
        if isinstance(value, dict | list) and len(path) >= MAX_DEPTH:
            raise PlanInvalid([Problem("json.depth", depth_message(), path)])
        if isinstance(value, dict):
            stack.extend((item, (*path, str(key))) for key, item in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((item, (*path, index)) for index, item in reversed(list(enumerate(value))))
