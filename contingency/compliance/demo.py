"""The demo's compliance evidence: Northwick's continuity policy and last table-top exercise, attested, so its
compliance view is partly met - plans in date and attested evidence, but no live exercise and some gaps."""

from __future__ import annotations

from contingency.core.models import Organisation
from contingency.plans.workflow import add_months, local_today

from . import services
from .models import ManualEvidence

ORG = "northwick-general"
# (framework, requirement urn, title, file name, text, months ago attested)
DEMO_EVIDENCE = (
    (
        "nhs-eprr-bc",
        "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-01",
        "Business continuity policy, approved by the Trust board",
        "bc-policy.txt",
        "Northwick General Hospital NHS Foundation Trust (fictional)\nBusiness continuity policy, version 3.\n"
        "Approved by the Trust board. Review in three years.\n",
        5,
    ),
    (
        "iso-22301-2019",
        "urn:contingency:bcm:req_node:iso-22301-2019:5.2",
        "Business continuity policy, approved by the Trust board",
        "bc-policy.txt",
        "Northwick General Hospital NHS Foundation Trust (fictional)\nBusiness continuity policy, version 3.\n",
        5,
    ),
    (
        "nhs-eprr-bc",
        "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-06",
        "Table-top exercise: loss of PACS for 48 hours",
        "table-top-exercise.txt",
        "Exercise Dark Screen (fictional): loss of PACS for 48 hours.\nAttended by radiology, IT and bed management.\n"
        "Actions: move the database witness; refresh the out-of-hours contact list.\n",
        3,
    ),
)


def load() -> int:
    """Record the demo's evidence once (none when the organisation already has some); how many were recorded."""
    organisation = Organisation.objects.filter(slug=ORG).first()
    if organisation is None or ManualEvidence.objects.filter(organisation=organisation).exists():
        return 0
    today = local_today(organisation)
    for framework, urn, title, name, text, months in DEMO_EVIDENCE:
        services.record_evidence(
            organisation=organisation,
            framework_key=framework,
            requirement_urn=urn,
            title=title,
            note="Demo evidence (fictional).",
            attested_on=add_months(today, -months),
            expires_on=None,
            file_name=name,
            data=text.encode("utf-8"),
            actor=None,
            via="demo",
        )
    return len(DEMO_EVIDENCE)
