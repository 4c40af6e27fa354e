"""Reading and writing plan YAML with positions, duplicate-key detection and YAML 1.2 scalars.

PyYAML resolves scalars by YAML 1.1, where `08:00` can be a number and `no` is false; plans are
written by people, so plain scalars here follow the YAML 1.2 core schema and dates stay text
until the plan model parses them.

Plain data is built straight from libyaml's event stream (PyYAML's C parser; the pure-Python one
when libyaml is missing), in one loop with an explicit stack, so a hostile file is refused before
anything expensive happens: anchors, aliases and merge keys (a plan needs none, and aliases nested
in aliases expand to billions of values), nesting deeper than MAX_DEPTH, more than MAX_VALUES
values, numbers longer than MAX_NUMBER_LENGTH characters and files longer than MAX_CHARACTERS
(limits.py). Nothing is ever expanded, so memory stays proportional to the text. A syntax error is
reported in the pure-Python parser's words, so messages do not depend on libyaml being installed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import yaml

from .limits import (
    MAX_CHARACTERS,
    MAX_DEPTH,
    MAX_VALUES,
    characters_message,
    depth_message,
    number_message,
    size_message,
    too_long_number,
)
from .problems import Location, Path, PlanInvalid, PositionMap, Problem

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_STR = "tag:yaml.org,2002:str"

# Anchors, aliases and merge keys: a plan repeats nothing, and aliases of aliases expand exponentially.
NOT_ALLOWED = "are not allowed in a plan: write the value out in full"

Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Mark(Protocol):
    line: int
    column: int


def _loc(mark: _Mark | None) -> Location:
    """The 1-based position of a mark (libyaml's or PyYAML's); every event has one."""
    return Location(mark.line + 1, mark.column + 1) if mark else Location(1, 1)


def _scalar(event: yaml.ScalarEvent, resolve: Any) -> Any:
    value: str = event.value
    if event.style or event.tag == _STR:  # quoted or explicitly text
        return value
    if _NULL.match(value):
        typed: Any = None
    elif value in _BOOL:
        typed = _BOOL[value]
    elif _INT.match(value):
        typed = int(value)
    elif _FLOAT.match(value) and any(c.isdigit() for c in value):
        typed = float(value)
    else:
        return value
    # Plain text that YAML 1.1 itself reads as text (e.g. 0891) stays text.
    if event.tag in (None, "!") and resolve(yaml.ScalarNode, value, event.implicit) == _STR:
        return value
    return typed


@dataclass
class _Frame:
    """A mapping or list being built; `keep` is False inside a value that is thrown away."""

    value: dict[str, Any] | list[Any]
    path: Path
    keep: bool
    key: str | None = None
    has_key: bool = False  # a mapping whose next event is a value
    keep_value: bool = True  # ... and whether that value is kept
    key_of: _Frame | None = None  # set on a list or mapping used as a key: the mapping it is a key of


@dataclass
class _Builder:
    file: str | None
    resolve: Any
    positions: PositionMap = field(default_factory=PositionMap)
    problems: list[Problem] = field(default_factory=list)
    stack: list[_Frame] = field(default_factory=list)
    count: int = 0
    aliases: set[str] = field(default_factory=set)
    root: Any = None
    done: bool = False

    def _problem(self, code: str, message: str, path: Path, mark: _Mark | None) -> None:
        self.problems.append(Problem(code, message, path, self.file, _loc(mark)))

    def _fatal(self, code: str, message: str, path: Path, mark: _Mark | None) -> PlanInvalid:
        return PlanInvalid([*self.problems, Problem(code, message, path, self.file, _loc(mark))])

    def node(self, event: yaml.NodeEvent) -> None:
        """A scalar, alias, or the start of a list or mapping: placed where the stack says."""
        self.count += 1
        if self.count > MAX_VALUES:
            where = self.stack[-1].path if self.stack else ()
            raise self._fatal("yaml.size", size_message(), where, event.start_mark)
        parent = self.stack[-1] if self.stack else None
        as_key = parent is not None and isinstance(parent.value, dict) and not parent.has_key
        if parent is None:
            path: Path = ()
            keep = True
        elif isinstance(parent.value, list):
            path, keep = (*parent.path, len(parent.value)), parent.keep
        elif as_key:
            path, keep = parent.path, parent.keep
        else:  # the value of a key; of a list or mapping used as a key, it is thrown away
            path = (*parent.path, parent.key) if parent.key is not None else parent.path
            keep = parent.keep and parent.keep_value
        if isinstance(event, yaml.AliasEvent):
            if (event.anchor or "") not in self.aliases:  # each name once: a bomb has thousands
                self.aliases.add(event.anchor or "")
                self._problem("yaml.alias", f"aliases (*{event.anchor}) {NOT_ALLOWED}", path, event.start_mark)
            self._place(parent, None, as_key=as_key, keep=False)
            return
        if event.anchor is not None:
            self._problem("yaml.anchor", f"anchors (&{event.anchor}) {NOT_ALLOWED}", path, event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            if as_key:
                self._key(parent, event)
                return
            if keep:
                self.positions.values[path] = _loc(event.start_mark)
            if not event.style and too_long_number(event.value):
                if keep:
                    self._problem("yaml.number", number_message(event.value), path, event.start_mark)
                value = None
            else:
                value = _scalar(event, self.resolve) if keep else None
            self._place(parent, value, as_key=False, keep=keep)
            return
        if len(self.stack) >= MAX_DEPTH:
            raise self._fatal("yaml.depth", depth_message(), path, event.start_mark)
        if as_key:
            assert parent is not None
            if parent.keep:
                self._problem("yaml.key", "a key must be plain text, not a list or mapping", path, event.start_mark)
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            self.stack.append(_Frame(container, path, keep=False, key_of=parent))
            return
        if keep:
            self.positions.values[path] = _loc(event.start_mark)
        container = {} if isinstance(event, yaml.MappingStartEvent) else []
        self.stack.append(_Frame(container, path, keep=keep))

    def end(self) -> None:
        """The end of a list or mapping: it becomes a value of its parent, or is thrown away if it was a key."""
        frame = self.stack.pop()
        if frame.key_of is not None:
            frame.key_of.key, frame.key_of.has_key, frame.key_of.keep_value = None, True, False
            return
        parent = self.stack[-1] if self.stack else None
        self._place(parent, frame.value, as_key=False, keep=frame.keep)

    def _key(self, parent: _Frame | None, event: yaml.ScalarEvent) -> None:
        assert parent is not None and isinstance(parent.value, dict)
        key: str = event.value
        parent.key, parent.has_key, parent.keep_value = key, True, True
        if not parent.keep:
            return
        if key == "<<" and not event.style:
            self._problem("yaml.merge", f"merge keys (<<) {NOT_ALLOWED}", parent.path, event.start_mark)
            parent.keep_value = False
        elif key in parent.value:
            first = self.positions.keys[(*parent.path, key)]
            message = f"duplicate key {key!r} (first at line {first.line})"
            self._problem("yaml.duplicate-key", message, parent.path, event.start_mark)
            parent.keep_value = False
        else:
            self.positions.keys[(*parent.path, key)] = _loc(event.start_mark)

    def _place(self, parent: _Frame | None, value: Any, *, as_key: bool, keep: bool) -> None:
        if parent is None:
            self.root, self.done = value, True
        elif as_key:  # an alias used as a key: its value is thrown away
            parent.has_key, parent.keep_value = True, False
        elif isinstance(parent.value, list):
            parent.value.append(value if keep else None)  # a placeholder keeps the indexes of what follows
        else:
            if keep and parent.keep_value and parent.key is not None:
                parent.value[parent.key] = value
            parent.has_key = False


def parse(text: str, file: str | None = None) -> tuple[Any, PositionMap]:
    """Parse one YAML document into plain data and the position of every path; raise PlanInvalid."""
    if len(text) > MAX_CHARACTERS:
        raise PlanInvalid([Problem("yaml.size", f"the file has {characters_message(len(text))}", (), file)])
    try:
        loader = Loader(text)  # the pure-Python reader checks the characters here
        try:
            builder = _Builder(file, loader.resolve)
            second = _read(loader, builder)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise PlanInvalid([_syntax_problem(text, file, exc)]) from None
    if not builder.done:
        raise PlanInvalid([Problem("yaml.empty", "the file is empty: expected a plan document", (), file)])
    if second is not None:
        where = _loc(second)
        raise PlanInvalid([Problem("yaml.multiple", "one plan per file: found a second document", (), file, where)])
    if builder.problems:
        raise PlanInvalid(builder.problems)
    return builder.root, builder.positions


def _read(loader: yaml.CSafeLoader | yaml.SafeLoader, builder: _Builder) -> _Mark | None:
    """Feed the first document's events to `builder`; the start of a second document's content, if any."""
    second: _Mark | None = None
    documents = 0
    while True:
        event = loader.get_event()
        kind = type(event)
        if kind is yaml.StreamEndEvent:
            return second
        if kind is yaml.DocumentStartEvent:
            documents += 1
        elif documents > 1:  # read on only for syntax errors, which come first
            if second is None and isinstance(event, yaml.NodeEvent):
                second = event.start_mark
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            builder.end()
        elif isinstance(event, yaml.NodeEvent):
            builder.node(event)


def _syntax_problem(text: str, file: str | None, exc: yaml.YAMLError) -> Problem:
    """The problem for a syntax error, in the pure-Python parser's words when it finds one too."""
    if Loader is not yaml.SafeLoader:
        try:
            for _ in yaml.parse(text, Loader=yaml.SafeLoader):
                pass
        except yaml.YAMLError as pure:
            exc = pure
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(filter(None, [exc.context, exc.problem]))
        location = _loc(mark) if mark else None
        return Problem("yaml.syntax", f"malformed YAML: {message}", (), file, location)
    return Problem("yaml.syntax", f"malformed YAML: {exc}", (), file)  # e.g. a bad character outside any mark


class _Dumper(yaml.SafeDumper):
    """Block style, keys in document order, long text folded as literal blocks, and no anchors or
    aliases (the reader refuses them): a value used twice is written out twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


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
