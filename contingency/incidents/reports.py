"""What an incident looks like at a moment: the hand-over report and the daily briefing draft.

Read-only: built from the incident's rows into plain data, so pages, print, the API and the
hand-over record all show the same thing. Times are on the organisation's wall clock.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from . import readmodel
from .assess import elapsed_words
from .deadlines import deadline_words
from .models import DueAction, DueState, EventKind, Handover, Incident, Task, TaskState
from .outstanding import outstanding
from .snapshot import calendar_of, document_of


@dataclass(frozen=True)
class TaskLine:
    id: int
    text: str
    who: str
    state: str
    due: str | None
    overdue: bool
    assignee: str | None


@dataclass(frozen=True)
class Reach:
    task: str
    told: tuple[str, ...]
    not_told: tuple[str, ...]


@dataclass(frozen=True)
class HandoverReport:
    incident: int
    title: str
    state: str
    at: str
    since: str | None  # the last hand-over, if any
    downtime: str
    open_tasks: tuple[TaskLine, ...]
    overdue_tasks: tuple[TaskLine, ...]
    reach: tuple[Reach, ...]
    next_triggers: tuple[tuple[str, str], ...]  # (when, what)
    decisions: tuple[tuple[str, str, str], ...]  # (when, who, text) since the last hand-over
    updates: tuple[tuple[str, str, str], ...]
    work: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (title, summary, lines): e.g. downtime records

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Objective:
    """One lost function's actual downtime against its RTO and MTPD."""

    name: str
    downtime: str
    rto: str
    rto_met: bool | None  # None: no RTO stated
    rto_by: str  # how far within or beyond, in words
    mtpd: str
    mtpd_met: bool | None
    mtpd_by: str


def objectives(incident: Incident, now: datetime) -> list[Objective]:
    """Downtime (to restoration, or to `now` while still down) against each function's objectives."""
    end = incident.restored_at or now
    found = []
    for a in incident.affected.all():
        rto_left = (a.rto_due_at - end) if a.rto_due_at else None
        mtpd_left = (a.mtpd_due_at - end) if a.mtpd_due_at else None
        found.append(
            Objective(
                name=a.name,
                downtime=elapsed_words(end - incident.began_at),
                rto=a.rto,
                rto_met=None if rto_left is None else rto_left.total_seconds() >= 0,
                rto_by="" if rto_left is None else elapsed_words(abs(rto_left)),
                mtpd=a.mtpd,
                mtpd_met=None if mtpd_left is None else mtpd_left.total_seconds() >= 0,
                mtpd_by="" if mtpd_left is None else elapsed_words(abs(mtpd_left)),
            )
        )
    return found


def objectives_text(items: list[Objective]) -> str:
    """ "Image sharing: RTO 4h missed by 5 days 13 hours; MTPD 5 days exceeded by 17 hours." per function."""
    parts = []
    for o in items:
        words = []
        if o.rto_met is not None:
            words.append(
                f"RTO {o.rto} {'met with' if o.rto_met else 'missed by'} {o.rto_by}{' to spare' if o.rto_met else ''}"
            )
        if o.mtpd_met is not None:
            words.append(
                f"MTPD {o.mtpd} {'not reached, ' + o.mtpd_by + ' to spare' if o.mtpd_met else 'exceeded by ' + o.mtpd_by}"
            )
        if words:
            parts.append(f"{o.name}: {'; '.join(words)}.")
    return " ".join(parts)


def _clock(incident: Incident, at: datetime | None) -> str | None:
    if at is None:
        return None
    local = calendar_of(incident).local(at)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _line(incident: Incident, task: Task, now: datetime) -> TaskLine:
    return TaskLine(
        task.pk,
        task.text,
        task.who_name,
        task.get_state_display(),
        _clock(incident, task.due_at),
        task.is_overdue(now),
        (task.assignee.get_full_name() or task.assignee.get_username()) if task.assignee else None,
    )


def handover_report(incident: Incident, now: datetime) -> HandoverReport:
    last = Handover.objects.filter(incident=incident, at__lte=now).order_by("-at", "-id").first()
    since = last.at if last else incident.reported_at
    tasks = list(
        Task.objects.filter(incident=incident, created_at__lte=now)
        .select_related("assignee")
        .prefetch_related("targets")
        .order_by("position")
    )
    open_tasks = [t for t in tasks if t.state in (TaskState.OPEN, TaskState.STARTED)]
    reach = tuple(
        Reach(
            t.text,
            tuple(f"{x.name} ({_clock(incident, x.told_at)}, {x.told_by_name})" for x in t.targets.all() if x.told_at),
            tuple(x.name for x in t.targets.all() if not x.told_at),
        )
        for t in tasks
        if t.state != TaskState.REROUTED and t.targets.all()
    )
    due = DueAction.objects.filter(incident=incident, state=DueState.PENDING, kind__in=("trigger", "duration"))
    events = incident.timeline.filter(at__gt=since, at__lte=now)
    return HandoverReport(
        incident=incident.number,
        title=incident.title,
        state=incident.get_state_display(),
        at=_clock(incident, now) or "",
        since=_clock(incident, last.at) if last else None,
        downtime=elapsed_words((incident.restored_at or now) - incident.began_at),
        open_tasks=tuple(_line(incident, t, now) for t in open_tasks),
        overdue_tasks=tuple(_line(incident, t, now) for t in open_tasks if t.is_overdue(now)),
        reach=reach,
        next_triggers=tuple((_clock(incident, d.due_at) or "", d.name) for d in due.order_by("due_at")[:5]),
        decisions=tuple(
            (_clock(incident, e.at) or "", e.actor_name, e.text) for e in events.filter(kind=EventKind.DECISION)
        ),
        updates=tuple((_clock(incident, e.at) or "", e.audience, e.text) for e in events.filter(kind=EventKind.UPDATE)),
        work=tuple((w.title, w.summary, w.lines) for w in outstanding(incident, now)),
    )


