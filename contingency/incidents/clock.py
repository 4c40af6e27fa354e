"""Scenario time: the clock an exercise runs by. A real incident runs by the real clock, untouched.

An exercise's incident carries `clock_shift`, its scenario time minus the real time: the distance of its
"as if" moment from the start, plus whatever the facilitator has advanced (exercises.services.advance_clock).
Its timed actions are still rows due at a real time (the worker is the same for both), written as
scenario time minus the shift; advancing the clock brings its pending rows forward by the same amount.
"""

from __future__ import annotations

from datetime import datetime

from .models import Incident


def is_scenario(incident: Incident) -> bool:
    """True for an exercise's incident that runs by scenario time."""
    return incident.clock_shift is not None


def scenario(incident: Incident, real: datetime) -> datetime:
    """The scenario time at real time `real` (itself, for a real incident)."""
    return real if incident.clock_shift is None else real + incident.clock_shift


def real(incident: Incident, scenario_time: datetime) -> datetime:
    """The real time at which the scenario reaches `scenario_time` (itself, for a real incident)."""
    return scenario_time if incident.clock_shift is None else scenario_time - incident.clock_shift


def invoked(incident: Incident) -> datetime:
    """The moment the schedule runs from: the invocation, in scenario time for an exercise."""
    assert incident.invoked_at is not None
    if incident.clock_shift is None:
        return incident.invoked_at
    return incident.as_if or incident.invoked_at
