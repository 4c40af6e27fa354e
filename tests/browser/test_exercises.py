"""The exercise pages in a browser, with a running table-top exercise, an inject released and its clock moved on: no
serious or critical axe-core findings, with the programme form open and with the clock form showing an error, and
no sideways scrolling at 360px wide."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .conftest import a11y_violations, describe, log_in, page_width, screenshot

pytestmark = pytest.mark.slow

ORG, PLAN, NARROW = "northwick-general", "pacs-bcdr", 360


def _running() -> int:
    """A table-top exercise of the PACS plan with two injects, the first released; its number."""
    from contingency.exercises import services
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=ORG, key=PLAN)
    exercise = services.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, via="test")
    for minutes, title in ((0, "The archive stops answering"), (40, "The standby does not come up")):
        services.add_inject(
            exercise=exercise, title=title, text=f"{title}: radiographers ring the help desk.", minutes=minutes,
            actor=None, via="test",
        )  # fmt: skip
    services.release_next_inject(exercise=exercise, actor=None, via="test")
    services.advance_clock(exercise=exercise, minutes=90, reason="Skip to the supplier's call", actor=None, via="test")
    return exercise.number


def test_exercise_pages_are_accessible_and_fit_a_narrow_screen(
    page: Any, site: str, user_with: Any, email: None, request: pytest.FixtureRequest
) -> None:
    number = _running()
    log_in(page, site, user_with("editor"))
    found: list[str] = []
    paths = [
        ("exercises", reverse("exercises", kwargs={"org": ORG})),
        ("exercise", reverse("exercise", kwargs={"org": ORG, "number": number})),
        ("clock-refused", reverse("exercise", kwargs={"org": ORG, "number": number})),
    ]
    for name, path in paths:
        response = page.goto(f"{site}{path}")
        assert response is not None and response.status == 200, path
        if name == "exercises":
            page.get_by_text("Change how often exercises are due").click()
        if name == "clock-refused":
            page.get_by_label("Advance by").fill("0")
            page.get_by_label("Why").fill("Skip ahead")
            page.get_by_role("button", name="Advance the clock").click()
            assert (
                page.locator("#id_amount-error").inner_text() == "The clock only moves forward: give a number above 0."
            )
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
