"""An organisation's imported framework libraries and its manual evidence.

The shipped frameworks are files (frameworks/*.yaml), not rows. A library imported by an
organisation is kept as the text it was imported from, checked on import and read again with
the same reader, so what is shown is exactly what was accepted. Manual evidence is a file
someone attested, for one requirement (by urn, so it survives a library's re-import), in force
from the day it was attested until its expiry; the file itself sits in its own table so that
listing evidence never loads it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField


class ImportedLibrary(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="compliance_libraries")
    urn = models.CharField(max_length=255)
    key = models.CharField(max_length=64, help_text="The urn's last part: names the framework in addresses.")
    name = LineField()
    text = ProseField(help_text="The library file as imported.")
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("organisation_id", "name")
        constraints = [
            models.UniqueConstraint(fields=("organisation", "urn"), name="compliance_library_urn_once"),
            models.UniqueConstraint(fields=("organisation", "key"), name="compliance_library_key_once"),
        ]

    def __str__(self) -> str:
        return self.name


class ManualEvidence(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="manual_evidence")
    framework_key = models.CharField(max_length=64)
    requirement_urn = models.CharField(max_length=255)
    requirement_label = LineField(help_text="The requirement's number and name when recorded.")
    title = LineField()
    note = ProseField(blank=True, default="")
    attested_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    attested_by_name = LineField()
    attested_on = models.DateField(help_text="From this day the evidence counts.")
    expires_on = models.DateField(help_text="From this day it no longer counts.")
    recorded_at = models.DateTimeField()
    file_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ("-attested_on", "-id")
        indexes = [models.Index(fields=("organisation", "requirement_urn"), name="compliance_evidence_req")]
        verbose_name_plural = "manual evidence"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attested_on__lt=models.F("expires_on")), name="compliance_evidence_expires_after"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.attested_on})"


class EvidenceFile(models.Model):
    evidence = models.OneToOneField(ManualEvidence, on_delete=models.CASCADE, related_name="file")
    data = models.BinaryField()

    def __str__(self) -> str:
        return f"file of {self.evidence_id}"
