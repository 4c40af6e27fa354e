"""Organisations, plans as whole documents, their lint findings, YAML and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.params import functions as params
from pydantic import Field

from contingency import planlint
from contingency.core import audit as audit_log
from contingency.core.access import capabilities, organisations_of, roles_in
from contingency.core.models import AuditEntry
from contingency.core.permissions import Capability, capabilities_of
from contingency.plans import readmodel
from contingency.plans.editing import plan_data, save_document
from contingency.plans.lint import Finding, severity_counts
from contingency.plans.models import Plan
from contingency.plans.validate import validate_data
from contingency.plans.workflow import local_today

from . import schemas as s
from .access import audit_needs, organisation_for, plan_for, refusal
from .auth import caller
from .errors import where

router = Router(by_alias=True)
ORG = "/organisations/{org}"
PLAN = ORG + "/plans/{plan}"
DocumentBody = Annotated[dict[str, Any], params.Body(..., description=s.DOCUMENT_HELP)]
DENIED = {401: s.Error, 403: s.Error, 404: s.Error}
REFUSED = {**DENIED, 400: s.Invalid, 422: s.Invalid}


def findings(plan: Plan) -> list[Finding]:
    """The plan's lint findings, with the print register's facts, as the plan page shows them."""
    return planlint.findings(plan, local_today(plan.organisation))


def lint_counts(found: list[Finding]) -> dict[str, int]:
    return {severity.value: count for severity, count in severity_counts(found).items()}


def finding_out(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "path": where(finding.path),
        "loc": list(finding.path),
    }


def summary(plan: Plan) -> dict[str, Any]:
    return {
        "key": plan.key,
        "title": plan.title,
        "status": plan.status,
        "issue": plan.issue,
        "issue_date": plan.issue_date,
        "review_date": plan.review_date,
        "lint": lint_counts(findings(plan)),
    }


def detail(plan: Plan) -> dict[str, Any]:
    return {"key": plan.key, "status": plan.status, "document": plan_data(plan)}


@router.get("/organisations", response={200: list[s.Organisation], 401: s.Error}, url_name="organisations")
def organisations(request: HttpRequest) -> list[dict[str, Any]]:
    """The organisations you belong to, with your roles there."""
    user = caller(request)
    found = []
    for organisation in organisations_of(user):
        roles = roles_in(user, organisation)
        granted = sorted(c.value for c in capabilities_of(roles))
        found.append({"slug": organisation.slug, "name": organisation.name, "roles": roles, "capabilities": granted})
    return found


@router.get(ORG + "/plans", response={200: list[s.PlanSummary], **DENIED}, url_name="plans")
def plans(request: HttpRequest, org: str) -> list[dict[str, Any]]:
    """The organisation's plans, with their status and how many lint findings each has."""
    organisation = organisation_for(request, org, Capability.VIEW)
    return [summary(plan) for plan in Plan.objects.filter(organisation=organisation).order_by("title", "key")]


@router.post(ORG + "/plans", response={201: s.PlanDetail, 409: s.Error, **REFUSED}, url_name="plans")
def create_plan(request: HttpRequest, org: str, body: DocumentBody) -> Status[dict[str, Any]]:
    """Create a plan from a whole plan document; 409 if the organisation already has a plan with its id."""
    organisation = organisation_for(request, org, Capability.EDIT)
    document = validate_data(body)
    if Plan.objects.filter(organisation=organisation, key=document.id).exists():
        raise HttpError(409, f"{organisation.name} already has a plan {document.id!r}: PUT to change it.")
    plan = save_document(document, organisation=organisation, actor=caller(request), via="api")
    return Status(201, detail(plan))


@router.get(PLAN, response={200: s.PlanDetail, **DENIED}, url_name="plan")
def get_plan(request: HttpRequest, org: str, plan: str) -> dict[str, Any]:
    """The whole working copy of the plan, and its status."""
    return detail(plan_for(request, org, plan, Capability.VIEW))


@router.put(PLAN, response={200: s.PlanDetail, **REFUSED}, url_name="plan")
def put_plan(request: HttpRequest, org: str, plan: str, body: DocumentBody) -> dict[str, Any]:
    """Replace the whole working copy; an issued plan becomes a draft. Nothing changes if it is invalid."""
    found = plan_for(request, org, plan, Capability.EDIT)
    document = validate_data(body)
    saved = save_document(document, organisation=found.organisation, actor=caller(request), via="api", plan=found)
    return detail(saved)


@router.get(PLAN + "/lint", response={200: list[s.Finding], **DENIED}, url_name="plan-lint")
def plan_lint(request: HttpRequest, org: str, plan: str) -> list[dict[str, Any]]:
    """The lint findings of the working copy, as of today."""
    return [finding_out(f) for f in findings(plan_for(request, org, plan, Capability.VIEW))]


YAML_RESPONSE = {"200": {"description": "The plan file.", "content": {"text/yaml": {"schema": {"type": "string"}}}}}


@router.get(PLAN + "/yaml", response={401: s.Error, 403: s.Error, 404: s.Error}, url_name="plan-yaml",
            openapi_extra={"responses": YAML_RESPONSE})  # fmt: skip
def plan_yaml(request: HttpRequest, org: str, plan: str) -> HttpResponse:
    """The working copy as a canonical plan file (YAML)."""
    found = plan_for(request, org, plan, Capability.VIEW)
    return HttpResponse(readmodel.view(found).text, content_type="text/yaml; charset=utf-8")


class AuditFilter(Schema):
    object_type: str | None = Field(None, description='e.g. "function", "plan", "member".')
    key: str | None = Field(None, description='One object, e.g. "pacs-bcdr/functions/imaging" (needs view only).')
    limit: int = Field(100, ge=1, le=1000)


@router.get(ORG + "/audit", response={200: list[s.AuditEntry], **DENIED, 422: s.Invalid}, url_name="audit")
def audit(request: HttpRequest, org: str, filters: Query[AuditFilter]) -> list[dict[str, Any]]:
    """The audit log, newest first: all of it for administrators; one object's history (its exact key) for
    viewers, never entries about members, passwords, tokens or lock-outs."""
    organisation = organisation_for(request, org, audit_needs(filters.key))
    administrator = Capability.ADMINISTER in capabilities(caller(request), organisation)
    if filters.object_type and audit_log.private(filters.object_type) and not administrator:
        raise HttpError(403, refusal(Capability.ADMINISTER, organisation.name))
    entries = audit_log.visible(AuditEntry.objects.filter(organisation=organisation), administrator=administrator)
    if filters.object_type:
        entries = entries.filter(object_type=filters.object_type)
    if filters.key:
        entries = entries.filter(object_key=filters.key)
    return [audit_out(entry) for entry in entries[: filters.limit]]


def audit_out(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at,
        "actor": entry.actor_name,
        "verb": entry.verb,
        "object_type": entry.object_type,
        "object_key": entry.object_key,
        "label": entry.object_label,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
    }
