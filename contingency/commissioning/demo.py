"""The demo's commissioner: contract KPIs on Clearview's eye-care plan (else on any demo plan) and its three
sub-contracting practices with their weekly capacity. All fictional."""

from __future__ import annotations

from contingency.plans.models import Plan

from . import services
from .models import ContractKpi, SubContractor

ORG, PLAN = "clearview-eyecare", "eye-care-data"
COMMISSIONER = "NHS Northwick and Dale Integrated Care Board"
# (what, target, clock, unit, starts at)
DEMO_KPIS = (
    ("Urgent referrals triaged", "95% of urgent referrals", 1, "working days", "receipt of the referral"),
    ("Routine referrals triaged", "95% of routine referrals", 5, "working days", "receipt of the referral"),
    ("Patients offered an appointment", "90% of accepted referrals", 10, "working days", "triage"),
    ("Outcome letters sent to the GP", "95% of appointments", 14, "days", "the appointment"),
)
DEMO_PROVIDERS = (("Brightwell Opticians", 60), ("Lowmoor Eyecare", 35), ("Castlegate Optometrists", 25))


def _plan() -> Plan | None:
    return (
        Plan.objects.filter(organisation__slug=ORG, key=PLAN).select_related("organisation").first()
        or Plan.objects.select_related("organisation").order_by("pk").first()
    )


def load() -> int:
    """Record the demo KPIs and providers once (none when the plan already has KPIs); how many KPIs recorded."""
    plan = _plan()
    if plan is None or ContractKpi.objects.filter(plan=plan).exists():
        return 0
    for what, target, value, unit, starts in DEMO_KPIS:
        services.add_kpi(
            plan=plan,
            what=what,
            target=target,
            clock_value=value,
            clock_unit=unit,
            clock_from=starts,
            commissioner=COMMISSIONER,
            actor=None,
            via="demo",
        )
    if not SubContractor.objects.filter(plan=plan).exists():
        for provider, capacity in DEMO_PROVIDERS:
            services.add_provider(plan=plan, provider=provider, capacity_per_week=capacity, actor=None, via="demo")
    return len(DEMO_KPIS)
