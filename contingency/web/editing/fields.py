"""Edit forms built from the plan format's pydantic models (pure: no database, no requests).

Each field of a part becomes one form field named by its camelCase alias. The kind of input
follows the field's type: plain values get inputs, lists of text a textarea one per line, and
anything nested (a mapping, a list of mappings) a YAML fragment, parsed like a plan file -
except the small parts marked `edit_inline` (data recovery, a record kind's fields and its
verification rule), which get real inputs: a "group" of sub-fields named `dataRecovery.method`,
present when its box is ticked, or "rows" of sub-fields named `fields.0.type`, one fieldset per
row plus empty ones to add (an empty row is left out, a row marked for removal too).
The submitted form becomes the part's plan data; editing.save_part validates it.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from enum import Enum
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from contingency.lib.durations import Duration
from contingency.plans import yamlio
from contingency.plans.compare import COLLECTION_KEYS, HEADER_FIELDS
from contingency.plans.limits import number_message, too_long_number
from contingency.plans.problems import Location, PlanInvalid
from contingency.plans.spec import PlanDocument, RefTo, ServiceHours
from contingency.plans.spec.types import FormHint
from contingency.plans.spec.written import Written

# Free text that is often more than a line gets a textarea rather than a one-line input.
LONG_TEXT = frozenset({"aim", "description", "impact", "address", "advice", "note", "when", "verification", "summary"})
ACRONYMS = {"id": "ID", "rto": "RTO", "rpo": "RPO", "mtpd": "MTPD", "api": "API"}
KIND_HINTS = {
    "duration": "A duration such as 4h, 30m, 2 days or 5 working days.",
    "hours": "Hours such as Mon-Fri 08:00-17:00, or 24/7.",
    "time": "A time of day as HH:MM.",
    "lines": "One per line.",
    "refs": "One id per line.",
    "yaml": "YAML, written as in a plan file; leave empty for none.",
    "rows": "Fill in a row for each; empty rows are left out.",
}
SPARE_ROWS = 2  # empty rows offered after the filled ones
MAX_ROWS = 60  # rows a form may show or submit


@dataclass(frozen=True)
class FieldSpec:
    """One form field: what input it needs and how its text becomes plan data."""

    name: str  # the camelCase alias, also the form field's name
    label: str
    kind: str  # text, longtext, number, date, select, ref, checkbox, duration, hours, time, lines, refs, yaml
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()  # allowed values of a select
    ref_kinds: tuple[str, ...] = ()  # kinds of part a ref or refs field may name
    default: Any = None  # the model's default, as plan data (shown, and a checkbox's initial state)
    children: tuple[FieldSpec, ...] = ()  # the sub-fields of a group or of each row


def humanise(alias: str) -> str:
    """`dependsOn` -> `Depends on`, `rto` -> `RTO`."""
    words = [w.lower() for w in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", alias)] or [alias]
    shown = [ACRONYMS.get(w, w) for w in words]
    first = shown[0]
    return " ".join([first[:1].upper() + first[1:], *shown[1:]])


def section_model(section: str) -> type[BaseModel]:
    """The model of one part of `section` (an item of a collection, or the single section)."""
    if section == "header":
        return PlanDocument
    for name, info in PlanDocument.model_fields.items():
        if (info.alias or name) == section:
            model = _strip(info.annotation)[0]
            if isinstance(model, type) and issubclass(model, BaseModel):
                return model
    raise KeyError(section)


def form_fields(section: str) -> list[FieldSpec]:
    """The form fields of a part of `section`, in the format's order."""
    model = section_model(section)
    specs = [_spec(name, info) for name, info in model.model_fields.items()]
    if section == "header":
        return [s for s in specs if s.name in HEADER_FIELDS]
    return specs


def is_collection(section: str) -> bool:
    return section in COLLECTION_KEYS


def _strip(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """The bare type inside Optional/Annotated, whether it is a list, and all metadata met on the way."""
    metadata: list[Any] = []
    is_list = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            metadata.extend(annotation.__metadata__)
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list and not is_list:
            is_list = True
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation, is_list, metadata


def _default(info: FieldInfo) -> Any:
    if info.is_required():
        return None
    value = info.get_default(call_default_factory=True)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Duration | ServiceHours):
        return str(value)
    return value if isinstance(value, str | int | bool) else None


