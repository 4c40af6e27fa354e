"""The checks an organisation's plans ask the probes to run, with their intervals and thresholds (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import System
from contingency.plans.spec.probes import DEFAULT_EVERY, ProbeCheck, Span
from contingency.plans.yamlform import part_to_data

from .verdict import CheckRule


@dataclass(frozen=True)
class Planned:
    """One check of one system's component, with what the system's probe settings make of it."""

    plan: str
    system: str
    system_name: str
    component: str
    check: ProbeCheck
    every: Span
    fail_after: int | None
    recover_after: int

    @property
    def rule(self) -> CheckRule:
        return CheckRule(self.check.id, self.component, self.check.label, self.fail_after, self.recover_after)

    def to_json(self) -> dict[str, Any]:
        """What a probe is sent: the check in the plan format's JSON form, and where it belongs."""
        return {
            "plan": self.plan,
            "system": self.system,
            "systemName": self.system_name,
            "component": self.component,
            "every": str(self.every),
            "check": part_to_data(self.check),
        }


def system_checks(plan: str, system: System) -> list[Planned]:
    settings = system.probes
    found: list[Planned] = []
    for component in system.components:
        for check in component.checks:
            every = check.every or (settings.every if settings and settings.every else DEFAULT_EVERY)
            fail_after = check.fail_after or (settings.fail_after if settings else None)
            recover_after = (settings.recover_after if settings else None) or fail_after or 2
            found.append(Planned(plan, system.id, system.name, component.name, check, every, fail_after, recover_after))
    return found


def planned(document: PlanDocument) -> list[Planned]:
    """Every check of the plan, in document order."""
    return [p for system in document.systems for p in system_checks(document.id, system)]


def monitored(document: PlanDocument) -> list[System]:
    """The plan's systems that have checks."""
    return [s for s in document.systems if any(c.checks for c in s.components)]
