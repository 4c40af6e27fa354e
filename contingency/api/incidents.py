"""Live incidents over the API: report, check, invoke, restore, stand down, and read them.

Every change goes through the incidents app's services (one transaction, audited, via "api"),
so the API and the pages follow the same rules. Reading needs the view permission, changing
needs respond. Refusals: 422 located at the field at fault, 409 for the incident's state (see
incident_access.py). Tasks, timeline and trigger points are in incident_tasks.py; hand-over,
briefing and review in incident_records.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from contingency.core.permissions import Capability
from contingency.incidents import assess, queries, readmodel, services
from contingency.incidents.models import (
    OPEN_STATES,
    DueAction,
    Incident,
    TaskState,
)
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.plans import readmodel as plan_views
from contingency.plans.graph import BadReference, Ref
from contingency.plans.models import Plan

from . import incident_records, incident_roles, incident_tasks
from . import incident_schemas as i
from . import schemas as s
from .access import organisation_for, plan_for
from .auth import caller
from .incident_access import (
    CHANGED,
    INCIDENT,
    INCIDENTS,
    due_out,
    incident_for,
    invalid,
    local,
)
from .plans import DENIED, PLAN

router = Router(by_alias=True)

# ---------------------------------------------------------------- reading


def summary(
    incident: Incident, *, open_tasks: int, overdue: int, next_due: DueAction | None, urgency: Any
) -> dict[str, Any]:
    return {
        "number": incident.number,
        "title": incident.title,
        "state": incident.state,
        "subject": incident.subject,
        "subject_name": incident.subject_name,
        "plan_key": incident.plan_key,
        "severity": incident.severity,
        "severity_band": incident.severity_band,
        "began_at": incident.began_at,
        "reported_at": incident.reported_at,
        "invoked_at": incident.invoked_at,
        "restored_at": incident.restored_at,
        "stood_down_at": incident.stood_down_at,
        "open_tasks": open_tasks,
        "overdue_tasks": overdue,
        "next_due": due_out(incident, next_due) if next_due else None,
        "urgency": urgency,
    }


def urgency_out(ranked: Any) -> dict[str, Any]:
    left = ranked.time_left
    return {
        "rank": ranked.rank,
        "breached": ranked.breached,
        "time_left_seconds": int(left.total_seconds()) if left is not None else None,
        "worst_function": ranked.worst_function,
        "impact_now": ranked.impact_now,
        "reason": ranked.reason,
    }


def task_counts(incident: Incident, now: datetime) -> tuple[int, int]:
    running = Q(state__in=(TaskState.OPEN, TaskState.STARTED))
    counts = incident.tasks.aggregate(
        open=Count("id", filter=running), overdue=Count("id", filter=running & Q(due_at__lt=now))
    )
    return counts["open"], counts["overdue"]


def checks_out(checks: Sequence[assess.CheckItem]) -> list[dict[str, Any]]:
    return [
        {"key": c.key, "procedure": c.procedure, "check": c.check, "if_not": c.if_not, "advice": c.advice}
        for c in checks
    ]


def _seconds(left: timedelta | None) -> int | None:
    return int(left.total_seconds()) if left is not None else None


def detail(incident: Incident) -> dict[str, Any]:
    now = timezone.now()
    incident.refresh_from_db()
    calendar = calendar_of(incident)
    document = document_of(incident)
    try:
        checks = {c.key: c for c in assess.checks_for(document, Ref.parse(incident.subject))}
    except BadReference:
        checks = {}
    titles = {p.id: p for p in document.procedures}
    open_count, overdue = task_counts(incident, now)
    state = readmodel.state_of(incident, now)
    affected = []
    for f in state.functions:
        a = f.affected
        affected.append(
            {
                "key": a.key,
                "name": a.name,
                "chain": a.chain,
                "degraded": a.degraded,
                "rto": a.rto,
                "rto_due_at": a.rto_due_at,
                "rto_left_seconds": _seconds(f.rto_left),
                "mtpd": a.mtpd,
                "mtpd_due_at": a.mtpd_due_at,
                "time_left_seconds": _seconds(f.mtpd_left),
                "impact_now": f.impact_now,
                "impact": [
                    {"at": datetime.fromisoformat(x["at"]), "level": x["level"], "description": x["description"]}
                    for x in a.impact
                ],
            }
        )
    downtime = state.downtime
    return {
        "number": incident.number,
        "title": incident.title,
        "state": incident.state,
        "subject": incident.subject,
        "subject_name": incident.subject_name,
        "area": incident.area,
        "description": incident.description,
        "assessment": incident.assessment,
        "answers": [
            {
                **answer,
                "if_not": checks[answer["key"]].if_not if answer["key"] in checks else None,
                "advice": checks[answer["key"]].advice if answer["key"] in checks else None,
            }
            for answer in incident.answers
        ],
        "risk": {"key": incident.risk_key, "title": incident.risk_title} if incident.risk_key else None,
        "severity": incident.severity,
        "severity_band": incident.severity_band,
        "response": incident.response,
        "plan": {"key": incident.plan_key, "title": incident.plan_title, "issue": incident.plan_issue},
        "times": {
            "began_at": incident.began_at,
            "reported_at": incident.reported_at,
            "invoked_at": incident.invoked_at,
            "restored_at": incident.restored_at,
            "stood_down_at": incident.stood_down_at,
        },
        "local": {
            "timezone": calendar.timezone,
            "began_at": local(incident, incident.began_at),
            "reported_at": local(incident, incident.reported_at),
            "invoked_at": local(incident, incident.invoked_at),
            "restored_at": local(incident, incident.restored_at),
            "stood_down_at": local(incident, incident.stood_down_at),
        },
        "people": {
            "reported_by": incident.reported_by_name,
            "invoked_by": incident.invoked_by_name,
            "restored_by": incident.restored_by_name,
            "stood_down_by": incident.stood_down_by_name,
            "lead": incident.lead.get_username() if incident.lead else None,
            "lead_name": incident.lead_name,
            "deputy": incident.deputy.get_username() if incident.deputy else None,
            "deputy_name": incident.deputy_name,
        },
        "closed_note": incident.closed_note,
        "downtime_seconds": int(downtime.total_seconds()),
        "downtime": assess.elapsed_words(downtime),
        "routing": {
            "current": incident.routing,
            "in_hours_now": calendar.is_in_hours(now),
            "why_out_of_hours": calendar.why_out_of_hours(now),
            "next_change": calendar.next_change(now),
        },
        "affected": affected,
        "procedures": [
            {"id": key, "title": titles[key].title, "phase": titles[key].phase.value}
            for key in incident.procedures
            if key in titles
        ],
        "open_tasks": open_count,
        "overdue_tasks": overdue,
        "next_due": [due_out(incident, d) for d in queries.next_due(incident)],
    }


class IncidentFilter(Schema):
    state: Literal["open", "closed", "all"] = Field("open", description="open (ranked by urgency), closed or all.")


@router.get(INCIDENTS, response={200: list[i.IncidentSummary], 422: s.Invalid, **DENIED}, url_name="incidents")
def incidents(request: HttpRequest, org: str, filters: Query[IncidentFilter]) -> list[dict[str, Any]]:
    """Open incidents most urgent first (a lost function past or nearest its MTPD first), then closed ones, newest first."""
    organisation = organisation_for(request, org, Capability.VIEW)
    now = timezone.now()
    found: list[dict[str, Any]] = []
    if filters.state in ("open", "all"):
        for r in queries.ranked_open(organisation, now):
            found.append(
                summary(
                    r.incident,
                    open_tasks=r.open_tasks,
                    overdue=r.overdue_tasks,
                    next_due=r.next_due,
                    urgency=urgency_out(r.ranked),
                )
            )
    if filters.state in ("closed", "all"):
        closed = queries.real(Incident.objects.filter(organisation=organisation)).exclude(state__in=OPEN_STATES)
        for incident in closed.select_related("organisation").order_by("-reported_at", "-id"):
            open_count, overdue = task_counts(incident, now)
            found.append(summary(incident, open_tasks=open_count, overdue=overdue, next_due=None, urgency=None))
    return found


@router.get(PLAN + "/checks", response={200: list[i.Check], 422: s.Invalid, **DENIED}, url_name="plan-checks")
def plan_checks(request: HttpRequest, org: str, plan: str, subject: str) -> list[dict[str, Any]]:
    """The confirm-it-is-down checks for a suspected failure of `subject` (kind:id), to answer before reporting."""
    found = plan_for(request, org, plan, Capability.VIEW)
    plan_view = plan_views.view(found)
    document = plan_view.document
    try:
        ref = plan_view.graph.find(subject)
    except BadReference as exc:
        raise invalid("subject", str(exc)) from None
    return checks_out(assess.checks_for(document, ref))


@router.post(INCIDENTS, response={201: i.IncidentDetail, **CHANGED}, url_name="incidents")
def report(request: HttpRequest, org: str, body: i.ReportIn) -> Status[dict[str, Any]]:
    """Report a suspected failure with the answers to the plan's checks; the matching risk's response is proposed."""
    organisation = organisation_for(request, org, Capability.RESPOND)
    plan = Plan.objects.filter(organisation=organisation, key=body.plan).first()
    if plan is None:
        raise invalid("plan", f"there is no plan {body.plan!r} in {organisation.name}")
    incident = services.report(
        plan=plan,
        subject=body.subject,
        actor=caller(request),
        answers=body.answers,
        began_at=body.began_at,
        area=body.area,
        description=body.description,
        title=body.title,
        via="api",
    )
    return Status(201, detail(incident))


@router.get(INCIDENT, response={200: i.IncidentDetail, **DENIED}, url_name="incident")
def get_incident(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """The incident now: checks and answers, risk and severity, affected functions and their deadlines, routing."""
    return detail(incident_for(request, org, number, Capability.VIEW))


@router.post(INCIDENT + "/assess", response={200: i.IncidentDetail, **CHANGED}, url_name="incident-assess")
def assess_again(request: HttpRequest, org: str, number: int, body: i.AssessIn) -> dict[str, Any]:
    """Answer the checks (again) while the incident is reported; the proposal follows the answers."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    services.assess_again(incident=incident, answers=body.answers, actor=caller(request), via="api")
    return detail(incident)


