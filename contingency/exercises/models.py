"""An exercise: a plan run as an incident marked as an exercise (a communications test, a table-top or a live one).

The incident it runs as is an ordinary incident (its tasks, trigger points and call-outs are the real machinery),
joined one-to-one to its Exercise row: `Incident.objects.filter(exercise__isnull=True)` are the real incidents.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import KEY_LENGTH, Plan


class Kind(models.TextChoices):
    COMMUNICATIONS = "communications", "communications test"
    TABLE_TOP = "table-top", "table-top exercise"
    LIVE = "live", "live exercise"


# How often each kind is due (NHS EPRR core standards): months between exercises of a plan.
CADENCE_MONTHS: dict[str, int] = {Kind.COMMUNICATIONS: 6, Kind.TABLE_TOP: 12, Kind.LIVE: 36}


class Cadence(models.Model):
    """The organisation's own period for a kind of exercise, for every plan (plan_key "") or for one plan.

    Looked up plan first, then every plan, then CADENCE_MONTHS. `months` None: the kind is not required there."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="exercise_cadences")
    plan_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    months = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("organisation", "plan_key", "kind"), name="exercises_unique_cadence")
        ]

    def __str__(self) -> str:
        every = f"every {self.months} months" if self.months else "not required"
        return f"{self.get_kind_display()} of {self.plan_key or 'every plan'}: {every}"


class Exercise(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="exercises")
    number = models.PositiveIntegerField(help_text="Numbered from 1 within the organisation.")
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="exercises")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    plan_title = LineField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    incident = models.OneToOneField(Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="exercise")
    as_if = models.DateTimeField(
        null=True, blank=True, help_text="The moment the exercise pretends it is (routing in or out of hours)."
    )
    started_at = models.DateTimeField()
    started_by_name = LineField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = ProseField(blank=True, default="", help_text="What the exercise showed, in the words of its lead.")

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [models.UniqueConstraint(fields=("organisation", "number"), name="exercises_unique_number")]

    def __str__(self) -> str:
        return f"Exercise {self.number}: {self.get_kind_display()} of {self.plan_title}"

    @property
    def is_running(self) -> bool:
        return self.finished_at is None


class Finding(models.Model):
    """Something the exercise found for the plan's owner to put right: a number or address that failed."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="findings")
    text = ProseField()
    owner_name = LineField(help_text="The plan's owner as the plan names them, when the finding was made.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("exercise_id", "id")

    def __str__(self) -> str:
        return self.text


class Inject(models.Model):
    """A scenario update of a table-top exercise, released to the players in order by its facilitator.

    `minutes` places it on the facilitator's timeline (minutes after the scenario starts); releasing it notes its
    text on the exercise's incident timeline and keeps the scenario time it stands for in `scenario_at`. Who added
    and released it are kept by name as well, as the incident's rows keep theirs: an export carries the names."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="injects")
    position = models.PositiveIntegerField(help_text="Numbered from 1 within the exercise: the order of release.")
    title = LineField()
    text = ProseField(help_text="The scenario update, as read out to the players.")
    minutes = models.PositiveIntegerField(default=0, help_text="Minutes after the scenario starts.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_by_name = LineField(blank=True, default="", help_text="Who added it, by name (kept across installs).")
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    released_by_name = LineField(blank=True, default="", help_text="Who released it, by name.")
    scenario_at = models.DateTimeField(
        null=True, blank=True, help_text="When released: the scenario's start plus its minutes."
    )

    class Meta:
        ordering = ("exercise_id", "position")
        constraints = [models.UniqueConstraint(fields=("exercise", "position"), name="exercises_unique_inject")]

    def __str__(self) -> str:
        return f"Inject {self.position}: {self.title}"


def duration_words(by: timedelta) -> str:
    """An advance as people say it, to the minute: "2 hours", "1 day 3 hours 20 minutes"."""
    minutes = round(by.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [
        f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n
    ]
    return " ".join(parts) or "less than a minute"


class ClockAdvance(models.Model):
    """The facilitator moved the exercise's scenario time on: by hand, or to the time of an inject being released.

    Written with its audit entry; the exercise's pending trigger points and duration rules were brought forward
    by `by` in the same transaction (see exercises.services.advance_clock)."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="clock_advances")
    at = models.DateTimeField(help_text="When (real time) the clock was advanced.")
    by = models.DurationField(help_text="How far the scenario time moved on.")
    scenario_from = models.DateTimeField(help_text="The scenario time just before.")
    scenario_to = models.DateTimeField(help_text="The scenario time just after.")
    reason = ProseField()
    inject = models.ForeignKey(Inject, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    advanced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    advanced_by_name = LineField()

    class Meta:
        ordering = ("exercise_id", "at", "id")

    def __str__(self) -> str:
        return f"Clock advanced by {self.by} to {self.scenario_to:%Y-%m-%d %H:%M}"

    @property
    def by_words(self) -> str:
        return duration_words(self.by)
