"""A laptop copy's record of where its plans come from and how the last pull went.

These rows exist only on a laptop (or any install that mirrors another server). The plans
themselves are ordinary plan rows, marked `Plan.mirrored_from` and therefore read-only; the
issue each holds is its latest PlanIssue, whose text is the server's issued text exactly, so its
SHA-256 is what the server's feed lists.
"""

from __future__ import annotations

from django.db import models

from contingency.core.models import Organisation, ProseField


class MirrorServer(models.Model):
    """A server this install pulls from, and the public key pinned at the first pull."""

    url = models.CharField(max_length=500, unique=True, help_text="The server's address, e.g. https://bc.example.org")
    public_key = models.CharField(max_length=100, help_text="The server's Ed25519 public key, pinned: ed25519:...")
    pinned_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url


class MirrorSource(models.Model):
    """One organisation pulled from one server: the feed's cursor and how the last pull went."""

    server = models.ForeignKey(MirrorServer, on_delete=models.CASCADE, related_name="sources")
    slug = models.CharField(max_length=64, unique=True, help_text="The organisation's id, here and on the server.")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="mirror_sources"
    )
    cursor = models.CharField(max_length=128, blank=True, default="", help_text="The feed's state at the last pull.")
    last_success_at = models.DateTimeField(
        null=True, blank=True, help_text="When the copy was last brought up to date."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = ProseField(blank=True, default="", help_text="Why the last attempt failed; empty when it worked.")
    last_changes = models.JSONField(default=list, blank=True, help_text="What the last good pull changed.")

    class Meta:
        ordering = ("slug",)

    def __str__(self) -> str:
        return f"{self.slug} from {self.server}"

    @property
    def failing(self) -> bool:
        return bool(self.last_error)
