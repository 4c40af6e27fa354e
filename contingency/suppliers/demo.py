"""The demo's supplier assurance: Meridian Imaging (the PACS vendor) has its continuity on file and tested, so
Northwick's supplier register shows one supplier in order beside those still missing."""

from __future__ import annotations

from contingency.core.models import Organisation
from contingency.plans.workflow import add_months, local_today

from . import services
from .models import Assurance

ORG = "northwick-general"
SUPPLIER = "meridian"


def load() -> Assurance | None:
    """Record the demo's assurance once (nothing when the organisation already has some); what was recorded."""
    organisation = Organisation.objects.filter(slug=ORG).first()
    if organisation is None or Assurance.objects.filter(organisation=organisation).exists():
        return None
    if SUPPLIER not in services.plan_suppliers(organisation):
        return None
    today = local_today(organisation)
    return services.record_assurance(
        organisation=organisation,
        supplier_key=SUPPLIER,
        has_plan="yes",
        last_tested_on=add_months(today, -4),
        response_time="30 minutes",
        restore_time="8h",
        contacts=[
            {"name": "Dana Whitlock (service delivery manager)", "phone": "07700 900417"},
            {"name": "Meridian duty manager", "phone": "01632 960418"},
        ],
        review_on=add_months(today, 8),
        note="Demo assurance (fictional): fail-over test report seen at the contract review.",
        actor=None,
        via="demo",
    )
