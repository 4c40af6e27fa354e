"""Choosing what failed: the organisation's plans and each plan's parts (sites, suppliers, systems, functions)."""

from __future__ import annotations

from dataclasses import dataclass

from contingency.plans import readmodel
from contingency.plans.graph import BadReference, Graph, Kind, Ref
from contingency.plans.models import Plan
from contingency.plans.spec import PlanDocument
from contingency.web.access import OrgContext

KIND_TITLES = {Kind.FUNCTION: "Functions", Kind.SYSTEM: "Systems", Kind.SUPPLIER: "Suppliers", Kind.SITE: "Sites"}


@dataclass
class Part:
    """The plan and part chosen so far; `problem` says why a choice given was not taken."""

    plan: Plan | None = None
    document: PlanDocument | None = None
    graph: Graph | None = None
    ref: Ref | None = None
    problem: str = ""
    field: str = ""

    @property
    def name(self) -> str:
        return self.graph.name(self.ref) if self.graph and self.ref else ""


def plans_of(ctx: OrgContext) -> list[Plan]:
    return list(Plan.objects.filter(organisation=ctx.organisation).order_by("title", "key"))


def chosen_part(ctx: OrgContext, plan_key: str, subject: str) -> Part:
    plans = plans_of(ctx)
    if not plan_key and len(plans) == 1:
        plan_key = plans[0].key
    part = Part()
    if not plan_key:
        return part
    plan = next((p for p in plans if p.key == plan_key), None)
    if plan is None:
        part.problem, part.field = f"There is no plan '{plan_key}' in {ctx.organisation.name}.", "plan"
        return part
    part.plan = plan
    found = readmodel.view(plan)
    part.document = found.document
    part.graph = found.graph
    if subject:
        try:
            part.ref = part.graph.find(subject)
        except BadReference as exc:
            part.problem, part.field = f"Choose a part of this plan: {exc}.", "subject"
    return part


def subjects_of(graph: Graph | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """Grouped choices for a select: functions first (what people notice), then systems, suppliers, sites."""
    if graph is None:
        return []
    grouped: list[tuple[str, list[tuple[str, str]]]] = []
    for kind, title in KIND_TITLES.items():
        options = [(str(ref), node.name) for ref, node in graph.nodes.items() if ref.kind is kind]
        if options:
            grouped.append((title, options))
    return grouped