@router.post(INCIDENT + "/invoke", response={200: i.IncidentDetail, **CHANGED}, url_name="incident-invoke")
def invoke(request: HttpRequest, org: str, number: int, body: i.InvokeIn) -> dict[str, Any]:
    """Invoke the plan: the tasks for now, every trigger point and duration rule scheduled."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    services.invoke(incident=incident, actor=caller(request), risk=body.risk, via="api")
    return detail(incident)


@router.post(INCIDENT + "/not-a-failure", response={200: i.IncidentDetail, **CHANGED}, url_name="incident-close")
def not_a_failure(request: HttpRequest, org: str, number: int, body: i.ReasonIn) -> dict[str, Any]:
    """Close a report without invoking: the checks showed it is not a failure."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    services.close_as_not_a_failure(incident=incident, actor=caller(request), reason=body.reason, via="api")
    return detail(incident)


@router.post(INCIDENT + "/restore", response={200: i.IncidentDetail, **CHANGED}, url_name="incident-restore")
def restore(request: HttpRequest, org: str, number: int, body: i.RestoreIn) -> dict[str, Any]:
    """Service is back: restoration steps become tasks, timed escalations stop, on-restoration triggers fire."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    services.restore(
        incident=incident, actor=caller(request), restored_at=body.restored_at, note_text=body.note, via="api"
    )
    return detail(incident)


@router.post(INCIDENT + "/stand-down", response={200: i.IncidentDetail, **CHANGED}, url_name="incident-stand-down")
def stand_down(request: HttpRequest, org: str, number: int, body: i.ReasonIn) -> dict[str, Any]:
    """End the incident: nothing further is scheduled."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    services.stand_down(incident=incident, actor=caller(request), reason=body.reason, via="api")
    return detail(incident)


# The task, timeline, hand-over and review endpoints share the incident's path and tag.
router.add_router("", incident_tasks.router)
router.add_router("", incident_records.router)
router.add_router("", incident_roles.router)
