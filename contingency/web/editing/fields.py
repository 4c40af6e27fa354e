"""Edit forms built from the plan format's pydantic models (pure: no database, no requests).

Each field of a part becomes one form field named by its camelCase alias. The kind of input
follows the field's type: plain values get inputs, lists of text a textarea one per line, lists
of references a set of checkboxes, and anything nested real inputs too, to any depth: a "group"
of sub-fields named `dataRecovery.method` (present when its box is ticked, or always for a part
with defaults such as the six resource categories), or "rows" of sub-fields named
`rto.0.duration`, one fieldset per row, with buttons to add, remove and move rows (`apply_op`;
an empty row is left out, a row marked `_remove` too). No field is a YAML text box.
The submitted form becomes the part's plan data; editing.save_part validates it.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, time
from enum import Enum
from typing import Any

from django.utils.datastructures import MultiValueDict
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from contingency.lib.durations import Duration, DurationError, Unit
from contingency.plans.compare import COLLECTION_KEYS, HEADER_FIELDS
from contingency.plans.limits import number_message, too_long_number
from contingency.plans.spec import PlanDocument, RefTo, ServiceHours
from contingency.plans.spec.types import FormHint, Shorthand
from contingency.plans.spec.written import AsWritten, Written, duration_of

# Free text that is often more than a line gets a textarea rather than a one-line input.
LONG_TEXT = frozenset({"aim", "description", "impact", "address", "advice", "note", "when", "verification", "summary"})
ACRONYMS = {"id": "ID", "rto": "RTO", "rpo": "RPO", "mtpd": "MTPD", "api": "API"}
KIND_HINTS = {
    "duration": "A duration such as 4h, 30m, 2 days or 5 working days.",
    "hours": "Hours such as Mon-Fri 08:00-17:00, or 24/7.",
    "time": "A time of day as HH:MM.",
    "lines": "One per line.",
    "refs": "Tick each one that applies.",
    "rows": "Add a row for each; empty rows are left out.",
}
# A field naming another row of the list it is in: a step's counterpart is another step of the procedure.
SIBLING_IDS = {"insteadOf": "steps"}
SPARE_ROWS = 2  # empty rows offered on a new part's top-level lists (one after filled rows; nested: none)
MAX_ROWS = 60  # rows a form may show or submit


@dataclass(frozen=True)
class FieldSpec:
    """One form field: what input it needs and how its text becomes plan data."""

    name: str  # the camelCase alias, also the form field's name
    label: str
    kind: str  # text, longtext, number, score, date, select, ref, refs, checkbox, duration, hours, time, lines,
    # group, rows
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()  # allowed values of a select
    ref_kinds: tuple[str, ...] = ()  # kinds of part a ref or refs field may name
    default: Any = None  # the model's default, as plan data (shown, and a checkbox's initial state)
    children: tuple[FieldSpec, ...] = ()  # the sub-fields of a group or of each row
    toggle: bool = True  # a group that is there only when its box is ticked (not one with defaults)
    short: str = ""  # a row that a plan may write as a plain string: the sub-field that string means
    readout: str = ""  # "duration" or "written" (a duration or the plan's words): the form says what it read


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
    readout = "duration" if kind == "duration" else ""
    if hint:
        kind, readout = "text", ""
    elif any(isinstance(m, Written) for m in metadata) and kind != "ref":
        # A value a plan may give in words ("1-4 hours", "medium") is typed as text and kept as written;
        # a score stays a number when it is one.
        usual = KIND_HINTS.get(kind, "A score from 1 to 5.").rstrip(".")
        example = {"duration": "1-4 hours, if prolonged", "number": "medium"}.get(kind, "as the plan says it")
        hint = f"{usual}; or the plan's own words (e.g. {example}), kept as written and linted."
        if kind == "duration":
            readout = "written"
        kind = "score" if kind == "number" else "text"
    help_text = " ".join(filter(None, [info.description or _doc(bare), hint or KIND_HINTS.get(kind, "")]))
    children: tuple[FieldSpec, ...] = ()
    short = ""
    if kind in ("group", "rows"):
        children = tuple(_spec(n, i) for n, i in bare.model_fields.items())
        if issubclass(bare, Shorthand):
            short = next(c.name for n, c in zip(bare.model_fields, children, strict=True) if n == bare.short_field)
    toggle = kind == "group" and not info.is_required() and info.get_default() is None
    return FieldSpec(
        alias,
        humanise(alias),
        kind,
        info.is_required(),
        help_text,
        choices,
        refs,
        _default(info),
        children,
        toggle,
        short,
        readout,
    )


def _kind(alias: str, bare: Any, is_list: bool, is_ref: bool) -> tuple[str, tuple[str, ...]]:
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return ("rows" if is_list else "group"), ()
    if is_list and isinstance(bare, type) and issubclass(bare, Enum):
        return "refs", tuple(str(member.value) for member in bare)  # ticked boxes of the allowed values
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


def initial_values(specs: list[FieldSpec], part: Mapping[str, Any] | None, *, top: bool = True) -> dict[str, str]:
    """The text each field starts with: the part's canonical value (defaults where absent)."""
    part = part or {}
    values: dict[str, str] = {}
    for spec in specs:
        value = part.get(spec.name)
        if spec.kind == "group":
            values[spec.name] = "on" if isinstance(value, dict) or not spec.toggle else ""
            inner = initial_values(list(spec.children), value if isinstance(value, dict) else {}, top=False)
            values |= {f"{spec.name}.{k}": v for k, v in inner.items()}
        elif spec.kind == "rows":
            items = value if isinstance(value, list) else []
            spare = (SPARE_ROWS if not items else 1) if top else 0
            values[spec.name] = str(min(len(items) + spare, MAX_ROWS))
            for i, item in enumerate(items[:MAX_ROWS]):
                if isinstance(item, str) and spec.short:
                    item = {spec.short: item}  # the shorthand `CD burner` for `{name: CD burner}`
                inner = initial_values(list(spec.children), item if isinstance(item, dict) else {}, top=False)
                values |= {f"{spec.name}.{i}.{k}": v for k, v in inner.items()}
        elif spec.kind == "checkbox":
            values[spec.name] = "on" if (spec.default if value is None else value) else ""
        elif value is None:
            values[spec.name] = ""
        elif spec.kind in ("lines", "refs"):
            values[spec.name] = "\n".join(str(v) for v in value)
        else:
            values[spec.name] = str(value)
    return values


