"""The grab pack prints each supplier's contract terms from the assurance register and the plan's contract
KPIs (packs/terms.py): what the on-call person needs with no network. The HTML file is tested (no PDFs)."""

from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.commissioning import demo as commissioning_demo
from contingency.packs import register, render
from contingency.packs.build import PlanSource, build_plan_pack
from contingency.packs.content import plan_content
from contingency.plans.models import Plan
from contingency.plans.store import export_plan
from contingency.suppliers import services as suppliers
from tests.web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
BUILT = datetime(2026, 11, 20, 2, 0, tzinfo=LONDON)
REVIEWED = datetime(2026, 10, 5, 11, 0, tzinfo=LONDON)
EYE_CARE = "eye-care-data"


def plan_of(org: str, key: str) -> Plan:
    return Plan.objects.select_related("organisation").get(organisation__slug=org, key=key)


def pack_text(plan: Plan) -> str:
    """The plan's grab pack HTML file as built from the database, reduced to its words."""
    pack = build_plan_pack(register.source_of(plan), built_at=BUILT, zone=LONDON, parts={"html"})
    (html,) = [data for name, data in pack.files.items() if name.endswith(".html")]
    return words(html.decode())


def words(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def record_meridian(plan: Plan) -> None:
    with time_machine.travel(REVIEWED, tick=False):
        suppliers.record_assurance(
            organisation=plan.organisation,
            supplier_key="meridian",
            has_plan="yes",
            last_tested_on=date(2026, 6, 1),
            response_time="4 hours",
            restore_time="1 working day",
            contacts=[
                {"name": "Dana Whitlock (service delivery manager)", "phone": "07700 900417"},
                {"name": "Meridian duty manager", "phone": "01632 960418"},
            ],
            review_on=date(2027, 6, 1),
            actor=None,
            via="test",
        )


@pytest.fixture
def pacs(demo_plans: list[Any]) -> Plan:
    return plan_of(HOME_ORG, PACS)


def test_the_pack_prints_the_suppliers_contract_times_contacts_and_review_date(pacs: Plan) -> None:
    record_meridian(pacs)
    text = pack_text(pacs)
    assert "Contract terms" in text
    assert (
        "Meridian Imaging Systems Ltd respond within 4 hours, restore within 1 working day "
        "Dana Whitlock (service delivery manager) 07700 900417 Meridian duty manager 01632 960418 5 Oct 2026"
    ) in text


def test_a_supplier_with_no_assurance_says_so(pacs: Plan) -> None:
    text = pack_text(pacs)
    assert "Meridian Imaging Systems Ltd No assurance on file" in text
    assert "No contract KPIs are recorded for this plan." in text


def test_the_pack_prints_the_plans_contract_kpis(demo_plans: list[Any]) -> None:
    plan = plan_of(OTHER_ORG, EYE_CARE)
    assert commissioning_demo.load() == 4
    text = pack_text(plan)
    assert (
        "Urgent referrals triaged 95% of urgent referrals within 1 working day of receipt of the referral "
        f"{commissioning_demo.COMMISSIONER}"
    ) in text
    assert "Outcome letters sent to the GP 95% of appointments within 14 calendar days of the appointment" in text
    assert "Kelderbrook Hosting Ltd No assurance on file" in text  # its supplier has none on file


def test_the_printed_copy_carries_the_same_terms(pacs: Plan) -> None:
    record_meridian(pacs)
    source = register.source_of(pacs)
    copy = register.holder_copies(pacs)[0]
    packed = render.PackedPlan(plan_content(source.document), BUILT, BUILT, copy, source.terms)
    text = words(render.print_html([packed], title="PACS"))
    assert "respond within 4 hours, restore within 1 working day" in text and "01632 960418" in text


def test_the_same_registers_give_the_same_pack(pacs: Plan) -> None:
    record_meridian(pacs)
    commissioning_demo.load()  # the KPIs go on another plan when this one is not there: none here
    first = build_plan_pack(register.source_of(pacs), built_at=BUILT, zone=LONDON, parts={"html"})
    second = build_plan_pack(register.source_of(pacs), built_at=BUILT, zone=LONDON, parts={"html"})
    assert first.files == second.files


def test_a_pack_built_from_the_file_alone_has_no_terms_section(pacs: Plan) -> None:
    pack = build_plan_pack(PlanSource(export_plan(pacs), BUILT), built_at=BUILT, zone=LONDON, parts={"html"})
    assert b"Contract terms" not in pack.files[f"{PACS}.html"]
