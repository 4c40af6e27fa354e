"""Turning a plan file into a PlanDocument, or into every problem it has, located.

Three passes, each reporting all it finds: YAML (syntax, duplicate keys), structure (the pydantic
model: types, unknown and missing fields) and references (dangling, wrong kind, duplicate ids,
and a step's `insteadOf` naming anything but an opposite-time step of its own procedure).
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from . import yamlio
from .problems import Path, PlanInvalid, PositionMap, Problem, format_path
from .spec import PlanDocument, RefTo
from .spec.plan import API_VERSION, Procedure, When
from .spec.written import AsWritten

# Collections of the plan whose items carry an id, and the kind of part each holds.
COLLECTIONS: dict[str, str] = {
    "sites": "site",
    "people": "person",
    "roles": "role",
    "lists": "list",
    "suppliers": "supplier",
    "systems": "system",
    "functions": "function",
    "record_kinds": "record-kind",
    "risks": "risk",
    "procedures": "procedure",
    "triggers": "trigger",
    "call_trees": "call-tree",
    "messages": "message",
}


@dataclass(frozen=True)
class Entry:
    kind: str
    path: Path
    item: Any


def load_text(text: str, file: str | None = None) -> tuple[PlanDocument, PositionMap]:
    """Parse and validate plan YAML; raise PlanInvalid with every problem, located."""
    data, positions = yamlio.parse(text, file)
    return validate_data(data, positions, file), positions


def validate_data(data: Any, positions: PositionMap | None = None, file: str | None = None) -> PlanDocument:
    """Validate already-parsed plan data (from YAML or a JSON body); raise PlanInvalid."""
    positions = positions or PositionMap()

    def located(problems: list[Problem]) -> list[Problem]:
        return [Problem(p.code, p.message, p.path, file, p.location or positions.locate(p.path)) for p in problems]

    header = _check_header(data) or _control_characters(data, ())
    if header:
        raise PlanInvalid(located(header))
    try:
        plan = PlanDocument.model_validate(data)
    except ValidationError as exc:
        structural = [_translate(e) for e in exc.errors(include_url=False)]
        # Report reference problems too, from the parts that are sound on their own.
        raise PlanInvalid(_in_order(located(structural + _partial_reference_problems(data)))) from None
    problems = check_references(plan)
    if problems:
        raise PlanInvalid(_in_order(located(problems)))
    return plan


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.location.line, p.location.column) if p.location else (0, 0))


def _check_header(data: Any) -> list[Problem]:
    if not isinstance(data, dict):
        return [Problem("schema.type", f"expected a plan (a mapping of fields), got {_describe(data)}")]
    version = data.get("apiVersion")
    if version is None:
        return [Problem("header.api-version", f"missing apiVersion: start the file with 'apiVersion: {API_VERSION}'")]
    if version != API_VERSION:
        return [
            Problem(
                "header.api-version",
                f"apiVersion {version!r} is not supported: this version reads {API_VERSION}",
                ("apiVersion",),
            )
        ]
    if data.get("kind") != "Plan":
        return [Problem("header.kind", f"kind must be 'Plan', got {data.get('kind')!r}", ("kind",))]
    return []


def _control_characters(data: Any, path: Path) -> list[Problem]:
    """Text with control characters (other than tab and newline) is refused: it cannot be printed,
    and PostgreSQL cannot store NUL."""
    if isinstance(data, str):
        bad = next((c for c in data if (ord(c) < 32 and c not in "\t\n\r") or ord(c) == 127), None)
        message = f"text contains the control character U+{ord(bad):04X}" if bad else ""
        return [Problem("schema.value", message, path)] if bad else []
    if isinstance(data, dict):
        return [p for key, value in data.items() for p in _control_characters(value, (*path, key))]
    if isinstance(data, list):
        return [p for i, value in enumerate(data) for p in _control_characters(value, (*path, i))]
    return []


# ---------------------------------------------------------------- structure (pydantic) errors


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "dict_type": "a mapping of fields",
    "date_type": "a date as YYYY-MM-DD",
    "date_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_inexact": "a date as YYYY-MM-DD",
}


def _translate(error: ErrorDetails) -> Problem:
    loc: Path = tuple(error["loc"])
    kind, ctx, value = error["type"], error.get("ctx", {}), error.get("input")
    if kind == "missing":
        return Problem("schema.missing", f"missing required field {loc[-1]!r}", loc[:-1])
    if kind == "extra_forbidden":
        message = f"unknown field {loc[-1]!r}"
        known = _fields_at(loc[:-1])
        if close := difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6):
            message += f" (did you mean {close[0]!r}?)"
        elif known:
            message += f" (expected one of: {', '.join(known)})"
        return Problem("schema.unknown-field", message, loc)
    if kind in _TYPE_WORDS:
        if kind in {"model_type", "model_attributes_type"} and _accepts_text(loc):
            return Problem("schema.type", f"expected text or a mapping of fields, got {_describe(value)}", loc)
        return Problem("schema.type", f"expected {_TYPE_WORDS[kind]}, got {_describe(value)}", loc)
    if kind in {"enum", "literal_error"}:
        return Problem("schema.value", f"{_describe(value)} is not allowed here: expected {ctx.get('expected')}", loc)
    if kind in {"greater_than_equal", "less_than_equal"}:
        bound = ctx.get("ge", ctx.get("le"))
        word = "at least" if kind == "greater_than_equal" else "at most"
        return Problem("schema.value", f"must be {word} {bound}, got {_describe(value)}", loc)
    if kind in {"too_short", "string_too_short"}:
        if kind == "string_too_short":
            return Problem("schema.value", "must not be empty", loc)
        return Problem("schema.value", f"needs at least {ctx.get('min_length')} item(s)", loc)
    if kind == "too_long":
        return Problem("schema.value", f"takes at most {ctx.get('max_length')} item(s)", loc)
    if kind == "string_pattern_mismatch":
        what = {"number": "a phone number (digits, spaces and + ( ) - # *)", "email": "an e-mail address"}
        return Problem(
            "schema.value", f"{_describe(value)} is not {what.get(str(loc[-1]), 'in the expected form')}", loc
        )
    message = error["msg"].removeprefix("Value error, ")
    return Problem("schema.value", message, loc)


def _unwrap(annotation: Any) -> Any:
    """The model class (or plain type) inside Optional[...], list[...] and Annotated[...]."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        elif origin is list:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _model_at(loc: Path) -> type[BaseModel] | None:
    model: Any = PlanDocument
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _fields_at(loc: Path) -> list[str]:
    model = _model_at(loc)
    return [f.alias or n for n, f in model.model_fields.items()] if model else []


