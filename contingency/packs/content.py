"""What a grab pack says, worked out from a PlanDocument: pure functions, no database, no clock.

The same read paths as the pages: the "what do I do" page's Resolver (plans/guidance.py) names whom
to ring and with which numbers, once for in hours and once for out of hours, so the paper shows both
side by side; the plan page's sections (web/plan/sections.py) give the trigger points and the contact
directory. A pack is read when nothing else works, so it never says "closed now": a helpdesk's hours
are printed instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from contingency.plans.derived import derived

# The "what do I do" page's own helpers, used as they are (not copied) so that the pack and the page pick
# the same procedures, suppliers and numbers; they are module-private there only because no other page
# needed them before.
from contingency.plans.guidance import (
    Callee,
    ConfirmCheck,
    Number,
    Resolver,
    _numbers,
    _procedures_for,
    _suppliers_for,
)
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import Supplier
from contingency.plans.spec.plan import CriticalFunction, ProcedurePhase, Step, StepKind, When
from contingency.web.plan import sections

# A contact sheet is pinned up on one A4 page: at most this many rows, the rest are in the directory.
SHEET_ROWS = 14
_OUTCOMES = {
    "continue": "carry on with the steps anyway",
    "not-a-failure": "it is probably not a system failure",
    "partial-failure": "it is probably a partial failure",
}


def content_hash(document: PlanDocument) -> str:
    """SHA-256 of the plan as its YAML file says it: the same plan gives the same hash on every copy."""
    return hashlib.sha256(derived(document).text.encode()).hexdigest()


class PaperResolver(Resolver):
    """The Resolver with no clock: a supplier's helpdesk is given with its hours, never as closed now."""

    def __init__(self, document: PlanDocument, in_hours: bool) -> None:
        super().__init__(document, datetime(2000, 1, 1, tzinfo=UTC), in_hours)

    def supplier(self, supplier: Supplier) -> Callee:
        desk = supplier.helpdesk
        if desk is None:
            return Callee(supplier.id, supplier.name, "helpdesk")
        hours = f", {desk.hours}" if desk.hours else ""
        return Callee(
            supplier.id,
            supplier.name,
            f"helpdesk{hours}",
            _numbers(desk.phones, self.in_hours),
            email=desk.email,
            portal=desk.portal,
        )


@dataclass(frozen=True)
class PaperStep:
    text: str
    kind: str
    who: Callee | None
    targets: tuple[Callee, ...]
    note: str | None
    always: bool


@dataclass(frozen=True)
class PaperProcedure:
    id: str
    title: str
    checks: tuple[ConfirmCheck, ...]
    in_hours: tuple[PaperStep, ...]
    out_of_hours: tuple[PaperStep, ...]


@dataclass(frozen=True)
class FunctionSheet:
    """A function's "It's broken - what do I do?", for in hours and out of hours at once."""

    id: str
    name: str
    description: str | None
    owner: str | None
    deputy: str | None
    procedures: tuple[PaperProcedure, ...]
    suppliers_in_hours: tuple[Callee, ...]
    suppliers_out_of_hours: tuple[Callee, ...]
    duration_rules: tuple[tuple[str, str, str | None], ...]  # (after, action, who)
    later: tuple[str, ...]  # restoration and fail-over procedures, by title

    @property
    def checks(self) -> tuple[ConfirmCheck, ...]:
        return tuple(c for p in self.procedures for c in p.checks)


@dataclass(frozen=True)
class EscalationPaper:
    level: int
    name: str
    when: str | None
    responsibilities: tuple[str, ...]
    in_hours: tuple[Callee, ...]
    out_of_hours: tuple[Callee, ...]
    invokes_plan: bool


@dataclass(frozen=True)
class SheetRow:
    name: str
    detail: str | None
    in_hours: tuple[Number, ...]
    out_of_hours: tuple[Number, ...]
    note: str | None


@dataclass(frozen=True)
class ContactSheet:
    """One A4 page to pin up at a site: whom to ring for the functions carried out there."""

    id: str
    site: str
    address: str | None
    functions: tuple[str, ...]
    rows: tuple[SheetRow, ...]
    more: int  # rows left off to keep to one page (they are in the contact directory)


@dataclass(frozen=True)
class PlanContent:
    document: PlanDocument
    content_hash: str
    working_hours: str
    functions: tuple[FunctionSheet, ...]
    escalation: tuple[EscalationPaper, ...]
    triggers: tuple[sections.TriggerView, ...]
    directory: sections.Directory
    sheets: tuple[ContactSheet, ...]

    @property
    def key(self) -> str:
        return self.document.id


def _step(step: Step, resolve: Resolver) -> PaperStep:
    targets = tuple(c for t in step.targets for c in resolve.callees(t))
    return PaperStep(step.text, step.kind.value, resolve.callee(step.who), targets, step.note, step.when is When.ALWAYS)


