"""Reading one plan's rows back into the YAML-shaped data of its PlanDocument."""

from __future__ import annotations

from typing import Any

from contingency.core.models import Organisation

from ..models import (
    PART_MODELS,
    ChangeRecord,
    ConfirmCheck,
    ContactList,
    CopyHolder,
    CriticalFunction,
    EscalationLevel,
    MonitoringActivity,
    Person,
    Plan,
    PlanPart,
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
from ..models import CallTree as CallTreeRow
from ..models import MessageTemplate as MessageRow
from ..spec import ServiceHours
from ..spec.plan import API_VERSION


class Reader:
    """Reads one plan's rows (one query per table) and rebuilds its YAML-shaped data."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.rows: dict[type[PlanPart], list[Any]] = {model: list(model.rows_of(plan)) for model in PART_MODELS}
        # Foreign keys are resolved through these maps rather than joins: the rows are here already.
        self.person_key = {row.pk: row.key for row in self.rows[Person]}
        self.site_key = {row.pk: row.key for row in self.rows[Site]}
        self.supplier_key = {row.pk: row.key for row in self.rows[Supplier]}
        self.system_key = {row.pk: row.key for row in self.rows[System]}

    def document(self) -> dict[str, Any]:
        plan, rows = self.plan, self.rows
        return {
            "apiVersion": API_VERSION,
            "kind": "Plan",
            "id": plan.key,
            "title": plan.title,
            "organisation": organisation_data(plan.organisation),
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
                    "deputy": x.deputy or None,
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
                    "owner": x.owner_key or None,
                    "probes": x.probes,
                }
                for x in rows[System]
            ],
            "functions": [self.function(x) for x in rows[CriticalFunction]],
            "recordKinds": [
                {
                    "id": x.key,
                    "name": x.name,
                    "description": x.description,
                    "system": self.system_key[x.system_id],
                    "fields": x.fields,
                    "verification": x.verification,
                }
                for x in rows[RecordKind]
            ],
            "risks": [
                {
                    "id": x.key,
                    "title": x.title,
                    "failure": x.failure or None,
                    "causes": x.causes,
                    "impact": x.impact,
                    "likelihood": _either(x.likelihood, x.likelihood_words),
                    "consequence": _either(x.consequence, x.consequence_words),
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
                    "callTree": x.call_tree or None,
                    "message": x.message or None,
                }
                for x in rows[TriggerPoint]
            ],
            "callTrees": [
                {
                    "id": x.key,
                    "name": x.name,
                    "audience": x.audience,
                    "channels": x.channels,
                    "ackWithin": x.ack_within,
                    "fallback": x.fallback,
                    "posts": x.posts,
                    "message": x.message or None,
                }
                for x in rows[CallTreeRow]
            ],
            "messages": [{"id": x.key, "subject": x.subject, "body": x.body, "sms": x.sms} for x in rows[MessageRow]],
            "monitoring": [
                {"activity": x.activity, "every": x.every or None, "owner": x.owner_key or None}
                for x in rows[MonitoringActivity]
            ],
        }

    def document_control(self) -> dict[str, Any]:
        plan, person = self.plan, self.person_key
        return {
            "number": plan.number,
            "issue": plan.issue or None,
            "issueDate": plan.issue_date,
            "reviewDate": plan.review_date,
            "reviewInterval": plan.review_interval,
            "created": plan.created_on,
            "originator": person.get(plan.originator_id, plan.originator_text),
            "owner": person.get(plan.owner_id, plan.owner_text),
            "approvingBody": plan.approving_body,
            "approvedBy": person.get(plan.approved_by_id, plan.approved_by_text),
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
            "owner": self.person_key.get(x.owner_id, x.owner_text),
            "deputy": self.person_key.get(x.deputy_id, x.deputy_text),
            "locations": x.locations,
            "likelihood": _either(x.likelihood, x.likelihood_words),
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
                "insteadOf": s.instead_of or None,
                "who": s.who_key or None,
                "targets": s.targets,
                "callTree": s.call_tree or None,
                "message": s.message or None,
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


def organisation_data(row: Organisation) -> dict[str, Any]:
    hours = ServiceHours(tuple(row.working_days), row.working_start, row.working_end)
    return {
        "id": row.slug,
        "name": row.name,
        "timezone": row.timezone,
        "nation": row.nation,
        "workingHours": hours,
    }


def _either(score: int | None, words: str | None) -> int | str | None:
    """A score column and its words column: the score, or the words a plan gave instead."""
    return score if score is not None else words