def _accepts_text(loc: Path) -> bool:
    model = _model_at(loc)
    return model is not None and hasattr(model, "short_field")


# ---------------------------------------------------------------- references


def index(plan: PlanDocument) -> tuple[dict[str, Entry], list[Problem]]:
    """Every id in the plan with its kind and path, and a problem for each duplicate."""
    found: dict[str, Entry] = {}
    problems: list[Problem] = []

    def add(item_id: str | None, kind: str, path: Path, item: Any) -> None:
        if item_id is None:
            return
        if item_id in found:
            first = found[item_id]
            problems.append(
                Problem(
                    "id.duplicate",
                    f"duplicate id {item_id!r}: already used by the {first.kind} at {format_path(first.path)}",
                    (*path, "id"),
                )
            )
            return
        found[item_id] = Entry(kind, path, item)

    for collection, kind in COLLECTIONS.items():
        key = PlanDocument.model_fields[collection].alias or collection
        for i, item in enumerate(getattr(plan, collection)):
            add(item.id, kind, (key, i), item)
    for i, procedure in enumerate(plan.procedures):
        for j, check in enumerate(procedure.confirm):
            add(check.id, "check", ("procedures", i, "confirm", j), check)
        for j, step in enumerate(procedure.steps):
            add(step.id, "step", ("procedures", i, "steps", j), step)
    for i, system in enumerate(plan.systems):
        for j, component in enumerate(system.components):
            for k, probe in enumerate(component.checks):
                add(probe.id, "probe", ("systems", i, "components", j, "checks", k), probe)
    return found, problems


@cache
def _ref_kinds(model: type[BaseModel], name: str) -> tuple[str, ...] | None:
    field = model.model_fields[name]
    stack: list[Any] = [field.annotation, *field.metadata]
    while stack:
        item = stack.pop()
        if isinstance(item, RefTo):
            return item.kinds
        if typing.get_origin(item) is typing.Annotated:
            stack.extend(item.__metadata__)
        stack.extend(typing.get_args(item))
    return None


def _indexed(value: Any) -> list[tuple[int | None, Any]]:
    """A list's items with their index; a single value with no index."""
    return list(enumerate(value)) if isinstance(value, list) else [(None, value)]