def submitted_values(specs: list[FieldSpec], post: Mapping[str, Any]) -> dict[str, str]:
    """The text as submitted, to show again with the errors (sub-fields of groups and rows included).

    `post` may be a QueryDict: the ticked boxes of a list of references come as several values.
    """
    values: dict[str, str] = {}
    for spec in specs:
        if spec.kind == "group":
            values[spec.name] = "on" if spec.name in post or not spec.toggle else ""
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
        elif spec.kind == "refs" and hasattr(post, "getlist"):
            values[spec.name] = "\n".join(str(v) for v in post.getlist(spec.name))
        else:
            values[spec.name] = str(post.get(spec.name, ""))
    return values


def _below(values: Mapping[str, Any], prefix: str) -> Any:
    """The values under `prefix`, renamed without it (a QueryDict stays one, keeping repeated values)."""
    if isinstance(values, MultiValueDict):
        return MultiValueDict({k[len(prefix) :]: v for k, v in values.lists() if k.startswith(prefix)})
    return {k[len(prefix) :]: v for k, v in values.items() if k.startswith(prefix)}


def row_count(spec: FieldSpec, values: Mapping[str, Any]) -> int:
    """How many rows a form shows: as asked (the hidden count), and never fewer than those filled in."""
    asked = str(values.get(spec.name, ""))
    count = int(asked) if asked.strip().isdigit() and len(asked.strip()) < 4 else 0
    prefix = f"{spec.name}."
    indices = [k[len(prefix) :].split(".", 1)[0] for k in values if k.startswith(prefix)]
    filled = max((int(i) + 1 for i in indices if i.isdigit() and len(i) < 4 and int(i) < MAX_ROWS), default=0)
    return min(max(count, filled), MAX_ROWS)


