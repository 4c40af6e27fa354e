"""Values kept as the plan wrote them: a structured value when the words give one, the words otherwise.

Real plans say "1-4 hours", "if prolonged", "on an agreed basis", "medium". Refusing such text
would make the author invent a number, and an invented number hides the very defect the linter
exists to find. So a field built with `Written` accepts its structured form (a duration, a score,
service hours) and, failing that, any non-empty text, kept as an `AsWritten` string. Only the
wrong type (a list where text belongs, a number where a duration belongs) is refused.

Consumers narrow with `isinstance(value, Duration)` (or int, ServiceHours): an `AsWritten` value
has no deadline, no score and no hours, so the engine skips it and the linter reports it
(lint/rules/as_written.py). `str(value)` is always what the plan file says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeGuard

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from contingency.lib.durations import Duration, DurationError

from .types import ID_PATTERN, RefTo, ServiceHours, _parse_duration, _parse_hours


class AsWritten(str):
    """Text a plan wrote where the format has a structured value, kept because it gives none."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"AsWritten({str(self)!r})"


@dataclass(frozen=True)
class Written:
    """Marks a field `T | AsWritten`: `parse` gives the structured value or raises PydanticCustomError.

    `schema` is the JSON Schema of the structured form; the schema of the field is "that, or any text".
    """

    parse: Callable[[Any], Any]
    schema: dict[str, Any] = field(hash=False, compare=False)  # annotations are hashed by typing

    def validate(self, value: Any) -> Any:
        if isinstance(value, AsWritten):
            return value
        try:
            return self.parse(value)
        except PydanticCustomError:
            if isinstance(value, str) and value.strip():
                return AsWritten(value.strip())
            raise

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.validate,
            serialization=core_schema.plain_serializer_function_ser_schema(_to_data, when_used="always"),
        )

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"anyOf": [self.schema, {"type": "string", "minLength": 1, "description": "as written"}]}


def _to_data(value: Any) -> Any:
    return value if isinstance(value, int) else str(value)


def _parse_score(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str):  # words are kept as written; a number in quotes is still a number
            digits = value.strip()
            if digits.isdigit():
                if len(digits) > 1 or not 1 <= int(digits) <= 5:
                    # A ValueError is refused, not kept: a number out of range is malformed, not words.
                    raise ValueError(f"a score is from 1 to 5, got {digits[:12]}{'...' if len(digits) > 12 else ''}")
                return int(digits)
            raise PydanticCustomError("score", "not a score")
        raise PydanticCustomError("score", "expected a score from 1 to 5 or words, got {got}", {"got": repr(value)})
    if not 1 <= value <= 5:
        raise PydanticCustomError("score", "a score is from 1 to 5, got {got}", {"got": value})
    return value


_DURATION_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": r"^\s*\d+\s*[A-Za-z]+( [A-Za-z]+)?\s*$",
    "examples": ["4h", "30m", "2 days", "5 working days", "12 months"],
}

# A duration, or the words a plan used instead ("1-4 hours", "if prolonged").
WrittenDuration = Annotated[Duration | AsWritten, Written(_parse_duration, _DURATION_SCHEMA)]
# A 1-5 likelihood or consequence score, or the words a plan used instead ("medium").
WrittenScore = Annotated[int | AsWritten, Written(_parse_score, {"type": "integer", "minimum": 1, "maximum": 5})]
# Service hours, or the words a plan used ("Mon-Fri 08:00-12:30 and 13:30-17:00").
WrittenHours = Annotated[
    ServiceHours | AsWritten,
    Written(_parse_hours, {"type": "string", "examples": ["Mon-Fri 08:00-17:00", "24/7"]}),
]

_ID_RE = re.compile(ID_PATTERN)


def _parse_reference(value: object) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("reference", "expected an id or a name, got {got}", {"got": repr(value)})
    if not _ID_RE.match(value.strip()):
        raise PydanticCustomError("reference", "not a readable id")  # a name: kept as written
    return value.strip()


_NAMED = Written(_parse_reference, {"type": "string", "pattern": ID_PATTERN})
# A reference by readable id (`pacs-team`: it must name something in the plan), or a name the plan
# gives for someone or something not in its directory ("Dr A Patel", "the Digital Governance Group").
PersonOrName = Annotated[str | AsWritten, _NAMED, RefTo(("person",))]
WhoOrName = Annotated[str | AsWritten, _NAMED, RefTo(("person", "role", "supplier"))]


def is_reference(value: str | None) -> TypeGuard[str]:
    """Whether a value of a PersonOrName/WhoOrName field is a reference (rather than a name as written)."""
    return value is not None and not isinstance(value, AsWritten)


_RANGE_RE = re.compile(r"^\s*(\d{1,6})\s*(?:-|\u2013|to)\s*(\d{1,6})\s*([A-Za-z]+(?: [A-Za-z]+)?)\s*$")


def duration_of(value: Duration | AsWritten | None) -> Duration | None:
    """The duration a value promises at the latest: itself, the upper end of a range ("1-4 hours"), or None."""
    if value is None or isinstance(value, Duration):
        return value
    if match := _RANGE_RE.match(value):
        try:
            return Duration.parse(f"{match.group(2)} {match.group(3)}")
        except DurationError:
            return None
    return None


def score_of(value: int | AsWritten | None) -> int | None:
    """The score of a likelihood or consequence, or None when the plan gave words (or nothing)."""
    return value if isinstance(value, int) else None


def words_of(value: int | AsWritten | None) -> str | None:
    """The words a plan gave instead of a score, or None."""
    return None if value is None or isinstance(value, int) else str(value)


__all__ = [
    "AsWritten",
    "PersonOrName",
    "WhoOrName",
    "Written",
    "WrittenDuration",
    "WrittenHours",
    "WrittenScore",
    "duration_of",
    "is_reference",
    "score_of",
    "words_of",
]
