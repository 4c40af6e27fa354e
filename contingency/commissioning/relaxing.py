"""An incident's contract KPIs: those its outage touches, and the log of relaxations asked and agreed.

Registered as an `outstanding` provider (apps.py), so the hand-over, the board briefing draft and the
review carry a "KPIs relaxed" section without the incidents app importing this one. A relaxation asked
but not yet agreed is work still owed: standing down with one open asks for a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contingency.incidents.models import Incident
from contingency.incidents.outstanding import Outstanding
from contingency.lib.calendar import WorkingCalendar, from_organisation

from . import clocks
from .models import ContractKpi, KpiRelaxation

TITLE = "KPIs relaxed"


@dataclass(frozen=True)
class IncidentKpis:
    outage: clocks.Outage | None
    affected: list[clocks.Affected[ContractKpi]]
    log: list[KpiRelaxation]
    calendar: WorkingCalendar

    @property
    def not_asked(self) -> list[clocks.Affected[ContractKpi]]:
        asked = {row.kpi_id for row in self.log}
        return [a for a in self.affected if a.kpi.pk not in asked]

    @property
    def waiting(self) -> list[KpiRelaxation]:
        return [row for row in self.log if not row.agreed]


def of_incident(incident: Incident, now: datetime) -> IncidentKpis:
    calendar = from_organisation(incident.organisation)
    outage = clocks.outage(
        invoked_at=incident.invoked_at,
        restored_at=incident.restored_at,
        stood_down_at=incident.stood_down_at,
        now=now,
    )
    kpis = list(ContractKpi.objects.filter(plan_id=incident.plan_id)) if incident.plan_id else []
    log = list(KpiRelaxation.objects.filter(incident=incident).select_related("kpi"))
    pairs = [(kpi, clocks.clock(kpi.clock_value, kpi.clock_unit)) for kpi in kpis]
    return IncidentKpis(outage, clocks.affected(pairs, outage, calendar), log, calendar)


def _when(calendar: WorkingCalendar, at: datetime) -> str:
    local = calendar.local(at)
    return f"{local:%H:%M %a} {local.day} {local:%b %Y}"


def line(row: KpiRelaxation, calendar: WorkingCalendar) -> str:
    window = f"{_when(calendar, row.relaxed_from)} to {_when(calendar, row.relaxed_to)}"
    asked = f"asked of {row.asked_of} ({row.commissioner}) {_when(calendar, row.asked_at)}"
    if row.agreed_at is not None:
        return f"{row.kpi_words}: relaxed {window}; {asked}; agreed by {row.agreed_by} {_when(calendar, row.agreed_at)}"
    return f"{row.kpi_words}: relaxation for {window} {asked}; not yet agreed"


def outstanding_relaxations(incident: Incident, now: datetime) -> Outstanding | None:
    """The "KPIs relaxed" section: every relaxation in the log, and affected KPIs not yet asked about."""
    found = of_incident(incident, now)
    if not found.log and not found.affected:
        return None
    agreed = sum(1 for row in found.log if row.agreed)
    parts = [f"{agreed} of {len(found.log)} relaxation{'s' if len(found.log) != 1 else ''} agreed"]
    if found.not_asked:
        parts.append(f"{len(found.not_asked)} affected KPI{'s' if len(found.not_asked) != 1 else ''} not asked about")
    lines = [line(row, found.calendar) for row in found.log]
    lines += [
        f"{a.kpi.what}: {a.kpi.target}, {a.kpi.clock_words} ({a.kpi.commissioner}): not asked; deadlines "
        f"from {_when(found.calendar, a.window_from)} to {_when(found.calendar, a.window_to)} may be missed"
        for a in found.not_asked
    ]
    return Outstanding(TITLE, len(found.waiting), "; ".join(parts), tuple(lines))
