"""A plan in the database: one row per part of the plan file that has an identity.

How the plan file maps onto tables (store.py converts both ways, losslessly):
- every part of a plan is a row with a FK to its plan (CASCADE) and a `position`, its index in
  the file, so export writes the parts back in the order they were written;
- a part's readable id is `key`, unique within the plan;
- a reference to exactly one kind of part is a ForeignKey (RESTRICT: a person still named by a
  function cannot be deleted alone, but deleting the whole plan removes both);
- a reference that may name several kinds (a "who": person, role or supplier) is the readable key
  plus its kind, because a ForeignKey can point at one table only;
- a step's `insteadOf` (its counterpart at the other time of day) is the readable key of another
  step of the same procedure: steps are written in one bulk insert, and validation has already
  made sure the key names a step of that procedure;
- ordered lists of references, and small value objects owned by one part (phones, helpdesk,
  backup, impact over time...), are JSON holding exactly the plan format's JSON form;
- an absent optional value is NULL for free text (where "" is a different, valid value) and ""
  for ids, enums and durations (where "" can never be a valid value).
Derived numbers (a risk's score and rating band) are computed, never stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from contingency.core.models import LineField, Organisation, ProseField, Timestamped

from .spec import directory as d
from .spec import plan as p

KEY_LENGTH = 64  # readable ids are at most 64 characters (types.ID_PATTERN)
DURATION_LENGTH = 32  # canonical duration text, e.g. "999999 working days"


def _choices(enum: type[StrEnum]) -> list[tuple[str, str]]:
    return [(member.value, member.value.replace("-", " ")) for member in enum]


def _enum(enum: type[StrEnum], *, default: StrEnum | None = None, optional: bool = False) -> models.CharField[Any, Any]:
    """A column for one of the plan format's enums; optional ones hold "" for absent (no member is "")."""
    if optional:
        return models.CharField(max_length=32, choices=_choices(enum), blank=True, default="")
    if default is None:
        return models.CharField(max_length=32, choices=_choices(enum))
    return models.CharField(max_length=32, choices=_choices(enum), default=default.value)


class WhoKind(models.TextChoices):
    """The kinds of part a "who" reference (spec WhoRef) may name."""

    PERSON = "person"
    ROLE = "role"
    SUPPLIER = "supplier"


class PlanStatus(models.TextChoices):
    """Document control: a draft is submitted, approved, then issued; editing an issue starts a new draft."""

    DRAFT = "draft"
    SUBMITTED = "submitted", "submitted for approval"
    APPROVED = "approved"
    ISSUED = "issued"


def new_revision() -> str:
    """A fresh revision token: random, so no two writes (nor two databases, nor a reused id) share one."""
    return uuid.uuid4().hex


