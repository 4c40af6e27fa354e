"""The dependency graph of a plan: what fails when a site, supplier, system or function fails.

Pure code over a PlanDocument. An edge runs from a dependency to what depends on it, so
"following edges" from a failed node reaches everything that fails with it. Edges come from:

- a function's `dependsOn` (functions, systems, suppliers, sites), its `locations` (sites) and
  the `source` of its resources when that is a system, supplier or site;
- a system's `dependsOn`, its `site`, the sites of its components and its `supplier`;
- a site's `operator` (a supplier).

An edge is *redundant* when the dependent is a system with redundancy whose components sit at
more than one site, and the dependency is one of those sites: losing that site should mean a
fail-over rather than an outage, so impacts through it are reported as "at risk" (degraded).

`affected_by` is reused by incident pages; `layout` places the nodes for the plan page diagram.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from .spec import PlanDocument
from .spec.directory import Redundancy, System


class Kind(StrEnum):
    SITE = "site"
    SUPPLIER = "supplier"
    SYSTEM = "system"
    FUNCTION = "function"


# Left to right in the diagram: what things run on, then systems, then the functions they serve.
BANDS: tuple[frozenset[Kind], ...] = (
    frozenset({Kind.SUPPLIER, Kind.SITE}),
    frozenset({Kind.SYSTEM}),
    frozenset({Kind.FUNCTION}),
)


class BadReference(ValueError):
    """A `kind:id` text that does not name a node of the graph."""


@dataclass(frozen=True, order=True)
class Ref:
    """Names one node: `system:pacs`."""

    kind: Kind
    id: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> Ref:
        """`kind:id` -> Ref; BadReference with a message a person can act on."""
        kind, sep, key = text.strip().partition(":")
        if not sep or not key:
            raise BadReference(f"'{text}' is not of the form kind:id (for example system:pacs)")
        try:
            return cls(Kind(kind), key)
        except ValueError:
            kinds = ", ".join(k.value for k in Kind)
            raise BadReference(f"'{kind}' is not a kind of part that can fail: use one of {kinds}") from None


@dataclass(frozen=True)
class Node:
    ref: Ref
    name: str


@dataclass(frozen=True)
class Edge:
    """`target` fails when `source` fails; `reason` says why, in words ("runs on", "is supplied by")."""

    source: Ref
    target: Ref
    reason: str
    redundant: bool = False


@dataclass(frozen=True)
class Graph:
    nodes: dict[Ref, Node]  # in plan order: sites, suppliers, systems, functions
    edges: tuple[Edge, ...]
    _out: dict[Ref, tuple[Edge, ...]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        out: dict[Ref, list[Edge]] = {}
        for edge in self.edges:
            out.setdefault(edge.source, []).append(edge)
        self._out.update({ref: tuple(edges) for ref, edges in out.items()})

    def dependents(self, ref: Ref) -> tuple[Edge, ...]:
        """Edges to what fails when `ref` fails."""
        return self._out.get(ref, ())

    def dependencies(self, ref: Ref) -> tuple[Edge, ...]:
        return tuple(edge for edge in self.edges if edge.target == ref)

    def name(self, ref: Ref) -> str:
        node = self.nodes.get(ref)
        return node.name if node else ref.id

    def find(self, text: str) -> Ref:
        """Parse `kind:id` and check the node exists, or BadReference."""
        ref = Ref.parse(text)
        if ref not in self.nodes:
            raise BadReference(f"there is no {ref.kind.value} '{ref.id}' in this plan")
        return ref


@dataclass(frozen=True)
class Impact:
    """A function that fails, and the chain of failures from the failed node that leads to it."""

    function: Node
    chain: tuple[Edge, ...]  # empty when the failed node is this function itself

    @property
    def degraded(self) -> bool:
        """True when the chain passes a redundant edge: a fail-over should keep the function going."""
        return any(edge.redundant for edge in self.chain)

    @property
    def path(self) -> tuple[Ref, ...]:
        """The refs from the failed node to the function, both included."""
        if not self.chain:
            return (self.function.ref,)
        return (self.chain[0].source, *(edge.target for edge in self.chain))


def build_graph(plan: PlanDocument) -> Graph:
    """The dependency graph of a plan. References to unknown ids (not possible in a valid plan) are skipped."""
    nodes: dict[Ref, Node] = {}
    for kind, parts in (
        (Kind.SITE, plan.sites),
        (Kind.SUPPLIER, plan.suppliers),
        (Kind.SYSTEM, plan.systems),
        (Kind.FUNCTION, plan.functions),
    ):
        for part in parts:
            nodes[Ref(kind, part.id)] = Node(Ref(kind, part.id), part.name)
    by_id = {ref.id: ref for ref in nodes}  # ids are unique across a plan
    edges: list[Edge] = []
    seen: set[tuple[Ref, Ref]] = set()

    def add(source_id: str | None, target: Ref, reason: str, redundant: bool = False) -> None:
        source = by_id.get(source_id or "")
        if source is None or source == target or (source, target) in seen:
            return
        seen.add((source, target))
        edges.append(Edge(source, target, reason, redundant))

    for site in plan.sites:
        add(site.operator, Ref(Kind.SITE, site.id), "is operated by")
    for system in plan.systems:
        ref = Ref(Kind.SYSTEM, system.id)
        for dep in system.depends_on:
            add(dep, ref, "depends on")
        add(system.supplier, ref, "is supplied by")
        add(system.site, ref, "runs at")
        spread = _spread(system)
        for component in system.components:
            add(component.site, ref, "has components at", redundant=spread)
    for function in plan.functions:
        ref = Ref(Kind.FUNCTION, function.id)
        for dep in function.depends_on:
            add(dep, ref, "depends on")
        for location in function.locations:
            add(location, ref, "is carried out at")
        for group in function.resources.__class__.model_fields:
            for resource in getattr(function.resources, group):
                if resource.source and by_id.get(resource.source) is not None:
                    add(resource.source, ref, f"needs {resource.name} from")
    return Graph(nodes, tuple(edges))


def _spread(system: System) -> bool:
    """A system with redundancy across more than one site survives losing one of them."""
    sites = {c.site for c in system.components if c.site}
    return system.redundancy is not Redundancy.NONE and len(sites) > 1


def affected_by(graph: Graph, failed: Ref) -> list[Impact]:
    """Every function that fails when `failed` fails, nearest first, each with its chain of failures.

    Breadth-first, so each chain is a shortest one; where a shortest chain through a redundant
    edge and one without exist, the one without wins (it is the stronger claim). Cycles are
    harmless: a node is visited once. A failed function is itself the first impact.
    """
    if failed not in graph.nodes:
        raise BadReference(f"there is no {failed.kind.value} '{failed.id}' in this plan")
    chains: dict[Ref, tuple[Edge, ...]] = {failed: ()}
    queue: deque[Ref] = deque([failed])
    while queue:
        ref = queue.popleft()
        # Firm edges first, so an equally short chain without a redundant edge is found first.
        for edge in sorted(graph.dependents(ref), key=lambda e: e.redundant):
            chain = (*chains[ref], edge)
            known = chains.get(edge.target)
            if known is None:
                chains[edge.target] = chain
                queue.append(edge.target)
            elif len(known) == len(chain) and _degraded(known) and not _degraded(chain):
                chains[edge.target] = chain
    order = {ref: index for index, ref in enumerate(graph.nodes)}
    functions = [ref for ref in chains if ref.kind is Kind.FUNCTION]
    functions.sort(key=lambda ref: (len(chains[ref]), order[ref]))
    return [Impact(graph.nodes[ref], chains[ref]) for ref in functions]


def _degraded(chain: Iterable[Edge]) -> bool:
    return any(edge.redundant for edge in chain)


def describe(graph: Graph, impact: Impact) -> str:
    """The chain in words, from the failure outwards: `CD robots depends on Imaging modalities; ...`."""
    if not impact.chain:
        return f"{impact.function.name} is the part that fails"
    return "; ".join(f"{graph.name(edge.target)} {edge.reason} {graph.name(edge.source)}" for edge in impact.chain)


# ---------------------------------------------------------------- layout


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> tuple[float, float]:
        return (self.x, self.y + self.height / 2)

    @property
    def right(self) -> tuple[float, float]:
        return (self.x + self.width, self.y + self.height / 2)


@dataclass(frozen=True)
class Placed:
    node: Node
    box: Box
    lines: tuple[str, ...]  # the name wrapped to fit the box


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    nodes: dict[Ref, Placed]
    paths: dict[tuple[Ref, Ref], str]  # SVG path data of each edge
    headings: tuple[tuple[str, float], ...] = ()  # each band's heading and the x of its centre


@dataclass(frozen=True)
class Geometry:
    node_width: float = 150
    node_height: float = 68
    column_gap: float = 46
    row_gap: float = 18
    margin: float = 12
    top: float = 34  # room for the band headings
    chars_per_line: int = 20
    max_lines: int = 3


BAND_NAMES = ("Sites and suppliers", "Systems", "Critical functions")


def layout(graph: Graph, geometry: Geometry = Geometry()) -> Layout:
    """Place nodes in layered columns (sites and suppliers, then systems, then functions).

    Within a band a node goes one column right of anything in the same band it depends on
    (longest path, cycle-safe), and each column is ordered by the mean row of its
    dependencies so that lines cross less.
    """
    g = geometry
    columns: list[list[Ref]] = []
    headings: list[tuple[str, float]] = []
    position: dict[Ref, float] = {}
    for band, title in zip(BANDS, BAND_NAMES, strict=True):
        members = [ref for ref in graph.nodes if ref.kind in band]
        if not members:
            continue
        depth = _depths(graph, members)
        first = len(columns)
        for level in range(max(depth.values()) + 1):
            column = [ref for ref in members if depth[ref] == level]
            column.sort(key=lambda ref: _barycentre(graph, ref, position))
            for row, ref in enumerate(column):
                position[ref] = row
            columns.append(column)
        left = g.margin + first * (g.node_width + g.column_gap)
        right = g.margin + (len(columns) - 1) * (g.node_width + g.column_gap) + g.node_width
        headings.append((title, (left + right) / 2))
    placed: dict[Ref, Placed] = {}
    tallest = max((len(c) for c in columns), default=0)
    full = tallest * (g.node_height + g.row_gap) - g.row_gap
    for index, column in enumerate(columns):
        x = g.margin + index * (g.node_width + g.column_gap)
        used = len(column) * (g.node_height + g.row_gap) - g.row_gap
        offset = g.top + (full - used) / 2  # centre short columns vertically
        for row, ref in enumerate(column):
            box = Box(x, offset + row * (g.node_height + g.row_gap), g.node_width, g.node_height)
            node = graph.nodes[ref]
            placed[ref] = Placed(node, box, wrap(node.name, g.chars_per_line, g.max_lines))
    paths = {(e.source, e.target): _curve(placed[e.source].box, placed[e.target].box) for e in graph.edges}
    width = g.margin * 2 + max(len(columns) * (g.node_width + g.column_gap) - g.column_gap, 0)
    height = g.top + max(full, 0) + g.margin
    return Layout(width, height, placed, paths, tuple(headings))


def _depths(graph: Graph, members: list[Ref]) -> dict[Ref, int]:
    """Longest chain of same-band dependencies below each member; stops after len(members) rounds on cycles."""
    inside = set(members)
    depth = dict.fromkeys(members, 0)
    for _ in range(len(members)):
        changed = False
        for edge in graph.edges:
            if edge.source in inside and edge.target in inside and depth[edge.target] < depth[edge.source] + 1:
                depth[edge.target] = min(depth[edge.source] + 1, len(members) - 1)
                changed = True
        if not changed:
            break
    return depth


def _barycentre(graph: Graph, ref: Ref, position: dict[Ref, float]) -> float:
    rows = [position[e.source] for e in graph.dependencies(ref) if e.source in position]
    return sum(rows) / len(rows) if rows else float("inf")


def _curve(source: Box, target: Box) -> str:
    """A smooth S from the source's right edge to the target's left edge (or around, if not to the right)."""
    (x1, y1), (x2, y2) = source.right, target.left
    if x2 <= x1:  # same column (a cycle or an unusual plan): loop out to the right and back
        x1, y1 = source.right
        x2, y2 = target.right
        bend = max(abs(y2 - y1) / 2, 30)
        return f"M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} {x2 + bend:g},{y2:g} {x2:g},{y2:g}"
    mid = (x1 + x2) / 2
    return f"M{x1:g},{y1:g} C{mid:g},{y1:g} {mid:g},{y2:g} {x2:g},{y2:g}"


def wrap(text: str, width: int, max_lines: int) -> tuple[str, ...]:
    """Greedy word wrap; the last line ends in an ellipsis when the text does not fit."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    lines = [line if len(line) <= width else line[: width - 1] + "…" for line in lines]
    if len(lines) > max_lines:
        kept = lines[:max_lines]
        kept[-1] = (kept[-1][: width - 1] if len(kept[-1]) >= width else kept[-1]) + "…"
        return tuple(kept)
    return tuple(lines)
