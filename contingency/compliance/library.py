"""Framework libraries in CISO Assistant's library format: read (bounded, safe), checked, and written back.

A library file is a mapping with the library's `urn`, `ref_id`, `name`, `description` (and optionally
`version`, `provider`, `packager`, `copyright`, `locale`), and `objects.framework` holding the framework's
own `urn`, `ref_id`, `name`, `description` and its `requirement_nodes`: each with `urn`, `ref_id`, `name`,
`description`, `depth`, `assessable`, and optionally `parent_urn`, `annotation` and `typical_evidence`.
Contingency adds one key to a node, `contingency_evidence`: the rules (rules.KINDS) that compute its
evidence. Other tools ignore it; a library without it is assessed by manual evidence only.

Files are read with the plan reader (plans.yamlio): no anchors or aliases, bounded size, depth and
count, so a hostile file is refused in bounded time and memory. Every problem is reported with the
file, line and field, and nothing is kept from a file with any problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from contingency.plans import yamlio
from contingency.plans.problems import Path as DataPath
from contingency.plans.problems import PlanInvalid, PositionMap, Problem

from .rules import KINDS, Rule

FRAMEWORKS_DIR = Path(__file__).resolve().parent / "frameworks"
MAX_NODES = 2000
MAX_TEXT = 20_000  # characters in one description or annotation
URN = re.compile(r"^urn:[a-z0-9][a-z0-9-]{0,31}:[A-Za-z0-9._:/-]{1,200}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
EXTENSION = "contingency_evidence"


class LibraryInvalid(Exception):
    """A library file that cannot be used, with every problem found (file, line, field, message)."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass(frozen=True)
class Requirement:
    urn: str
    ref_id: str
    name: str
    description: str
    depth: int
    assessable: bool
    parent_urn: str = ""
    annotation: str = ""
    typical_evidence: str = ""
    rules: tuple[Rule, ...] = ()

    @property
    def title(self) -> str:
        return " ".join(part for part in (self.ref_id, self.name) if part) or self.urn


@dataclass(frozen=True)
class Framework:
    """A library and the one framework it holds; `key` (the urn's last part) names it in addresses."""

    urn: str
    ref_id: str
    name: str
    description: str
    framework_urn: str
    framework_ref_id: str
    framework_name: str
    framework_description: str
    requirements: tuple[Requirement, ...]
    version: int = 1
    provider: str = ""
    packager: str = ""
    copyright: str = ""
    locale: str = "en"
    builtin: bool = False

    @property
    def key(self) -> str:
        return key_of(self.urn)

    @property
    def assessable(self) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.assessable)

    def requirement(self, urn: str) -> Requirement | None:
        return next((r for r in self.requirements if r.urn == urn), None)


def key_of(urn: str) -> str:
    return urn.rsplit(":", 1)[-1].lower()


# ------------------------------------------------------------------------------------------ reading