def references(model: BaseModel, path: Path = ()) -> Iterator[tuple[Path, str, tuple[str, ...]]]:
    """Every reference in a part of the plan: its path, the id it names and the kinds it may name."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        key = field.alias or name
        kinds = _ref_kinds(type(model), name)
        for i, item in _indexed(value):
            where = (*path, key) if i is None else (*path, key, i)
            if isinstance(item, BaseModel):
                yield from references(item, where)
            elif kinds and isinstance(item, str) and not isinstance(item, AsWritten):  # a name as written
                yield where, item, kinds


def check_references(plan: PlanDocument) -> list[Problem]:
    """Duplicate ids, and references that name nothing or the wrong kind of thing."""
    found, problems = index(plan)
    kinds = {key: entry.kind for key, entry in found.items()}
    procedures = [(("procedures", i), procedure) for i, procedure in enumerate(plan.procedures)]
    return problems + _resolve(references(plan), kinds) + _counterparts(procedures, kinds)


def _partial_reference_problems(data: dict[str, Any]) -> list[Problem]:
    """Reference problems in a plan that failed validation: ids from the raw data, references
    from each top-level part that validates on its own (a broken part's references are skipped)."""
    kinds: dict[str, str] = {}
    problems: list[Problem] = []
    for collection, kind in COLLECTIONS.items():
        key = PlanDocument.model_fields[collection].alias or collection
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            item_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(item_id, str):
                continue
            if item_id in kinds:
                message = f"duplicate id {item_id!r}: already used by a {kinds[item_id]}"
                problems.append(Problem("id.duplicate", message, (key, i, "id")))
            kinds.setdefault(item_id, kind)
    for procedure in _dicts(data.get("procedures")):
        for check in _dicts(procedure.get("confirm")):
            if isinstance(check.get("id"), str):
                kinds.setdefault(check["id"], "check")
    refs: list[tuple[Path, str, tuple[str, ...]]] = []
    procedures: list[tuple[Path, Procedure]] = []
    for name, field in PlanDocument.model_fields.items():
        key, model = field.alias or name, _unwrap(field.annotation)
        value = data.get(key)
        if value is None or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        for index_, part in _indexed(value):
            try:
                sound = model.model_validate(part)
            except ValidationError:
                continue
            where: Path = (key,) if index_ is None else (key, index_)
            refs.extend(references(sound, where))
            if isinstance(sound, Procedure):
                procedures.append((where, sound))
    steps = {step.id: "step" for _, procedure in procedures for step in procedure.steps if step.id}
    return problems + _resolve(iter(refs), kinds) + _counterparts(procedures, steps | kinds)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _resolve(refs: Iterator[tuple[Path, str, tuple[str, ...]]], kinds: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []
    for path, target, allowed_kinds in refs:
        kind = kinds.get(target)
        allowed = " or ".join(allowed_kinds)
        if kind is None:
            message = f"{target!r} names no {allowed} in this plan"
            candidates = [k for k, v in kinds.items() if v in allowed_kinds]
            if close := difflib.get_close_matches(target, candidates, n=1, cutoff=0.6):
                message += f" (did you mean {close[0]!r}?)"
            problems.append(Problem("ref.dangling", message, path))
        elif kind not in allowed_kinds:
            problems.append(Problem("ref.kind", f"{target!r} is a {kind}, but a {allowed} is needed here", path))
    return problems


_OPPOSITE = {When.IN_HOURS: When.OUT_OF_HOURS, When.OUT_OF_HOURS: When.IN_HOURS}


def _counterparts(procedures: Sequence[tuple[Path, Procedure]], kinds: dict[str, str]) -> list[Problem]:
    """Each step's `insteadOf` names another step of its own procedure, done at the opposite time."""
    problems: list[Problem] = []
    owners = {step.id: procedure.id for _, procedure in procedures for step in procedure.steps if step.id}
    for path, procedure in procedures:
        steps = {step.id: step for step in procedure.steps if step.id}
        for j, step in enumerate(procedure.steps):
            target = step.instead_of
            if target is None:
                continue
            where = (*path, "steps", j, "insteadOf")
            if step.when is When.ALWAYS:
                message = (
                    "a step done at any time (when: always) has no counterpart: "
                    "set when to in-hours or out-of-hours, or remove insteadOf"
                )
                problems.append(Problem("step.counterpart", message, where))
                continue
            wanted = _OPPOSITE[step.when].value
            if target == step.id:
                message = f"a step cannot be done instead of itself: name the {wanted} step it replaces"
                problems.append(Problem("step.counterpart", message, where))
                continue
            other = steps.get(target)
            if other is None:
                problems.append(_not_a_counterpart(target, wanted, procedure, owners, kinds, where))
            elif other.when is not _OPPOSITE[step.when]:
                what = (
                    "done at any time (when: always)" if other.when is When.ALWAYS else f"an {step.when.value} step too"
                )
                message = f"{target!r} is {what}: insteadOf must name an {wanted} step"
                problems.append(Problem("step.counterpart", message, where))
    return problems


def _not_a_counterpart(
    target: str, wanted: str, procedure: Procedure, owners: dict[str, str], kinds: dict[str, str], where: Path
) -> Problem:
    """The problem with an `insteadOf` that names no step of its own procedure."""
    if target in owners:
        message = f"{target!r} is a step of procedure {owners[target]!r}: insteadOf must name a step of this procedure"
        return Problem("step.counterpart", message, where)
    if target in kinds:
        return Problem(
            "ref.kind", f"{target!r} is a {kinds[target]}, but an {wanted} step of this procedure is needed here", where
        )
    message = f"{target!r} names no step of procedure {procedure.id!r}"
    candidates = [s.id for s in procedure.steps if s.id and s.when.value == wanted]
    if close := difflib.get_close_matches(target, candidates, n=1, cutoff=0.6):
        message += f" (did you mean {close[0]!r}?)"
    return Problem("ref.dangling", message, where)