class Plan(Timestamped):
    """One continuity plan of an organisation, with its document control.

    The rows of a plan are its working copy; `status` says where that copy is in the
    approval workflow, and each issue ever issued is kept whole as a PlanIssue.

    `revision` changes with every write to the plan or its parts (save() sets a new one; the
    few writes that bypass save() set it themselves), so what is derived from the plan (its
    document, dependency graph, lint findings: plans.readmodel) is cached by (pk, revision).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="plans")
    key = models.CharField(max_length=KEY_LENGTH, help_text="The plan id, unique within the organisation.")
    title = LineField()
    source = LineField(blank=True, default="", help_text="Where the plan was last imported from.")
    aim = ProseField(null=True, blank=True)
    objectives = models.JSONField(default=list, blank=True)
    audience = models.JSONField(default=list, blank=True)
    scope = models.JSONField(default=list, blank=True)
    risk_matrix = models.JSONField(null=True, blank=True, help_text="Absent means the NHS 5x5 matrix.")
    # Document control.
    number = LineField(null=True, blank=True)  # a plan not yet numbered
    # 0: no issue number yet (a draft never issued; the plan format says none). Issues start at 1.
    issue = models.PositiveIntegerField()
    issue_date = models.DateField()
    review_date = models.DateField()
    review_interval = models.CharField(max_length=DURATION_LENGTH, default="12 months")
    created_on = models.DateField(null=True, blank=True)
    # The plan's people are its children, created after it: these are null only mid-import.
    originator = models.ForeignKey("Person", models.RESTRICT, null=True, blank=True, related_name="+")
    owner = models.ForeignKey("Person", models.RESTRICT, null=True, blank=True, related_name="+")
    approving_body = LineField(null=True, blank=True)
    approved_by = models.ForeignKey("Person", models.RESTRICT, null=True, blank=True, related_name="+")
    # When the originator, owner or approver is not a person of the plan: a role's or supplier's key,
    # or a post or group as the plan names it (the plan format tells the two apart by their syntax).
    originator_text = LineField(null=True, blank=True)
    owner_text = LineField(null=True, blank=True)
    approved_by_text = LineField(null=True, blank=True)
    approval_date = models.DateField(null=True, blank=True)
    classification = LineField(default="OFFICIAL")
    confidentiality = ProseField(null=True, blank=True)
    dissemination = models.JSONField(default=list, blank=True)
    # Workflow state: not part of the plan file.
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    change_summary = ProseField(blank=True, default="", help_text="What the draft changes, for the record of changes.")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    approval_reason = ProseField(
        blank=True,
        default="",
        help_text="Why it was approved although the linter found errors; into the record of changes at issue.",
    )
    revision = models.CharField(
        max_length=32, default=new_revision, editable=False, help_text="Changes with every write (see above)."
    )
    # On a laptop copy: the server the plan is mirrored from. Such a plan is read-only here.
    mirrored_from = models.CharField(
        max_length=500, blank=True, default="", help_text="The server this plan is a read-only copy of."
    )

    class Meta:
        ordering = ("organisation_id", "key")
        constraints = [models.UniqueConstraint(fields=("organisation", "key"), name="plans_plan_unique_key")]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def save(self, *args: Any, update_fields: Iterable[str] | None = None, **kwargs: Any) -> None:
        self.revision = new_revision()
        if update_fields is not None:
            update_fields = {*update_fields, "revision"}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def read_only_reason(self) -> str:
        """Why this plan cannot be changed here ("" when it can): a laptop copy is changed on its server."""
        if not self.mirrored_from:
            return ""
        return (
            f"This plan is a read-only copy of issue {self.issue} from {self.mirrored_from}: it cannot be changed "
            "here. Change it there; the laptop copy brings the new issue across once it is issued."
        )

    def clean(self) -> None:
        for name in ("originator", "owner", "approved_by"):
            person = getattr(self, name)
            if person is not None and person.plan_id != self.pk:
                raise ValidationError({name: "Choose a person of this plan."})


class PlanPart(models.Model):
    """A part of a plan: deleted with it, and kept in the order the plan file lists it."""

    position = models.PositiveIntegerField(help_text="Index in the plan file; export keeps this order.")

    class Meta:
        abstract = True
        ordering = ("plan_id", "position")
        constraints = [
            models.UniqueConstraint(fields=("plan", "position"), name="%(app_label)s_%(class)s_unique_position")
        ]

    @classmethod
    def rows_of(cls, plan: Plan) -> models.QuerySet[Self]:
        """This table's rows of one plan, in document order."""
        # Every concrete part declares its own `plan` (for its related_name), so the type checker
        # does not see the field on this abstract class; hence the keyword by name.
        return cls._default_manager.filter(**{"plan": plan}).order_by("position")

    def clean(self) -> None:
        # Foreign keys may only join parts of the same plan; the database cannot say so.
        for field in self._meta.concrete_fields:
            target = getattr(self, field.name, None) if field.is_relation else None
            if isinstance(target, PlanPart) and getattr(target, "plan_id", None) != getattr(self, "plan_id", None):
                raise ValidationError({field.name: "Choose a part of the same plan."})


class KeyedPart(PlanPart):
    """A part with a readable id of its own."""

    key = models.CharField(max_length=KEY_LENGTH)

    class Meta(PlanPart.Meta):
        abstract = True
        constraints = [
            *PlanPart.Meta.constraints,
            models.UniqueConstraint(fields=("plan", "key"), name="%(app_label)s_%(class)s_unique_key"),
        ]

    def __str__(self) -> str:
        return self.key


def _who_pair(prefix: str) -> models.CheckConstraint:
    """A "who" is a key and a kind together, or neither."""
    key, kind = f"{prefix}_key", f"{prefix}_kind"
    return models.CheckConstraint(
        condition=models.Q(**{key: "", kind: ""}) | (~models.Q(**{key: ""}) & ~models.Q(**{kind: ""})),
        name=f"%(app_label)s_%(class)s_{prefix}_pair",
    )


# ---------------------------------------------------------------- the contact directory