class _Reader:
    def __init__(self, file: str, positions: PositionMap) -> None:
        self.file = file
        self.positions = positions
        self.problems: list[Problem] = []

    def problem(self, path: DataPath, message: str, code: str = "library.field") -> None:
        self.problems.append(Problem(code, message, path, self.file, self.positions.locate(path)))

    def text(self, data: dict[str, Any], path: DataPath, name: str, *, required: bool = False) -> str:
        value = data.get(name)
        if value is None:
            if required:
                self.problem((*path, name), f"{name} is required", "library.missing")
            return ""
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.problem((*path, name), f"{name} must be text")
            return ""
        text = str(value)
        if len(text) > MAX_TEXT:
            self.problem((*path, name), f"{name} has {len(text):,} characters: at most {MAX_TEXT:,}")
            return ""
        return text

    def urn(self, data: dict[str, Any], path: DataPath, name: str) -> str:
        value = self.text(data, path, name, required=True)
        if value and not URN.match(value):
            self.problem((*path, name), f"{name} {value!r} is not a URN such as urn:example:bcm:framework:my-framework")
            return ""
        return value

    def mapping(self, value: Any, path: DataPath, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a mapping", "library.type")
            return {}
        return value

    def rules(self, value: Any, path: DataPath) -> tuple[Rule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem(path, "must be a list of rules")
            return ()
        found: list[Rule] = []
        for index, item in enumerate(value):
            where = (*path, index)
            if not isinstance(item, dict) or not isinstance(item.get("rule"), str):
                self.problem(where, "each rule is a mapping with `rule:` naming its kind")
                continue
            kind = item["rule"]
            if kind not in KINDS:
                self.problem((*where, "rule"), f"unknown rule {kind!r}: one of {', '.join(KINDS)}")
                continue
            months = item.get("months")
            if months is not None and (
                isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120
            ):
                self.problem((*where, "months"), "months must be a whole number from 1 to 120")
                continue
            unknown = sorted(set(item) - {"rule", "months"})
            if unknown:
                self.problem((*where, unknown[0]), f"unknown key {unknown[0]!r}: a rule has `rule` and `months`")
                continue
            found.append(Rule(kind, months))
        return tuple(found)


def parse(text: str, file: str = "<library>", *, builtin: bool = False) -> Framework:
    """A library's text as a Framework; LibraryInvalid with every problem found."""
    try:
        data, positions = yamlio.parse(text, file)
    except PlanInvalid as invalid:
        raise LibraryInvalid(invalid.problems) from None
    reader = _Reader(file, positions)
    top = reader.mapping(data, (), "a library")
    if not top:
        raise LibraryInvalid(reader.problems or [Problem("library.empty", "the library is empty", (), file)])
    urn = reader.urn(top, (), "urn")
    framework = reader.mapping(
        reader.mapping(top.get("objects"), ("objects",), "objects").get("framework"),
        ("objects", "framework"),
        "objects.framework",
    )
    fpath: DataPath = ("objects", "framework")
    framework_urn = reader.urn(framework, fpath, "urn") if framework else ""
    nodes_value = framework.get("requirement_nodes") if framework else None
    requirements: list[Requirement] = []
    if framework and not isinstance(nodes_value, list):
        reader.problem((*fpath, "requirement_nodes"), "requirement_nodes must be a list", "library.type")
    elif isinstance(nodes_value, list):
        if len(nodes_value) > MAX_NODES:
            reader.problem(
                (*fpath, "requirement_nodes"), f"{len(nodes_value):,} requirement nodes: at most {MAX_NODES:,}"
            )
        else:
            requirements = _nodes(reader, nodes_value, (*fpath, "requirement_nodes"))
    version = top.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        reader.problem(("version",), "version must be a whole number")
        version = 1
    result = Framework(
        urn=urn,
        ref_id=reader.text(top, (), "ref_id", required=True),
        name=reader.text(top, (), "name", required=True),
        description=reader.text(top, (), "description"),
        framework_urn=framework_urn,
        framework_ref_id=reader.text(framework, fpath, "ref_id") if framework else "",
        framework_name=reader.text(framework, fpath, "name", required=True) if framework else "",
        framework_description=reader.text(framework, fpath, "description") if framework else "",
        requirements=tuple(requirements),
        version=version,
        provider=reader.text(top, (), "provider"),
        packager=reader.text(top, (), "packager"),
        copyright=reader.text(top, (), "copyright"),
        locale=reader.text(top, (), "locale") or "en",
        builtin=builtin,
    )
    if urn and not KEY.match(result.key):
        reader.problem(("urn",), f"the urn must end in a short name of letters, digits and dashes (not {result.key!r})")
    if not reader.problems and not result.assessable:
        reader.problem((*fpath, "requirement_nodes"), "no requirement is assessable: nothing to assess")
    if reader.problems:
        raise LibraryInvalid(reader.problems)
    return result


def _nodes(reader: _Reader, nodes: list[Any], path: DataPath) -> list[Requirement]:
    seen: set[str] = set()
    found: list[Requirement] = []
    for index, raw in enumerate(nodes):
        where = (*path, index)
        node = reader.mapping(raw, where, "a requirement node")
        if not node:
            continue
        before = len(reader.problems)
        urn = reader.urn(node, where, "urn")
        if urn and urn in seen:
            reader.problem((*where, "urn"), f"urn {urn!r} is used by an earlier node")
        seen.add(urn)
        parent = reader.text(node, where, "parent_urn")
        if parent and parent not in seen:
            reader.problem((*where, "parent_urn"), f"parent_urn {parent!r} is not an earlier node")
        depth = node.get("depth", 1)
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= 10:
            reader.problem((*where, "depth"), "depth must be a whole number from 1 to 10")
            depth = 1
        assessable = node.get("assessable", False)
        if not isinstance(assessable, bool):
            reader.problem((*where, "assessable"), "assessable must be true or false")
            assessable = False
        requirement = Requirement(
            urn=urn,
            ref_id=reader.text(node, where, "ref_id"),
            name=reader.text(node, where, "name"),
            description=reader.text(node, where, "description"),
            depth=depth,
            assessable=assessable,
            parent_urn=parent,
            annotation=reader.text(node, where, "annotation"),
            typical_evidence=reader.text(node, where, "typical_evidence"),
            rules=reader.rules(node.get(EXTENSION), (*where, EXTENSION)),
        )
        if not requirement.ref_id and not requirement.name and not requirement.description:
            reader.problem(where, "a requirement node needs a ref_id, a name or a description")
        if len(reader.problems) == before:
            found.append(requirement)
    return found


# ------------------------------------------------------------------------------------------ writing


def to_data(framework: Framework) -> dict[str, Any]:
    """The library as plain data, in CISO Assistant's layout (with Contingency's rules on each node)."""
    nodes: list[dict[str, Any]] = []
    for r in framework.requirements:
        node: dict[str, Any] = {"urn": r.urn, "assessable": r.assessable, "depth": r.depth}
        if r.parent_urn:
            node["parent_urn"] = r.parent_urn
        for name in ("ref_id", "name", "description", "annotation", "typical_evidence"):
            if getattr(r, name):
                node[name] = getattr(r, name)
        if r.rules:
            node[EXTENSION] = [
                {"rule": rule.kind, **({"months": rule.months} if rule.months is not None else {})} for rule in r.rules
            ]
        nodes.append(node)
    data: dict[str, Any] = {"urn": framework.urn, "locale": framework.locale, "ref_id": framework.ref_id}
    data["name"] = framework.name
    if framework.description:
        data["description"] = framework.description
    for name in ("copyright", "provider", "packager"):
        if getattr(framework, name):
            data[name] = getattr(framework, name)
    data["version"] = framework.version
    framework_data: dict[str, Any] = {"urn": framework.framework_urn}
    if framework.framework_ref_id:
        framework_data["ref_id"] = framework.framework_ref_id
    framework_data["name"] = framework.framework_name
    if framework.framework_description:
        framework_data["description"] = framework.framework_description
    framework_data["requirement_nodes"] = nodes
    data["objects"] = {"framework": framework_data}
    return data


def dump(framework: Framework) -> str:
    return yamlio.dump(to_data(framework))


# ------------------------------------------------------------------------------------------ shipped


@cache
def builtin() -> tuple[Framework, ...]:
    """The frameworks shipped with the product, read once per process."""
    found = []
    for path in sorted(FRAMEWORKS_DIR.glob("*.yaml")):
        found.append(parse(path.read_text(encoding="utf-8"), path.name, builtin=True))
    return tuple(found)
