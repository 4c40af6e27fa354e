"""Systems and dependencies: no cycles, real redundancy, safe backups."""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.directory import ComponentRole, Redundancy
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


def _graph(ctx: Context) -> dict[str, list[str]]:
    """Dependencies between functions and systems (sites and suppliers are leaves)."""
    edges = [(f.id, f.depends_on) for f in ctx.plan.functions] + [(s.id, s.depends_on) for s in ctx.plan.systems]
    return {key: [d for d in targets if ctx.kind(d) in {"function", "system"}] for key, targets in edges}


def find_cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each elementary cycle found by depth-first search, once, starting from its smallest id."""
    cycles: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()

    def visit(node: str, trail: list[str]) -> None:
        for nxt in graph.get(node, []):
            if nxt in trail:
                cycle = trail[trail.index(nxt) :]
                start = cycle.index(min(cycle))
                canonical = tuple(cycle[start:] + cycle[:start])
                if canonical not in seen:
                    seen.add(canonical)
                    cycles.append(list(canonical))
            elif len(trail) < 50:
                visit(nxt, [*trail, nxt])

    for node in sorted(graph):
        visit(node, [node])
    return cycles


@rule("SYS001", "dependency-cycle", Severity.ERROR, "Functions or systems depend on each other in a cycle")
def dependency_cycle(ctx: Context) -> Found:
    """If A depends on B and B on A, neither can be recovered first: the recovery order is
    undefined. Usually one dependency is recorded the wrong way round."""
    for cycle in find_cycles(_graph(ctx)):
        chain = " -> ".join([*(ctx.name(k) for k in cycle), ctx.name(cycle[0])])
        yield (*ctx.ids[cycle[0]].path, "dependsOn"), f"dependency cycle: {chain}"


def _node_roles() -> set[ComponentRole]:
    return {ComponentRole.NODE, ComponentRole.PRIMARY, ComponentRole.STANDBY}


@rule("SYS002", "witness-on-node-site", Severity.ERROR, "A cluster witness sits on the same site as a node")
def witness_site(ctx: Context) -> Found:
    """A quorum witness must sit outside both data centres: if it shares a site with a node, losing
    that site loses the majority and the surviving node cannot take over."""
    for i, system in enumerate(ctx.plan.systems):
        nodes = {c.site for c in system.components if c.role in _node_roles() and c.site}
        for j, component in enumerate(system.components):
            if component.role is ComponentRole.WITNESS and component.site in nodes:
                yield (
                    ("systems", i, "components", j, "site"),
                    f"{system.name}: witness {component.name!r} is at {ctx.name(component.site)}, with a node it arbitrates",
                )


@rule("SYS003", "cluster-without-witness", Severity.WARNING, "A cluster with witness has no witness recorded")
def cluster_without_witness(ctx: Context) -> Found:
    """A system described as a cluster with witness should record the witness and its site so its
    placement can be checked."""
    for i, system in enumerate(ctx.plan.systems):
        if system.redundancy is Redundancy.CLUSTER_WITH_WITNESS and not any(
            c.role is ComponentRole.WITNESS for c in system.components
        ):
            yield ("systems", i), f"{system.name} is a cluster with witness but no witness component is recorded"


@rule("SYS004", "redundancy-on-one-site", Severity.WARNING, "Redundant components all sit on one site")
def single_site(ctx: Context) -> Found:
    """Active-passive or active-active pairs in the same building share its power, network and
    flood risk: the redundancy does not survive the loss of the site. Not reported when the plan's
    scope is that site itself (a practice's plan for its own building): losing the site is then
    the plan's premises scenario, not a single point of failure of the system."""
    scope = " ".join(ctx.plan.scope).lower()
    resilient = {Redundancy.ACTIVE_PASSIVE, Redundancy.ACTIVE_ACTIVE, Redundancy.CLUSTER_WITH_WITNESS}
    for i, system in enumerate(ctx.plan.systems):
        sites = {c.site for c in system.components if c.site and c.role is not ComponentRole.WITNESS}
        if system.redundancy in resilient and len(sites) == 1:
            only = ctx.name(next(iter(sites)))
            if only.lower() in scope:
                continue
            yield ("systems", i), f"{system.name} is {system.redundancy.value} but every component is at {only}"


@rule("SYS005", "backup-not-offsite-or-encrypted", Severity.WARNING, "Backups are not off-site or not encrypted")
def backup_safety(ctx: Context) -> Found:
    """Backups kept in the same place as the system are lost with it, and unencrypted backups of
    patient data breach the Data Security and Protection Toolkit."""
    for i, system in enumerate(ctx.plan.systems):
        backup = system.backup
        if backup is None:
            continue
        missing = [word for word, ok in (("off-site", backup.offsite), ("encrypted", backup.encrypted)) if not ok]
        if missing:
            yield ("systems", i, "backup"), f"{system.name}: backups are not {' or '.join(missing)}"
