"""Shared by the downtime tests: an invoked PACS or eye-care incident, ID ranges, valid test NHS numbers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from contingency.core.models import Organisation
from contingency.downtime import services as downtime
from contingency.downtime.models import IdRange
from contingency.incidents import services
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of
from contingency.lib.checkchars import make_id
from contingency.plans.models import Plan

from .web import EYE, HOME_ORG, OTHER_ORG, PACS


def nhs(serial: int) -> str:
    """A valid NHS number in the 999 range NHS England keeps for testing, with its check digit."""
    while True:
        nine = f"999{serial:06d}"
        total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return nine + str(check)
        serial += 1


def pacs_incident(hours_ago: int = 6) -> Incident:
    """An invoked PACS outage of Northwick that began `hours_ago` hours ago."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    began = timezone.now() - timedelta(hours=hours_ago)
    found = services.report(plan=plan, subject="system:pacs", actor=None, began_at=began, via="test")
    return services.invoke(incident=found, actor=None, via="test")


def eye_incident(hours_ago: int = 6) -> Incident:
    plan = Plan.objects.get(organisation__slug=OTHER_ORG, key=EYE)
    began = timezone.now() - timedelta(hours=hours_ago)
    found = services.report(plan=plan, subject="system:referral-platform", actor=None, began_at=began, via="test")
    return services.invoke(incident=found, actor=None, via="test")


def id_range(organisation: str = HOME_ORG, prefix: str = "CT", first: int = 1, last: int = 999) -> IdRange:
    org = Organisation.objects.get(slug=organisation)
    return downtime.allocate_range(
        organisation=org, prefix=prefix, first=first, last=last, digits=6, allocated_to="CT", actor=None, via="test"
    )


def dtid(number: int, prefix: str = "CT") -> str:
    return make_id(prefix, number, 6).printed


def wall(incident: Incident, moment: datetime) -> str:
    return f"{calendar_of(incident).local(moment):%Y-%m-%d %H:%M}"


def exam(incident: Incident, n: int, **changes: Any) -> dict[str, Any]:
    """The values of an examination logged during the PACS outage, the n-th of the log."""
    values: dict[str, Any] = {
        "downtime-id": dtid(n),
        "hospital-number": f"H{100000 + n}",
        "nhs-number": nhs(n),
        "accession-number": f"ACC{5000 + n}",
        "done-at": wall(incident, incident.began_at + timedelta(minutes=10 * n)),
        "modality": "CT",
        "images": "120",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}