class Person(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="people")
    name = LineField()
    job_title = LineField(null=True, blank=True)
    employer = LineField(null=True, blank=True)
    phones = models.JSONField(default=list, blank=True)
    email = LineField(null=True, blank=True)
    deputy = LineField(blank=True, default="", help_text="Key of the person's deputy, or a name as written.")

    class Meta(KeyedPart.Meta):
        verbose_name_plural = "people"


class Supplier(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="suppliers")
    name = LineField()
    kind = _enum(d.SupplierKind, default=d.SupplierKind.VENDOR)
    aliases = models.JSONField(default=list, blank=True)
    services = models.JSONField(default=list, blank=True)
    contract_reference = LineField(null=True, blank=True)
    helpdesk = models.JSONField(null=True, blank=True)
    contacts = models.JSONField(default=list, blank=True, help_text="Person keys.")


class Site(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="sites")
    name = LineField()
    kind = _enum(d.SiteKind, default=d.SiteKind.OTHER)
    address = ProseField(null=True, blank=True)
    operator = models.ForeignKey(Supplier, models.RESTRICT, null=True, blank=True, related_name="operated_sites")


class Role(KeyedPart):
    """A team, a post or a department; how it is reached in and out of hours is JSON (spec Contact)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="roles")
    name = LineField()
    kind = _enum(d.RoleKind, default=d.RoleKind.ROLE)
    members = models.JSONField(default=list, blank=True, help_text="Person keys.")
    in_hours = models.JSONField(null=True, blank=True)
    out_of_hours = models.JSONField(null=True, blank=True)


class ContactList(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="contact_lists")
    name = LineField()
    members = models.JSONField(default=list, help_text="Keys of people, roles, suppliers and lists.")


class System(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="systems")
    name = LineField()
    description = ProseField(null=True, blank=True)
    site = models.ForeignKey(Site, models.RESTRICT, null=True, blank=True, related_name="systems")
    supplier = models.ForeignKey(Supplier, models.RESTRICT, null=True, blank=True, related_name="systems")
    redundancy = _enum(d.Redundancy, default=d.Redundancy.NONE)
    components = models.JSONField(default=list, blank=True)
    depends_on = models.JSONField(default=list, blank=True, help_text="Keys of systems, suppliers and sites.")
    backup = models.JSONField(null=True, blank=True)
    failover = models.JSONField(null=True, blank=True)
    owner_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    owner_kind = models.CharField(max_length=16, choices=WhoKind.choices, blank=True, default="")
    probes = models.JSONField(null=True, blank=True, help_text="How its checks run and open incidents.")

    class Meta(KeyedPart.Meta):
        constraints = [*KeyedPart.Meta.constraints, _who_pair("owner")]


# ---------------------------------------------------------------- impact analysis and risks


class CriticalFunction(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="functions")
    name = LineField()
    description = ProseField(null=True, blank=True)
    owner = models.ForeignKey(Person, models.RESTRICT, null=True, blank=True, related_name="owned_functions")
    deputy = models.ForeignKey(Person, models.RESTRICT, null=True, blank=True, related_name="deputised_functions")
    # An owner or deputy that is not a person of the plan: a role's or supplier's key, or a name as written.
    owner_text = LineField(null=True, blank=True)
    deputy_text = LineField(null=True, blank=True)
    locations = models.JSONField(default=list, blank=True, help_text="Site keys.")
    likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    likelihood_words = LineField(null=True, blank=True, help_text="The likelihood as written, when not a score.")
    impact = models.JSONField(default=list, blank=True)
    rto = models.JSONField(default=list, blank=True)
    # Durations as written: canonical text ("4h") or the plan's words ("if prolonged"), so unbounded.
    rpo = LineField(blank=True, default="")
    mtpd = LineField(blank=True, default="")
    resources = models.JSONField(default=dict, blank=True)
    data_recovery = models.JSONField(null=True, blank=True)
    duration_rules = models.JSONField(default=list, blank=True)
    depends_on = models.JSONField(default=list, blank=True, help_text="Keys of functions, systems, suppliers, sites.")
    procedures = models.JSONField(default=list, blank=True, help_text="Procedure keys.")


class RecordKind(KeyedPart):
    """A kind of record kept by hand during downtime; its fields and verification rule are JSON."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="record_kinds")
    name = LineField()
    description = ProseField(null=True, blank=True)
    system = models.ForeignKey(System, models.RESTRICT, related_name="record_kinds")
    fields = models.JSONField(default=list, blank=True)
    verification = models.JSONField(default=dict, blank=True, help_text="Empty: the default rule (check 100%).")


