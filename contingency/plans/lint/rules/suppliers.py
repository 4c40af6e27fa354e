"""Supplier assurance (NHS EPRR, ISO 22301 8.4): the suppliers a plan depends on, without assurance or stale.

These rules read `options.suppliers`, what the organisation's supplier assurance register says about
each supplier in the plan's `suppliers:` section, judged by the suppliers app on the caller's day, and
passed in by whoever lints a stored plan. Linting files, with no register to hand, they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ..engine import Context, Severity, SupplierAssurance, rule

Found = Iterator[tuple[Path, str]]


def _judged(ctx: Context) -> Iterator[tuple[int, str, SupplierAssurance]]:
    """Each supplier of the plan the register has a judgement on: (its index, its name, the judgement)."""
    if ctx.options.suppliers is None:
        return
    judged = {s.supplier: s for s in ctx.options.suppliers}
    for i, supplier in enumerate(ctx.plan.suppliers):
        found = judged.get(supplier.id)
        if found is not None:
            yield i, supplier.name, found


@rule("SUP001", "supplier-without-assurance", Severity.WARNING, "A supplier of the plan has no assurance on file")
def supplier_without_assurance(ctx: Context) -> Found:
    """The plan depends on a supplier whose own continuity nobody has recorded: whether it has a
    continuity plan, when that was last tested, the contract's response and restore times, whom to
    escalate to. Record it on the Suppliers page."""
    for i, name, judged in _judged(ctx):
        if judged.missing:
            yield ("suppliers", i), f"{name}: {', '.join(judged.findings) or 'no assurance on file'}"


@rule("SUP002", "supplier-assurance-stale", Severity.WARNING, "A supplier's assurance is stale or falls short")
def supplier_assurance_stale(ctx: Context) -> Found:
    """The supplier assurance register holds a record for the supplier, but its review date has
    passed, its continuity was not tested in the last 12 months (or never), or it has no continuity
    plan. Bring the record up to date on the Suppliers page, or take it up with the supplier."""
    for i, name, judged in _judged(ctx):
        if not judged.missing and judged.findings:
            yield ("suppliers", i), f"{name}: {', '.join(judged.findings)}"
