"""Downtime data in the database: ranges of downtime IDs, the ledger of records, spot-check draws.

A record belongs to an incident and names its function, kind and target system by the keys of the
incident's plan snapshot (the plan may change; the incident runs on what it was). Its field values
are JSON checked against the kind (checks.py); the identifiers the database must constrain or the
archive reconciliation must match on are copied into columns of their own.

For the imaging archive (downtime/archive/): a record's `system_key` says which system it must
reach; `accession_number`, `patient_id` (hospital number, else NHS number), `study_uid`,
`modality`, `occurred_at` and `expected_instances` are what a study is matched on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField
from contingency.incidents.models import Incident
from contingency.plans.models import KEY_LENGTH

from .archive.matching import BUCKET_LABELS

ID_LENGTH = 24  # a downtime ID: 8 letters, 12 digits, a check character, with room
IDENTIFIER_LENGTH = 64  # accession numbers, hospital numbers, references, DICOM UIDs (64 by the standard)


class IdRange(models.Model):
    """Downtime IDs pre-allocated to a site or department: prefix + serial numbers first..last."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="downtime_id_ranges")
    prefix = models.CharField(max_length=8, help_text="Capital letters, e.g. CT.")
    first = models.BigIntegerField()
    last = models.BigIntegerField()
    digits = models.PositiveSmallIntegerField(help_text="The serial number is zero-padded to this many digits.")
    allocated_to = LineField(help_text="The site or department the IDs are for, e.g. CT, main department.")
    forms = LineField(
        blank=True,
        default="",
        help_text="The record kinds (by id or name, separated by ; or ,) whose paper forms they are printed on; "
        "blank: any kind.",
    )
    note = ProseField(blank=True, default="")
    created_at = models.DateTimeField()
    created_by_name = LineField()

    class Meta:
        ordering = ("organisation_id", "prefix", "first")
        constraints = [
            models.CheckConstraint(condition=models.Q(first__lte=models.F("last")), name="downtime_range_order"),
            models.CheckConstraint(condition=models.Q(first__gte=0), name="downtime_range_positive"),
            models.UniqueConstraint(fields=("organisation", "prefix", "first"), name="downtime_range_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} {self.first}-{self.last} ({self.allocated_to})"

    @property
    def size(self) -> int:
        return self.last - self.first + 1


class PrintedBlock(models.Model):
    """IDs of a range printed onto one numbered copy's paper forms (first..last): printed once, never again.

    Reserved before the pack is built (downtime/printing.py); a build that then fails leaves its block
    unused rather than handing the same IDs to another copy."""

    id_range = models.ForeignKey(IdRange, on_delete=models.CASCADE, related_name="printed_blocks")
    first = models.BigIntegerField()
    last = models.BigIntegerField()
    plan_key = models.CharField(max_length=KEY_LENGTH)
    issue = models.PositiveIntegerField(null=True, blank=True)
    copy_number = models.PositiveIntegerField()
    kind_key = models.CharField(max_length=KEY_LENGTH)
    printed_at = models.DateTimeField()
    printed_by_name = LineField()

    class Meta:
        ordering = ("id_range_id", "first")
        constraints = [
            models.CheckConstraint(condition=models.Q(first__lte=models.F("last")), name="downtime_block_order"),
            models.UniqueConstraint(fields=("id_range", "first"), name="downtime_block_unique_start"),
        ]

    def __str__(self) -> str:
        return f"{self.id_range.prefix} {self.first}-{self.last} (copy {self.copy_number}, {self.kind_key})"


class RecordState(models.TextChoices):
    RECORDED = "recorded"  # written during downtime, not yet in the system
    REENTERED = "re-entered"  # typed into the system: who, when, the system's own reference
    VERIFIED = "verified"  # spot-checked against the system by a second person: it matches
    DISCREPANCY = "discrepancy"  # spot-checked and found wrong: why
    RESOLVED = "resolved"  # the discrepancy put right


# Still to do: not yet re-entered, or found wrong and not yet put right.
OUTSTANDING_STATES = (RecordState.RECORDED, RecordState.DISCREPANCY)


class DowntimeRecord(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="downtime_records")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="downtime_records")
    number = models.PositiveIntegerField(help_text="Numbered from 1 within the incident.")
    function_key = models.CharField(max_length=KEY_LENGTH)
    kind_key = models.CharField(max_length=KEY_LENGTH)
    system_key = models.CharField(max_length=KEY_LENGTH, help_text="The system the record must reach.")
    values = models.JSONField(default=dict, help_text="The record's fields by name, as checked against its kind.")
    # Copied from the values: what the database constrains and the archive reconciliation matches on.
    downtime_id = models.CharField(max_length=ID_LENGTH, blank=True, default="")
    nhs_number = models.CharField(max_length=10, blank=True, default="")
    hospital_number = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    accession_number = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    study_uid = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    reference = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="When it was done (the kind's time field).")
    day = models.DateField(help_text="The local day it was done (else recorded): spot checks are drawn per day.")
    site_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    department_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    modality = models.CharField(max_length=8, blank=True, default="")
    expected_instances = models.PositiveIntegerField(null=True, blank=True)
    # The ledger.
    state = models.CharField(max_length=16, choices=RecordState.choices, default=RecordState.RECORDED)
    client_key = models.CharField(
        max_length=64, blank=True, default="", help_text="Sent by a phone or laptop: the same key twice is one record."
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    recorded_by_name = LineField()
    recorded_via = models.CharField(max_length=64, help_text="phone, web, upload, api, command line ...")
    reentered_at = models.DateTimeField(null=True, blank=True)
    reentered_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    reentered_by_name = LineField(blank=True, default="")
    system_reference = LineField(blank=True, default="", help_text="The system's own reference for the record.")
    sampled_in = models.ForeignKey(
        "SpotCheckDraw", models.SET_NULL, null=True, blank=True, related_name="records", help_text="Drawn for a check."
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    checked_by_name = LineField(blank=True, default="")
    discrepancy = ProseField(blank=True, default="", help_text="What the spot check found wrong.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by_name = LineField(blank=True, default="")
    resolution = ProseField(blank=True, default="")

    class Meta:
        ordering = ("incident_id", "number")
        constraints = [
            models.UniqueConstraint(fields=("incident", "number"), name="downtime_record_unique_number"),
            models.UniqueConstraint(
                fields=("organisation", "downtime_id"),
                condition=~models.Q(downtime_id=""),
                name="downtime_record_id_used_once",
            ),
            models.UniqueConstraint(
                fields=("organisation", "client_key"),
                condition=~models.Q(client_key=""),
                name="downtime_record_unique_client_key",
            ),
            *(
                models.UniqueConstraint(
                    fields=("incident", "kind_key", column),
                    condition=~models.Q(**{column: ""}),
                    name=f"downtime_record_unique_{column}",
                )
                for column in ("accession_number", "study_uid", "reference")
            ),
        ]
        indexes = [
            models.Index(fields=("incident", "state"), name="downtime_record_state"),
            models.Index(fields=("incident", "kind_key", "day"), name="downtime_record_day"),
            models.Index(fields=("organisation", "state"), name="downtime_record_org_state"),
        ]

    def __str__(self) -> str:
        return f"#{self.incident_id}/{self.number} {self.kind_key}"

    @property
    def patient_id(self) -> str:
        """The patient id an archive holds (DICOM PatientID): the hospital number, else the NHS number."""
        return self.hospital_number or self.nhs_number

    @property
    def is_outstanding(self) -> bool:
        return self.state in OUTSTANDING_STATES


class SpotCheckDraw(models.Model):
    """One draw of records for spot checks: which kind and day, the rule, the seed, the population and the picks.

    Anyone can repeat a draw: rank the population by sampling.rank(seed, number) and take the lowest
    until the target is met, skipping those drawn before (sampling.draw).
    """

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="spot_check_draws")
    kind_key = models.CharField(max_length=KEY_LENGTH)
    day = models.DateField(help_text="The day the records were made, on the organisation's clock.")
    seed = models.CharField(max_length=64)
    share = models.PositiveSmallIntegerField(help_text="The share in force for this draw (widened after a failure).")
    at_least = models.PositiveIntegerField()
    population = models.JSONField(help_text="Numbers of the day's re-entered records when drawn.")
    target = models.PositiveIntegerField(help_text="How many of the population are to be checked in all.")
    drawn = models.JSONField(help_text="Record numbers picked by this draw, in the order drawn.")
    reason = LineField()
    drawn_at = models.DateTimeField()
    drawn_by_name = LineField()

    class Meta:
        ordering = ("incident_id", "kind_key", "day", "drawn_at", "id")

    def __str__(self) -> str:
        return f"{self.kind_key} {self.day}: {len(self.drawn)} drawn"


# ---------------------------------------------------------------- the imaging archive (downtime/reconciliation.py)


class CdStudy(models.Model):
    """A study a CD holds, as its DICOMDIR lists it, attached to the record of the CD (burnt or received).

    A record with a CD listed is reconciled by the CD's studies rather than its own identifiers."""

    record = models.ForeignKey(DowntimeRecord, on_delete=models.CASCADE, related_name="cd_studies")
    position = models.PositiveIntegerField(help_text="Its place in the DICOMDIR, from 1.")
    patient_id = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    study_uid = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    accession_number = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    study_date = models.CharField(max_length=8, blank=True, default="")
    study_time = models.CharField(max_length=16, blank=True, default="")
    description = LineField(blank=True, default="")
    series = models.PositiveIntegerField(default=0)
    instances = models.PositiveIntegerField(default=0)
    source = LineField(help_text="The file it was read from.")
    listed_at = models.DateTimeField()
    listed_by_name = LineField()

    class Meta:
        ordering = ("record_id", "position")
        constraints = [models.UniqueConstraint(fields=("record", "position"), name="downtime_cd_study_position")]

    def __str__(self) -> str:
        return f"CD study {self.position} of record {self.record_id}"


class RunStatus(models.TextChoices):
    OK = "ok"  # the archive answered every query: the buckets are the outcome
    FAILED = "failed"  # the archive could not be reconciled: the reason, and no outcome


class ReconciliationRun(models.Model):
    """One reconciliation of an incident's records with the imaging archive, written whole when it ends."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reconciliation_runs")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="reconciliation_runs")
    number = models.PositiveIntegerField(help_text="Numbered from 1 within the incident.")
    as_of = models.DateTimeField(help_text="The records (and their CDs) were read as they stood at this moment.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    run_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    run_by_name = LineField()
    via = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=RunStatus.choices)
    is_clean = models.BooleanField(default=False, help_text="Every record present and complete, nothing not logged.")
    failure_kind = models.CharField(max_length=16, blank=True, default="")
    failure = ProseField(blank=True, default="", help_text="Why the run failed, in words, with the hint.")
    archive = LineField(help_text="Where the queries went (never a secret).")
    systems = models.JSONField(default=list, help_text="The plan systems the archive stands for.")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    expected = models.PositiveIntegerField(help_text="Studies looked for (records, or the studies on their CDs).")
    present = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    count_mismatch = models.PositiveIntegerField(default=0)
    identity_mismatch = models.PositiveIntegerField(default=0)
    not_logged = models.PositiveIntegerField(default=0)
    archive_studies = models.PositiveIntegerField(default=0)
    queries = models.PositiveIntegerField(default=0, help_text="Query windows asked, and look-ups one by one.")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the outcome alone: equal runs, equal digests.")
    result = models.JSONField(help_text="The whole result as the archive package gives it (Reconciliation.to_json).")

    class Meta:
        ordering = ("incident_id", "number")
        constraints = [models.UniqueConstraint(fields=("incident", "number"), name="downtime_run_unique_number")]

    def __str__(self) -> str:
        return f"#{self.incident_id} reconciliation {self.number} ({self.status})"

    @property
    def ok(self) -> bool:
        return self.status == RunStatus.OK

    @property
    def problems(self) -> int:
        """Records not proved by this run, and studies nobody logged."""
        return self.missing + self.count_mismatch + self.identity_mismatch + self.not_logged


class StudyColumns(models.Model):
    """A study as the archive answered it (study level)."""

    study_uid = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    accession_number = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    patient_id = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    study_date = models.CharField(max_length=8, blank=True, default="")
    study_time = models.CharField(max_length=16, blank=True, default="")
    modalities = models.CharField(max_length=64, blank=True, default="")
    instances = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def taken(self) -> str:
        """StudyDate and StudyTime as the modality's clock had them: `2026-03-02 08:15`."""
        day, time = self.study_date, self.study_time
        if len(day) != 8:
            return day
        shown = f"{day[:4]}-{day[4:6]}-{day[6:]}"
        return f"{shown} {time[:2]}:{time[2:4]}" if len(time) >= 4 else shown


class Outcome(StudyColumns):
    """Where one expected study of a run landed, the study the archive has for it (if any), and why."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="outcomes")
    position = models.PositiveIntegerField()
    record = models.ForeignKey(DowntimeRecord, on_delete=models.CASCADE, related_name="outcomes")
    cd_study = models.ForeignKey(CdStudy, models.SET_NULL, null=True, blank=True, related_name="outcomes")
    bucket = models.CharField(max_length=24, choices=[(str(b), label) for b, label in BUCKET_LABELS.items()])
    matched_by = models.CharField(max_length=16, blank=True, default="")
    note = ProseField(blank=True, default="")
    # What was looked for (the record's identifiers then, or its CD's study).
    expected_accession = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    expected_patient = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    expected_study_uid = models.CharField(max_length=IDENTIFIER_LENGTH, blank=True, default="")
    expected_instances = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ("run_id", "position")
        constraints = [models.UniqueConstraint(fields=("run", "position"), name="downtime_outcome_position")]
        indexes = [
            models.Index(fields=("run", "bucket"), name="downtime_outcome_bucket"),
            models.Index(fields=("record", "run"), name="downtime_outcome_record"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: record {self.record_id} {self.bucket}"


class UnloggedStudy(StudyColumns):
    """A study the archive holds from the downtime that no record claims."""

    run = models.ForeignKey(ReconciliationRun, on_delete=models.CASCADE, related_name="unlogged")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ("run_id", "position")
        constraints = [models.UniqueConstraint(fields=("run", "position"), name="downtime_unlogged_position")]

    def __str__(self) -> str:
        return f"run {self.run_id}: not logged {self.study_uid}"
