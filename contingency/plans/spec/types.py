"""Field types shared by the plan format: readable ids and references, durations, times, hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    WithJsonSchema,
    model_serializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from contingency.lib.durations import Duration, DurationError
from contingency.lib.hrefs import EMAIL_PATTERN, is_email, is_web_address

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
_ID_RE = re.compile(ID_PATTERN)


class Spec(BaseModel):
    """Base of every part of a plan document: camelCase keys, unknown keys refused."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
        validate_default=False,
    )


def _check_id(value: str) -> str:
    if not _ID_RE.match(value):
        raise PydanticCustomError(
            "readable_id",
            "'{value}' is not a readable id: use lower-case letters, digits and hyphens (e.g. pacs-team)",
            {"value": value},
        )
    return value


Id = Annotated[str, AfterValidator(_check_id), WithJsonSchema({"type": "string", "pattern": ID_PATTERN})]

# The validation context for plan data read back from the database (a stored plan, an incident's
# snapshot): rules added after it was stored (plain e-mail addresses, http(s) portals, plain
# placeholders) do not stop it loading; pages and messages treat such values as text instead.
STORED: dict[str, bool] = {"stored": True}


def stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get("stored"))


def _check_email(value: str, info: ValidationInfo) -> str:
    if not is_email(value) and not stored(info):
        raise PydanticCustomError(
            "email",
            "'{value}' is not an e-mail address: write a plain address such as helpdesk@example.org, "
            "without spaces, a name or a '?' part",
            {"value": value},
        )
    return value


def _check_web_address(value: str, info: ValidationInfo) -> str:
    if not is_web_address(value) and not stored(info):
        raise PydanticCustomError(
            "web_address",
            "'{value}' is not a web address: write it in full, starting https:// (or http://)",
            {"value": value},
        )
    return value


Email = Annotated[
    str, AfterValidator(_check_email), WithJsonSchema({"type": "string", "format": "email", "pattern": EMAIL_PATTERN})
]
WebAddress = Annotated[
    str,
    AfterValidator(_check_web_address),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s]+$"}),
]

# Counts and numbers (issues, copies, levels, quantities) are stored in 32-bit integer columns;
# bounding them here gives a located message instead of a database error at import.
MAX_COUNT = 2_147_483_647
Count = Annotated[int, Field(ge=1, le=MAX_COUNT)]


@dataclass(frozen=True)
class FormHint:
    """Marks a field the edit form takes as plain text, with this hint (e.g. a share such as 10%)."""

    hint: str


@dataclass(frozen=True)
class RefTo:
    """Marks a field as a reference to other parts of the plan, by id, of the given kinds."""

    kinds: tuple[str, ...]


_REF_SCHEMA = WithJsonSchema({"type": "string", "pattern": ID_PATTERN})
_ID_CHECK = AfterValidator(_check_id)
# One alias for each set of kinds a reference may point at; validate.py follows RefTo.
PersonRef = Annotated[str, _ID_CHECK, RefTo(("person",)), _REF_SCHEMA]
SiteRef = Annotated[str, _ID_CHECK, RefTo(("site",)), _REF_SCHEMA]
SupplierRef = Annotated[str, _ID_CHECK, RefTo(("supplier",)), _REF_SCHEMA]
SystemRef = Annotated[str, _ID_CHECK, RefTo(("system",)), _REF_SCHEMA]
FunctionRef = Annotated[str, _ID_CHECK, RefTo(("function",)), _REF_SCHEMA]
RiskRef = Annotated[str, _ID_CHECK, RefTo(("risk",)), _REF_SCHEMA]
ProcedureRef = Annotated[str, _ID_CHECK, RefTo(("procedure",)), _REF_SCHEMA]
RoleRef = Annotated[str, _ID_CHECK, RefTo(("role",)), _REF_SCHEMA]
CallTreeRef = Annotated[str, _ID_CHECK, RefTo(("call-tree",)), _REF_SCHEMA]
MessageRef = Annotated[str, _ID_CHECK, RefTo(("message",)), _REF_SCHEMA]
RecordKindRef = Annotated[str, _ID_CHECK, RefTo(("record-kind",)), _REF_SCHEMA]
SiteOrSystemRef = Annotated[str, _ID_CHECK, RefTo(("site", "system")), _REF_SCHEMA]
WhoRef = Annotated[str, _ID_CHECK, RefTo(("person", "role", "supplier")), _REF_SCHEMA]
AudienceRef = Annotated[str, _ID_CHECK, RefTo(("person", "role", "supplier", "list")), _REF_SCHEMA]
SystemDependencyRef = Annotated[str, _ID_CHECK, RefTo(("system", "supplier", "site")), _REF_SCHEMA]
FunctionDependencyRef = Annotated[str, _ID_CHECK, RefTo(("function", "system", "supplier", "site")), _REF_SCHEMA]
SubjectRef = Annotated[str, _ID_CHECK, RefTo(("function", "system")), _REF_SCHEMA]
CheckRef = Annotated[str, _ID_CHECK, RefTo(("check",)), _REF_SCHEMA]  # a procedure's confirm check
ResourceSourceRef = Annotated[str, _ID_CHECK, RefTo(("system", "supplier", "site", "role", "person")), _REF_SCHEMA]


