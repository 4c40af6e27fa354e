"""Notifications in the browser: a phone opens the acknowledgement link from its SMS and acknowledges; the
incident lead sees it on the incident page, and records a telephone call for someone else.

Every channel is a real local server (the `channels` fixture); the SMS text is read from the stand-in for
GOV.UK Notify, exactly as the phone would receive it. The live server runs on the real clock, so what is
looked for holds in and out of hours: TP1's call tree texts the PACS manager's mobile at any time.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
PLAN = "pacs-bcdr"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
HELEN_MOBILE = "07700 900101"
SUBJECT = "Meridian PACS failure: TP1 - information-gathering meeting"


def invoke_and_send() -> Any:
    """The PACS plan invoked, TP1's call tree started and every message due sent; the incident."""
    from contingency.incidents import services, worker
    from contingency.notify import delivery
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=ORG, key=PLAN)
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    incident = services.report(plan=plan, subject="system:pacs", actor=None, answers=answers, via="test")
    incident = services.invoke(incident=incident, actor=None, via="test")
    worker.run_until_idle(worker="browser-test")
    delivery.run_until_idle(worker="browser-test")
    return incident


def reached_row(page: Any, name: str) -> Any:
    panel = page.get_by_role("region", name="Who has been reached")
    return panel.get_by_role("listitem").filter(has=page.locator("p.callout-who", has_text=re.compile(f"^{name}")))


def test_a_phone_opens_the_sms_link_and_acknowledges(
    new_context: Any, site: str, user_with: Any, channels: Any, settings: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    settings.CONTINGENCY_BASE_URL = site  # the links in the messages point at this live server
    incident = invoke_and_send()
    [sms] = [n for n in channels.notify.notifications if n.to == HELEN_MOBILE]
    link = re.search(r"Ack: (\S+)", sms.personalisation["body"])
    assert link is not None and link.group(1).startswith(f"{site}/ack/")

    phone = new_context(**PHONE).new_page()
    phone.goto(link.group(1))
    expect(phone.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(phone.get_by_text("For Helen Marsh from Northwick General Hospital")).to_be_visible()
    button = phone.get_by_role("button", name="I have received this")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 300  # one large button, thumb-sized
    assert page_width(phone) <= 360
    screenshot(phone, request, "ack-page")
    check_a11y(phone, "acknowledgement page (phone)")
    button.click()
    done = phone.get_by_role("status").filter(has_text="Thank you: received")
    expect(done).to_be_visible()
    expect(done).to_contain_text("it will not be sent to you again")
    screenshot(phone, request, "acknowledged")
    check_a11y(phone, "acknowledged (phone)")
    # Opening the link again says when; nothing more to press.
    phone.goto(link.group(1))
    expect(phone.get_by_role("status")).to_contain_text("Already acknowledged")
    expect(phone.get_by_role("button", name="I have received this")).to_have_count(0)

    # The incident lead sees the acknowledgement on the incident page.
    lead = new_context().new_page()
    log_in(lead, site, user_with("responder"))
    lead.goto(f"{site}/o/{ORG}/incidents/{incident.number}/")
    helen = reached_row(lead, "Helen Marsh")
    expect(helen).to_contain_text(re.compile(r"Acknowledged at .* by the link in the message"))
    expect(helen).to_contain_text(f"SMS: sent to {HELEN_MOBILE}")
    counts = lead.get_by_role("region", name="Who has been reached").get_by_role("list", name="All call trees")
    expect(counts).to_contain_text("1 acknowledged")
    screenshot(lead, request, "incident-page")


def test_the_lead_records_a_call(
    page: Any, site: str, user_with: Any, channels: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    incident = invoke_and_send()
    me = user_with("responder")
    log_in(page, site, me)
    page.goto(f"{site}/o/{ORG}/incidents/{incident.number}/")
    julia = reached_row(page, "Julia Fenwick")
    expect(julia).to_contain_text("Waiting")
    julia.locator("summary").filter(has_text="Record a call").click()
    # Recording nothing is refused beside the form, which stays open.
    julia.get_by_role("button", name="Record the call").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose whether you got through to Julia Fenwick")
    julia = reached_row(page, "Julia Fenwick")
    julia.get_by_role("radio", name="Got through: they have the message").check()
    julia.get_by_role("button", name="Record the call").click()
    expect(page.get_by_role("status").filter(has_text="Recorded: Julia Fenwick reached by telephone.")).to_be_visible()
    expect(reached_row(page, "Julia Fenwick")).to_contain_text(
        re.compile(rf"Acknowledged at .* by telephone call \(recorded by {me}\)")
    )
    check_a11y(page, "incident page with call-outs")
