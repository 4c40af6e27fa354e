"""An exercise's own rows in an incident export (see incidents/transfer/sections.py).

The Exercise row travels with the incident it runs as (one per incident), with its injects, findings and clock
advances, so an exercise run on a laptop copy is still an exercise on the main server: kept out of the real
incidents (`incidents.queries.real()`), with its scenario clock (`Incident.as_if` and `clock_shift`, carried in the
incident's own section). Added here, the exercise takes a number of the organisation's own and the plan of the
same key, when there is one. People travel as the names the rows hold, never as the laptop's accounts.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Max

from contingency.core.models import Organisation
from contingency.incidents.models import Incident
from contingency.incidents.transfer.sections import Section, register
from contingency.plans.models import Plan

from .models import ClockAdvance, Exercise, Finding, Inject


def _exercise_here(values: dict[str, Any], organisation: Organisation) -> dict[str, Any]:
    """A number after the organisation's last exercise (the import holds the organisation, as `start` does)."""
    last = Exercise.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0
    plan = Plan.objects.filter(organisation=organisation, key=values["plan_key"]).first()
    return values | {"number": last + 1, "plan": plan}


def _injects(incident: Incident) -> models.QuerySet[Any]:
    return Inject.objects.filter(exercise__incident=incident).order_by("pk")


def _findings(incident: Incident) -> models.QuerySet[Any]:
    return Finding.objects.filter(exercise__incident=incident).order_by("pk")


def _advances(incident: Incident) -> models.QuerySet[Any]:
    return ClockAdvance.objects.filter(exercise__incident=incident).order_by("pk")


def register_sections() -> None:
    register(
        Section(
            "exercise",
            Exercise,
            ("incident", "incident"),
            (
                "plan_key",
                "plan_title",
                "kind",
                "as_if",
                "started_at",
                "started_by_name",
                "finished_at",
                "outcome",
            ),
            natural=(),
            on_add=_exercise_here,
        )
    )
    register(
        Section(
            "injects",
            Inject,
            ("exercise", "exercise"),
            (
                "position",
                "title",
                "text",
                "minutes",
                "added_by_name",
                "released_at",
                "released_by_name",
                "scenario_at",
            ),
            natural=("position",),
            rows=_injects,
        )
    )
    register(
        Section(
            "findings",
            Finding,
            ("exercise", "exercise"),
            ("text", "owner_name", "created_at"),
            rows=_findings,
        )
    )
    register(
        Section(
            "clockAdvances",
            ClockAdvance,
            ("exercise", "exercise"),
            ("at", "by", "scenario_from", "scenario_to", "reason", "advanced_by_name"),
            refs={"inject": "injects"},
            rows=_advances,
        )
    )
