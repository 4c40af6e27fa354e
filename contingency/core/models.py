"""Organisations, and the building blocks every other app's models share."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.conf import settings
from django.db import models

_ST = TypeVar("_ST", contravariant=True)
_GT = TypeVar("_GT", covariant=True)

if TYPE_CHECKING:
    _TextField = models.TextField
else:
    # django-stubs types a field by two generic parameters that Django's classes do not accept
    # at runtime; this base accepts and ignores them (what django_stubs_ext.monkeypatch does).
    class _TextField(models.TextField):
        def __class_getitem__(cls, *args: Any) -> type:
            return cls


class ProseField(_TextField[_ST, _GT]):
    """Free text as a plan file holds it: unbounded, because a valid plan must always import.

    Optional text is declared with null=True on purpose: in the plan format an absent field
    (None) and an empty one ("") are different values, and import/export must keep both.
    """


class LineField(ProseField[_ST, _GT]):
    """Prose that is one line by nature (a name, a title): only the admin widget differs."""

    def formfield(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return super().formfield(**{"widget": forms.TextInput(attrs={"size": 60}), **kwargs})


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Nation(models.TextChoices):
    """The UK nation decides the bank holidays that are not working days."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern-ireland"


def _weekdays() -> list[int]:
    return [0, 1, 2, 3, 4]


class Organisation(Timestamped):
    """A body that owns plans; its working hours decide who is called in hours and out of hours.

    Working hours are columns rather than text so calendar code can use them without parsing:
    the days (0 = Monday) and a daily window; every day 00:00-00:00 means around the clock.
    """

    slug = models.CharField(max_length=64, unique=True, help_text="The organisation id used in plan files.")
    name = LineField()
    timezone = LineField(default="Europe/London")
    nation = models.CharField(max_length=32, choices=Nation.choices, default=Nation.ENGLAND)
    working_days = models.JSONField(default=_weekdays, help_text="Days of the week, 0 = Monday.")
    working_start = models.TimeField(default=time(8, 0))
    working_end = models.TimeField(default=time(17, 0))

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(working_start__lt=models.F("working_end"))
                | models.Q(working_start=time(0), working_end=time(0)),
                name="core_organisation_working_window",
                violation_error_message="Working hours must end after they start (00:00-00:00 means all day).",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a member may do in one organisation; a member may hold several roles there."""

    VIEWER = "viewer", "viewer"
    RESPONDER = "responder", "responder"
    EDITOR = "editor", "plan editor"
    APPROVER = "approver", "approver"
    ADMINISTRATOR = "administrator", "administrator"


class Membership(Timestamped):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)

    class Meta:
        ordering = ("organisation__name", "user__username", "role")
        constraints = [
            models.UniqueConstraint(fields=("user", "organisation", "role"), name="core_membership_unique_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.get_role_display()} of {self.organisation}"


class AuditEntry(models.Model):
    """One change to a domain object: who, when, what, and the object before and after.

    Rows are only ever added. `object_type` and `object_key` name the object readably
    (e.g. "function", "pacs-bcdr/functions/imaging") so history survives the object's deletion
    and a plan's re-import, which replaces its part rows.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit_entries")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    actor_name = LineField(help_text="The actor's username at the time, or how the change was made.")
    verb = models.CharField(max_length=32)
    object_type = models.CharField(max_length=32)
    object_key = models.CharField(max_length=255)
    object_label = LineField(blank=True, default="")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = ProseField(blank=True, default="")

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=("organisation", "object_type", "object_key"), name="core_audit_object")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.verb} {self.object_type} {self.object_key}"


class TokenScope(models.TextChoices):
    """What a token may be used for."""

    API = "api", "the whole API, with your roles"
    MIRROR = "mirror", "a laptop copy: read the issued plans only"


class ApiToken(models.Model):
    """A personal token for the JSON API; it acts as its user, with the user's roles.

    Only a SHA-256 digest is stored: the token itself is shown once, when it is made. A mirror
    token reads only the mirror feed (issued plans) and expires, because it lives on a laptop.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = LineField()
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart.")
    digest = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=16, choices=TokenScope.choices, default=TokenScope.API)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="None: until revoked.")
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SignInAddress(models.Model):
    """An address a user has signed in from: failures from elsewhere never lock them out here (ADR 0008)."""

    username = models.CharField(max_length=255)
    address = models.CharField(max_length=64, help_text="The client's IP address as the server sees it.")
    last_signed_in_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=("username", "address"), name="core_signin_address_once")]

    def __str__(self) -> str:
        return f"{self.username} from {self.address}"


class SignInThrottle(models.Model):
    """Wrong passwords for one username from one address, which slow its next attempt (ADR 0008)."""

    username = models.CharField(max_length=255)
    address = models.CharField(max_length=64)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("username", "address"), name="core_signin_throttle_once")]

    def __str__(self) -> str:
        return f"{self.failures} wrong password(s) for {self.username} from {self.address}"


class PersonLink(models.Model):
    """A person in the organisation's plans (by key) who is this member: confirmed by an administrator.

    By key, not a foreign key to a plan's Person row: an import rewrites those rows, and the same key names the
    same person in each of the organisation's plans.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="person_links")
    person_key = models.CharField(max_length=64)
    person_name = LineField(help_text="The person's name in the plan when linked.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person_links")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ("organisation_id", "person_key")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "person_key"), name="core_personlink_person_once"),
            models.UniqueConstraint(fields=("organisation", "user"), name="core_personlink_user_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_key} is {self.user_id}"


class Invitation(models.Model):
    """An administrator's invitation to join the organisation: a signed link, sent by e-mail, to set a password."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    name = LineField(blank=True, default="")
    roles = models.JSONField(default=list)
    token = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations"
    )

    class Meta:
        ordering = ("-invited_at", "-id")

    def __str__(self) -> str:
        return f"{self.email} to {self.organisation_id}"