def _blank(specs: list[FieldSpec], values: Mapping[str, str]) -> bool:
    """Whether nothing was written in these fields (ticked boxes and ticked groups alone do not count)."""
    for spec in specs:
        if spec.kind == "group":
            if not _blank(list(spec.children), _below(values, f"{spec.name}.")):
                return False
        elif spec.kind == "rows":
            for i in range(row_count(spec, values)):
                row = _below(values, f"{spec.name}.{i}.")
                if row.get("_remove") != "on" and not _blank(list(spec.children), row):
                    return False
        elif spec.kind != "checkbox" and str(values.get(spec.name, "")).strip():
            return False
    return True


@dataclass
class Parsed:
    data: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)  # by the field's full name (`rto.0.duration`)


def parse_values(specs: list[FieldSpec], values: Mapping[str, str]) -> Parsed:
    """Form text -> the part's plan data. Empty optional fields are left out; an empty required
    field is sent empty, so validation reports it beside the field. Empty rows are left out."""
    parsed = Parsed()
    for spec in specs:
        text = values.get(spec.name, "")
        if spec.kind == "group":
            inner_values = _below(values, f"{spec.name}.")
            # A group with defaults is always sent (a box unticked in it is a change); saved, its defaults drop out.
            wanted = text == "on" if spec.toggle else True
            if wanted or spec.required:
                _nested(parsed, spec.name, parse_values(list(spec.children), inner_values))
        elif spec.kind == "rows":
            rows: list[Any] = []
            for i in range(row_count(spec, values)):
                row = _below(values, f"{spec.name}.{i}.")
                if row.get("_remove") == "on" or _blank(list(spec.children), row):
                    continue
                _nested(parsed, f"{spec.name}.{i}", parse_values(list(spec.children), row), into=rows)
            if rows or spec.required:
                parsed.data[spec.name] = rows
        elif spec.kind == "checkbox":
            parsed.data[spec.name] = text == "on"
        elif spec.kind in ("lines", "refs"):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines or spec.required:
                parsed.data[spec.name] = lines
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


def _nested(parsed: Parsed, name: str, inner: Parsed, into: list[Any] | None = None) -> None:
    """A group's or row's data as its sub-fields parsed it; their problems keep their full names."""
    if into is None:
        parsed.data[name] = inner.data
    else:
        into.append(inner.data)
    for sub, messages in inner.errors.items():
        parsed.errors.setdefault(f"{name}.{sub}", []).extend(messages)


def _number(text: str) -> int | str:
    """A whole number, or the text itself so validation says what is wrong with it."""
    return int(text) if re.fullmatch(r"[-+]?[0-9]+", text) else text


# ---------------------------------------------------------------- rows added, removed and moved

OPS = ("add", "remove", "up", "down")


def spec_at(specs: list[FieldSpec], name: str) -> FieldSpec | None:
    """The field a full form name names (`steps.2.targets`), or None."""
    parts = name.split(".")
    current = list(specs)
    found: FieldSpec | None = None
    i = 0
    while i < len(parts):
        found = next((s for s in current if s.name == parts[i]), None)
        if found is None:
            return None
        i += 1
        if found.kind == "rows" and i < len(parts):
            if not parts[i].isdigit() or int(parts[i]) >= MAX_ROWS:
                return None
            i += 1
        current = list(found.children)
    return found


@dataclass(frozen=True)
class Op:
    """A button pressed that changes the rows shown, not the plan: `up:steps.2`, `add:rto`."""

    action: str
    rows: str  # the full name of the rows field
    index: int  # the row acted on (add: the new row)


