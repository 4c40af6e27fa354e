"""The commissioners' pages in a browser, with KPIs, a relaxation and a withdrawn provider on them: no serious
or critical axe-core findings, and no sideways scrolling at 360px wide."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse

from .conftest import a11y_violations, describe, log_in, page_width, screenshot

pytestmark = pytest.mark.slow

ORG, PLAN, NARROW = "northwick-general", "pacs-bcdr", 360


def _filled() -> int:
    """KPIs, a restored incident with one relaxation asked and one agreed, a withdrawn provider; the incident's number."""
    from contingency.commissioning import services as commissioning
    from contingency.incidents import services
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=ORG, key=PLAN)
    kpis = [
        commissioning.add_kpi(
            plan=plan,
            what=what,
            target=target,
            clock_value=value,
            clock_unit=unit,
            clock_from="request",
            commissioner="Northwick and Dale Integrated Care Board",
            actor=None,
            via="test",
        )
        for what, target, value, unit in (
            ("Urgent reports issued", "95% of urgent examinations", 2, "working days"),
            ("Images available to referrers", "99% of examinations", 4, "hours"),
        )
    ]
    incident = services.report(plan=plan, subject="system:pacs", actor=None, via="test")
    incident = services.invoke(incident=incident, actor=None, via="test")
    incident = services.restore(incident=incident, actor=None, via="test")
    assert incident.invoked_at is not None and incident.restored_at is not None
    for kpi, agreed in zip(kpis, (True, False), strict=True):
        commissioning.ask_relaxation(
            incident=incident,
            kpi=kpi,
            asked_of="Contract manager",
            asked_at=incident.restored_at,
            relaxed_from=incident.invoked_at,
            relaxed_to=incident.restored_at + timedelta(days=3),
            agreed_by="Contract manager" if agreed else "",
            agreed_at=incident.restored_at if agreed else None,
            note="By e-mail.",
            file_name="agreement.txt",
            data=b"Agreed.",
            actor=None,
            via="test",
        )
    for name, capacity in (("Harbour Imaging", 40), ("Mill Lane Scanning", 25)):
        provider = commissioning.add_provider(
            plan=plan, provider=name, capacity_per_week=capacity, actor=None, via="test"
        )
    commissioning.withdraw_provider(provider=provider, actor=None, via="test")
    return incident.number


def test_commissioning_pages_are_accessible_and_fit_a_narrow_screen(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    number = _filled()
    log_in(page, site, user_with("editor"))
    found: list[str] = []
    paths = [
        ("plan-kpis", reverse("plan-kpis", kwargs={"org": ORG, "plan": PLAN})),
        ("plan-subcontractors", reverse("plan-subcontractors", kwargs={"org": ORG, "plan": PLAN})),
        ("incident-kpis", reverse("incident-kpis", kwargs={"org": ORG, "number": number})),
    ]
    for name, path in paths:
        response = page.goto(f"{site}{path}")
        assert response is not None and response.status == 200, path
        violations = a11y_violations(page)
        if violations:
            screenshot(page, request, name)
            found.append(f"{path}:\n{describe(violations)}")
        page.set_viewport_size({"width": NARROW, "height": 800})
        if (width := page_width(page)) > NARROW:
            screenshot(page, request, f"{name}-too-wide")
            found.append(f"{path}: {width}px wide at {NARROW}px")
        page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, "\n\n".join(found)
