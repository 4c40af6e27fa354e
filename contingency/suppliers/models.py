"""Suppliers' assurance records, and the vendor tickets of incidents with their clocks.

An assurance record belongs to the organisation and names the supplier by the id its plans use
(`suppliers:` in a plan), so it holds across plans and plan issues. A ticket belongs to an incident
and copies the contract's lengths from the assurance when it is logged: a later change to the
record does not move an incident's clocks. Each pause, resume and stop is a row. Each clock has one
`ClockDue` row, written with every change to the ticket: the breach moment the worker escalates at.
"""

from __future__ import annotations

from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import KEY_LENGTH

from .clocks import Event


class HasPlan(models.TextChoices):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class Assurance(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="supplier_assurance")
    supplier_key = models.CharField(max_length=KEY_LENGTH, help_text="The supplier's id in the plans.")
    has_plan = models.CharField(
        max_length=8, choices=HasPlan.choices, default=HasPlan.UNKNOWN, help_text="Has a continuity plan."
    )
    last_tested_on = models.DateField(null=True, blank=True, help_text="When its continuity was last tested.")
    response_time = LineField(blank=True, default="", help_text="The contract's response time, as written.")
    restore_time = LineField(blank=True, default="", help_text="The contract's restore time, as written.")
    contacts = models.JSONField(default=list, blank=True, help_text="Escalation contacts: [{name, phone}].")
    review_on = models.DateField(null=True, blank=True, help_text="When this record is to be reviewed.")
    note = ProseField(blank=True, default="")
    updated_at = models.DateTimeField()
    updated_by_name = LineField(blank=True, default="")

    class Meta:
        ordering = ("organisation_id", "supplier_key")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "supplier_key"), name="suppliers_assurance_once")
        ]

    def __str__(self) -> str:
        return self.supplier_key


class Clock(models.TextChoices):
    RESPONSE = "response"
    RESTORE = "restore"


class Ticket(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="supplier_tickets")
    supplier_key = models.CharField(max_length=KEY_LENGTH)
    supplier_name = LineField()
    reference = LineField(help_text="The vendor's ticket reference.")
    logged_at = models.DateTimeField(help_text="When the call was logged with the vendor: the clocks start here.")
    response_time = LineField(blank=True, default="", help_text="As written in the assurance when logged.")
    restore_time = LineField(blank=True, default="", help_text="As written in the assurance when logged.")
    rca_due_on = models.DateField(null=True, blank=True, help_text="The root-cause report is due by this day.")
    rca_received_on = models.DateField(null=True, blank=True)
    logged_by_name = LineField(blank=True, default="")

    class Meta:
        ordering = ("incident_id", "logged_at", "id")
        constraints = [
            models.UniqueConstraint(fields=("incident", "supplier_key", "reference"), name="suppliers_ticket_once")
        ]

    def __str__(self) -> str:
        return f"{self.supplier_name} {self.reference}"

    def written(self, clock: str) -> str:
        return self.response_time if clock == Clock.RESPONSE else self.restore_time


class ClockEvent(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    clock = models.CharField(max_length=8, choices=Clock.choices)
    kind = models.CharField(max_length=8, choices=[(e.value, e.value) for e in Event])
    at = models.DateTimeField()
    reason = ProseField(blank=True, default="")
    by_name = LineField(blank=True, default="")

    class Meta:
        ordering = ("ticket_id", "at", "id")

    def __str__(self) -> str:
        return f"{self.clock} {self.kind} at {self.at:%Y-%m-%d %H:%M}"


class DueState(models.TextChoices):
    PENDING = "pending"
    FIRED = "fired"


class ClockDue(models.Model):
    """When a clock breaches, for the worker: `due_at` is empty while it cannot breach (paused, stopped,
    no length). Fired once, by a conditional update; a fired row is never rescheduled."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="due")
    clock = models.CharField(max_length=8, choices=Clock.choices)
    due_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=DueState.choices, default=DueState.PENDING)
    fired_at = models.DateTimeField(null=True, blank=True)
    fired_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=("ticket", "clock"), name="suppliers_due_once")]
        indexes = [models.Index(fields=("state", "due_at"), name="suppliers_due_pending")]

    def __str__(self) -> str:
        return f"{self.clock} of ticket {self.ticket_id}: {self.state}"
