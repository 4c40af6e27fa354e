"""What a service's state is, from plain facts (pure: no database).

The page shows the worst of every reading for a service. Readings come from the state set by hand,
the organisation's running incidents, and maintenance in progress (current.py gathers them); the
probes' verdicts can be added as one more source of readings.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from contingency.plans.graph import Graph, Ref

from .models import SEVERITY, ServiceState

# How an incident's assessment reads on the page while the plan is invoked.
FROM_ASSESSMENT = {"complete": ServiceState.MAJOR, "partial": ServiceState.PARTIAL}


@dataclass(frozen=True)
class Reading:
    """One source's word on a service: `source` is manual, incident, maintenance (later: probes)."""

    state: ServiceState
    source: str
    detail: str = ""  # for staff: "incident #4", "maintenance: database upgrade"


def worst(readings: Iterable[Reading]) -> ServiceState:
    """The worst state read (operational when there is none)."""
    return max((r.state for r in readings), key=SEVERITY.__getitem__, default=ServiceState.OPERATIONAL)


def from_incident(*, state: str, assessment: str, degraded: bool, announced: str = "") -> ServiceState | None:
    """The state a running incident gives a service it reaches; None when it gives none.

    - `announced`: the state the incident's latest public update for the service announced (the
      "maintenance page" button announces an outage or maintenance) wins while the incident runs;
    - an invoked incident reads by its assessment: a complete failure is a major outage, a partial one
      a partial outage; a service reached only through a redundant part (a fail-over should hold) is
      degraded;
    - a reported incident is a suspected failure still being checked: it says nothing publicly until
      invoked (or until someone announces a state for it); a restored or closed one says nothing.
    """
    if state not in ("reported", "invoked"):
        return None
    if announced:
        return ServiceState(announced)
    if state != "invoked":
        return None
    if degraded:
        return ServiceState.DEGRADED
    return FROM_ASSESSMENT.get(assessment, ServiceState.MAJOR)


def reached(graph: Graph, failed: Ref) -> dict[str, bool]:
    """Every part that fails with `failed` (`kind:id`), itself included, mapped to True when it is reached
    only through a redundant edge (at risk: degraded) and False when it is lost outright."""
    if failed not in graph.nodes:
        return {}
    degraded: dict[Ref, bool] = {failed: False}
    queue: deque[Ref] = deque([failed])
    while queue:
        ref = queue.popleft()
        for edge in graph.dependents(ref):
            through = degraded[ref] or edge.redundant
            known = degraded.get(edge.target)
            if known is None or (known and not through):
                degraded[edge.target] = through
                queue.append(edge.target)
    return {str(ref): flag for ref, flag in degraded.items()}


def in_progress(starts_at: datetime, ends_at: datetime, at: datetime) -> bool:
    return starts_at <= at < ends_at


def epoch(boundaries: tuple[datetime, ...], at: datetime) -> int:
    """How many of the (sorted) moments at which maintenance starts or ends have passed by `at`."""
    low, high = 0, len(boundaries)
    while low < high:
        middle = (low + high) // 2
        if boundaries[middle] <= at:
            low = middle + 1
        else:
            high = middle
    return low
