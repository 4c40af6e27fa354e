"""Commissioners' KPIs over the API: a plan's contract KPIs, and an incident's KPIs in scope and relaxations.

The same permissions as the commissioning pages: any member reads; asking for a relaxation and recording its
agreement need the respond permission. The writes are commissioning.services, called with `via="api"`; their
refusal (CommissioningRefused) is answered by the API's one handler: 422 at the field, 409 about the state (an
incident never invoked, a relaxation already agreed). Evidence files are uploaded on the incident's KPIs page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Status
from ninja.errors import HttpError

from contingency.commissioning import relaxing, services
from contingency.commissioning.models import ContractKpi, KpiRelaxation
from contingency.core.permissions import Capability
from contingency.incidents.models import Incident

from . import supplier_schemas as x
from .access import plan_for
from .auth import caller
from .incident_access import CHANGED, INCIDENT, LARGEST, incident_for, invalid
from .plans import DENIED, PLAN

router = Router(by_alias=True)
KPIS = INCIDENT + "/kpis"
RELAXATIONS = KPIS + "/relaxations"
VIA = "api"
CODE = services.CommissioningRefused.code


def kpi_out(kpi: ContractKpi) -> dict[str, Any]:
    return {
        "id": kpi.pk,
        "what": kpi.what,
        "target": kpi.target,
        "clock_value": kpi.clock_value,
        "clock_unit": kpi.clock_unit,
        "clock_from": kpi.clock_from,
        "clock_words": kpi.clock_words,
        "commissioner": kpi.commissioner,
    }


def relaxation_out(row: KpiRelaxation) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kpi": row.kpi_id,
        "kpi_words": row.kpi_words,
        "commissioner": row.commissioner,
        "asked_of": row.asked_of,
        "asked_at": row.asked_at,
        "agreed": row.agreed,
        "agreed_by": row.agreed_by,
        "agreed_at": row.agreed_at,
        "relaxed_from": row.relaxed_from,
        "relaxed_to": row.relaxed_to,
        "note": row.note,
        "file_name": row.file_name,
        "recorded_by": row.recorded_by,
    }


@router.get(PLAN + "/kpis", response={200: list[x.KpiOut], **DENIED}, url_name="plan-kpis")
def plan_kpis(request: HttpRequest, org: str, plan: str) -> list[dict[str, Any]]:
    """The contract KPIs the commissioners hold the plan's service to."""
    found = plan_for(request, org, plan, Capability.VIEW)
    return [kpi_out(kpi) for kpi in ContractKpi.objects.filter(plan=found)]


@router.get(KPIS, response={200: x.IncidentKpis, **DENIED}, url_name="incident-kpis")
def incident_kpis(request: HttpRequest, org: str, number: int) -> dict[str, Any]:
    """The KPIs the incident's outage may make late (with the window of deadlines), and the relaxations log."""
    incident = incident_for(request, org, number, Capability.VIEW)
    found = relaxing.of_incident(incident, timezone.now())
    asked = {row.kpi_id for row in found.log}
    outage = found.outage
    return {
        "outage": {"began": outage.began, "ended": outage.ended, "ongoing": outage.ongoing} if outage else None,
        "affected": [
            {
                "kpi": kpi_out(a.kpi),
                "window_from": a.window_from,
                "window_to": a.window_to,
                "asked": a.kpi.pk in asked,
            }
            for a in found.affected
        ],
        "relaxations": [relaxation_out(row) for row in found.log],
    }


def _relaxation(incident: Incident, pk: int) -> KpiRelaxation:
    found = (
        KpiRelaxation.objects.filter(incident=incident, pk=pk).select_related("incident").first()
        if 0 < pk <= LARGEST
        else None
    )
    if found is None:
        raise HttpError(404, f"Incident #{incident.number} has no KPI relaxation {pk}.")
    return found


@router.post(RELAXATIONS, response={201: x.RelaxationOut, **CHANGED}, url_name="incident-kpi-relaxations")
def ask(request: HttpRequest, org: str, number: int, body: x.AskIn) -> Status[dict[str, Any]]:
    """Log that the commissioner was asked to relax a KPI for a window (and, when known, who agreed it)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    kpi = (
        ContractKpi.objects.filter(organisation=incident.organisation, pk=body.kpi).first()
        if body.kpi <= LARGEST
        else None
    )
    if kpi is None:
        raise invalid("kpi", f"there is no KPI {body.kpi} in {incident.organisation.name}", code=CODE)
    row = services.ask_relaxation(
        incident=incident,
        kpi=kpi,
        asked_of=body.asked_of,
        asked_at=body.asked_at or timezone.now(),
        relaxed_from=body.relaxed_from,
        relaxed_to=body.relaxed_to,
        agreed_by=body.agreed_by,
        agreed_at=body.agreed_at,
        note=body.note,
        actor=caller(request),
        via=VIA,
    )
    return Status(201, relaxation_out(row))


@router.post(RELAXATIONS + "/{relaxation}/agree", response={200: x.RelaxationOut, **CHANGED},
             url_name="incident-kpi-relaxation-agree")  # fmt: skip
def agree(request: HttpRequest, org: str, number: int, relaxation: int, body: x.AgreeIn) -> dict[str, Any]:
    """Record who at the commissioner agreed the relaxation, and when (and the window, if it differs)."""
    incident = incident_for(request, org, number, Capability.RESPOND)
    row = services.agree_relaxation(
        relaxation=_relaxation(incident, relaxation),
        agreed_by=body.agreed_by,
        agreed_at=body.agreed_at or timezone.now(),
        relaxed_from=body.relaxed_from,
        relaxed_to=body.relaxed_to,
        note=body.note,
        actor=caller(request),
        via=VIA,
    )
    return relaxation_out(row)
