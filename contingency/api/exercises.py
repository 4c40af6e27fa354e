"""Exercises over the API: the organisation's exercises and programme, one exercise, and the facilitator's actions.

The same permissions as the exercise pages: any member reads; starting, injects, the clock and finishing need
the respond permission. Every change is one of exercises.services (keyword-only, one transaction, its own audit
entry), called with `via="api"`; a refusal (ExerciseError) is answered by the API's one handler: 422 located at
the field at fault, or 409 about the exercise's state (it has finished, no injects are left to release).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.exercises import services
from contingency.exercises.models import ClockAdvance, Exercise, Inject, Kind
from contingency.lib.calendar import from_organisation
from contingency.plans.models import Plan
from contingency.plans.workflow import local_today

from . import exercise_schemas as x
from .access import organisation_for
from .auth import caller
from .incident_access import CHANGED, LARGEST, invalid
from .plans import DENIED, ORG

router = Router(by_alias=True)
EXERCISES = ORG + "/exercises"
EXERCISE = EXERCISES + "/{number}"
VIA = "api"


def exercise_for(request: HttpRequest, org: str, number: int, needs: Capability) -> Exercise:
    organisation = organisation_for(request, org, needs)
    found = (
        Exercise.objects.filter(organisation=organisation, number=number)
        .select_related("organisation", "incident", "plan__owner")
        .first()
        if 0 < number <= LARGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"There is no exercise {number} in {organisation.name}.")
    return found


def _local(organisation: Organisation, at: datetime) -> str:
    return from_organisation(organisation).local(at).isoformat()


def summary_out(exercise: Exercise) -> dict[str, Any]:
    return {
        "number": exercise.number,
        "kind": exercise.kind,
        "kind_label": Kind(exercise.kind).label,
        "plan": exercise.plan_key,
        "plan_title": exercise.plan_title,
        "incident": exercise.incident.number if exercise.incident else None,
        "as_if": exercise.as_if,
        "started_at": exercise.started_at,
        "started_by": exercise.started_by_name,
        "finished_at": exercise.finished_at,
        "running": exercise.is_running,
    }


def _inject_out(inject: Inject) -> dict[str, Any]:
    return {
        "position": inject.position,
        "title": inject.title,
        "text": inject.text,
        "minutes": inject.minutes,
        "released_at": inject.released_at,
        "scenario_at": inject.scenario_at,
    }


def _advance_out(step: ClockAdvance) -> dict[str, Any]:
    return {
        "at": step.at,
        "minutes": round(step.by.total_seconds() / 60),
        "words": step.by_words,
        "scenario_from": step.scenario_from,
        "scenario_to": step.scenario_to,
        "reason": step.reason,
        "inject": step.inject.position if step.inject else None,
        "by": step.advanced_by_name,
    }


def detail_out(exercise: Exercise) -> dict[str, Any]:
    """The exercise as its page shows it: figures, findings, injects, clock advances and scenario time."""
    organisation = exercise.organisation
    figures = services.of(exercise)
    now = services.scenario_now(exercise)
    return {
        **summary_out(exercise),
        "outcome": exercise.outcome,
        "scenario_now": now,
        "scenario_local": _local(organisation, now),
        "figures": {
            "people": figures.people,
            "acknowledged": figures.acknowledged,
            "shares": [
                {"within_minutes": s.minutes, "acknowledged": s.acknowledged, "people": s.people, "percent": s.percent}
                for s in figures.shares
            ],
            "roles": [
                {
                    "role": r.role,
                    "people": r.people,
                    "first_seconds": int(r.first.total_seconds()) if r.first is not None else None,
                }
                for r in figures.roles
            ],
            "failures": [
                {"name": f.name, "channel": f.channel, "address": f.address, "error": f.error} for f in figures.failures
            ],
        },
        "findings": [
            {"text": f.text, "owner": f.owner_name, "created_at": f.created_at} for f in exercise.findings.all()
        ],
        "injects": [_inject_out(i) for i in exercise.injects.all()],
        "clock_advances": [_advance_out(a) for a in exercise.clock_advances.select_related("inject")],
        "coming": [
            {"name": name, "scenario_at": at, "scenario_local": _local(organisation, at)}
            for name, at in services.coming(exercise)
        ],
    }


def fresh(exercise: Exercise) -> dict[str, Any]:
    found = Exercise.objects.select_related("organisation", "incident", "plan__owner").get(pk=exercise.pk)
    return detail_out(found)


# ---------------------------------------------------------------- reading


@router.get(EXERCISES, response={200: x.ExerciseList, **DENIED}, url_name="exercises")
def exercises(request: HttpRequest, org: str) -> dict[str, Any]:
    """The organisation's exercises, most recent first, and the programme: each plan's kinds, last done, next due."""
    organisation = organisation_for(request, org, Capability.VIEW)
    found = Exercise.objects.filter(organisation=organisation).select_related("incident")
    rows = services.programme_of(organisation, local_today(organisation))
    return {
        "exercises": [summary_out(e) for e in found],
        "programme": [
            {
                "plan": r.plan_key,
                "plan_title": r.plan_title,
                "kind": r.kind,
                "kind_label": r.kind_label,
                "months": r.months,
                "last": r.last,
                "due": r.due,
                "overdue": r.overdue,
            }
            for r in rows
        ],
    }


@router.get(EXERCISE, response={200: x.ExerciseDetail, **DENIED}, url_name="exercise")
def exercise(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """One exercise: its communications figures, findings, injects, clock advances and scenario time."""
    return detail_out(exercise_for(request, org, number, Capability.VIEW))


# ---------------------------------------------------------------- the facilitator's actions


@router.post(EXERCISES, response={201: x.ExerciseDetail, **CHANGED}, url_name="exercises")
def start(request: HttpRequest, org: str, body: x.StartIn) -> Status[dict[str, Any]]:
    """Start an exercise: the plan is invoked for a pretended failure, and its call trees really send messages,
    each starting EXERCISE."""
    organisation = organisation_for(request, org, Capability.RESPOND)
    plan = Plan.objects.filter(organisation=organisation, key=body.plan).first()
    if plan is None:
        raise invalid("plan", f"there is no plan {body.plan!r} in {organisation.name}", code="exercise.refused")
    started = services.start(
        plan=plan, kind=body.kind, subject=body.subject, as_if=body.as_if, actor=caller(request), via=VIA
    )
    return Status(201, fresh(started))


@router.post(EXERCISE + "/injects", response={201: x.ExerciseDetail, **CHANGED}, url_name="exercise-injects")
def add_inject(request: HttpRequest, org: str, number: int, body: x.InjectIn) -> Status[dict[str, Any]]:
    """Add a scenario update after the last inject, to be released in turn while the exercise runs."""
    found = exercise_for(request, org, number, Capability.RESPOND)
    services.add_inject(
        exercise=found, title=body.title, text=body.text, minutes=body.minutes, actor=caller(request), via=VIA
    )
    return Status(201, fresh(found))


@router.post(EXERCISE + "/injects/release", response={200: x.ExerciseDetail, **CHANGED},
             url_name="exercise-inject-release")  # fmt: skip
def release_inject(request: HttpRequest, org: str, number: int, body: x.ReleaseIn) -> dict[str, Any]:
    """Release the next inject: its text goes on the incident's timeline, marked EXERCISE (409 when none is left)."""
    found = exercise_for(request, org, number, Capability.RESPOND)
    services.release_next_inject(exercise=found, actor=caller(request), via=VIA, advance=body.advance)
    return fresh(found)


@router.post(EXERCISE + "/clock", response={200: x.ExerciseDetail, **CHANGED}, url_name="exercise-clock")
def advance_clock(request: HttpRequest, org: str, number: int, body: x.AdvanceIn) -> dict[str, Any]:
    """Move the scenario time on: what would fall due in that time falls due now, once each, in order."""
    found = exercise_for(request, org, number, Capability.RESPOND)
    services.advance_clock(exercise=found, minutes=body.minutes, reason=body.reason, actor=caller(request), via=VIA)
    return fresh(found)


@router.post(EXERCISE + "/finish", response={200: x.ExerciseDetail, **CHANGED}, url_name="exercise-finish")
def finish(request: HttpRequest, org: str, number: int, body: x.FinishIn) -> dict[str, Any]:
    """Finish the exercise: its incident stands down, the outcome is kept, each failed address becomes a finding."""
    found = exercise_for(request, org, number, Capability.RESPOND)
    services.finish(exercise=found, outcome=body.outcome, actor=caller(request), via=VIA)
    return fresh(found)