def _for(step: Step, in_hours: bool) -> bool:
    return step.when is When.ALWAYS or (step.when is When.IN_HOURS) == in_hours


def function_sheet(document: PlanDocument, function: CriticalFunction, day: Resolver, night: Resolver) -> FunctionSheet:
    procedures = _procedures_for(document, function)
    response = [p for p in procedures if p.phase is ProcedurePhase.RESPONSE]
    names = sections.names(document)
    suppliers = _suppliers_for(document, function)
    return FunctionSheet(
        id=function.id,
        name=function.name,
        description=function.description,
        owner=names.get(function.owner) if function.owner else None,
        deputy=names.get(function.deputy) if function.deputy else None,
        procedures=tuple(
            PaperProcedure(
                p.id,
                p.title,
                tuple(ConfirmCheck(c.check, _OUTCOMES[c.if_not.value], c.advice) for c in p.confirm),
                tuple(_step(s, day) for s in p.steps if _for(s, True)),
                tuple(_step(s, night) for s in p.steps if _for(s, False)),
            )
            for p in response
        ),
        suppliers_in_hours=tuple(c for key in suppliers if (c := day.callee(key))),
        suppliers_out_of_hours=tuple(c for key in suppliers if (c := night.callee(key))),
        duration_rules=tuple(
            (str(r.after), r.action, names.get(r.owner, r.owner) if r.owner else None) for r in function.duration_rules
        ),
        later=tuple(p.title for p in procedures if p.phase is not ProcedurePhase.RESPONSE),
    )


def _contact_keys(document: PlanDocument, functions: list[CriticalFunction], resolve: Resolver) -> list[str]:
    """Whom a site rings, most needed first: who does the steps and whom they call, the functions' owners
    and deputies, their suppliers' helpdesks, then the escalation levels. Lists to inform are left out
    (they are long, and in the directory)."""
    keys: list[str] = []

    def add(key: str | None) -> None:
        if key and key not in keys and resolve.kind(key) in ("person", "role", "supplier"):
            keys.append(key)

    for function in functions:
        for procedure in _procedures_for(document, function):
            if procedure.phase is not ProcedurePhase.RESPONSE:
                continue
            for step in procedure.steps:
                add(step.who)
                if step.kind is StepKind.CALL:
                    for target in step.targets:
                        for callee in resolve.callees(target):
                            add(callee.key)
    for function in functions:
        add(function.owner)
        add(function.deputy)
        for key in _suppliers_for(document, function):
            add(key)
    for level in sorted(document.escalation, key=lambda e: e.level):
        for key in level.who:
            for callee in resolve.callees(key):
                add(callee.key)
    return keys


def contact_sheets(document: PlanDocument, day: Resolver, night: Resolver) -> tuple[ContactSheet, ...]:
    """A sheet for each site where a function is carried out; one for the whole plan when none says where."""
    placed = [(site, [f for f in document.functions if site.id in f.locations]) for site in document.sites]
    chosen = [(site.id, site.name, site.address, functions) for site, functions in placed if functions]
    if not chosen:
        chosen = [("all-sites", document.organisation.name, None, list(document.functions))]
    sheets = []
    for key, name, address, functions in chosen:
        rows = []
        for callee_key in _contact_keys(document, functions, day):
            by_day, by_night = day.callee(callee_key), night.callee(callee_key)
            if by_day is None or by_night is None:
                continue
            rows.append(SheetRow(by_day.name, by_day.detail, by_day.numbers, by_night.numbers, by_day.note))
        sheets.append(
            ContactSheet(
                key,
                name,
                address,
                tuple(f.name for f in functions),
                tuple(rows[:SHEET_ROWS]),
                max(0, len(rows) - SHEET_ROWS),
            )
        )
    return tuple(sheets)


def plan_content(document: PlanDocument) -> PlanContent:
    """Everything a pack of this plan shows."""
    day, night = PaperResolver(document, True), PaperResolver(document, False)
    escalation = tuple(
        EscalationPaper(
            e.level,
            e.name,
            e.when,
            tuple(e.responsibilities),
            tuple(c for key in e.who for c in day.callees(key)),
            tuple(c for key in e.who for c in night.callees(key)),
            e.invokes_plan,
        )
        for e in sorted(document.escalation, key=lambda e: e.level)
    )
    return PlanContent(
        document=document,
        content_hash=content_hash(document),
        working_hours=str(document.organisation.working_hours),
        functions=tuple(function_sheet(document, f, day, night) for f in document.functions),
        escalation=escalation,
        triggers=tuple(sections.trigger_views(document)),
        directory=sections.directory(document),
        sheets=contact_sheets(document, day, night),
    )
