"""Every main page, as a member who may see them all: no serious or critical axe-core findings, and
no sideways scrolling at 360px wide (WCAG 1.4.10 reflow)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.urls import reverse

from .conftest import a11y_violations, describe, log_in, page_width, screenshot

pytestmark = pytest.mark.slow  # seconds each: run first (tests/conftest.py)

ORG = "northwick-general"
PLAN = "pacs-bcdr"
FUNCTION = "image-reporting"
NARROW = 360

# (label, URL name, URL arguments)
PAGES: list[tuple[str, str, dict[str, str]]] = [
    ("dashboard", "dashboard", {"org": ORG}),
    ("plan page", "plan", {"org": ORG, "plan": PLAN}),
    ("what to do now", "function-now", {"org": ORG, "plan": PLAN, "function": FUNCTION}),
    ("contacts", "contacts", {"org": ORG}),
    ("edit index", "plan-edit", {"org": ORG, "plan": PLAN}),
    ("control", "plan-control", {"org": ORG, "plan": PLAN}),
    ("members", "members", {"org": ORG}),
    ("audit log", "audit-log", {"org": ORG}),
    ("account", "account", {}),
    ("reviews", "reviews", {"org": ORG}),
    ("function form", "part-edit", {"org": ORG, "plan": PLAN, "section": "functions", "key": FUNCTION}),
    ("plan history", "history", {"org": ORG, "object_type": "plan", "key": PLAN}),
    ("change password", "password-change", {}),
    ("call trees and messages", "plan-messages", {"org": ORG, "plan": PLAN}),
    ("record kind form", "part-edit", {"org": ORG, "plan": PLAN, "section": "recordKinds", "key": "examination"}),
    ("downtime ID ranges", "downtime-ids", {"org": ORG}),
    ("status page management", "status-manage", {"org": ORG}),
    ("caught messages (demo catcher)", "caught-messages", {"org": ORG}),
    ("organisation settings", "organisation-settings", {"org": ORG}),
    ("compliance", "compliance", {"org": ORG}),
    ("compliance framework", "compliance-framework", {"org": ORG, "framework": "iso-22301-2019"}),
    ("record compliance evidence", "compliance-record", {"org": ORG, "framework": "nhs-eprr-bc"}),
    ("suppliers", "suppliers", {"org": ORG}),
    ("supplier assurance form", "supplier-assurance", {"org": ORG, "supplier": "meridian"}),
]

# The incident pages, for incidents made in the test: (label, URL name, which incident, query string).
INCIDENT_PAGES: list[tuple[str, str, str | None, str]] = [
    ("incident list", "incidents", None, ""),
    ("report a failure", "incident-report", None, ""),
    ("report a failure: the checks", "incident-report", None, f"?plan={PLAN}&subject=function:{FUNCTION}"),
    ("incident page, reported", "incident", "reported", ""),
    ("incident page, invoked", "incident", "invoked", ""),
    ("incident page, restored", "incident", "restored", ""),
    ("my next actions", "incident-mine", "invoked", ""),
    ("hand-over", "incident-handover", "invoked", ""),
    ("incident lead", "incident-lead", "invoked", ""),
    ("board briefing", "incident-briefing", "invoked", ""),
    ("review, not open yet", "incident-review", "invoked", ""),
    ("review", "incident-review", "restored", ""),
    ("downtime records", "incident-downtime", "invoked", ""),
    ("supplier tickets", "incident-suppliers", "invoked", ""),
    ("record on a phone: which kind", "downtime-record", "invoked", ""),
    ("upload downtime records", "downtime-upload", "invoked", ""),
    ("downtime records report", "downtime-report", "restored", ""),
]


def incidents_for_the_sweep() -> dict[str, int]:
    """One incident in each state the pages show differently; their numbers by state."""
    from contingency.core.models import Role
    from contingency.incidents import review, services, tasks
    from contingency.incidents.models import Task
    from contingency.plans.models import Plan

    from ..web import make_user

    plan = Plan.objects.get(organisation__slug=ORG, key=PLAN)
    yes = {"several-patients": True, "several-pcs": True, "several-modalities": True}

    def reported(subject: str) -> Any:
        return services.report(plan=plan, subject=subject, actor=None, answers=yes, via="test")

    restored = services.invoke(incident=reported("system:pacs"), actor=None, via="test")
    services.restore(incident=restored, actor=None, note_text="Storage controller replaced.", via="test")
    review.save_review(
        incident=restored,
        actor=None,
        whys=["The archive was offline.", "A storage controller failed."],
        root_cause="A known firmware fault was left unpatched.",
        went_well="CDs went with every patient.",
        went_badly="Two wards were told late.",
        lessons="Agree a maintenance window with the vendor.",
        complete=False,
        via="test",
    )
    review.add_action(
        incident=restored,
        text="Agree a maintenance window",
        owner_id=make_user("review-owner", ORG, Role.RESPONDER).pk,
        due_on=date(2027, 3, 31),
        actor=None,
        via="test",
    )
    invoked = services.invoke(incident=reported("function:image-reporting"), actor=None, via="test")
    first = Task.objects.filter(incident=invoked).order_by("position").first()
    assert first is not None
    tasks.finish(task=first, actor=None, done=True, text="Done at once.", via="test")
    return {
        "reported": reported("function:image-sharing").number,
        "invoked": invoked.number,
        "restored": restored.number,
    }


def ack_path(number: int) -> str:
    """The acknowledgement page of the first person the incident's call trees are reaching."""
    from contingency.notify import links
    from contingency.notify.models import Callout

    callout = (
        Callout.objects.filter(incident__organisation__slug=ORG, incident__number=number, state="waiting")
        .order_by("pk")
        .first()
    )
    assert callout is not None
    return reverse("callout-ack", kwargs={"signed": links.signed(callout.ack_token)})


def invitation_path() -> str:
    """The page an invitation's link opens (choose a username and password)."""
    from contingency.core.models import Organisation
    from contingency.notify import invitations

    made, _ = invitations.invite(
        organisation=Organisation.objects.get(slug=ORG), email="sweep@example.org", roles=["viewer"], actor=None
    )
    return "/" + invitations.link(made).split("://", 1)[1].split("/", 1)[1]


PARTS = 3  # the sweep in parts, so that both test processes share it (a whole sweep is about a minute)


@pytest.mark.parametrize("part", range(PARTS))
def test_main_pages_are_accessible_and_fit_a_narrow_screen(
    part: int, page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    numbers = incidents_for_the_sweep()
    username = user_with("editor", "approver", "administrator")
    log_in(page, site, username)
    found: list[str] = []
    pages = [(label, name, reverse(name, kwargs=kwargs)) for label, name, kwargs in PAGES]
    for label, name, which, query in INCIDENT_PAGES:
        kwargs = {"org": ORG} if which is None else {"org": ORG, "number": str(numbers[which])}
        pages.append((label, name, reverse(name, kwargs=kwargs) + query))
    pages.append(("acknowledgement link", "callout-ack", ack_path(numbers["invoked"])))
    pages.append(("invitation link", "invite-accept", invitation_path()))
    for label, name, path in pages[part::PARTS]:
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
        width = page_width(page)
        if width > NARROW:
            screenshot(page, request, f"{name}-too-wide")
            found.append(f"{label} {path}: {width}px wide at a {NARROW}px viewport (scrolls sideways)")
        page.set_viewport_size({"width": 1280, "height": 900})
    assert not found, "\n\n".join(found)