def supplier_words(incident: Incident) -> str:
    """ "ticket INC-4471; estimated fix: Thursday 14:00." - or what is not known yet."""
    ticket = f"ticket {incident.supplier_ticket}" if incident.supplier_ticket else "no ticket reference recorded"
    fix = f"estimated fix: {incident.supplier_fix}" if incident.supplier_fix else "no estimated fix given yet"
    return f"{ticket}; {fix}."


def workaround(incident: Incident) -> str:
    """The procedures the incident is working to now, for the time of day; after restoration, none."""
    document = document_of(incident)
    titles = {p.id: p for p in document.procedures}
    if incident.restored_at:
        return "none needed now: service was restored."
    response = [titles[k].title for k in incident.procedures if k in titles and titles[k].phase != "restoration"]
    if not response:
        return (incident.response or "no procedure in the plan covers this failure.").rstrip(".") + "."
    when = {"in-hours": " (in-hours steps)", "out-of-hours": " (out-of-hours steps)"}.get(incident.routing, "")
    return "; ".join(response) + when + "."


def briefing(incident: Incident, now: datetime) -> str:
    """A daily briefing draft for the board, from the incident's facts; the incident lead edits it."""
    calendar = calendar_of(incident)
    began = calendar.local(incident.began_at)
    lines = [
        f"Daily briefing: {incident.title} (incident #{incident.number})",
        f"As at {_clock(incident, now)}.",
        "",
        f"What happened: {incident.subject_name} has been unavailable since {began:%H:%M on %A} {began.day} {began:%B}"
        + (
            f" ({incident.risk_title.lower()}, severity {incident.severity}, {incident.severity_band})."
            if incident.risk_title
            else "."
        ),
    ]
    if incident.restored_at:
        lines.append(
            f"Service was restored at {_clock(incident, incident.restored_at)}, "
            f"after {elapsed_words(incident.restored_at - incident.began_at)}."
        )
    else:
        lines.append(f"Downtime so far: {elapsed_words(now - incident.began_at)}.")
    state = readmodel.state_of(incident, now)
    if state.functions:
        lines += ["", "Services affected:"]
        for f in state.functions:
            a = f.affected
            parts = [f"- {a.name}" + (" (at risk)" if a.degraded else "")]
            if f.impact_now:
                parts.append(f"impact now {f.impact_now}")
            if a.rto_due_at is not None and not incident.restored_at:
                parts.append(deadline_words(due_at=a.rto_due_at, now=now, written=a.rto, name="RTO"))
            if a.mtpd_due_at is not None and not incident.restored_at:
                parts.append(deadline_words(due_at=a.mtpd_due_at, now=now, written=a.mtpd))
            lines.append("; ".join(parts))
    lines += ["", f"Workaround in use: {workaround(incident)}"]
    lines += [f"Supplier: {supplier_words(incident)}"]
    tasks = list(incident.tasks.exclude(state=TaskState.REROUTED))
    done = [t for t in tasks if t.state == TaskState.DONE]
    lines += ["", f"Actions: {len(done)} of {len(tasks)} done, {sum(1 for t in tasks if t.is_open)} open."]
    if done:
        done.sort(key=lambda t: (t.finished_at or now, t.position))
        lines += ["Actions taken:"] + [
            f"- {_clock(incident, t.finished_at) or 'done'}: {t.text}"
            + (f" ({t.finished_by_name})" if t.finished_by_name else "")
            for t in done
        ]
    for work in outstanding(incident, now):
        lines += ["", f"{work.title}: {work.summary}"] + [f"- {line}" for line in work.lines]
    decisions = list(incident.timeline.filter(kind=EventKind.DECISION).order_by("-at")[:5])
    if decisions:
        lines += ["", "Decisions:"] + [f"- {_clock(incident, e.at)}: {e.text}" for e in reversed(decisions)]
    upcoming = list(
        DueAction.objects.filter(incident=incident, state=DueState.PENDING, kind="trigger").order_by("due_at")[:3]
    )
    if upcoming:
        lines += ["", "Next:"] + [f"- {_clock(incident, d.due_at)}: {d.name}" for d in upcoming]
    return "\n".join(lines) + "\n"
