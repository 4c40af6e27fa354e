"""Shapes of the supplier and commissioning endpoints: supplier assurance, incidents' supplier tickets with their
clocks, contract KPIs and their relaxations (camelCase in JSON, like the rest of the API).

Request bodies refuse unknown fields and are bounded as the services bound them (suppliers.services.MAX_*,
commissioning.services.MAX_*), so what the schema lets through the service refuses, if at all, in its own words.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from ninja import Field
from pydantic import AfterValidator, StrictInt

from contingency.commissioning import services as commissioning
from contingency.suppliers import services as suppliers

from .incident_schemas import In, Instant, Line, Moment, _no_nul
from .schemas import Out

Phone = Annotated[str, Field(max_length=40), AfterValidator(_no_nul)]
SupplierNote = Annotated[str, Field(max_length=suppliers.MAX_REASON), AfterValidator(_no_nul)]
KpiNote = Annotated[str, Field(max_length=commissioning.MAX_NOTE), AfterValidator(_no_nul)]

# ---------------------------------------------------------------- supplier assurance


class Contact(In):
    name: Line = ""
    phone: Phone = ""


class AssuranceIn(In):
    has_plan: Line = Field(description="Whether the supplier has a continuity plan: yes, no or unknown.")
    last_tested_on: date | None = Field(None, description="When its continuity was last tested (not in the future).")
    response_time: Line = Field("", description="The contract's response time, as written: 30 minutes, 4h ...")
    restore_time: Line = Field(
        "",
        description="The contract's restore time, as written. Minutes, hours, days, weeks, working days or working "
        "hours start a clock on each ticket; other wording is kept as written.",
    )
    contacts: list[Contact] = Field(
        default_factory=list, max_length=suppliers.MAX_CONTACTS, description="Escalation contacts, in order."
    )
    review_on: date | None = Field(None, description="When this record is to be reviewed.")
    note: SupplierNote = ""


class AssuranceOut(Out):
    has_plan: str
    last_tested_on: date | None
    response_time: str
    restore_time: str
    contacts: list[dict[str, str]]
    review_on: date | None
    note: str
    updated_at: Instant
    updated_by: str


class SupplierRow(Out):
    supplier: str = Field(description="The supplier's id in the plans.")
    name: str
    plans: list[str] = Field(description="The titles of the plans naming it.")
    state: str = Field(description="ok, stale (see findings) or missing (no assurance on file).")
    findings: list[str] = Field(description="What is wrong with its assurance today; empty when it is in order.")
    assurance: AssuranceOut | None


# ---------------------------------------------------------------- supplier tickets


class TicketIn(In):
    supplier: Line = Field(description="The supplier's id in the plans (see GET .../suppliers).")
    reference: Line = Field(description="The vendor's ticket reference.")
    logged_at: Moment | None = Field(
        None, description="When the call was logged with the vendor (default: now): the clocks start here."
    )
    rca_due_on: date | None = Field(None, description="The root-cause report is due by this day.")


class ClockIn(In):
    clock: Line = Field(description="response or restore.")
    kind: Line = Field(description="paused, resumed or stopped (met).")
    at: Moment | None = Field(None, description="When (default: now); not before the clock's last change.")
    reason: SupplierNote = Field("", description="Needed to pause or resume.")


class ClockReading(Out):
    clock: str = Field(description="response or restore.")
    written: str = Field(description='The contract time as written when the ticket was logged ("" when none).')
    state: str = Field(description="running, paused or stopped.")
    elapsed_seconds: int = Field(description="Running time so far, pauses excluded.")
    working: bool = Field(description="Counted on the organisation's working calendar (working days or hours).")
    breach_at: Instant | None = Field(description="When it breached or will breach; null while it cannot.")
    breach_local: str | None
    breached: bool
    uncounted: str | None = Field(description="Why the clock has no breach moment, when it has none of its own.")
    escalated: bool = Field(description="The breach has been escalated (its call tree called out).")


class ClockEventOut(Out):
    clock: str
    kind: str
    at: Instant
    local: str
    reason: str
    by: str


class TicketOut(Out):
    id: int
    supplier: str
    supplier_name: str
    reference: str
    logged_at: Instant
    logged_local: str
    logged_by: str
    rca_due_on: date | None
    rca_received_on: date | None
    clocks: list[ClockReading]
    events: list[ClockEventOut]


# ---------------------------------------------------------------- contract KPIs and relaxations


class KpiOut(Out):
    id: int
    what: str
    target: str = Field(description="As the contract writes it.")
    clock_value: int
    clock_unit: str = Field(description="minutes, hours, days, working days or weeks.")
    clock_from: str
    clock_words: str = Field(description='e.g. "within 5 working days of receipt of the referral".')
    commissioner: str


class Outage(Out):
    began: Instant = Field(description="When the plan was invoked.")
    ended: Instant = Field(description="Restored or stood down; now while it goes on.")
    ongoing: bool


class AffectedKpi(Out):
    kpi: KpiOut
    window_from: Instant = Field(description="The first deadline the outage could make late.")
    window_to: Instant = Field(description="The last: the outage's end plus one clock.")
    asked: bool = Field(description="A relaxation of it has been asked for in this incident.")


class RelaxationOut(Out):
    id: int
    kpi: int | None = Field(description="The KPI's id; null once the KPI was removed from the plan.")
    kpi_words: str = Field(description="The KPI as it was when asked.")
    commissioner: str
    asked_of: str
    asked_at: Instant
    agreed: bool
    agreed_by: str
    agreed_at: Instant | None
    relaxed_from: Instant
    relaxed_to: Instant
    note: str
    file_name: str = Field(description='The evidence file (uploaded on the incident\'s KPIs page), or "".')
    recorded_by: str


class IncidentKpis(Out):
    outage: Outage | None = Field(description="Null until the plan is invoked.")
    affected: list[AffectedKpi] = Field(description="The plan's KPIs whose deadlines the outage may make late.")
    relaxations: list[RelaxationOut]


class AskIn(In):
    kpi: StrictInt = Field(
        ge=1, description="The KPI's id (see GET .../plans/{plan}/kpis): one of the incident's plan."
    )
    asked_of: Line = Field(description="Who at the commissioner was asked, e.g. the contract manager.")
    asked_at: Moment | None = Field(None, description="When they were asked (default: now).")
    relaxed_from: Moment = Field(description="Deadlines falling due from this moment ...")
    relaxed_to: Moment = Field(description="... until this one.")
    agreed_by: Line = Field("", description="Who agreed, when it is already agreed (with agreedAt).")
    agreed_at: Moment | None = None
    note: KpiNote = Field("", description="The evidence: what was asked and answered.")


class AgreeIn(In):
    agreed_by: Line = Field(description="Who at the commissioner agreed.")
    agreed_at: Moment | None = Field(None, description="When (default: now); not before it was asked.")
    relaxed_from: Moment | None = Field(None, description="The window agreed, when it differs from the one asked.")
    relaxed_to: Moment | None = None
    note: KpiNote = ""