class Risk(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="risks")
    title = LineField()
    failure = _enum(p.FailureKind, optional=True)
    causes = models.JSONField(default=list, blank=True)
    impact = ProseField(null=True, blank=True)
    likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    consequence = models.PositiveSmallIntegerField(null=True, blank=True)
    likelihood_words = LineField(null=True, blank=True, help_text="The likelihood as written, when not a score.")
    consequence_words = LineField(null=True, blank=True, help_text="The consequence as written, when not a score.")
    stated = models.JSONField(null=True, blank=True)
    recognise = models.JSONField(default=list, blank=True)
    response = models.JSONField(null=True, blank=True)
    affects = models.JSONField(default=list, blank=True, help_text="Keys of functions and systems.")
    owner_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    owner_kind = models.CharField(max_length=16, choices=WhoKind.choices, blank=True, default="")

    class Meta(KeyedPart.Meta):
        constraints = [*KeyedPart.Meta.constraints, _who_pair("owner")]

    @property
    def score(self) -> int | None:
        """Likelihood times consequence, 1-25 (see plans.matrix); None when either is words or absent."""
        if self.likelihood is None or self.consequence is None:
            return None
        return self.likelihood * self.consequence


class EscalationLevel(PlanPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="escalation")
    level = models.PositiveIntegerField()
    name = LineField()
    when = ProseField(null=True, blank=True)
    who = models.JSONField(default=list, blank=True, help_text="Keys of people, roles and suppliers.")
    responsibilities = models.JSONField(default=list, blank=True)
    invokes_plan = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.level}. {self.name}"


# ---------------------------------------------------------------- procedures and trigger points


class Procedure(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="procedures")
    title = LineField()
    phase = _enum(p.ProcedurePhase, default=p.ProcedurePhase.RESPONSE)
    applies_to = models.JSONField(default=list, blank=True, help_text="Keys of functions and systems.")


class ProcedureItem(PlanPart):
    """A check or step: ordered within its procedure, with an optional id unique in the plan."""

    key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")

    class Meta(PlanPart.Meta):
        abstract = True
        ordering = ("procedure_id", "position")
        constraints = [
            models.UniqueConstraint(fields=("procedure", "position"), name="%(app_label)s_%(class)s_unique_position"),
            models.UniqueConstraint(
                fields=("plan", "key"), condition=~models.Q(key=""), name="%(app_label)s_%(class)s_unique_key"
            ),
        ]


class ConfirmCheck(ProcedureItem):
    """A confirm-it-is-down check; `statement` because Model.check is taken by Django."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="confirm_checks")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="confirm")
    statement = ProseField()
    if_not = _enum(p.Outcome, default=p.Outcome.CONTINUE)
    advice = ProseField(null=True, blank=True)

    def __str__(self) -> str:
        return self.statement


class ProcedureStep(ProcedureItem):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="procedure_steps")
    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    text = ProseField()
    kind = _enum(p.StepKind, default=p.StepKind.DO)
    when = _enum(p.When, default=p.When.ALWAYS)
    instead_of = models.CharField(
        max_length=KEY_LENGTH,
        blank=True,
        default="",
        help_text="Key of the step of the same procedure this one is done in place of at the other time of day.",
    )
    who_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    who_kind = models.CharField(max_length=16, choices=WhoKind.choices, blank=True, default="")
    targets = models.JSONField(default=list, blank=True, help_text="Keys of people, roles, suppliers and lists.")
    call_tree = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="Key of a call tree.")
    message = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="Key of a message template.")
    note = ProseField(null=True, blank=True)

    class Meta(ProcedureItem.Meta):
        constraints = [
            *ProcedureItem.Meta.constraints,
            _who_pair("who"),
            # A step done always has no counterpart, and no step is instead of itself.
            models.CheckConstraint(
                condition=models.Q(instead_of="")
                | (~models.Q(when=p.When.ALWAYS.value) & ~models.Q(instead_of=models.F("key"))),
                name="%(app_label)s_%(class)s_instead_of",
            ),
        ]

    def __str__(self) -> str:
        return self.text


class TriggerPoint(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="triggers")
    name = LineField()
    kind = _enum(p.TriggerKind)
    every = LineField(blank=True, default="")  # a duration, or the plan's words ("on an agreed basis")
    start = models.CharField(max_length=DURATION_LENGTH, blank=True, default="")
    until = models.CharField(max_length=DURATION_LENGTH, blank=True, default="")
    after = LineField(blank=True, default="")
    unless_restored = models.BooleanField(default=True)
    chair_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    chair_kind = models.CharField(max_length=16, choices=WhoKind.choices, blank=True, default="")
    attendees = models.JSONField(default=list, blank=True, help_text="Keys of people, roles, suppliers and lists.")
    actions = models.JSONField(default=list, blank=True)
    call_tree = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="Key of a call tree.")
    message = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="Key of a message template.")

    class Meta(KeyedPart.Meta):
        constraints = [*KeyedPart.Meta.constraints, _who_pair("chair")]


class CallTree(KeyedPart):
    """Who a trigger point or inform step tells, by which channels in turn; audience and fall-back are JSON."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="call_trees")
    name = LineField()
    audience = models.JSONField(default=list)
    channels = models.JSONField(default=list)
    ack_within = models.CharField(max_length=DURATION_LENGTH)
    fallback = models.JSONField(default=dict, blank=True)
    posts = models.JSONField(default=list, blank=True, help_text="Names of configured webhooks.")
    message = models.CharField(max_length=KEY_LENGTH, blank=True, default="", help_text="Key of a message template.")


