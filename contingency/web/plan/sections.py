"""What the plan page shows, worked out from a PlanDocument: pure functions, no database, no request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from contingency.lib.durations import Duration
from contingency.lib.phones import tel_href
from contingency.plans import matrix as m
from contingency.plans.graph import BadReference, Graph, Impact, Layout, Ref, affected_by, build_graph, describe, layout
from contingency.plans.lint import Finding, Severity
from contingency.plans.problems import format_path
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import Phone
from contingency.plans.spec.plan import Procedure, ProcedurePhase, Risk, Step, TriggerKind, TriggerPoint, When
from contingency.plans.spec.written import duration_of


def names(plan: PlanDocument) -> dict[str, str]:
    """Every id of the plan -> the name a reader knows it by."""
    parts: list[tuple[str, str]] = []
    for group in (plan.sites, plan.people, plan.roles, plan.lists, plan.suppliers, plan.systems, plan.functions):
        parts += [(p.id, p.name) for p in group]
    parts += [(r.id, r.title) for r in plan.risks] + [(p.id, p.title) for p in plan.procedures]
    parts += [(t.id, t.name) for t in plan.triggers]
    return dict(parts)


# ---------------------------------------------------------------- document control


@dataclass(frozen=True)
class Holder:
    copy_number: int
    name: str
    location: str | None
    acknowledged_issue: int | None
    acknowledged_on: date | None
    out_of_date: bool


def holders(plan: PlanDocument) -> list[Holder]:
    """Copy holders; a holder who has not acknowledged the current issue has an out-of-date copy."""
    who = names(plan)
    current = plan.document.issue
    return [
        Holder(
            h.copy_number,
            who.get(h.holder, h.holder),
            h.location,
            h.acknowledged_issue,
            h.acknowledged_on,
            current is not None and (h.acknowledged_issue is None or h.acknowledged_issue < current),
        )
        for h in plan.document.holders
    ]


# ---------------------------------------------------------------- risks


@dataclass(frozen=True)
class Cell:
    likelihood: int
    consequence: int
    score: int
    band: str
    rank: int  # the band's place from lowest, for its colour
    risks: tuple[tuple[str, str], ...]  # (id, title)


@dataclass(frozen=True)
class RiskRow:
    id: str
    title: str
    likelihood: int | str  # a score, or the plan's words ("medium") or "" when not given
    likelihood_label: str
    consequence: int | str
    consequence_label: str
    score: int | str  # "" when the risk is not scored in numbers
    band: str
    rank: int | str
    stated: tuple[tuple[str, str, str], ...]  # (what, stated word, derived word) where they differ
    summary: str | None


@dataclass(frozen=True)
class HeatMap:
    rows: tuple[tuple[tuple[int, str], tuple[Cell, ...]], ...]  # likelihood 5..1 with its label, and its cells
    consequences: tuple[tuple[int, str], ...]  # 1..5 with labels
    risks: tuple[RiskRow, ...]


def heat_map(plan: PlanDocument) -> HeatMap:
    matrix = m.of(plan)
    ranks = {b.label: i for i, b in enumerate(sorted(matrix.bands, key=lambda b: b.min))}
    by_cell: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for risk in plan.risks:
        if isinstance(risk.likelihood, int) and isinstance(risk.consequence, int):
            by_cell.setdefault((risk.likelihood, risk.consequence), []).append((risk.id, risk.title))
    rows = []
    for lk in range(5, 0, -1):
        cells = []
        for cq in range(1, 6):
            band = m.band(matrix, m.score(lk, cq))
            cells.append(Cell(lk, cq, lk * cq, band, ranks[band], tuple(by_cell.get((lk, cq), []))))
        rows.append(((lk, m.likelihood_label(matrix, lk)), tuple(cells)))
    risks = []
    for risk in plan.risks:
        if not isinstance(risk.likelihood, int) or not isinstance(risk.consequence, int):
            risks.append(_unscored(risk))
            continue
        value = m.score(risk.likelihood, risk.consequence)
        band = m.band(matrix, value)
        derived = {
            "likelihood": m.likelihood_label(matrix, risk.likelihood),
            "consequence": m.consequence_label(matrix, risk.consequence),
            "rating": band,
        }
        stated = tuple(
            (what, word, derived[what])
            for what in ("likelihood", "consequence", "rating")
            if (word := getattr(risk.stated, what, None) if risk.stated else None)
            and m.normalise_word(word) != m.normalise_word(derived[what])
        )
        summary = risk.response.summary if risk.response else None
        risks.append(
            RiskRow(
                risk.id,
                risk.title,
                risk.likelihood,
                derived["likelihood"],
                risk.consequence,
                derived["consequence"],
                value,
                band,
                ranks[band],
                stated,
                summary,
            )
        )
    consequences = tuple((cq, m.consequence_label(matrix, cq)) for cq in range(1, 6))
    return HeatMap(tuple(rows), consequences, tuple(risks))


def _unscored(risk: Risk) -> RiskRow:
    """A risk the plan rated in words, or not at all: shown as written, off the heat map."""

    def shown(value: int | str | None) -> tuple[int | str, str]:
        if value is None:
            return "", "not given"
        return (value, "") if isinstance(value, int) else ("", f"“{value}” (as written)")

    likelihood, consequence = shown(risk.likelihood), shown(risk.consequence)
    summary = risk.response.summary if risk.response else None
    return RiskRow(risk.id, risk.title, *likelihood, *consequence, "", "not scored", "none", (), summary)


# ---------------------------------------------------------------- procedures


@dataclass(frozen=True)
class ProcedureView:
    procedure: Procedure
    in_hours: tuple[StepView, ...]
    out_of_hours: tuple[StepView, ...]
    used_by: tuple[str, ...]  # function names


@dataclass
class FunctionProcedures:
    id: str
    name: str
    response: list[ProcedureView] = field(default_factory=list)
    restoration: list[ProcedureView] = field(default_factory=list)
    also: list[tuple[str, str]] = field(default_factory=list)  # (procedure id, title) shown under another function


def split_steps(procedure: Procedure) -> tuple[tuple[Step, ...], tuple[Step, ...]]:
    """Steps for in hours and for out of hours; a step for `always` is in both."""
    in_hours = tuple(s for s in procedure.steps if s.when in (When.ALWAYS, When.IN_HOURS))
    out_of_hours = tuple(s for s in procedure.steps if s.when in (When.ALWAYS, When.OUT_OF_HOURS))
    return in_hours, out_of_hours


def procedures_by_function(plan: PlanDocument) -> list[FunctionProcedures]:
    """Each procedure shown once, under the first function that uses it; later functions link to it.

    Procedures no function lists go under a last group, "Other procedures".
    """
    by_id = {p.id: p for p in plan.procedures}
    users: dict[str, list[str]] = {}
    for function in plan.functions:
        for key in function.procedures:
            users.setdefault(key, []).append(function.name)
    shown: set[str] = set()
    groups: list[FunctionProcedures] = []

    def place(group: FunctionProcedures, procedure: Procedure) -> None:
        if procedure.id in shown:
            group.also.append((procedure.id, procedure.title))
            return
        shown.add(procedure.id)
        in_hours, out_of_hours = split_steps(procedure)
        used_by = tuple(users.get(procedure.id, ()))
        view = ProcedureView(procedure, step_views(plan, in_hours), step_views(plan, out_of_hours), used_by)
        (group.restoration if procedure.phase is ProcedurePhase.RESTORATION else group.response).append(view)

    for function in plan.functions:
        group = FunctionProcedures(function.id, function.name)
        for key in function.procedures:
            if key in by_id:
                place(group, by_id[key])
        groups.append(group)
    rest = FunctionProcedures("", "Other procedures")
    for procedure in plan.procedures:
        if procedure.id not in shown:
            place(rest, procedure)
    if rest.response or rest.restoration:
        groups.append(rest)
    return groups


# ---------------------------------------------------------------- trigger points


@dataclass(frozen=True)
class TimelineEntry:
    marker: str  # "At invocation", "After 5 days", "Every 1 day", "On restoration"
    detail: str  # "from 4h until 5 days" for recurring ones
    trigger: TriggerPoint


def timeline(plan: PlanDocument) -> list[TimelineEntry]:
    """Trigger points in the order they happen: invocation, then by time, restoration last."""

    def key(t: TriggerPoint) -> tuple[int, timedelta]:
        if t.kind is TriggerKind.AT_INVOCATION:
            return (0, timedelta(0))
        if t.kind is TriggerKind.ON_RESTORATION:
            return (2, timedelta(0))
        if t.kind is TriggerKind.AFTER:  # an 'after' in words ("if prolonged") comes last
            after = duration_of(t.after)
            return (1, after.shortest if after else timedelta.max)
        return (1, t.start.shortest if t.start else timedelta(0))

    entries = []
    for t in sorted(plan.triggers, key=key):
        if t.kind is TriggerKind.AT_INVOCATION:
            marker, detail = "At invocation", ""
        elif t.kind is TriggerKind.ON_RESTORATION:
            marker, detail = "On restoration", ""
        elif t.kind is TriggerKind.AFTER:
            marker = f"After {t.after}"
            detail = "unless service is restored first" if t.unless_restored else ""
        else:
            marker = f"Every {t.every}" if isinstance(t.every, Duration) else f"Repeated {t.every or 'as agreed'}"
            bits = ([f"from {t.start}"] if t.start else []) + ([f"until {t.until}"] if t.until else [])
            detail = " ".join(bits)
        entries.append(TimelineEntry(marker, detail, t))
    return entries


# ---------------------------------------------------------------- contacts


@dataclass(frozen=True)
class PhoneLink:
    label: str  # "mobile", "extension (in hours)"
    number: str
    href: str


def phone_links(phones: list[Phone]) -> list[PhoneLink]:
    links = []
    for phone in phones:
        label = phone.kind.value + ("" if phone.when.value == "always" else f" ({phone.when.value.replace('-', ' ')})")
        links.append(PhoneLink(label, phone.number, tel_href(phone.number)))
    return links


# ---------------------------------------------------------------- lint


@dataclass(frozen=True)
class FindingRow:
    rule: str
    message: str
    path: str
    link: str | None = None  # the edit form and field the finding is about


def lint_groups(
    findings: Sequence[Finding], link: Callable[[Finding], str | None] = lambda finding: None
) -> list[tuple[str, list[FindingRow]]]:
    """Lint findings by severity (errors first), each with its link to the form that fixes it, if any."""
    return [
        (
            severity.value,
            [FindingRow(f.rule, f.message, format_path(f.path), link(f)) for f in findings if f.severity is severity],
        )
        for severity in Severity
        if any(f.severity is severity for f in findings)
    ]


# ---------------------------------------------------------------- dependencies


@dataclass(frozen=True)
class Failure:
    """What the diagram shows for `?fail=`: the failed part and what fails with it, or why it cannot."""

    ref: Ref | None = None
    impacts: tuple[tuple[Impact, str], ...] = ()  # with the chain in words
    error: str = ""
    highlighted: frozenset[Ref] = frozenset()
    highlighted_edges: frozenset[tuple[Ref, Ref]] = frozenset()


@dataclass(frozen=True)
class DrawnNode:
    ref: Ref
    name: str
    x: float
    y: float
    width: float
    height: float
    label: tuple[float, float]  # where the kind line goes
    lines: tuple[tuple[str, float, float], ...]  # (text, x, y) of the name
    state: str  # "failed", "hit" or ""


@dataclass(frozen=True)
class DrawnEdge:
    path: str
    hit: bool
    redundant: bool


@dataclass(frozen=True)
class Dependencies:
    graph: Graph
    layout: Layout
    failure: Failure

    @property
    def failed_name(self) -> str:
        return self.graph.name(self.failure.ref) if self.failure.ref else ""

    @property
    def nodes(self) -> list[DrawnNode]:
        drawn = []
        for ref, placed in self.layout.nodes.items():
            box = placed.box
            state = "failed" if ref == self.failure.ref else ("hit" if ref in self.failure.highlighted else "")
            lines = tuple((line, box.x + 8, box.y + 32 + 15 * i) for i, line in enumerate(placed.lines))
            drawn.append(
                DrawnNode(
                    ref, placed.node.name, box.x, box.y, box.width, box.height, (box.x + 8, box.y + 15), lines, state
                )
            )
        return drawn

    @property
    def edges(self) -> list[DrawnEdge]:
        hits = self.failure.highlighted_edges
        return [
            DrawnEdge(self.layout.paths[(e.source, e.target)], (e.source, e.target) in hits, e.redundant)
            for e in self.graph.edges
        ]


def dependencies(plan: PlanDocument, fail: str | None) -> Dependencies:
    graph = build_graph(plan)
    failure = Failure()
    if fail:
        try:
            ref = graph.find(fail)
        except BadReference as exc:
            failure = Failure(error=f"Cannot show what fails: {exc}.")
        else:
            impacts = affected_by(graph, ref)
            nodes = {r for impact in impacts for r in impact.path} | {ref}
            edges = {(e.source, e.target) for impact in impacts for e in impact.chain}
            described = tuple((impact, describe(graph, impact)) for impact in impacts)
            failure = Failure(ref, described, "", frozenset(nodes), frozenset(edges))
    return Dependencies(graph, layout(graph), failure)


# ---------------------------------------------------------------- names resolved for the template


@dataclass(frozen=True)
class StepView:
    text: str
    kind: str
    who: str | None
    targets: tuple[str, ...]
    note: str | None
    always: bool


def step_views(plan: PlanDocument, steps: tuple[Step, ...]) -> tuple[StepView, ...]:
    who = names(plan)
    return tuple(
        StepView(
            s.text,
            s.kind.value,
            who.get(s.who, s.who) if s.who else None,
            tuple(who.get(t, t) for t in s.targets),
            s.note,
            s.when is When.ALWAYS,
        )
        for s in steps
    )


@dataclass(frozen=True)
class FunctionRow:
    id: str
    name: str
    owner: str | None
    deputy: str | None
    rto: tuple[tuple[str, str], ...]  # (scenario, duration)
    rpo: str | None
    mtpd: str | None
    impact: tuple[tuple[str, str, str | None], ...]  # (after, level, description)


def function_rows(plan: PlanDocument) -> list[FunctionRow]:
    who = names(plan)
    return [
        FunctionRow(
            f.id,
            f.name,
            who.get(f.owner, f.owner) if f.owner else None,  # a name as written is shown as written
            who.get(f.deputy, f.deputy) if f.deputy else None,
            tuple((r.scenario, str(r.duration)) for r in f.rto),
            str(f.rpo) if f.rpo else None,
            str(f.mtpd) if f.mtpd else None,
            tuple((str(i.after), i.level.value, i.description) for i in f.impact),
        )
        for f in plan.functions
    ]


@dataclass(frozen=True)
class RecordKindRow:
    id: str
    name: str
    functions: tuple[str, ...]  # the functions that keep it
    system: str
    fields: tuple[str, ...]  # "NHS number (required)"
    rule: str  # "10% a day, at least 2; 100% after a failed check"


def record_kind_rows(plan: PlanDocument) -> list[RecordKindRow]:
    """The records kept by hand during downtime, for the plan page and its print."""
    who = names(plan)
    rows = []
    for kind in plan.record_kinds:
        keeps = tuple(f.name for f in plan.functions if f.data_recovery and kind.id in f.data_recovery.records)
        rule = kind.verification
        words = f"{rule.share}% a day, at least {rule.at_least}"
        if rule.widen_to > rule.share:
            words += f"; {rule.widen_to}% after a failed check"
        fields = tuple(f"{f.shown}{' (required)' if f.required else ''}" for f in kind.fields)
        rows.append(RecordKindRow(kind.id, kind.name, keeps, who.get(kind.system, kind.system), fields, words))
    return rows


@dataclass(frozen=True)
class ContactView:
    person: str | None
    phones: list[PhoneLink]
    email: str | None
    note: str | None


@dataclass(frozen=True)
class Directory:
    people: list[tuple[str, str, list[PhoneLink], str | None]]  # name, job and employer, phones, email
    roles: list[tuple[str, str, tuple[str, ...], ContactView | None, ContactView | None]]
    lists: list[tuple[str, tuple[str, ...]]]
    suppliers: list[tuple[str, str, tuple[str, ...], ContactView | None, str | None, str | None, tuple[str, ...]]]


def directory(plan: PlanDocument) -> Directory:
    who = names(plan)

    def contact(c: object) -> ContactView | None:
        if c is None:
            return None
        person = getattr(c, "person", None)
        return ContactView(
            who.get(person) if person else None,
            phone_links(getattr(c, "phones", [])),
            getattr(c, "email", None),
            getattr(c, "note", None),
        )

    people = [
        (p.name, ", ".join(x for x in (p.job_title, p.employer) if x), phone_links(p.phones), p.email)
        for p in plan.people
    ]
    roles = [
        (
            r.name,
            r.kind.value,
            tuple(who.get(x, x) for x in r.members),
            contact(r.in_hours),
            contact(r.out_of_hours),
        )
        for r in plan.roles
    ]
    lists = [(c.name, tuple(who.get(x, x) for x in c.members)) for c in plan.lists]
    suppliers = [
        (
            s.name,
            s.kind.value,
            tuple(s.services),
            contact(s.helpdesk),
            s.helpdesk.portal if s.helpdesk else None,
            str(s.helpdesk.hours) if s.helpdesk and s.helpdesk.hours else None,
            tuple(who.get(x, x) for x in s.contacts),
        )
        for s in plan.suppliers
    ]
    return Directory(people, roles, lists, suppliers)


@dataclass(frozen=True)
class TriggerView:
    entry: TimelineEntry
    chair: str | None
    attendees: tuple[str, ...]
    actions: tuple[tuple[str, str | None], ...]


def trigger_views(plan: PlanDocument) -> list[TriggerView]:
    who = names(plan)
    return [
        TriggerView(
            e,
            who.get(e.trigger.chair) if e.trigger.chair else None,
            tuple(who.get(a, a) for a in e.trigger.attendees),
            tuple((a.text, who.get(a.who, a.who) if a.who else None) for a in e.trigger.actions),
        )
        for e in timeline(plan)
    ]
