"""Every main page, as a member who may see them all: no serious or critical axe-core findings, and
no sideways scrolling at 360px wide (WCAG 1.4.10 reflow)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from .conftest import a11y_violations, describe, log_in, screenshot

ORG = "northwick-general"
PLAN = "pacs-bcdr"
FUNCTION = "image-reporting"
NARROW = 360

# (label, URL name, URL arguments)
PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("dashboard", "dashboard", {"org": ORG}),
    ("plan page", "plan", {"org": ORG, "plan": PLAN}),
    ("what to do now", "function-now", {"org": ORG, "plan": PLAN, "function": FUNCTION}),
    ("edit index", "plan-edit", {"org": ORG, "plan": PLAN}),
    ("control", "plan-control", {"org": ORG, "plan": PLAN}),
    ("members", "members", {"org": ORG}),
    ("audit log", "audit-log", {"org": ORG}),
    ("account", "account", {}),
    ("reviews", "reviews", {"org": ORG}),
    ("function form", "part-edit", {"org": ORG, "plan": PLAN, "section": "functions", "key": FUNCTION}),
    ("plan history", "history", {"org": ORG, "object_type": "plan", "key": PLAN}),
    ("change password", "password-change", {}),
]


def test_main_pages_are_accessible_and_fit_a_narrow_screen(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    username = user_with("editor", "approver", "administrator")
    log_in(page, site, username)
    found: list[str] = []
    for label, name, kwargs in PAGES:
        path = reverse(name, kwargs=kwargs)
        response = page.goto(f"{site}{path}")
        assert response is not None
        if response.status != 200:
            found.append(f"{label} {path}: HTTP {response.status}")
            continue
        violations = a11y_violations(page)
        if violations:
            # Only failing pages are kept as pictures: the other tests photograph the key pages.
            screenshot(page, request, name)
            found.append(f"{label} {path}:\n{describe(violations)}")
        page.set_viewport_size({"width": NARROW, "height": 800})
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW:
            screenshot(page, request, f"{name}-too-wide")
            found.append(f"{label} {path}: {width}px wide at a {NARROW}px viewport (scrolls sideways)")
        page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, "\n\n".join(found)
