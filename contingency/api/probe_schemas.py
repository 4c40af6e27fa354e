"""Shapes of the probe endpoints: the check list a probe fetches, the results it pushes, what people read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field
from pydantic import StringConstraints

from .incident_schemas import In
from .schemas import Out

Key = Annotated[str, StringConstraints(min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class PlannedCheck(Out):
    plan: str
    system: str
    system_name: str
    component: str
    every: str = Field(description="How often to run it, e.g. 1m.")
    check: dict[str, Any] = Field(
        description="The check in the plan format's JSON form (systems[].components[].checks[])."
    )


class CheckList(Out):
    organisation: str
    site: str
    every: str = Field(description="How often the probe should run a round: its checks' shortest interval.")
    checks: list[PlannedCheck]


class ResultIn(In):
    plan: Key
    system: Key
    check: Key
    at: datetime = Field(description="When the probe ran the check (ISO 8601).")
    ok: bool
    layer: Annotated[str, StringConstraints(max_length=32)] = Field(
        "",
        description="Where it failed: dns, connect, tls, status, text, association-rejected, no-presentation-context, association, dicom-status, no-ack, negative-ack, error.",
    )
    detail: Text = ""
    warning: Text = Field("", description="Why a passing check is degraded: slow, certificate near expiry.")
    elapsed_ms: Annotated[int, Field(ge=0, le=3_600_000)] = 0
    certificate_days: int | None = None


class ReportIn(In):
    site: Key = Field(description="The site the probe runs at (--site); must be the token's site.")
    every_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(description="How often this probe reports.")
    results: Annotated[list[ResultIn], Field(max_length=5000)]


class ReportOut(Out):
    accepted: int
    ignored: list[str] = Field(description="plan/system/check of results for checks the plans no longer have.")
    states: dict[str, str] = Field(description='"plan/system": the verdict now.')


class SystemStateOut(Out):
    plan: str
    system: str
    name: str
    state: str = Field(description="up, degraded, partial, complete, probe-suspect or no-news.")
    words: str
    since: datetime
    summary: str
    failing_sites: list[str]
    silent_sites: list[str]
    suspect_sites: list[str]
    checked_at: datetime
    incident: int | None = Field(description="The open incident the probes opened or follow.")


class ChangeOut(Out):
    at: datetime
    state: str
    words: str
    summary: str


class SystemHistory(Out):
    current: SystemStateOut
    changes: list[ChangeOut]


class SiteOut(Out):
    name: str
    active: bool
    created_at: datetime
    last_report_at: datetime | None
    reports: int
    every_seconds: int
    no_news: bool
    no_news_since: datetime | None
    refusals: int


class RefusalOut(Out):
    site: str
    reason: str
    words: str
    count: int
    first_at: datetime
    last_at: datetime


class ProbesOut(Out):
    sites: list[SiteOut]
    refusals: list[RefusalOut]
    systems: list[SystemStateOut]
