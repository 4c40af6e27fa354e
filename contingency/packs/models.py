"""The print register (DSPT 7), the packs it kept, the jobs that build packs when a plan is issued,
and each organisation's print policy.

A PrintRecord is one pack built for printing: who built it, when, from which issue, and a
PrintedCopy for each numbered copy it was made for, with the holder and the location the copy is
kept at (from the plan's copy holders at the time). Its files are kept, zipped, in a PackFile of
their own so that listing the register never loads them. A PackJob is the durable row the worker
claims to build the packs of a newly issued plan (see docs/decisions/0016-print-register-feeds-lint.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.plans.models import KEY_LENGTH, Plan

DEFAULT_CONTACT_LIST_MONTHS = 3


class PrintPolicy(models.Model):
    """How often an organisation means to reprint its contact lists (DSPT 7: last printed date known)."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="print_policy")
    contact_list_months = models.PositiveSmallIntegerField(
        default=DEFAULT_CONTACT_LIST_MONTHS, help_text="Reprint every contact list at least this often (months)."
    )

    def __str__(self) -> str:
        return f"{self.organisation}: every {self.contact_list_months} month(s)"


class PrintRecord(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="print_records")
    # The register outlives a deleted plan: its key and title are kept on the row.
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="print_records")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    plan_title = LineField()
    issue = models.PositiveIntegerField()
    plan_updated_at = models.DateTimeField(help_text="The plan's last change when the pack was built.")
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the plan's content the pack shows.")
    built_at = models.DateTimeField()
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    built_by_name = LineField(help_text="The user, or how it was built (worker, command line).")
    via = models.CharField(max_length=32)
    manifest = models.JSONField(default=dict, blank=True)
    note = ProseField(blank=True, default="")

    class Meta:
        ordering = ("-built_at", "-id")
        indexes = [models.Index(fields=("plan", "built_at"), name="packs_record_plan_built")]

    def __str__(self) -> str:
        return f"{self.plan_key} issue {self.issue} printed {self.built_at:%Y-%m-%d}"


class PrintedCopy(models.Model):
    record = models.ForeignKey(PrintRecord, on_delete=models.CASCADE, related_name="copies")
    copy_number = models.PositiveIntegerField()
    holder_name = LineField()
    location = LineField(blank=True, default="", help_text="Where the copy is kept; empty when the plan says not.")

    class Meta:
        ordering = ("record_id", "copy_number")
        constraints = [models.UniqueConstraint(fields=("record", "copy_number"), name="packs_copy_once")]

    def __str__(self) -> str:
        return f"copy {self.copy_number} ({self.location or 'no location'})"


class PackFile(models.Model):
    """The zip of a printed pack, for the signed link sent to copy holders."""

    record = models.OneToOneField(PrintRecord, on_delete=models.CASCADE, related_name="archive")
    name = models.CharField(max_length=200)
    data = models.BinaryField()
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class JobState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobReason(models.TextChoices):
    ISSUE = "issue", "a new issue"
    REQUEST = "request", "asked for on the plan page"


class PackJob(models.Model):
    """Build and record a printed pack of one issue of one plan, and tell its copy holders: claimed by a worker.

    Issuing queues one per issue (`reason` issue, for every copy holder); a plan editor's "Print for copy
    holders" queues one for the copies chosen (`copies`, empty for all).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="pack_jobs")
    issue = models.PositiveIntegerField()
    reason = models.CharField(max_length=16, choices=JobReason.choices, default=JobReason.ISSUE)
    copies = models.JSONField(default=list, blank=True, help_text="Copy numbers to print; empty for every holder.")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    requested_via = models.CharField(max_length=32, default="")
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = ProseField(blank=True, default="")
    record = models.OneToOneField(PrintRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="job")

    class Meta:
        ordering = ("created_at", "id")
        constraints = [
            models.UniqueConstraint(
                fields=("plan", "issue"), condition=models.Q(reason="issue"), name="packs_job_once_per_issue"
            )
        ]
        indexes = [models.Index(fields=("state", "lease_until"), name="packs_job_due")]

    def __str__(self) -> str:
        return f"packs of {self.plan_id} issue {self.issue} ({self.state})"


class HolderNotice(models.Model):
    """A copy holder told of a new printed pack: the outbox message, or why none was sent."""

    record = models.ForeignKey(PrintRecord, on_delete=models.CASCADE, related_name="notices")
    copy_number = models.PositiveIntegerField()
    holder_name = LineField()
    notification = models.OneToOneField(
        "notify.Notification", on_delete=models.SET_NULL, null=True, blank=True, related_name="holder_notice"
    )
    not_sent = LineField(blank=True, default="", help_text="Why no message was written (no e-mail address).")

    class Meta:
        ordering = ("record_id", "copy_number")
        constraints = [models.UniqueConstraint(fields=("record", "copy_number"), name="packs_notice_once")]

    def __str__(self) -> str:
        return f"copy {self.copy_number} told of {self.record}"