class MessageTemplate(KeyedPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="message_templates")
    subject = LineField()
    body = ProseField()
    sms = ProseField(null=True, blank=True)


# ---------------------------------------------------------------- document control and monitoring


class ChangeRecord(PlanPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="changes")
    issue = models.PositiveIntegerField()
    date = models.DateField()
    summary = ProseField()
    author = models.ForeignKey(Person, models.RESTRICT, null=True, blank=True, related_name="+")

    def __str__(self) -> str:
        return f"Issue {self.issue} ({self.date})"


class CopyHolder(PlanPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="holders")
    copy_number = models.PositiveIntegerField()
    holder = models.ForeignKey(Person, models.RESTRICT, related_name="+")
    location = LineField(null=True, blank=True)
    acknowledged_issue = models.PositiveIntegerField(null=True, blank=True)
    acknowledged_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Copy {self.copy_number}"


class MonitoringActivity(PlanPart):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="monitoring")
    activity = ProseField()
    every = LineField(blank=True, default="")
    owner_key = models.CharField(max_length=KEY_LENGTH, blank=True, default="")
    owner_kind = models.CharField(max_length=16, choices=WhoKind.choices, blank=True, default="")

    class Meta(PlanPart.Meta):
        verbose_name_plural = "monitoring activities"
        constraints = [*PlanPart.Meta.constraints, _who_pair("owner")]

    def __str__(self) -> str:
        return self.activity


# Every table of plan parts, in creation order: each table's foreign keys point only at tables
# before it, so import writes in this order and deletes in reverse.
PART_MODELS: tuple[type[PlanPart], ...] = (
    Person,
    Supplier,
    Site,
    Role,
    ContactList,
    System,
    CriticalFunction,
    RecordKind,
    Risk,
    EscalationLevel,
    Procedure,
    ConfirmCheck,
    ProcedureStep,
    TriggerPoint,
    CallTree,
    MessageTemplate,
    ChangeRecord,
    CopyHolder,
    MonitoringActivity,
)


class PlanIssue(models.Model):
    """One issue of a plan exactly as issued: the canonical YAML, kept for diffs and evidence."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="issues")
    issue = models.PositiveIntegerField()
    issue_date = models.DateField()
    text = ProseField(help_text="The plan file of this issue, in canonical form.")
    summary = ProseField(blank=True, default="")
    issued_at = models.DateTimeField()
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ("plan_id", "-issue")
        constraints = [models.UniqueConstraint(fields=("plan", "issue"), name="plans_planissue_unique_issue")]

    def __str__(self) -> str:
        return f"{self.plan.key} issue {self.issue}"


class PlanReview(models.Model):
    """A review of a plan that found it still right ("reviewed, no change"), or led to a new draft."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+")
    issue = models.PositiveIntegerField(help_text="The issue that was reviewed.")
    outcome = models.CharField(
        max_length=16, choices=[("no-change", "reviewed, no change"), ("changes", "changes needed")]
    )
    note = ProseField(blank=True, default="")
    next_review_date = models.DateField()

    class Meta:
        ordering = ("plan_id", "-reviewed_at")

    def __str__(self) -> str:
        return f"{self.plan.key} reviewed {self.reviewed_at:%Y-%m-%d}"