def parse_op(specs: list[FieldSpec], text: str, values: Mapping[str, str]) -> Op | None:
    """The button's operation, or None when it names no rows field of this form."""
    action, _, target = text.partition(":")
    if action not in OPS:
        return None
    if action == "add":
        name, index = target, -1
    else:
        name, _, digits = target.rpartition(".")
        if not digits.isdigit() or len(digits) > 3:
            return None
        index = int(digits)
    spec = spec_at(specs, name)
    if spec is None or spec.kind != "rows":
        return None
    count = row_count(replace(spec, name=name), values)
    if action == "add":
        return Op(action, name, count) if count < MAX_ROWS else None
    return Op(action, name, index) if index < count else None


def apply_op(op: Op, values: dict[str, str]) -> dict[str, str]:
    """The form's values with a row added, removed or moved (the rows after a removed one move up)."""
    count = int(values.get(op.rows, "0") or 0)
    if op.action == "add":
        return {**values, op.rows: str(count + 1)}
    prefix = f"{op.rows}."
    rows: list[dict[str, str]] = [{} for _ in range(count)]
    kept: dict[str, str] = {}
    for key, value in values.items():
        head, _, rest = key[len(prefix) :].partition(".") if key.startswith(prefix) else ("", "", "")
        if head.isdigit() and int(head) < count and rest:
            rows[int(head)][rest] = value
        else:
            kept[key] = value
    i = op.index
    if op.action == "remove":
        del rows[i]
    elif op.action == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif op.action == "down" and i + 1 < count:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    kept[op.rows] = str(len(rows))
    for j, row in enumerate(rows):
        kept |= {f"{prefix}{j}.{k}": v for k, v in row.items()}
    return kept


def focus_after(op: Op) -> str:
    """The form name whose fieldset takes focus after the operation: the row moved or added, or the list."""
    if op.action == "remove":
        return op.rows
    target = {"add": op.index, "up": max(op.index - 1, 0), "down": op.index + 1}[op.action]
    return f"{op.rows}.{target}"


# ---------------------------------------------------------------- where a plan path is in a form


def field_name(specs: list[FieldSpec], path: tuple[str | int, ...]) -> tuple[str, int]:
    """The deepest form field a part-relative plan path reaches (`rto[0].duration` -> `rto.0.duration`),
    and how many of the path's elements it used; ("", 0) when the path names no field."""
    current = list(specs)
    names: list[str] = []
    best = ("", 0)
    i = 0
    while i < len(path):
        element = path[i]
        found = next((s for s in current if isinstance(element, str) and s.name == element), None)
        if found is None:
            break
        names.append(found.name)
        i += 1
        best = (".".join(names), i)
        if found.kind == "rows":
            if i < len(path) and isinstance(path[i], int) and 0 <= int(path[i]) < MAX_ROWS:
                names.append(str(path[i]))
                i += 1
                best = (".".join(names), i)
            else:
                break
        elif found.kind != "group":
            break
        current = list(found.children)
    return best


# ---------------------------------------------------------------- what a duration was read as

UNIT_WORDS = {
    Unit.MINUTES: ("minute", "minutes"),
    Unit.HOURS: ("hour", "hours"),
    Unit.DAYS: ("calendar day", "calendar days"),
    Unit.WORKING_DAYS: ("working day", "working days"),
    Unit.WEEKS: ("week", "weeks"),
    Unit.MONTHS: ("month", "months"),
}


def _words(duration: Duration) -> str:
    one, many = UNIT_WORDS[duration.unit]
    return f"{duration.value} {one if duration.value == 1 else many}"


def understood(text: str, *, written: bool) -> tuple[str, str]:
    """What a duration field's text was read as: (state, sentence); state is ok, words or bad.

    `written`: the field keeps words it cannot read (a WrittenDuration); otherwise they are refused.
    """
    text = text.strip()
    if not text:
        return "", ""
    if len(text) > 200:
        return "bad", "Too long for a duration."
    try:
        return "ok", f"Understood as {_words(Duration.parse(text))}."
    except DurationError:
        pass
    if not written:
        return "bad", "Not a duration: write e.g. 4h, 30m, 2 days or 5 working days."
    upper = duration_of(AsWritten(text))
    if upper is not None:
        return "words", f"A range, kept as written: at the latest {_words(upper)}."
    return "words", "Not a duration: kept as written, and the linter reports it (it sets no deadline)."
