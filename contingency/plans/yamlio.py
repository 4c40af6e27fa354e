"""Reading and writing plan YAML with positions, duplicate-key detection and YAML 1.2 scalars.

PyYAML resolves scalars by YAML 1.1, where `08:00` can be a number and `no` is false; plans are
written by people, so plain scalars here follow the YAML 1.2 core schema and dates stay text
until the plan model parses them.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .problems import Location, Path, PlanInvalid, PositionMap, Problem

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")


def _loc(mark: yaml.Mark) -> Location:
    return Location(mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    value: str = node.value
    if node.style or node.tag == "tag:yaml.org,2002:str":  # quoted or explicitly text
        return value
    if _NULL.match(value):
        return None
    if value in _BOOL:
        return _BOOL[value]
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(value)
    return value


class _Builder:
    def __init__(self, file: str | None):
        self.file = file
        self.positions = PositionMap()
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.positions.values[path] = _loc(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem("yaml.key", "a key must be plain text, not a list or mapping", path, key_node)
                continue
            key = key_node.value
            if key in result:
                first = self.positions.keys[(*path, key)]
                self._problem(
                    "yaml.duplicate-key", f"duplicate key {key!r} (first at line {first.line})", path, key_node
                )
                continue
            self.positions.keys[(*path, key)] = _loc(key_node.start_mark)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _problem(self, code: str, message: str, path: Path, node: yaml.Node) -> None:
        self.problems.append(Problem(code, message, path, self.file, _loc(node.start_mark)))


def parse(text: str, file: str | None = None) -> tuple[Any, PositionMap]:
    """Parse one YAML document into plain data and the position of every path; raise PlanInvalid."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem]))
        location = _loc(mark) if mark else None
        raise PlanInvalid([Problem("yaml.syntax", f"malformed YAML: {message}", (), file, location)]) from None
    except yaml.YAMLError as exc:  # e.g. a bad character outside any mark
        raise PlanInvalid([Problem("yaml.syntax", f"malformed YAML: {exc}", (), file)]) from None
    if not nodes or nodes[0] is None:
        raise PlanInvalid([Problem("yaml.empty", "the file is empty: expected a plan document", (), file)])
    if len(nodes) > 1:
        where = _loc(nodes[1].start_mark)
        raise PlanInvalid([Problem("yaml.multiple", "one plan per file: found a second document", (), file, where)])
    builder = _Builder(file)
    data = builder.build(nodes[0], ())
    if builder.problems:
        raise PlanInvalid(builder.problems)
    return data, builder.positions


class _Dumper(yaml.SafeDumper):
    """Block style, keys in document order, long text folded as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
# Dates are written as plain text (2026-03-01) rather than quoted: plans read them as dates.
_Dumper.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeDumper.yaml_implicit_resolvers.items()
}


def dump(data: Any) -> str:
    """Write plain data as plan YAML."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