def _doc(model: Any) -> str:
    """The first paragraph of a nested model's own docstring (not one inherited from Spec)."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)) or not model.__dict__.get("__doc__"):
        return ""
    doc = inspect.cleandoc(model.__dict__["__doc__"])
    return doc.split("\n\n")[0].replace("\n", " ")


def _spec(name: str, info: FieldInfo) -> FieldSpec:
    alias = info.alias or name
    bare, is_list, metadata = _strip(info.annotation)
    metadata += info.metadata
    refs = next((m.kinds for m in metadata if isinstance(m, RefTo)), ())
    kind, choices = _kind(alias, bare, is_list, bool(refs))
    hint = next((m.hint for m in metadata if isinstance(m, FormHint)), "")
    if hint:
        kind = "text"
    elif any(isinstance(m, Written) for m in metadata) and kind != "ref":
        # A value a plan may give in words ("1-4 hours", "medium") is typed as text and kept as written;
        # a score stays a number when it is one.
        usual = KIND_HINTS.get(kind, "A score from 1 to 5.").rstrip(".")
        hint = f"{usual}; or the plan's own words (e.g. 1-4 hours, medium), kept as written and linted."
        kind = "score" if kind == "number" else "text"
    help_text = " ".join(filter(None, [info.description or _doc(bare), hint or KIND_HINTS.get(kind, "")]))
    children: tuple[FieldSpec, ...] = ()
    if kind in ("group", "rows"):
        children = tuple(_spec(n, i) for n, i in bare.model_fields.items())
    return FieldSpec(
        alias, humanise(alias), kind, info.is_required(), help_text, choices, refs, _default(info), children
    )


def _inline(bare: Any) -> bool:
    return isinstance(bare, type) and issubclass(bare, BaseModel) and bool(getattr(bare, "edit_inline", False))


def _kind(alias: str, bare: Any, is_list: bool, is_ref: bool) -> tuple[str, tuple[str, ...]]:
    if _inline(bare):
        return ("rows" if is_list else "group"), ()
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return "yaml", ()
    if is_list:
        return ("refs" if is_ref else "lines"), ()
    if is_ref:
        return "ref", ()
    if typing.get_origin(bare) is typing.Literal:
        return "select", tuple(str(a) for a in typing.get_args(bare))
    if isinstance(bare, type) and issubclass(bare, Enum):
        return "select", tuple(str(member.value) for member in bare)
    simple: dict[Any, str] = {
        bool: "checkbox",
        int: "number",
        date: "date",
        time: "time",
        Duration: "duration",
        ServiceHours: "hours",
    }
    if bare in simple:
        return simple[bare], ()
    return ("longtext" if alias in LONG_TEXT else "text"), ()


# ---------------------------------------------------------------- values in and out


def initial_values(specs: list[FieldSpec], part: Mapping[str, Any] | None) -> dict[str, str]:
    """The text each field starts with: the part's canonical value (defaults where absent)."""
    part = part or {}
    values: dict[str, str] = {}
    for spec in specs:
        value = part.get(spec.name)
        if spec.kind == "group":
            values[spec.name] = "on" if isinstance(value, dict) else ""
            inner = initial_values(list(spec.children), value if isinstance(value, dict) else {})
            values |= {f"{spec.name}.{k}": v for k, v in inner.items()}
        elif spec.kind == "rows":
            items = value if isinstance(value, list) else []
            values[spec.name] = str(len(items) + SPARE_ROWS)
            for i, item in enumerate(items):
                inner = initial_values(list(spec.children), item if isinstance(item, dict) else {})
                values |= {f"{spec.name}.{i}.{k}": v for k, v in inner.items()}
        elif spec.kind == "checkbox":
            values[spec.name] = "on" if (spec.default if value is None else value) else ""
        elif value is None:
            values[spec.name] = ""
        elif spec.kind == "yaml":
            values[spec.name] = yamlio.dump(value) if value not in ([], {}) else ""
        elif spec.kind in ("lines", "refs"):
            values[spec.name] = "\n".join(str(v) for v in value)
        else:
            values[spec.name] = str(value)
    return values