def _parse_duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "duration", "expected a duration such as 4h or 5 working days, got {got}", {"got": repr(value)}
        )
    try:
        return Duration.parse(value)
    except DurationError as exc:
        raise PydanticCustomError("duration", str(exc)) from None


DurationText = Annotated[
    Duration,
    BeforeValidator(_parse_duration),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*\d+\s*[A-Za-z]+( [A-Za-z]+)?\s*$",
            "examples": ["4h", "30m", "2 days", "5 working days", "12 months"],
        }
    ),
]


def _parse_time(value: object) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (m := re.fullmatch(r"([01]\d|2[0-3]):([0-5]\d)", value.strip())):
        return time(int(m.group(1)), int(m.group(2)))
    raise PydanticCustomError(
        "time_of_day", "expected a time of day as HH:MM (e.g. 08:00), got {got}", {"got": repr(value)}
    )


TimeOfDay = Annotated[
    time,
    BeforeValidator(_parse_time),
    PlainSerializer(lambda t: t.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}),
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS_RE = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d\d:\d\d)-(?P<end>\d\d:\d\d)$")


@dataclass(frozen=True)
class ServiceHours:
    """When something is staffed: `24/7`, or days and a daily window such as `Mon-Fri 08:00-17:00`."""

    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time

    @property
    def always(self) -> bool:
        return self.days == tuple(range(7)) and self.start == time(0) and self.end == time(0)

    @classmethod
    def parse(cls, text: str) -> ServiceHours:
        text = text.strip()
        if text.lower() in {"24/7", "24x7"}:
            return cls(tuple(range(7)), time(0), time(0))
        match = _HOURS_RE.match(text)
        if not match:
            raise ValueError(f"{text!r} is not service hours (expected 24/7 or e.g. Mon-Fri 08:00-17:00)")
        days: set[int] = set()
        for part in match.group("days").replace(" ", "").lower().split(","):
            ends = part.split("-")
            if len(ends) > 2 or any(e not in DAY_NAMES for e in ends):
                raise ValueError(f"{part!r} is not a day or range of days (use Mon, Tue, ... Sun, e.g. Mon-Fri)")
            first, last = DAY_NAMES.index(ends[0]), DAY_NAMES.index(ends[-1])
            if last < first:
                raise ValueError(f"{part!r} runs backwards: write the earlier day first")
            days.update(range(first, last + 1))
        start, end = (_parse_time(match.group(g)) for g in ("start", "end"))
        if end <= start:
            raise ValueError(f"{text!r} ends before it starts: overnight windows are written as two entries")
        return cls(tuple(sorted(days)), start, end)

    def __str__(self) -> str:
        if self.always:
            return "24/7"
        runs: list[str] = []
        days = list(self.days)
        while days:
            first = last = days.pop(0)
            while days and days[0] == last + 1:
                last = days.pop(0)
            name = DAY_NAMES[first].title()
            runs.append(name if first == last else f"{name}-{DAY_NAMES[last].title()}")
        return f"{','.join(runs)} {self.start:%H:%M}-{self.end:%H:%M}"


def _parse_hours(value: object) -> ServiceHours:
    if isinstance(value, ServiceHours):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "service_hours",
            "expected hours such as Mon-Fri 08:00-17:00 or 24/7, got {got}",
            {"got": repr(value)},
        )
    try:
        return ServiceHours.parse(value)
    except ValueError as exc:
        raise PydanticCustomError("service_hours", str(exc)) from None


HoursText = Annotated[
    ServiceHours,
    BeforeValidator(_parse_hours),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["Mon-Fri 08:00-17:00", "24/7"]}),
]


class Shorthand(Spec):
    """A part that may be written as a plain string meaning its `text` (or `name`) alone."""

    short_field: ClassVar[str] = "text"

    @model_validator(mode="before")
    @classmethod
    def _expand(cls, data: Any) -> Any:
        return {cls.short_field: data} if isinstance(data, str) else data

    @model_serializer(mode="wrap")
    def _collapse(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        alias = to_camel(self.short_field)
        if isinstance(data, dict) and list(data) == [alias]:
            return data[alias]
        return data

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        full = handler(core_schema)
        return {"anyOf": [{"type": "string"}, full]}
