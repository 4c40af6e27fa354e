"""Writing the parts of a PlanDocument as rows of one plan (models.py explains the mapping)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import models
from pydantic import BaseModel

from ..models import CallTree as CallTreeRow
from ..models import (
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
    RecordKind,
    Risk,
    Role,
    Site,
    Supplier,
    System,
    TriggerPoint,
)
from ..models import MessageTemplate as MessageRow
from ..spec import PlanDocument
from ..spec.written import is_reference, score_of, words_of
from ..validate import index
from ..yamlform import part_to_data

M = TypeVar("M", bound=models.Model)


def data_or_none(part: BaseModel | None) -> Any:
    """A part in its JSON form, or None when absent."""
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


class Writer:
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
                    deputy=x.deputy or "",
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
                    helpdesk=data_or_none(x.helpdesk),
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
                    in_hours=data_or_none(x.in_hours),
                    out_of_hours=data_or_none(x.out_of_hours),
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
        systems = _bulk(
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
                    backup=data_or_none(x.backup),
                    failover=data_or_none(x.failover),
                    **self.who("owner", x.owner),
                    probes=data_or_none(x.probes),
                )
                for i, x in enumerate(doc.systems)
            ]
        )
        self.write_record_kinds(systems)

    def write_record_kinds(self, systems: dict[str, System]) -> None:
        plan, doc = self.plan, self.doc
        _bulk(
            [
                RecordKind(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    description=x.description,
                    system=systems[x.system],
                    fields=_data_list(x.fields),
                    verification=part_to_data(x.verification),
                )
                for i, x in enumerate(doc.record_kinds)
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
                    owner=people.get(x.owner) if is_reference(x.owner) else None,
                    deputy=people.get(x.deputy) if is_reference(x.deputy) else None,
                    owner_text=None if x.owner in people else x.owner,
                    deputy_text=None if x.deputy in people else x.deputy,
                    locations=x.locations,
                    likelihood=score_of(x.likelihood),
                    likelihood_words=words_of(x.likelihood),
                    impact=_data_list(x.impact),
                    rto=_data_list(x.rto),
                    rpo=str(x.rpo or ""),
                    mtpd=str(x.mtpd or ""),
                    resources=part_to_data(x.resources),
                    data_recovery=data_or_none(x.data_recovery),
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
                    likelihood=score_of(x.likelihood),
                    consequence=score_of(x.consequence),
                    likelihood_words=words_of(x.likelihood),
                    consequence_words=words_of(x.consequence),
                    stated=data_or_none(x.stated),
                    recognise=x.recognise,
                    response=data_or_none(x.response),
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
                    instead_of=s.instead_of or "",
                    targets=s.targets,
                    call_tree=s.call_tree or "",
                    message=s.message or "",
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
                    call_tree=x.call_tree or "",
                    message=x.message or "",
                    **self.who("chair", x.chair),
                )
                for i, x in enumerate(doc.triggers)
            ]
        )
        _bulk(
            [
                CallTreeRow(
                    plan=plan,
                    position=i,
                    key=x.id,
                    name=x.name,
                    audience=_data_list(x.audience),
                    channels=[c.value for c in x.channels],
                    ack_within=str(x.ack_within),
                    fallback=part_to_data(x.fallback),
                    posts=x.posts,
                    message=x.message or "",
                )
                for i, x in enumerate(doc.call_trees)
            ]
        )
        _bulk(
            [
                MessageRow(plan=plan, position=i, key=x.id, subject=x.subject, body=x.body, sms=x.sms)
                for i, x in enumerate(doc.messages)
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
