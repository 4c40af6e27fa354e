"""Status pages for the demo organisations, made through the services, and small readers for their files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from django.test import Client

from contingency.core.models import Organisation
from contingency.incidents import services as incident_services
from contingency.incidents.models import Incident
from contingency.plans.models import Plan
from contingency.status import readmodel, services
from contingency.status.models import PublishedService, StatusSite

ATOM = "{http://www.w3.org/2005/Atom}"
HOME = "northwick-general"
EYE_ORG = "clearview-eyecare"


def site(slug: str = HOME, *, published: bool = True, title: str = "", title_cy: str = "") -> StatusSite:
    organisation = Organisation.objects.get(slug=slug)
    return services.configure_site(
        organisation=organisation,
        published=published,
        title=title or f"{organisation.name} service status",
        title_cy=title_cy,
        actor=None,
        via="test",
    )


def service(slug: str, key: str, plan: str, subject: str, name: str, name_cy: str = "") -> PublishedService:
    return services.add_service(
        organisation=Organisation.objects.get(slug=slug),
        key=key,
        plan_key=plan,
        subject=subject,
        name=name,
        name_cy=name_cy,
        actor=None,
        via="test",
    )


def northwick() -> tuple[StatusSite, PublishedService, PublishedService]:
    """Northwick's page: PACS (the system) and image reporting (a function that depends on it)."""
    page = site(HOME, title_cy="Statws gwasanaethau Northwick")
    pacs = service(HOME, "pacs", "pacs-bcdr", "system:pacs", "Imaging archive (PACS)", "Archif delweddau (PACS)")
    reporting = service(HOME, "reporting", "pacs-bcdr", "function:image-reporting", "Image reporting")
    return page, pacs, reporting


def clearview() -> tuple[StatusSite, PublishedService]:
    page = site(EYE_ORG, title_cy="Statws gwasanaethau Clearview")
    platform = service(
        EYE_ORG, "referrals", "eye-care-data", "system:referral-platform", "Referral platform", "Platfform atgyfeirio"
    )
    return page, platform


def incident(
    slug: str = HOME,
    plan: str = "pacs-bcdr",
    subject: str = "system:pacs",
    *,
    invoke: bool = True,
    answers: dict[str, bool] | None = None,
) -> Incident:
    """A failure reported (and by default invoked) through the incident services."""
    found = incident_services.report(
        plan=Plan.objects.get(organisation__slug=slug, key=plan), subject=subject, actor=None, via="test",
        answers=answers,
    )  # fmt: skip
    return incident_services.invoke(incident=found, actor=None, via="test") if invoke else found


def get(client: Client, path: str, **headers: str) -> Any:
    readmodel.clear()  # each request as a fresh process would answer it (the cache is tested on its own)
    return client.get(path, headers=headers)


def atom_entries(body: bytes) -> list[dict[str, str]]:
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    return [
        {
            "id": entry.findtext(f"{ATOM}id") or "",
            "title": entry.findtext(f"{ATOM}title") or "",
            "content": entry.findtext(f"{ATOM}content") or "",
            "updated": entry.findtext(f"{ATOM}updated") or "",
        }
        for entry in root.findall(f"{ATOM}entry")
    ]
