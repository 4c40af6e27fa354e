"""How far an incident's downtime records have got: counts per function and kind, worklists, the report.

Read-only. One aggregate query per incident for the counts; the incident page, hand-over, board
briefing, review and stand-down all read `progress_of`. The imaging archive's reconciliation adds its
own line through `reconciliation` (registered by downtime/archive/ when it is installed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from contingency.incidents import outstanding
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import document_of

from .models import OUTSTANDING_STATES, DowntimeRecord, IdRange, RecordState


@dataclass
class KindProgress:
    function_key: str
    function_name: str
    kind_key: str
    kind_name: str
    counts: dict[str, int] = field(default_factory=dict)  # by state
    sampled: int = 0
    sampled_unchecked: int = 0  # drawn for a spot check, not yet checked

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def to_reenter(self) -> int:
        return self.counts.get(RecordState.RECORDED, 0)

    @property
    def reentered(self) -> int:
        return self.total - self.to_reenter

    @property
    def outstanding(self) -> int:
        return sum(self.counts.get(state, 0) for state in OUTSTANDING_STATES) + self.sampled_unchecked

    def line(self) -> str:
        c = self.counts
        parts = [f"{self.total} recorded", f"{self.total - self.to_reenter} re-entered"]
        parts.append(f"{c.get(RecordState.VERIFIED, 0)} verified of {self.sampled} sampled")
        if self.sampled_unchecked:
            parts.append(f"{self.sampled_unchecked} check(s) due")
        if c.get(RecordState.DISCREPANCY, 0):
            parts.append(f"{c[RecordState.DISCREPANCY]} discrepancy(ies) open")
        if c.get(RecordState.RESOLVED, 0):
            parts.append(f"{c[RecordState.RESOLVED]} resolved")
        return f"{self.function_name} - {self.kind_name}: " + ", ".join(parts)


@dataclass(frozen=True)
class Progress:
    kinds: list[KindProgress]

    @property
    def total(self) -> int:
        return sum(k.total for k in self.kinds)

    @property
    def to_reenter(self) -> int:
        return sum(k.to_reenter for k in self.kinds)

    @property
    def checks_due(self) -> int:
        return sum(k.sampled_unchecked for k in self.kinds)

    @property
    def discrepancies(self) -> int:
        return sum(k.counts.get(RecordState.DISCREPANCY, 0) for k in self.kinds)

    @property
    def outstanding(self) -> int:
        return sum(k.outstanding for k in self.kinds)

    def summary(self) -> str:
        if not self.total:
            return "no downtime records"
        words = [f"{self.to_reenter} of {self.total} downtime record(s) still to re-enter"]
        if self.checks_due:
            words.append(f"{self.checks_due} spot check(s) due")
        if self.discrepancies:
            words.append(f"{self.discrepancies} discrepancy(ies) not yet resolved")
        return "; ".join(words)


def progress_of(incident: Incident) -> Progress:
    """Counts per function and kind, every kind the incident keeps listed even with no records yet."""
    from .services import kinds_of

    rows = (
        DowntimeRecord.objects.filter(incident=incident)
        .values("function_key", "kind_key", "state")
        .annotate(
            n=Count("id"),
            sampled=Count("id", filter=Q(sampled_in__isnull=False)),
            waiting=Count("id", filter=Q(sampled_in__isnull=False, state=RecordState.REENTERED)),
        )
    )
    found: dict[tuple[str, str], KindProgress] = {}
    for offered in kinds_of(incident):
        key = (offered.function_key, offered.kind.id)
        found[key] = KindProgress(offered.function_key, offered.function_name, offered.kind.id, offered.kind.name)
    if rows:
        names = _names(incident)
        for row in rows:
            key = (row["function_key"], row["kind_key"])
            if key not in found:
                fn, kind = (
                    names.get(row["function_key"], row["function_key"]),
                    names.get(row["kind_key"], row["kind_key"]),
                )
                found[key] = KindProgress(row["function_key"], fn, row["kind_key"], kind)
            progress = found[key]
            progress.counts[row["state"]] = progress.counts.get(row["state"], 0) + row["n"]
            progress.sampled += row["sampled"]
            progress.sampled_unchecked += row["waiting"]
    return Progress(list(found.values()))


def _names(incident: Incident) -> dict[str, str]:
    document = document_of(incident)
    return {**{f.id: f.name for f in document.functions}, **{k.id: k.name for k in document.record_kinds}}


# ---------------------------------------------------------------- worklists


def worklist(
    incident: Incident, *, recorded_by: int | None = None, department: str | None = None
) -> QuerySet[DowntimeRecord]:
    """What is left to re-enter, oldest first: everyone's, one person's (who recorded it), or one department's."""
    found = DowntimeRecord.objects.filter(incident=incident, state=RecordState.RECORDED)
    if recorded_by is not None:
        found = found.filter(recorded_by_id=recorded_by)
    if department is not None:
        found = found.filter(department_key=department)
    return found.order_by("occurred_at", "number")


def checks_due(incident: Incident) -> QuerySet[DowntimeRecord]:
    """Re-entered records drawn for a spot check and not yet checked."""
    return DowntimeRecord.objects.filter(
        incident=incident, state=RecordState.REENTERED, sampled_in__isnull=False
    ).order_by("kind_key", "day", "number")


def by_department(incident: Incident) -> list[tuple[str, int]]:
    """(department key or "", records left to re-enter) for the department worklists."""
    rows = worklist(incident).values("department_key").annotate(n=Count("id")).order_by("department_key")
    return [(row["department_key"], row["n"]) for row in rows]


# ---------------------------------------------------------------- the incident's view of it

# The archive reconciliation (downtime/archive/) sets this to add its own outstanding count and summary.
reconciliation: Callable[[Incident, datetime], outstanding.Outstanding | None] | None = None


def _outstanding(incident: Incident, now: datetime) -> outstanding.Outstanding | None:
    if not DowntimeRecord.objects.filter(incident=incident).exists():
        return None
    progress = progress_of(incident)
    return outstanding.Outstanding(
        "Downtime records",
        progress.outstanding,
        progress.summary(),
        tuple(k.line() for k in progress.kinds if k.total),
    )


def _reconciliation(incident: Incident, now: datetime) -> outstanding.Outstanding | None:
    return reconciliation(incident, now) if reconciliation is not None else None


def connect() -> None:
    outstanding.register("downtime", _outstanding)
    outstanding.register("downtime-archive", _reconciliation)


def ids_used(id_range: IdRange) -> int:
    """How many IDs of a range records have used."""
    width = len(id_range.prefix) + id_range.digits + 1
    codes = DowntimeRecord.objects.filter(
        organisation_id=id_range.organisation_id, downtime_id__startswith=id_range.prefix
    ).values_list("downtime_id", flat=True)
    return sum(
        1
        for code in codes
        if len(code) == width
        and code[len(id_range.prefix) : -1].isdigit()
        and id_range.first <= int(code[len(id_range.prefix) : -1]) <= id_range.last
    )
