"""The public status page of an organisation: its services, updates, maintenance, subscribers, publishing.

- `StatusSite` is the page itself (one per organisation): whether it is public, its title, and its
  `version`, a random token replaced by every change to anything the page shows (services, states,
  updates, maintenance, the organisation's incidents). Pages, feeds and the published bundle are
  built once per version (see readmodel.py) and answered "not modified" while it stands still.
- `PublishedService` is a system or function of one of the organisation's plans, under a public
  name, with the state set by hand (the worst of that and what incidents and maintenance say is
  shown: see current.py).
- `StatusUpdate` rows are only ever added: a correction is a new update. Staff updates are never
  shown publicly.
- `Subscriber` rows hold confirmed addresses only; an unconfirmed request is a keyed digest
  (`SubscriptionRequest`), enough to refuse a second confirmation mail within the period.
- `PublishJob` rows are the publishing queue (ADR 0004's pattern): one per change and target,
  written in the change's transaction, claimed atomically by the worker, retried with back-off.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import KEY_LENGTH


def new_version() -> str:
    """A random version token: no two changes (nor a change rolled back and made again) share one."""
    return uuid.uuid4().hex


class ServiceState(models.TextChoices):
    """What the page says of a service, best first (`SEVERITY` orders them)."""

    OPERATIONAL = "operational"
    MAINTENANCE = "maintenance", "under maintenance"
    DEGRADED = "degraded", "degraded performance"
    PARTIAL = "partial-outage", "partial outage"
    MAJOR = "major-outage", "major outage"


SEVERITY = {state: rank for rank, state in enumerate(ServiceState)}


class Audience(models.TextChoices):
    PUBLIC = "public", "the public"
    STAFF = "staff", "staff only"


class StatusSite(models.Model):
    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="status_site")
    published = models.BooleanField(default=False, help_text="Whether the public page and its feeds answer.")
    title = LineField(help_text="The page's heading, e.g. 'Clearview Eyecare service status'.")
    title_cy = LineField(blank=True, default="", help_text="The heading in Welsh (optional).")
    intro = ProseField(blank=True, default="", help_text="A paragraph under the heading: how else to reach you.")
    intro_cy = ProseField(blank=True, default="")
    version = models.CharField(max_length=32, default=new_version, help_text="Replaced by every change.")
    changed_at = models.DateTimeField(help_text="When anything the page shows last changed.")

    def __str__(self) -> str:
        return self.title


class PublishedService(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="published_services")
    key = models.SlugField(max_length=KEY_LENGTH, help_text="Its id in the JSON and the feeds.")
    plan_key = models.CharField(max_length=KEY_LENGTH)
    subject = models.CharField(max_length=KEY_LENGTH + 16, help_text="The system or function, as kind:id.")
    name = LineField(help_text="The public name.")
    name_cy = LineField(blank=True, default="")
    description = ProseField(blank=True, default="")
    description_cy = ProseField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=16, choices=ServiceState.choices, default=ServiceState.OPERATIONAL, help_text="Set by hand."
    )
    state_note = LineField(blank=True, default="")
    state_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("organisation_id", "position", "id")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "key"), name="status_service_unique_key"),
            models.UniqueConstraint(
                fields=("organisation", "plan_key", "subject"), name="status_service_unique_subject"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StatusUpdate(models.Model):
    """One update, for the public or for staff; never changed once written."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="status_updates")
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="status_updates"
    )
    services = models.ManyToManyField(PublishedService, blank=True, related_name="updates")
    audience = models.CharField(max_length=8, choices=Audience.choices)
    state = models.CharField(
        max_length=16,
        choices=ServiceState.choices,
        blank=True,
        default="",
        help_text="The state it announces for its services (while its incident is open), if any.",
    )
    text = ProseField()
    text_cy = ProseField(blank=True, default="", help_text="The same in Welsh, when the author gives it.")
    at = models.DateTimeField(db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    author_name = LineField()

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("organisation", "audience", "at"), name="status_update_public")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:60]}"


class MaintenanceWindow(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="maintenance_windows")
    uid = models.UUIDField(default=uuid.uuid4, unique=True, help_text="Its UID in the iCalendar feed.")
    services = models.ManyToManyField(PublishedService, blank=True, related_name="maintenance_windows")
    title = LineField()
    title_cy = LineField(blank=True, default="")
    description = ProseField(blank=True, default="")
    description_cy = ProseField(blank=True, default="")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    sequence = models.PositiveIntegerField(default=0, help_text="iCalendar SEQUENCE: moved on by each change.")
    created_at = models.DateTimeField()
    created_by_name = LineField()

    class Meta:
        ordering = ("starts_at", "id")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="status_maintenance_ends_after_start",
                violation_error_message="A maintenance window must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return self.title


class Subscriber(models.Model):
    """A confirmed e-mail subscription to an organisation's public updates."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="status_subscribers")
    email = models.EmailField(max_length=254)
    language = models.CharField(max_length=2, default="en")
    token = models.CharField(max_length=32, unique=True, help_text="Names it in unsubscribe links.")
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ("organisation_id", "id")
        constraints = [models.UniqueConstraint(fields=("organisation", "email"), name="status_subscriber_once")]

    def __str__(self) -> str:
        return f"subscriber #{self.pk}"


class SubscriptionRequest(models.Model):
    """That a confirmation was sent to an address recently: a keyed digest of it, never the address."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("organisation", "digest"), name="status_request_once"),
        ]

    def __str__(self) -> str:
        return f"subscription request at {self.requested_at:%Y-%m-%d %H:%M}"


class Throttle(models.Model):
    """Requests counted per key (a digest of the client's address) in fixed windows."""

    key = models.CharField(max_length=80)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("key", "window"), name="status_throttle_once")]

    def __str__(self) -> str:
        return f"{self.key} at {self.window:%Y-%m-%d %H:%M}: {self.count}"


class JobState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"


class PublishJob(models.Model):
    """Publish an organisation's bundle to one target; see publishing/worker.py."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="publish_jobs")
    target = models.CharField(max_length=64, help_text="The target's name: directory, s3 or git.")
    reason = LineField()
    created_at = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Failed tries so far.")
    retry_at = models.DateTimeField(null=True, blank=True)
    last_error = ProseField(blank=True, default="")
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    version = models.CharField(max_length=32, blank=True, default="", help_text="The version published.")
    covered_by = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("due_at", "id")
        indexes = [models.Index(fields=("state", "due_at"), name="status_publish_due")]

    def __str__(self) -> str:
        return f"publish to {self.target}: {self.reason}"
