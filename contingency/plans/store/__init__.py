"""Plans in the database: import a validated PlanDocument, and export it back unchanged.

Import replaces: the plan row (and so its primary key) is kept, every part of the plan is
deleted and written again in file order, and all of it happens in one transaction, so a
failure half-way leaves the database as it was. The plan file is authoritative for the plan;
the organisation it names is created from it when there is none, and otherwise left as its
administrators set it (core.organisations; decision 0027), so an upload never renames an
organisation or moves its working hours. Export rebuilds the document with one query per table, and
`export_plan(import_plan(p)) == p` for every valid plan (models.py explains the mapping).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from contingency.core.models import Organisation

from ..models import PART_MODELS, Plan, new_revision
from ..problems import PlanInvalid, Problem
from ..spec import PlanDocument
from ..spec import directory as d
from ..spec.types import STORED
from ..spec.written import is_reference
from ..validate import check_references
from .reader import Reader, organisation_data
from .writer import Writer, data_or_none

__all__ = [
    "export_plan",
    "import_plan",
    "import_plans",
    "organisation_differences",
    "organisation_document",
    "upsert_organisation",
]


def import_plan(document: PlanDocument, *, source: str | None = None) -> Plan:
    """Create or replace the plan (and update its organisation) from a document, all or nothing."""
    with transaction.atomic():
        return _import(document, source)


def import_plans(documents: Iterable[PlanDocument], *, sources: Sequence[str | None] | None = None) -> list[Plan]:
    """Import several plans in one transaction: all of them, or none if any fails."""
    docs = list(documents)
    files = list(sources) if sources is not None else [None] * len(docs)
    if len(files) != len(docs):
        raise ValueError(f"{len(docs)} documents but {len(files)} sources")
    if problems := _batch_conflicts(docs, files):
        raise PlanInvalid(problems)
    with transaction.atomic():
        return [_import(doc, file) for doc, file in zip(docs, files, strict=True)]


def export_plan(plan: Plan) -> PlanDocument:
    """Rebuild the plan's document exactly as it was imported (or as since edited)."""
    return PlanDocument.model_validate(Reader(plan).document(), context=STORED)


def organisation_document(organisation: Organisation) -> d.Organisation:
    """The organisation as a plan file describes it."""
    return d.Organisation.model_validate(organisation_data(organisation))


def _batch_conflicts(docs: list[PlanDocument], files: list[str | None]) -> list[Problem]:
    """Plans in one batch that would overwrite each other, or describe one organisation differently."""
    problems: list[Problem] = []
    plans: dict[tuple[str, str], str | None] = {}
    organisations: dict[str, tuple[d.Organisation, str | None]] = {}
    for doc, file in zip(docs, files, strict=True):
        key = (doc.organisation.id, doc.id)
        if key in plans:
            message = f"plan {doc.id!r} of {key[0]!r} is also in {plans[key] or 'another document'}"
            problems.append(Problem("import.duplicate-plan", message, ("id",), file))
        plans.setdefault(key, file)
        first, first_file = organisations.setdefault(doc.organisation.id, (doc.organisation, file))
        if first != doc.organisation:
            message = (
                f"organisation {first.id!r} is described differently in {first_file or 'another document'}: "
                "make the two descriptions identical"
            )
            problems.append(Problem("import.organisation-conflict", message, ("organisation",), file))
    return problems


def _import(document: PlanDocument, source: str | None) -> Plan:
    # A document built in code may have skipped validation; a dangling key would otherwise
    # surface as a KeyError half-way through the writes.
    if problems := check_references(document):
        raise PlanInvalid(problems)
    organisation = organisation_for(document.organisation)
    control = document.document
    persons = {p.id for p in document.people}  # a name as written is never a person's id (no spaces)
    plan, _ = Plan.objects.update_or_create(
        organisation=organisation,
        key=document.id,
        defaults={
            "title": document.title,
            "source": source or "",
            "aim": document.aim,
            "objectives": document.objectives,
            "audience": document.audience,
            "scope": document.scope,
            "risk_matrix": data_or_none(document.risk_matrix),
            "number": control.number,
            "issue": control.issue or 0,  # 0: none yet (see models.Plan.issue)
            "issue_date": control.issue_date,
            "review_date": control.review_date,
            "review_interval": str(control.review_interval),
            "created_on": control.created,
            # The old people are about to be deleted; these are set again once the new exist.
            "originator": None,
            "owner": None,
            "approved_by": None,
            "originator_text": None if control.originator in persons else control.originator,
            "owner_text": None if control.owner in persons else control.owner,
            "approved_by_text": None if control.approved_by in persons else control.approved_by,
            "approving_body": control.approving_body,
            "approval_date": control.approval_date,
            "classification": control.classification,
            "confidentiality": control.confidentiality,
            "dissemination": control.dissemination,
        },
    )
    for model in reversed(PART_MODELS):
        model.rows_of(plan).delete()
    people = Writer(plan, document).write()
    plan.originator = people.get(control.originator) if is_reference(control.originator) else None
    plan.owner = people.get(control.owner) if is_reference(control.owner) else None
    plan.approved_by = people.get(control.approved_by) if is_reference(control.approved_by) else None
    plan.save(update_fields=["originator", "owner", "approved_by", "updated_at"])
    return plan


def _described(organisation: d.Organisation) -> dict[str, object]:
    hours = organisation.working_hours
    return {
        "name": organisation.name,
        "timezone": organisation.timezone,
        "nation": organisation.nation.value,
        "working_days": list(hours.days),
        "working_start": hours.start,
        "working_end": hours.end,
    }


def organisation_for(organisation: d.Organisation) -> Organisation:
    """The organisation a plan file names: created from the file when new, otherwise unchanged."""
    row, _ = Organisation.objects.get_or_create(slug=organisation.id, defaults=_described(organisation))
    return row


def organisation_differences(organisation: d.Organisation) -> list[str]:
    """What a plan file says about its (existing) organisation that differs from the organisation's settings."""
    described = _described(organisation)
    stored = Organisation.objects.filter(slug=organisation.id).values(*described).first()
    if stored is None:
        return []
    labels = {"working_days": "working hours", "working_start": "working hours", "working_end": "working hours"}
    return list(dict.fromkeys(labels.get(k, k.replace("_", " ")) for k, v in described.items() if stored[k] != v))


def upsert_organisation(organisation: d.Organisation) -> Organisation:
    """Create or update the organisation as described (call inside a transaction): a laptop copy follows
    its server's organisation. A plan import does not (organisation_for)."""
    described = _described(organisation)
    before = Organisation.objects.filter(slug=organisation.id).values(*described).first()
    row, _ = Organisation.objects.update_or_create(slug=organisation.id, defaults=described)
    if before is not None and before != described:
        # Every plan's document carries its organisation: the other plans' derived views change too.
        Plan.objects.filter(organisation=row).update(revision=new_revision())
    return row