def submitted_values(specs: list[FieldSpec], post: Mapping[str, str]) -> dict[str, str]:
    """The text as submitted, to show again with the errors (sub-fields of groups and rows included)."""
    values: dict[str, str] = {}
    for spec in specs:
        if spec.kind == "group":
            values[spec.name] = "on" if spec.name in post else ""
            inner = submitted_values(list(spec.children), _below(post, f"{spec.name}."))
            values |= {f"{spec.name}.{k}": v for k, v in inner.items()}
        elif spec.kind == "rows":
            count = row_count(spec, post)
            values[spec.name] = str(count)
            for i in range(count):
                prefix = f"{spec.name}.{i}."
                inner = submitted_values(list(spec.children), _below(post, prefix))
                values |= {f"{prefix}{k}": v for k, v in inner.items()}
                if f"{prefix}_remove" in post:
                    values[f"{prefix}_remove"] = "on"
        elif spec.kind == "checkbox":
            values[spec.name] = "on" if spec.name in post else ""
        else:
            values[spec.name] = post.get(spec.name, "")
    return values


def _below(values: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def row_count(spec: FieldSpec, values: Mapping[str, str]) -> int:
    """How many rows a form shows: as asked (the number field), and never fewer than those filled in."""
    asked = values.get(spec.name, "")
    count = int(asked) if asked.strip().isdigit() else 0
    prefix = f"{spec.name}."
    indices = [k[len(prefix) :].split(".", 1)[0] for k in values if k.startswith(prefix)]
    filled = max((int(i) + 1 for i in indices if i.isdigit() and int(i) < MAX_ROWS), default=0)
    return min(max(count, filled), MAX_ROWS)


@dataclass
class Parsed:
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def parse_values(specs: list[FieldSpec], values: Mapping[str, str]) -> Parsed:
    """Form text -> the part's plan data. Empty optional fields are left out; an empty required
    field is sent empty, so validation reports it beside the field. Only YAML syntax is checked here."""
    parsed = Parsed()
    for spec in specs:
        text = values.get(spec.name, "")
        if spec.kind == "group":
            if text == "on" or spec.required:
                _nested(parsed, spec.name, parse_values(list(spec.children), _below(values, f"{spec.name}.")))
        elif spec.kind == "rows":
            rows: list[Any] = []
            for i in range(row_count(spec, values)):
                prefix = f"{spec.name}.{i}."
                row = _below(values, prefix)
                if row.get("_remove") == "on" or not any(v.strip() for v in row.values() if v != ""):
                    continue
                inner = parse_values(list(spec.children), row)
                for name, messages in inner.errors.items():
                    parsed.errors.setdefault(spec.name, []).extend(f"{spec.name}[{i}].{name}: {m}" for m in messages)
                rows.append(inner.data)
            if rows or spec.required:
                parsed.data[spec.name] = rows
        elif spec.kind == "checkbox":
            parsed.data[spec.name] = text == "on"
        elif spec.kind in ("lines", "refs"):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines or spec.required:
                parsed.data[spec.name] = lines
        elif spec.kind == "yaml":
            if text.strip():
                try:
                    parsed.data[spec.name] = yamlio.parse(text)[0]
                except PlanInvalid as invalid:
                    parsed.errors[spec.name] = [_yaml_message(p.message, p.location) for p in invalid.problems]
            elif spec.required:
                parsed.data[spec.name] = None
        elif spec.kind == "longtext":
            # Line ends as typed, without the carriage returns a browser adds.
            stripped = text.replace("\r\n", "\n").strip()
            if stripped or spec.required:
                parsed.data[spec.name] = stripped
        elif spec.kind in ("number", "score") and too_long_number(text.strip()):
            parsed.errors[spec.name] = [number_message(text.strip())]
        else:
            stripped = text.strip()
            if stripped or spec.required:
                parsed.data[spec.name] = _number(stripped) if spec.kind in ("number", "score") else stripped
    return parsed


def _nested(parsed: Parsed, name: str, inner: Parsed) -> None:
    """A group's data as its sub-fields parsed it; their problems are the group's, with the sub-field named."""
    parsed.data[name] = inner.data
    for sub, messages in inner.errors.items():
        parsed.errors.setdefault(name, []).extend(f"{name}.{sub}: {m}" for m in messages)


def _number(text: str) -> int | str:
    """A whole number, or the text itself so validation says what is wrong with it."""
    return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else text


def _yaml_message(message: str, location: Location | None) -> str:
    if location is None:
        return message
    return f"line {location.line}, column {location.column}: {message}"
