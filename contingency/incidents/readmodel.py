"""The read model of one incident at a moment: each affected function's clocks and its impact now.

The live page, the JSON API, the board briefing, the command line and the ranking of open incidents
all read these from here, so they cannot disagree. The clocks run until service is restored, or
until the incident is stood down without a restoration; from then on every reader sees them as
they stood at that moment (a restored function's impact does not grow, nor its time left shrink).
Pure code over the incident's rows; `state_of` takes the affected rows already read, when the
caller has them, so a list of incidents costs no query per incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .assess import elapsed_words
from .models import AffectedFunction, Incident, State
from .urgency import FunctionClock, IncidentClock, impact_now


@dataclass(frozen=True)
class FunctionState:
    """One affected function's clocks, read at the incident's moment (`IncidentState.at`)."""

    affected: AffectedFunction
    clock: FunctionClock
    rto_left: timedelta | None  # negative once past
    mtpd_left: timedelta | None
    impact_now: str  # the worst impact level reached, "" if the plan states none yet

    @property
    def key(self) -> str:
        return self.affected.key

    @property
    def name(self) -> str:
        return self.affected.name

    @property
    def degraded(self) -> bool:
        return self.affected.degraded

    @property
    def rto_due_at(self) -> datetime | None:
        return self.affected.rto_due_at

    @property
    def mtpd_due_at(self) -> datetime | None:
        return self.affected.mtpd_due_at

    @property
    def rto_over(self) -> bool:
        return self.rto_left is not None and self.rto_left <= timedelta(0)

    @property
    def mtpd_over(self) -> bool:
        return self.mtpd_left is not None and self.mtpd_left <= timedelta(0)

    @property
    def rto_words(self) -> str:
        """ "3 hours 20 minutes" (left), or how long past it; "" without an RTO."""
        return elapsed_words(self.rto_left) if self.rto_left is not None else ""

    @property
    def mtpd_words(self) -> str:
        return elapsed_words(self.mtpd_left) if self.mtpd_left is not None else ""


@dataclass(frozen=True)
class IncidentState:
    incident: Incident
    now: datetime
    stopped_at: datetime | None  # restoration, or the stand-down of an incident never restored
    functions: tuple[FunctionState, ...]

    @property
    def at(self) -> datetime:
        """The moment the clocks are read at: now, or when they stopped."""
        return self.stopped_at or self.now

    @property
    def downtime(self) -> timedelta:
        """From the loss of service to now, or to when the clocks stopped."""
        return self.at - self.incident.began_at

    @property
    def downtime_words(self) -> str:
        return elapsed_words(self.downtime)

    @property
    def stopped(self) -> bool:
        return self.stopped_at is not None

    def clock(self) -> IncidentClock:
        """What the ranking of open incidents needs (urgency.rank)."""
        return IncidentClock(
            id=self.incident.pk,
            invoked=self.incident.invoked_at is not None,
            severity=self.incident.severity,
            functions=[f.clock for f in self.functions],
            stopped_at=self.stopped_at,
        )


def stopped_at(incident: Incident) -> datetime | None:
    """When the incident's clocks stopped: at restoration, or at a stand-down without one."""
    if incident.restored_at is not None:
        return incident.restored_at
    if incident.state == State.STOOD_DOWN:
        return incident.stood_down_at
    return None


def function_clock(affected: AffectedFunction) -> FunctionClock:
    impact = [(datetime.fromisoformat(i["at"]), i["level"]) for i in affected.impact]
    return FunctionClock(
        affected.key, affected.name, affected.degraded, affected.mtpd_due_at, affected.rto_due_at, impact
    )


def state_of(incident: Incident, now: datetime, affected: Iterable[AffectedFunction] | None = None) -> IncidentState:
    """The incident's clocks at `now` (or where they stopped); `affected` if already read, in order."""
    rows = list(affected) if affected is not None else list(incident.affected.order_by("position"))
    stop = stopped_at(incident)
    at = stop or now
    functions = []
    for row in rows:
        clock = function_clock(row)
        functions.append(
            FunctionState(
                affected=row,
                clock=clock,
                rto_left=(row.rto_due_at - at) if row.rto_due_at else None,
                mtpd_left=(row.mtpd_due_at - at) if row.mtpd_due_at else None,
                impact_now=impact_now(clock, at),
            )
        )
    return IncidentState(incident, now, stop, tuple(functions))
