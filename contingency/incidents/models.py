"""An incident in the database: the plan snapshot it runs on, its tasks, timeline and due actions.

An incident never reads the live plan after invocation: `snapshot` holds the plan document as
it was (Grafana OnCall's escalation snapshot), so editing or re-issuing the plan cannot change
an incident in flight. Affected functions are rows with their deadlines already computed, so
ranking many incidents needs no plan parsing. Every timed action (a trigger point, a duration
rule, the next in-hours/out-of-hours change) is a `DueAction` row written in the transaction
that caused it; workers fire each one exactly once (see worker.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.plans.models import KEY_LENGTH, Plan


class State(models.TextChoices):
    REPORTED = "reported"  # a suspected failure, being checked
    NOT_A_FAILURE = "not-a-failure"  # the checks said no: closed without invoking
    INVOKED = "invoked"  # the plan is running
    RESTORED = "restored"  # service back; restoration steps and review under way
    STOOD_DOWN = "stood-down"  # formally ended


OPEN_STATES = (State.REPORTED, State.INVOKED, State.RESTORED)


class Assessment(models.TextChoices):
    COMPLETE = "complete", "complete failure"
    PARTIAL = "partial", "partial failure confined to one site or area"
    NOT_A_FAILURE = "not-a-failure", "not a failure"


def new_version() -> str:
    """A random version token: no two changes (nor two incidents reusing an id after a rollback) share one."""
    return uuid.uuid4().hex


class Incident(models.Model):
    """A suspected or invoked failure.

    `version` changes with every change to the incident or to anything shown with it (tasks,
    timeline, trigger points, call-outs and messages): save() sets a new one, and every other
    write calls `touch` (see there for when). Live pages answer "not modified" while it stands
    still. `token` never changes: with the id, it names this incident in per-process caches.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="incidents")
    number = models.PositiveIntegerField(help_text="Numbered from 1 within the organisation.")
    uid = models.UUIDField(
        default=uuid.uuid4, unique=True, editable=False, help_text="Names the incident across installs (export)."
    )
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="incidents")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    plan_title = LineField()
    plan_issue = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="The plan document as it was when the incident was reported.")
    title = LineField()
    subject = models.CharField(max_length=KEY_LENGTH + 16, help_text="What failed, as kind:id (system:pacs).")
    subject_name = LineField()
    area = LineField(blank=True, default="", help_text="The site or area a partial failure is confined to.")
    description = ProseField(blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.REPORTED)
    assessment = models.CharField(max_length=16, choices=Assessment.choices, blank=True, default="")
    answers = models.JSONField(default=list, blank=True, help_text="Confirm checks and their answers.")
    risk_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    risk_title = LineField(blank=True, default="")
    response = ProseField(blank=True, default="", help_text="The matching risk's response, as proposed.")
    severity = models.PositiveSmallIntegerField(default=0, help_text="Likelihood x consequence of the risk (1-25).")
    severity_band = LineField(blank=True, default="")
    began_at = models.DateTimeField(help_text="When the service was lost (durations run from here).")
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    reported_by_name = LineField()
    invoked_at = models.DateTimeField(null=True, blank=True)
    invoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    invoked_by_name = LineField(blank=True, default="")
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by_name = LineField(blank=True, default="")
    stood_down_at = models.DateTimeField(null=True, blank=True)
    stood_down_by_name = LineField(blank=True, default="")
    closed_note = ProseField(blank=True, default="")
    procedures = models.JSONField(default=list, blank=True, help_text="Ids of the procedures whose steps are tasks.")
    routing = models.CharField(
        max_length=16, blank=True, default="", help_text="in-hours or out-of-hours: the time the open steps are for."
    )
    # The incident lead and deputy (leads.py): a member where one holds the role, else the words shown
    # (a plan person not linked to a member, a team, a name kept as written). `*_key` is the plan's key.
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    lead_name = LineField(blank=True, default="", help_text="The incident lead as shown.")
    lead_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="The plan's key, if any.")
    deputy = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    deputy_name = LineField(blank=True, default="", help_text="The deputy lead as shown.")
    deputy_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    # What the supplier said, for the board's briefing: kept by the lead (briefing.set_supplier).
    supplier_ticket = LineField(blank=True, default="", help_text="The supplier's reference for the fault.")
    supplier_fix = LineField(blank=True, default="", help_text="When the supplier expects a fix, in their words.")
    as_if = models.DateTimeField(
        null=True,
        blank=True,
        help_text="An exercise run as if at this moment: in or out of hours, and who is called, are as then.",
    )
    clock_shift = models.DurationField(
        null=True,
        blank=True,
        help_text="An exercise's scenario time minus the real time (its 'as if' moment's distance from the start, "
        "plus what the facilitator has advanced); None for a real incident, which runs by the real clock.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    token = models.CharField(max_length=32, default=new_version, editable=False, help_text="Never changes.")
    version = models.CharField(
        max_length=32, default=new_version, editable=False, help_text="Changes with every change."
    )

    class Meta:
        ordering = ("-reported_at", "-id")
        constraints = [models.UniqueConstraint(fields=("organisation", "number"), name="incidents_unique_number")]
        indexes = [models.Index(fields=("organisation", "state"), name="incidents_org_state")]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.version = new_version()
        if update_fields is not None:
            update_fields = {*update_fields, "version"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


def touch(*incident_ids: int | None) -> None:
    """Give these incidents a new version: something shown with them changed.

    Call it inside the change's transaction only when that transaction locked the incident row
    first (every service does, with select_for_update): taking the incident's lock after other
    rows' could deadlock with a service. Otherwise call it once the change's transaction is over.
    """
    ids = sorted({pk for pk in incident_ids if pk is not None})
    if ids:
        Incident.objects.filter(pk__in=ids).update(version=new_version())


class AffectedFunction(models.Model):
    """A critical function lost with the failure, with its deadlines from `began_at`."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=KEY_LENGTH)
    name = LineField()
    chain = models.JSONField(default=list, help_text="The chain of failures, as sentences, from the failed part.")
    degraded = models.BooleanField(default=False, help_text="Reached through a redundant part: at risk, not lost.")
    rto = LineField(blank=True, default="")  # a duration, or the plan's words ("1-4 hours", "if prolonged")
    rto_due_at = models.DateTimeField(null=True, blank=True)
    mtpd = LineField(blank=True, default="")
    mtpd_due_at = models.DateTimeField(null=True, blank=True)
    impact = models.JSONField(default=list, help_text="[{at, level, description}] from the impact over time.")

    class Meta:
        ordering = ("incident_id", "position")
        constraints = [
            models.UniqueConstraint(fields=("incident", "key"), name="incidents_affected_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class TaskState(models.TextChoices):
    OPEN = "open"
    STARTED = "started"
    DONE = "done"
    SKIPPED = "skipped"
    REROUTED = "rerouted", "re-routed"  # replaced by its counterpart at the other time of day


OPEN_TASK_STATES = (TaskState.OPEN, TaskState.STARTED)
# A timed task (a trigger point's action, a duration rule) falls due at its moment; it is
# overdue only once it has been left open this long after it, not the instant it appears.
OVERDUE_GRACE = timedelta(hours=1)


class TaskSource(models.TextChoices):
    RESPONSE = "response"  # a step of a response procedure
    TRIGGER = "trigger"  # an action of a trigger point
    DURATION = "duration"  # a function's duration rule
    RESTORATION = "restoration"  # a step of a restoration procedure
    AD_HOC = "ad-hoc"
    CALL = "call"  # a telephone call a call tree asks for (the manual channel)


class Task(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    key = models.CharField(max_length=200, help_text="Unique in the incident: where the task came from.")
    position = models.PositiveIntegerField()
    source = models.CharField(max_length=16, choices=TaskSource.choices)
    origin = LineField(blank=True, default="", help_text="The procedure or trigger point's title.")
    step_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    text = ProseField()
    kind = models.CharField(max_length=16, default="do")
    when = models.CharField(max_length=16, default="always")
    who_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    who_name = LineField(blank=True, default="")
    note = ProseField(blank=True, default="", help_text="The plan's note on the step.")
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    outcome = ProseField(blank=True, default="", help_text="The note on completion, or the reason for skipping.")
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by_name = LineField(blank=True, default="")
    replaced_by = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="replaces")

    class Meta:
        ordering = ("incident_id", "position")
        constraints = [models.UniqueConstraint(fields=("incident", "key"), name="incidents_task_unique_key")]

    def __str__(self) -> str:
        return self.text

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_TASK_STATES

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.due_at is not None and self.due_at + OVERDUE_GRACE < now

    def is_due_now(self, now: datetime) -> bool:
        """Due and still within its grace: what a trigger point at invocation asks for, "due now"."""
        return self.is_open and self.due_at is not None and self.due_at <= now and not self.is_overdue(now)


class InformTarget(models.Model):
    """One person, team or department an "inform" or "call" task must reach, and who told them when."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveIntegerField()
    key = models.CharField(max_length=KEY_LENGTH)
    name = LineField()
    contact = LineField(blank=True, default="", help_text="The number or address to use, as the plan gives it.")
    told_at = models.DateTimeField(null=True, blank=True)
    told_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    told_by_name = LineField(blank=True, default="")
    how = LineField(blank=True, default="", help_text="By phone, in person, by e-mail ...")

    class Meta:
        ordering = ("task_id", "position")
        constraints = [models.UniqueConstraint(fields=("task", "key"), name="incidents_target_unique")]

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    REPORTED = "reported"
    ASSESSED = "assessed"
    INVOKED = "invoked"
    TRIGGER = "trigger"
    DURATION = "duration"
    ROUTING = "routing"
    TASK = "task"
    INFORMED = "informed"
    NOTIFIED = "notified"  # a call tree: who was sent what, who acknowledged, who was not reached
    UPDATE = "update"
    DECISION = "decision"
    HANDOVER = "handover"
    RESTORED = "restored"
    STOOD_DOWN = "stood-down"
    REVIEW = "review"
    DOWNTIME = "downtime"  # downtime records: imported, spot checks drawn, a discrepancy found
    LEAD = "lead", "incident lead"  # the lead or deputy set, changed, asked for, handed over


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    text = ProseField()
    actor_name = LineField(blank=True, default="")
    audience = models.CharField(max_length=16, blank=True, default="", help_text="For updates: staff, board ...")

    class Meta:
        ordering = ("at", "id")
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text}"


class DueKind(models.TextChoices):
    TRIGGER = "trigger"  # a trigger point's occurrence
    DURATION = "duration"  # a function's duration rule
    ROUTING = "routing"  # the moment in hours flips to out of hours or back
    REVIEW = "review"  # a review action's reminder to its owner, when due and while overdue


class DueState(models.TextChoices):
    PENDING = "pending"
    FIRED = "fired"
    CANCELLED = "cancelled"


class DueAction(models.Model):
    """A timed action: fired once by whichever worker claims it first (see worker.py).

    (incident, kind, key, sequence) is unique, so a recurring trigger's next occurrence can be
    written by the firing of the previous one without any chance of a duplicate.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="due_actions")
    kind = models.CharField(max_length=16, choices=DueKind.choices)
    key = models.CharField(max_length=KEY_LENGTH + 16, help_text="The trigger id, the rule's function#index ...")
    sequence = models.PositiveIntegerField(default=0)
    name = LineField(help_text="What it is, for the incident page.")
    due_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=DueState.choices, default=DueState.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    fired_by = models.CharField(max_length=64, blank=True, default="", help_text="The worker that fired it.")
    note = ProseField(blank=True, default="")
    attempts = models.PositiveIntegerField(default=0, help_text="Tries to fire it that failed (worker.py backs off).")
    retry_at = models.DateTimeField(null=True, blank=True, help_text="After a failed try: not tried again before this.")
    last_error = ProseField(blank=True, default="", help_text="Why the last try failed.")

    class Meta:
        ordering = ("due_at", "id")
        constraints = [
            models.UniqueConstraint(fields=("incident", "kind", "key", "sequence"), name="incidents_due_unique")
        ]
        indexes = [models.Index(fields=("state", "due_at"), name="incidents_due_pending")]

    def __str__(self) -> str:
        return f"{self.name} at {self.due_at:%Y-%m-%d %H:%M}"


class Audience(models.TextChoices):
    STAFF = "staff"
    BOARD = "board"
    COMMISSIONERS = "commissioners"


class Handover(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="handovers")
    at = models.DateTimeField()
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    from_name = LineField()
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    to_name = LineField()
    lead_from = LineField(blank=True, default="", help_text="The outgoing incident lead, as shown.")
    lead_to = LineField(blank=True, default="", help_text="The incoming incident lead, as shown.")
    note = ProseField(blank=True, default="")
    report = models.JSONField(help_text="The hand-over report as it was read at the time.")

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.from_name} to {self.to_name} at {self.at:%Y-%m-%d %H:%M}"


class RequestState(models.TextChoices):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"  # the lead changed some other way, or the incident closed, before an answer


class LeadRequest(models.Model):
    """A responder's request to take over as incident lead, accepted or declined by the lead."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="lead_requests")
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    by_name = LineField()
    note = ProseField(blank=True, default="")
    state = models.CharField(max_length=16, choices=RequestState.choices, default=RequestState.PENDING)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by_name = LineField(blank=True, default="")
    answer = ProseField(blank=True, default="", help_text="Why it was declined, if the lead said.")

    class Meta:
        ordering = ("at", "id")

    def __str__(self) -> str:
        return f"{self.by_name} asks to lead #{self.incident_id}"


class Review(models.Model):
    """The post-incident review: root cause by five whys, what went well and badly, lessons."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="review")
    whys = models.JSONField(default=list, help_text="Up to five answers to 'why?', in order.")
    root_cause = ProseField(blank=True, default="")
    went_well = ProseField(blank=True, default="")
    went_badly = ProseField(blank=True, default="")
    lessons = ProseField(blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Review of {self.incident}"


class ReviewAction(models.Model):
    """An action from the review, owned by a member, reminded by e-mail when due until done (DueKind.REVIEW)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    text = ProseField()
    owner = LineField(help_text="The owner's name as it was when the action was given.")
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", help_text="The member."
    )
    due_on = models.DateField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = ProseField(blank=True, default="")

    class Meta:
        ordering = ("due_on", "id")

    def __str__(self) -> str:
        return self.text


class ImportedRow(models.Model):
    """A row brought across from another install (a laptop copy) by `contingency incident import`.

    `origin` is the row's stable name there (the incident's uid, the section, its id there), so the
    same export imported twice finds its rows again instead of adding them twice. `source_digest` is
    the row as the file had it, `local_digest` the row as written here: a later import updates a row
    only if the laptop changed it and nobody here has since.
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="imported_rows")
    origin = models.CharField(max_length=200, unique=True)
    section = models.CharField(max_length=32)
    object_id = models.PositiveBigIntegerField()
    source_digest = models.CharField(max_length=64)
    local_digest = models.CharField(max_length=64)
    imported_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=("section", "object_id"), name="incidents_imported_object")]

    def __str__(self) -> str:
        return self.origin
