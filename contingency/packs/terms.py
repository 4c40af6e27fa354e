"""The contract terms a pack prints beside the plan: for each supplier the plan names, what the supplier
assurance register holds (response and restore times as written, escalation contacts, when it was last
reviewed), and the plan's contract KPIs. At 02:00 with no network they say what the vendor owes us and
what the commissioner holds us to (ADR 0036, 0037).

The registers live in apps above this one (suppliers, commissioning): they import packs, never the other
way. Each sets its reader here when it is ready (suppliers/apps.py, commissioning/apps.py), the way
downtime sets `progress.reconciliation`; `register.source_of` asks them. Without readers (a pack built
from a file alone, a laptop's copy) a pack has no terms and shows no such section. Everything here is
plain data, ordered by the readers, so the same registers give the same pack.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contingency.plans.models import Plan
    from contingency.plans.spec import PlanDocument


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str


@dataclass(frozen=True)
class SupplierTerms:
    """One supplier's assurance on file: the contract's times as written, whom to escalate to, when reviewed."""

    supplier: str
    response: str
    restore: str
    contacts: tuple[Contact, ...]
    reviewed_on: date


@dataclass(frozen=True)
class KpiTerms:
    """One contract KPI as recorded: what is measured, the target, its clock in words, who holds us to it."""

    what: str
    target: str
    clock: str
    commissioner: str


@dataclass(frozen=True)
class SupplierRow:
    """A supplier the plan names, with its assurance (None: no assurance on file)."""

    name: str
    terms: SupplierTerms | None


@dataclass(frozen=True)
class ContractTerms:
    suppliers: tuple[SupplierTerms, ...] = ()
    kpis: tuple[KpiTerms, ...] = ()

    def rows(self, document: PlanDocument) -> list[SupplierRow]:
        """Each supplier of `document`, in the plan's order, with what is on file for it."""
        held = {t.supplier: t for t in self.suppliers}
        return [SupplierRow(s.name, held.get(s.id)) for s in document.suppliers]


SupplierReader = Callable[["Plan", Sequence[str]], Sequence[SupplierTerms]]
KpiReader = Callable[["Plan"], Sequence[KpiTerms]]

supplier_reader: SupplierReader | None = None
kpi_reader: KpiReader | None = None


def read(plan: Plan, document: PlanDocument) -> ContractTerms | None:
    """The terms on file for `plan` (its suppliers are those of `document`, the issue being packed); None
    when no register can be read here."""
    if plan.mirrored_from or (supplier_reader is None and kpi_reader is None):
        return None
    keys = [s.id for s in document.suppliers]
    suppliers = tuple(supplier_reader(plan, keys)) if supplier_reader is not None and keys else ()
    kpis = tuple(kpi_reader(plan)) if kpi_reader is not None else ()
    return ContractTerms(suppliers, kpis)
