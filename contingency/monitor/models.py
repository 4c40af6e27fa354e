"""Probes in the database: the sites that run them, their results (bounded), refusals, and each system's state.

- `ProbeSite`: one probe of one organisation, named by the operator (`--site main-xray`), with the
  key id and signing key of its token (the token itself is shown once and never stored).
- `ProbeNonce`: nonces already used by a site within the signing window: a replayed request is refused.
- `ProbeRefusal`: how many requests were refused, per organisation, claimed site and reason.
- `CheckResult`: one run of one check at one site; kept for RETENTION and at most KEEP per check and
  site, pruned by the worker.
- `SystemStatus`: the current verdict on one system (one row per organisation, plan and system),
  the incident the probes opened or follow, and whether restoration was proposed.
- `StatusChange`: every change of a system's verdict: the history shown on the system's page.
- `Sweep`: one row per periodic job, claimed by a conditional update so one worker runs it per period.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import KEY_LENGTH

from .verdict import WORDS, State

RETENTION = timedelta(days=7)  # results older than this are pruned
KEEP = 2000  # and at most this many per check and site (a 1-minute check: about 33 hours)
STATE_CHOICES = [(state.value, WORDS[state]) for state in State]


class ProbeSite(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="probe_sites")
    name = models.CharField(max_length=KEY_LENGTH, help_text="As the probe is started: --site NAME.")
    key_id = models.CharField(max_length=12, unique=True)
    signing_key = models.CharField(max_length=64, help_text="Hex; derived from the token's secret.")
    created_at = models.DateTimeField()
    created_by_name = LineField(blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_report_at = models.DateTimeField(null=True, blank=True, help_text="The server's clock.")
    every_seconds = models.PositiveIntegerField(default=60, help_text="How often it said it reports.")
    reports = models.PositiveIntegerField(default=0)
    no_news_since = models.DateTimeField(null=True, blank=True, help_text="Set by the worker; cleared by a report.")

    class Meta:
        ordering = ("organisation_id", "name")
        constraints = [models.UniqueConstraint(fields=("organisation", "name"), name="monitor_site_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ProbeNonce(models.Model):
    site = models.ForeignKey(ProbeSite, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32)
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("site", "nonce"), name="monitor_nonce_once")]
        indexes = [models.Index(fields=("seen_at",), name="monitor_nonce_seen")]

    def __str__(self) -> str:
        return self.nonce


class Refusal(models.TextChoices):
    MALFORMED = "malformed", "not signed (headers missing or malformed)"
    UNKNOWN_KEY = "unknown-key", "unknown or revoked token"
    OTHER_ORGANISATION = "other-organisation", "another organisation's token"
    WRONG_SITE = "wrong-site", "token of another site"
    BAD_SIGNATURE = "bad-signature", "bad signature"
    STALE = "stale", "timestamp too old or in the future"
    REPLAYED = "replayed", "nonce already used (replayed)"


class ProbeRefusal(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site_name = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="The site claimed, if any.")
    reason = models.CharField(max_length=32, choices=Refusal.choices)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        ordering = ("organisation_id", "site_name", "reason")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "site_name", "reason"), name="monitor_refusal_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reason} x{self.count}"


class CheckResult(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(ProbeSite, on_delete=models.CASCADE, related_name="results")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    system_key = models.CharField(max_length=KEY_LENGTH)
    check_key = models.CharField(max_length=KEY_LENGTH)
    at = models.DateTimeField(help_text="When the probe ran it (the probe's clock).")
    received_at = models.DateTimeField()
    ok = models.BooleanField()
    layer = models.CharField(max_length=32, blank=True, default="")
    detail = ProseField(blank=True, default="")
    warning = ProseField(blank=True, default="")
    elapsed_ms = models.PositiveIntegerField(default=0)
    certificate_days = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=("site", "plan_key", "check_key", "-at"), name="monitor_result_recent"),
            models.Index(fields=("received_at",), name="monitor_result_received"),
        ]

    def __str__(self) -> str:
        return f"{self.check_key}@{self.site_id}: {'ok' if self.ok else self.layer}"

    @property
    def degraded(self) -> bool:
        return self.ok and bool(self.warning)


class SystemStatus(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    system_key = models.CharField(max_length=KEY_LENGTH)
    name = LineField()
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=State.NO_NEWS.value)
    since = models.DateTimeField()
    summary = ProseField(blank=True, default="")
    detail = models.JSONField(default=dict, blank=True, help_text="Components, checks and sites, as last decided.")
    evaluated_at = models.DateTimeField()
    incident = models.ForeignKey(Incident, models.SET_NULL, null=True, blank=True, related_name="+")
    restore_proposed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("organisation_id", "plan_key", "system_key")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "plan_key", "system_key"), name="monitor_status_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.state}"


class StatusChange(models.Model):
    status = models.ForeignKey(SystemStatus, on_delete=models.CASCADE, related_name="changes")
    state = models.CharField(max_length=16, choices=STATE_CHOICES)
    at = models.DateTimeField()
    summary = ProseField(blank=True, default="")

    class Meta:
        ordering = ("status_id", "at", "id")
        indexes = [models.Index(fields=("status", "at"), name="monitor_change_at")]

    def __str__(self) -> str:
        return f"{self.state} at {self.at:%Y-%m-%d %H:%M}"


class Sweep(models.Model):
    name = models.CharField(max_length=32, unique=True)
    next_at = models.DateTimeField()
    last_by = models.CharField(max_length=128, blank=True, default="")

    def __str__(self) -> str:
        return self.name
