"""Plans in the database: import a validated PlanDocument, and export it back unchanged.

Import replaces: the plan row (and so its primary key) is kept, every part of the plan is
deleted and written again in file order, and all of it happens in one transaction, so a
failure half-way leaves the database as it was. The plan file is authoritative, also for
the organisation it names. Export rebuilds the document with one query per table, and
`export_plan(import_plan(p)) == p` for every valid plan (models.py explains the mapping).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from django.db import models, transaction
from pydantic import BaseModel

from contingency.core.models import Organisation

from .models import (
    ChangeRecord,
    ConfirmCheck,
    ContactList,
    CopyHolder,
    CriticalFunction,
    EscalationLevel,
    MonitoringActivity,
    Person,
    Plan,
    Procedure,
    ProcedureStep,
    Risk,
    Role,
    Site,
    Supplier,
    System,
    TriggerPoint,
)
from .problems import PlanInvalid, Problem
from .spec import PlanDocument, ServiceHours
from .spec import directory as d
from .validate import check_references, index
from .yamlform import part_to_data

# In creation order: every table's foreign keys point at tables before it. Deletion runs in reverse.
PART_MODELS: tuple[type[models.Model], ...] = (
    Person,
    Supplier,
    Site,
    Role,
    ContactList,
    System,
    CriticalFunction,
    Risk,
    EscalationLevel,
    Procedure,
    ConfirmCheck,
    ProcedureStep,
    TriggerPoint,
    ChangeRecord,
    CopyHolder,
    MonitoringActivity,
)

M = TypeVar("M", bound=models.Model)


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
    return PlanDocument.model_validate(_Reader(plan).document())


# ---------------------------------------------------------------- import


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
    organisation = _upsert_organisation(document.organisation)
    control = document.document
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
            "risk_matrix": _data(document.risk_matrix),
            "number": control.number,
            "issue": control.issue,
            "issue_date": control.issue_date,
            "review_date": control.review_date,
            "review_interval": str(control.review_interval),
            "created_on": control.created,
            # The old people are about to be deleted; these are set again once the new exist.
            "originator": None,
            "owner": None,
            "approved_by": None,
            "approving_body": control.approving_body,
            "approval_date": control.approval_date,
            "classification": control.classification,
            "confidentiality": control.confidentiality,
            "dissemination": control.dissemination,
        },
    )
    for model in reversed(PART_MODELS):
        model._default_manager.filter(plan=plan).delete()
    people = _Writer(plan, document).write()
    plan.originator = _ref(people, control.originator)
    plan.owner = people[control.owner]
    plan.approved_by = _ref(people, control.approved_by)
    plan.save(update_fields=["originator", "owner", "approved_by", "updated_at"])
    return plan


def _upsert_organisation(organisation: d.Organisation) -> Organisation:
    hours = organisation.working_hours
    row, _ = Organisation.objects.update_or_create(
        slug=organisation.id,
        defaults={
            "name": organisation.name,
            "timezone": organisation.timezone,
            "nation": organisation.nation.value,
            "working_days": list(hours.days),
            "working_start": hours.start,
            "working_end": hours.end,
        },
    )
    return row


def _data(part: BaseModel | None) -> Any:
    return None if part is None else part_to_data(part)


def _data_list(parts: Iterable[BaseModel]) -> list[Any]:
    return [part_to_data(part) for part in parts]


def _ref(rows: dict[str, M], key: str | None) -> M | None:
    return None if key is None else rows[key]


def _bulk(rows: list[M]) -> dict[str, M]:
    """Insert rows (primary keys come back on SQLite and PostgreSQL); index them by key."""
    if rows:
        type(rows[0])._default_manager.bulk_create(rows)
    return {getattr(row, "key", ""): row for row in rows}


class _Writer:
    """Writes the parts of one document as rows of one plan, in dependency order."""

    def __init__(self, plan: Plan, document: PlanDocument):
        self.plan = plan
        self.doc = document
        self.kinds = {key: entry.kind for key, entry in index(document)[0].items()}

    def who(self, name: str, key: str | None) -> dict[str, str]:
        """A reference to a person, role or supplier: its key and kind columns."""
        return {f"{name}_key": key or "", f"{name}_kind": self.kinds[key] if key else ""}

    def write(self) -> dict[str, Person]:
        """Write every part; return the plan's people by key."""
        plan, doc = self.plan, self.doc
        people = _bulk(
            [
                Person(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    job_title=x.job_title,
                    employer=x.employer,
                    phones=_data_list(x.phones),
                    email=x.email,
                )
                for i, x in enumerate(doc.people)
            ]
        )
        suppliers = _bulk(
            [
                Supplier(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    kind=x.kind.value,
                    aliases=x.aliases,
                    services=x.services,
                    contract_reference=x.contract_reference,
                    helpdesk=_data(x.helpdesk),
                    contacts=x.contacts,
                )
                for i, x in enumerate(doc.suppliers)
            ]
        )
        sites = _bulk(
            [
                Site(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    kind=x.kind.value,
                    address=x.address,
                    operator=_ref(suppliers, x.operator),
                )
                for i, x in enumerate(doc.sites)
            ]
        )
        self.write_directory(sites, suppliers)
        self.write_functions(people)
        self.write_procedures()
        self.write_document_control(people)
        return people

    def write_directory(self, sites: dict[str, Site], suppliers: dict[str, Supplier]) -> None:
        plan, doc = self.plan, self.doc
        _bulk(
            [
                Role(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    kind=x.kind.value,
                    members=x.members,
                    in_hours=_data(x.in_hours),
                    out_of_hours=_data(x.out_of_hours),
                )
                for i, x in enumerate(doc.roles)
            ]
        )
        _bulk(
            [
                ContactList(plan=plan, position=i, key=x.id, name=x.name, members=x.members)
                for i, x in enumerate(doc.lists)
            ]
        )
        _bulk(
            [
                System(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    description=x.description,
                    site=_ref(sites, x.site),
                    supplier=_ref(suppliers, x.supplier),
                    redundancy=x.redundancy.value,
                    components=_data_list(x.components),
                    depends_on=x.depends_on,
                    backup=_data(x.backup),
                    failover=_data(x.failover),
                )
                for i, x in enumerate(doc.systems)
            ]
        )

    def write_functions(self, people: dict[str, Person]) -> None:
        plan, doc = self.plan, self.doc
        _bulk(
            [
                CriticalFunction(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    description=x.description,
                    owner=_ref(people, x.owner),
                    deputy=_ref(people, x.deputy),
                    locations=x.locations,
                    likelihood=x.likelihood,
                    impact=_data_list(x.impact),
                    rto=_data_list(x.rto),
                    rpo=str(x.rpo or ""),
                    mtpd=str(x.mtpd or ""),
                    resources=part_to_data(x.resources),
                    data_recovery=_data(x.data_recovery),
                    duration_rules=_data_list(x.duration_rules),
                    depends_on=x.depends_on,
                    procedures=x.procedures,
                )
                for i, x in enumerate(doc.functions)
            ]
        )
        _bulk(
            [
                Risk(
                    plan=plan,
                    position=i,
                    key=x.id,
                    title=x.title,
                    failure=x.failure.value if x.failure else "",
                    causes=x.causes,
                    impact=x.impact,
                    likelihood=x.likelihood,
                    consequence=x.consequence,
                    stated=_data(x.stated),
                    recognise=x.recognise,
                    response=_data(x.response),
                    affects=x.affects,
                    **self.who("owner", x.owner),
                )
                for i, x in enumerate(doc.risks)
            ]
        )
        _bulk(
            [
                EscalationLevel(
                    plan=plan,
                    position=i,
                    level=x.level,
                    name=x.name,
                    when=x.when,
                    who=x.who,
                    responsibilities=x.responsibilities,
                    invokes_plan=x.invokes_plan,
                )
                for i, x in enumerate(doc.escalation)
            ]
        )

    def write_procedures(self) -> None:
        plan, doc = self.plan, self.doc
        procedures = _bulk(
            [
                Procedure(plan=plan, position=i, key=x.id, title=x.title, phase=x.phase.value, applies_to=x.applies_to)
                for i, x in enumerate(doc.procedures)
            ]
        )
        _bulk(
            [
                ConfirmCheck(
                    plan=plan,
                    procedure=procedures[x.id],
                    position=j,
                    key=c.id or "",
                    statement=c.check,
                    if_not=c.if_not.value,
                    advice=c.advice,
                )
                for x in doc.procedures
                for j, c in enumerate(x.confirm)
            ]
        )
        _bulk(
            [
                ProcedureStep(
                    plan=plan,
                    procedure=procedures[x.id],
                    position=j,
                    key=s.id or "",
                    text=s.text,
                    kind=s.kind.value,
                    when=s.when.value,
                    targets=s.targets,
                    note=s.note,
                    **self.who("who", s.who),
                )
                for x in doc.procedures
                for j, s in enumerate(x.steps)
            ]
        )
        _bulk(
            [
                TriggerPoint(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    kind=x.kind.value,
                    every=str(x.every or ""),
                    start=str(x.start or ""),
                    until=str(x.until or ""),
                    after=str(x.after or ""),
                    unless_restored=x.unless_restored,
                    attendees=x.attendees,
                    actions=_data_list(x.actions),
                    **self.who("chair", x.chair),
                )
                for i, x in enumerate(doc.triggers)
            ]
        )

    def write_document_control(self, people: dict[str, Person]) -> None:
        plan, doc = self.plan, self.doc
        _bulk(
            [
                ChangeRecord(
                    plan=plan,
                    position=i,
                    issue=x.issue,
                    date=x.date,
                    summary=x.summary,
                    author=_ref(people, x.author),
                )
                for i, x in enumerate(doc.document.changes)
            ]
        )
        _bulk(
            [
                CopyHolder(
                    plan=plan,
                    position=i,
                    copy_number=x.copy_number,
                    holder=people[x.holder],
                    location=x.location,
                    acknowledged_issue=x.acknowledged_issue,
                    acknowledged_on=x.acknowledged_on,
                )
                for i, x in enumerate(doc.document.holders)
            ]
        )
        _bulk(
            [
                MonitoringActivity(
                    plan=plan,
                    position=i,
                    activity=x.activity,
                    every=str(x.every or ""),
                    **self.who("owner", x.owner),
                )
                for i, x in enumerate(doc.monitoring)
            ]
        )


