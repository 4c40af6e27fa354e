"""The sub-contractor capacity register: a provider marked withdrawn opens a capacity review, with the
commissioner to be informed, in the same change; editors change it, viewers and other organisations do not."""

from __future__ import annotations

import pytest
from django.test import Client

from contingency.commissioning import services
from contingency.commissioning.models import CapacityReview, SubContractor
from contingency.core.models import AuditEntry
from contingency.plans.models import Plan
from tests.web import EYE, HOME_ORG, OTHER_ORG, MemberFactory

pytestmark = pytest.mark.django_db
BASE = f"/o/{OTHER_ORG}/plans/{EYE}/subcontractors/"


def eye_plan() -> Plan:
    return Plan.objects.get(organisation__slug=OTHER_ORG, key=EYE)


def test_withdrawing_a_provider_opens_a_capacity_review_until_the_commissioner_is_told(member: MemberFactory) -> None:
    editor = member("editor", organisation=OTHER_ORG)
    assert editor.post(f"{BASE}add/", {"provider": "Harbour Opticians", "capacity_per_week": "40"}).status_code == 302
    assert editor.post(f"{BASE}add/", {"provider": "Mill Lane Eye Care", "capacity_per_week": "25"}).status_code == 302
    harbour = SubContractor.objects.get(provider="Harbour Opticians")
    assert editor.post(f"{BASE}{harbour.pk}/withdraw/").status_code == 302
    review = CapacityReview.objects.get()
    assert (review.provider, review.capacity_lost, review.capacity_left) == (harbour, 40, 25)
    assert review.to_do == "commissioner to be informed"
    page = editor.get(BASE).content.decode()
    assert "commissioner to be informed" in page and "40 a week lost, 25 a week left" in page
    url = f"/o/{OTHER_ORG}/plans/{EYE}/capacity-reviews/{review.pk}/informed/"
    assert editor.post(url, {f"review-{review.pk}-informed_by": "Imran Siddiqui"}).status_code == 302
    review.refresh_from_db()
    assert review.informed_by == "Imran Siddiqui" and review.commissioner_informed_at is not None and not review.to_do
    notes = list(AuditEntry.objects.filter(object_type="subcontractor").order_by("pk").values_list("note", flat=True))
    assert notes == [
        "added",
        "added",
        "withdrawn; capacity review opened, commissioner to be informed",
        "capacity review: commissioner informed",
    ]


def test_a_provider_withdraws_once(member: MemberFactory) -> None:
    row = services.add_provider(
        plan=eye_plan(), provider="Harbour Opticians", capacity_per_week=40, actor=None, via="test"
    )
    services.withdraw_provider(provider=row, actor=None, via="test")
    with pytest.raises(services.CommissioningRefused, match="already withdrawn"):
        services.withdraw_provider(provider=row, actor=None, via="test")
    assert CapacityReview.objects.count() == 1


def test_only_editors_of_the_organisation_change_the_register(member: MemberFactory) -> None:
    row = services.add_provider(
        plan=eye_plan(), provider="Harbour Opticians", capacity_per_week=40, actor=None, via="test"
    )
    assert Client().get(BASE).status_code == 302
    assert member("editor", organisation=HOME_ORG).get(BASE).status_code == 404
    assert member("editor", organisation=HOME_ORG).post(f"{BASE}{row.pk}/withdraw/").status_code == 404
    viewer = member("viewer", organisation=OTHER_ORG)
    page = viewer.get(BASE).content.decode()
    assert "Harbour Opticians" in page and "Mark withdrawn" not in page and "Add the provider" not in page
    assert viewer.post(f"{BASE}{row.pk}/withdraw/").status_code == 403
    assert viewer.post(f"{BASE}add/", {"provider": "X", "capacity_per_week": "1"}).status_code == 403
    assert not CapacityReview.objects.exists() and SubContractor.objects.count() == 1


def test_the_demo_puts_kpis_and_practices_on_the_eye_care_plan_once(member: MemberFactory) -> None:
    from contingency.commissioning import demo
    from contingency.commissioning.models import ContractKpi

    assert demo.load() == 4 and demo.load() == 0
    plan = eye_plan()
    assert ContractKpi.objects.filter(plan=plan).count() == 4
    assert SubContractor.objects.filter(plan=plan).count() == 3
    page = member("viewer", organisation=OTHER_ORG).get(f"/o/{OTHER_ORG}/plans/{EYE}/kpis/").content.decode()
    assert "within 5 working days of receipt of the referral" in page
