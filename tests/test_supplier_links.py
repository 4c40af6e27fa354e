"""A plan's links are only http(s) web addresses and plain e-mail addresses.

A supplier portal `javascript:...` and a help-desk e-mail with `?bcc=` were rendered as links. The plan
format now refuses both (located, like any malformed value); the pages never make a link of them, even
from a plan stored before the format refused them.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from contingency.lib.hrefs import mailto_href, web_href
from contingency.plans.models import Person, Plan, Role, Supplier
from contingency.plans.problems import PlanInvalid
from contingency.plans.validate import validate_data

from .builders import minimal_plan
from .web import HOME_ORG, PACS, MemberFactory

SCRIPT = "javascript:alert(document.cookie)"
BCC = "helpdesk@meridian-imaging.example.org?bcc=attacker@example.net"


def problems(plan: dict[str, object]) -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        validate_data(plan)
    return [f"{'.'.join(map(str, p.path))}: {p.message}" for p in caught.value.problems]


@pytest.mark.parametrize(
    "text", ["https://support.example.org", "http://10.0.0.1:8080/desk?x=1", "HTTPS://Support.Example.org/"]
)
def test_web_addresses_are_links(text: str) -> None:
    assert web_href(text) == text


@pytest.mark.parametrize(
    "text",
    [
        SCRIPT,
        "JavaScript:x",
        "data:text/html,x",
        "//evil.example.net",
        "support.example.org",
        "https://",
        "https://a b",
    ],
)
def test_anything_else_is_not_a_web_link(text: str) -> None:
    assert web_href(text) == ""


def test_only_plain_addresses_are_mail_links() -> None:
    assert mailto_href("o'neill+pacs@example.org") == "mailto:o'neill+pacs@example.org"
    for text in (BCC, "a@example.org&cc=b@example.net", "a%3Fbcc@example.org", "Helpdesk <a@example.org>", "a@b", ""):
        assert mailto_href(text) == "", text


def test_the_plan_format_refuses_script_portals_and_addresses_with_more_parts() -> None:
    plan = minimal_plan(
        suppliers=[{"id": "vendor", "name": "Vendor", "helpdesk": {"email": BCC, "portal": SCRIPT}}],
        roles=[{"id": "desk", "name": "Desk", "inHours": {"email": "desk@example.org, boss@example.org"}}],
    )
    plan["people"][0]["email"] = "olive@example.org?subject=x"
    assert problems(plan) == [
        "people.0.email: 'olive@example.org?subject=x' is not an e-mail address: write a plain address such as "
        "helpdesk@example.org, without spaces, a name or a '?' part",
        "roles.0.inHours.email: 'desk@example.org, boss@example.org' is not an e-mail address: write a plain address "
        "such as helpdesk@example.org, without spaces, a name or a '?' part",
        f"suppliers.0.helpdesk.email: '{BCC}' is not an e-mail address: write a plain address such as "
        "helpdesk@example.org, without spaces, a name or a '?' part",
        f"suppliers.0.helpdesk.portal: '{SCRIPT}' is not a web address: write it in full, starting https:// "
        "(or http://)",
    ]


@pytest.fixture
def stored_hostile_links(demo_plans: list[object]) -> Plan:
    """The PACS plan with a script portal and a bcc e-mail, as stored before the format refused them."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    supplier = Supplier.objects.get(plan=plan, key="meridian")
    supplier.helpdesk = {**(supplier.helpdesk or {}), "portal": SCRIPT, "email": BCC}
    supplier.save()
    Person.objects.filter(plan=plan, key="helen-marsh").update(email="helen.marsh@example.org?bcc=example.net")
    role = Role.objects.filter(plan=plan).exclude(in_hours=None).first()
    assert role is not None
    role.in_hours = {**(role.in_hours or {}), "email": BCC}
    role.save()
    return plan


def links(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', page)]


def test_the_plan_page_shows_stored_hostile_links_as_text(stored_hostile_links: Plan, member: MemberFactory) -> None:
    response = member("viewer").get(reverse("plan", kwargs={"org": HOME_ORG, "plan": PACS}))
    assert response.status_code == 200
    page = response.content.decode()
    hrefs = links(page)
    assert not [h for h in hrefs if h.lower().startswith("javascript:") or "?bcc" in h]
    assert "mailto:tom.adeyemi@northwick.example.org" in hrefs  # plain addresses are still links
    text = html.unescape(page)
    assert SCRIPT in text and BCC in text  # shown, as text


@time_machine.travel(datetime(2026, 11, 20, 16, 40, tzinfo=ZoneInfo("Europe/London")), tick=False)
def test_the_what_do_i_do_page_shows_stored_hostile_links_as_text(
    stored_hostile_links: Plan, member: MemberFactory
) -> None:
    response = member("viewer").get(f"/o/{HOME_ORG}/plans/{PACS}/functions/image-sharing/now/")
    assert response.status_code == 200
    page = response.content.decode()
    assert not [h for h in links(page) if h.lower().startswith("javascript:") or "?bcc" in h]
    assert f"Portal: {SCRIPT}" in html.unescape(page)
