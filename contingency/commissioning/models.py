"""Contract KPIs a commissioner holds a plan's service to, and the relaxations agreed during an incident.

A KPI's target is kept as the contract words it ("95% of referrals triaged"); its clock is a number and
a unit (working days count the organisation's calendar). A relaxation is asked of someone at the
commissioner, and counts only once someone there has agreed it (domain: KPIs are relaxed during an
outage only by recorded agreement). The evidence file sits in its own table so listing never loads it.
"""

from __future__ import annotations

from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import Plan


class ClockUnit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "calendar days"
    WORKING_DAYS = "working days", "working days"
    WEEKS = "weeks", "weeks"


class ContractKpi(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contract_kpis")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="contract_kpis")
    what = LineField(help_text="What is measured, e.g. referrals triaged.")
    target = LineField(help_text="The target as the contract writes it.")
    clock_value = models.PositiveIntegerField()
    clock_unit = models.CharField(max_length=20, choices=ClockUnit.choices)
    clock_from = LineField(blank=True, default="", help_text="What starts the clock, e.g. receipt of the referral.")
    commissioner = LineField(help_text="The commissioner holding the service to it.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("plan_id", "what", "id")
        verbose_name = "contract KPI"
        constraints = [
            models.CheckConstraint(condition=models.Q(clock_value__gt=0), name="commissioning_clock_positive")
        ]

    def __str__(self) -> str:
        return f"{self.what}: {self.target}"

    @property
    def clock_words(self) -> str:
        unit = str(ClockUnit(self.clock_unit).label)
        return f"within {self.clock_value} {unit[:-1] if self.clock_value == 1 else unit}" + (
            f" of {self.clock_from}" if self.clock_from else ""
        )


class KpiRelaxation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="kpi_relaxations")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="kpi_relaxations")
    kpi = models.ForeignKey(ContractKpi, on_delete=models.SET_NULL, null=True, blank=True, related_name="relaxations")
    kpi_words = LineField(help_text="The KPI as it was when asked (kept if the KPI is later removed).")
    commissioner = LineField()
    asked_of = LineField(help_text="Who at the commissioner was asked.")
    asked_at = models.DateTimeField()
    agreed_by = LineField(blank=True, default="", help_text="Who agreed; blank until agreed.")
    agreed_at = models.DateTimeField(null=True, blank=True)
    relaxed_from = models.DateTimeField()
    relaxed_to = models.DateTimeField()
    note = ProseField(blank=True, default="")
    recorded_by = LineField()
    file_name = models.CharField(max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ("incident_id", "asked_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(relaxed_from__lt=models.F("relaxed_to")), name="commissioning_window_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(agreed_at__isnull=True, agreed_by="")
                | (models.Q(agreed_at__isnull=False) & ~models.Q(agreed_by="")),
                name="commissioning_agreed_by_whom_and_when",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_words} ({'agreed' if self.agreed_at else 'asked'})"

    @property
    def agreed(self) -> bool:
        return self.agreed_at is not None


class RelaxationFile(models.Model):
    relaxation = models.OneToOneField(KpiRelaxation, on_delete=models.CASCADE, related_name="file")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"file of {self.relaxation_id}"


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", "active"
    WITHDRAWN = "withdrawn", "withdrawn"


class SubContractor(models.Model):
    """A provider the plan's service sub-contracts to (an optical practice), and its weekly capacity."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="subcontractors")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="subcontractors")
    provider = LineField()
    capacity_per_week = models.PositiveIntegerField(help_text="Appointments (or referrals) a week.")
    status = models.CharField(max_length=20, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ("plan_id", "provider", "id")

    def __str__(self) -> str:
        return f"{self.provider} ({self.status})"


class CapacityReview(models.Model):
    """Opened when a provider withdraws: review the capacity left, and tell the commissioner."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="capacity_reviews")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="capacity_reviews")
    provider = models.ForeignKey(SubContractor, on_delete=models.CASCADE, related_name="reviews")
    opened_at = models.DateTimeField()
    capacity_lost = models.PositiveIntegerField()
    capacity_left = models.PositiveIntegerField()
    commissioner_informed_at = models.DateTimeField(null=True, blank=True)
    informed_by = LineField(blank=True, default="")

    class Meta:
        ordering = ("-opened_at", "-id")

    def __str__(self) -> str:
        return f"capacity review: {self.provider_id}"

    @property
    def to_do(self) -> str:
        return "" if self.commissioner_informed_at else "commissioner to be informed"