# ---------------------------------------------------------------- export


class _Reader:
    """Reads one plan's rows (one query per table) and rebuilds its YAML-shaped data."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.rows: dict[type[models.Model], list[Any]] = {
            model: list(model._default_manager.filter(plan=plan).order_by("position")) for model in PART_MODELS
        }
        # Foreign keys are resolved through these maps rather than joins: the rows are here already.
        self.person_key = {row.pk: row.key for row in self.rows[Person]}
        self.site_key = {row.pk: row.key for row in self.rows[Site]}
        self.supplier_key = {row.pk: row.key for row in self.rows[Supplier]}

    def document(self) -> dict[str, Any]:
        plan, rows = self.plan, self.rows
        return {
            "apiVersion": "contingency/v1",
            "kind": "Plan",
            "id": plan.key,
            "title": plan.title,
            "organisation": _organisation(plan.organisation),
            "document": self.document_control(),
            "aim": plan.aim,
            "objectives": plan.objectives,
            "audience": plan.audience,
            "scope": plan.scope,
            "riskMatrix": plan.risk_matrix,
            "sites": [
                {
                    "id": x.key,
                    "name": x.name,
                    "kind": x.kind,
                    "address": x.address,
                    "operator": self.supplier_key.get(x.operator_id),
                }
                for x in rows[Site]
            ],
            "people": [
                {
                    "id": x.key,
                    "name": x.name,
                    "jobTitle": x.job_title,
                    "employer": x.employer,
                    "phones": x.phones,
                    "email": x.email,
                }
                for x in rows[Person]
            ],
            "roles": [
                {
                    "id": x.key,
                    "name": x.name,
                    "kind": x.kind,
                    "members": x.members,
                    "inHours": x.in_hours,
                    "outOfHours": x.out_of_hours,
                }
                for x in rows[Role]
            ],
            "lists": [{"id": x.key, "name": x.name, "members": x.members} for x in rows[ContactList]],
            "suppliers": [
                {
                    "id": x.key,
                    "name": x.name,
                    "kind": x.kind,
                    "aliases": x.aliases,
                    "services": x.services,
                    "contractReference": x.contract_reference,
                    "helpdesk": x.helpdesk,
                    "contacts": x.contacts,
                }
                for x in rows[Supplier]
            ],
            "systems": [
                {
                    "id": x.key,
                    "name": x.name,
                    "description": x.description,
                    "site": self.site_key.get(x.site_id),
                    "supplier": self.supplier_key.get(x.supplier_id),
                    "redundancy": x.redundancy,
                    "components": x.components,
                    "dependsOn": x.depends_on,
                    "backup": x.backup,
                    "failover": x.failover,
                }
                for x in rows[System]
            ],
            "functions": [self.function(x) for x in rows[CriticalFunction]],
            "risks": [
                {
                    "id": x.key,
                    "title": x.title,
                    "failure": x.failure or None,
                    "causes": x.causes,
                    "impact": x.impact,
                    "likelihood": x.likelihood,
                    "consequence": x.consequence,
                    "stated": x.stated,
                    "recognise": x.recognise,
                    "response": x.response,
                    "affects": x.affects,
                    "owner": x.owner_key or None,
                }
                for x in rows[Risk]
            ],
            "escalation": [
                {
                    "level": x.level,
                    "name": x.name,
                    "when": x.when,
                    "who": x.who,
                    "responsibilities": x.responsibilities,
                    "invokesPlan": x.invokes_plan,
                }
                for x in rows[EscalationLevel]
            ],
            "procedures": self.procedures(),
            "triggers": [
                {
                    "id": x.key,
                    "name": x.name,
                    "kind": x.kind,
                    "every": x.every or None,
                    "start": x.start or None,
                    "until": x.until or None,
                    "after": x.after or None,
                    "unlessRestored": x.unless_restored,
                    "chair": x.chair_key or None,
                    "attendees": x.attendees,
                    "actions": x.actions,
                }
                for x in rows[TriggerPoint]
            ],
            "monitoring": [
                {"activity": x.activity, "every": x.every or None, "owner": x.owner_key or None}
                for x in rows[MonitoringActivity]
            ],
        }

    def document_control(self) -> dict[str, Any]:
        plan, person = self.plan, self.person_key
        return {
            "number": plan.number,
            "issue": plan.issue,
            "issueDate": plan.issue_date,
            "reviewDate": plan.review_date,
            "reviewInterval": plan.review_interval,
            "created": plan.created_on,
            "originator": person.get(plan.originator_id),
            "owner": person.get(plan.owner_id),
            "approvingBody": plan.approving_body,
            "approvedBy": person.get(plan.approved_by_id),
            "approvalDate": plan.approval_date,
            "classification": plan.classification,
            "confidentiality": plan.confidentiality,
            "dissemination": plan.dissemination,
            "changes": [
                {"issue": x.issue, "date": x.date, "summary": x.summary, "author": person.get(x.author_id)}
                for x in self.rows[ChangeRecord]
            ],
            "holders": [
                {
                    "copy": x.copy_number,
                    "holder": person[x.holder_id],
                    "location": x.location,
                    "acknowledgedIssue": x.acknowledged_issue,
                    "acknowledgedOn": x.acknowledged_on,
                }
                for x in self.rows[CopyHolder]
            ],
        }

    def function(self, x: CriticalFunction) -> dict[str, Any]:
        return {
            "id": x.key,
            "name": x.name,
            "description": x.description,
            "owner": self.person_key.get(x.owner_id),
            "deputy": self.person_key.get(x.deputy_id),
            "locations": x.locations,
            "likelihood": x.likelihood,
            "impact": x.impact,
            "rto": x.rto,
            "rpo": x.rpo or None,
            "mtpd": x.mtpd or None,
            "resources": x.resources,
            "dataRecovery": x.data_recovery,
            "durationRules": x.duration_rules,
            "dependsOn": x.depends_on,
            "procedures": x.procedures,
        }

    def procedures(self) -> list[dict[str, Any]]:
        confirm: dict[int, list[dict[str, Any]]] = {}
        for c in self.rows[ConfirmCheck]:
            item = {"id": c.key or None, "check": c.statement, "ifNot": c.if_not, "advice": c.advice}
            confirm.setdefault(c.procedure_id, []).append(item)
        steps: dict[int, list[dict[str, Any]]] = {}
        for s in self.rows[ProcedureStep]:
            item = {
                "id": s.key or None,
                "text": s.text,
                "kind": s.kind,
                "when": s.when,
                "who": s.who_key or None,
                "targets": s.targets,
                "note": s.note,
            }
            steps.setdefault(s.procedure_id, []).append(item)
        return [
            {
                "id": x.key,
                "title": x.title,
                "phase": x.phase,
                "appliesTo": x.applies_to,
                "confirm": confirm.get(x.pk, []),
                "steps": steps.get(x.pk, []),
            }
            for x in self.rows[Procedure]
        ]


def _organisation(row: Organisation) -> dict[str, Any]:
    hours = ServiceHours(tuple(row.working_days), row.working_start, row.working_end)
    return {
        "id": row.slug,
        "name": row.name,
        "timezone": row.timezone,
        "nation": row.nation,
        "workingHours": hours,
    }
