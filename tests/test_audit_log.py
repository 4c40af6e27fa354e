"""The organisation's audit log (filters, pages, order) and the history of one object."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.test import Client

from contingency.core import audit
from contingency.core.models import AuditEntry, Organisation, Role
from contingency.plans import editing
from contingency.plans.models import Plan

from .web import EYE, HOME_ORG, OTHER_ORG, PACS, MemberFactory, client_for, make_user

pytestmark = pytest.mark.django_db

AUDIT = f"/o/{HOME_ORG}/audit/"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def org(demo_plans: list[object]) -> Organisation:
    return Organisation.objects.get(slug=HOME_ORG)


@pytest.fixture
def admin(org: Organisation) -> User:
    return make_user("ada", HOME_ORG, Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(admin: User) -> Client:
    return client_for(admin)


def edit_function(actor: User) -> Plan:
    """Change one field of one function of the PACS plan through the editing service."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    data = editing.part_of(editing.plan_data(plan), "functions", "image-reporting")
    data["name"] = "Image viewing and reporting (changed)"
    return editing.save_part(plan, section="functions", key="image-reporting", data=data, actor=actor)


def entry_at(org: Organisation, when: datetime, object_type: str, key: str, actor: str = "someone") -> None:
    AuditEntry.objects.create(
        organisation=org, at=when, actor_name=actor, verb="change", object_type=object_type, object_key=key
    )


def test_log_lists_entries_newest_first_with_field_changes(admin_client: Client, admin: User) -> None:
    edit_function(admin)
    page = admin_client.get(AUDIT).content.decode()
    assert "<h1>Audit log of Northwick" in page
    # The function change comes before the demo's own import entries, and its field is shown.
    assert page.index("pacs-bcdr/functions/image-reporting") < page.index("<td>demo</td>")
    assert "<code>name</code>" in page
    assert "Diagnostic image viewing and reporting" in page and "Image viewing and reporting (changed)" in page
    assert f'href="/o/{HOME_ORG}/history/functions/pacs-bcdr/functions/image-reporting/"' in page


def test_log_shows_only_this_organisation(admin_client: Client) -> None:
    page = admin_client.get(AUDIT).content.decode()
    assert EYE not in page and PACS in page


def test_filter_by_object_type_and_actor(admin_client: Client, admin: User, org: Organisation) -> None:
    edit_function(admin)
    page = admin_client.get(AUDIT, {"object_type": "functions"}).content.decode()
    assert "image-reporting" in page and 'href="/o/northwick-general/history/plan/pacs-bcdr/"' not in page
    page = admin_client.get(AUDIT, {"actor": "ada"}).content.decode()
    assert "image-reporting" in page and "<td>demo</td>" not in page
    page = admin_client.get(AUDIT, {"actor": "demo", "object_type": "functions"}).content.decode()
    assert "image-reporting" not in page and "No entries match these filters." in page


def test_filter_by_date_range_in_the_organisation_zone(admin_client: Client, org: Organisation) -> None:
    # 23:30 on 30 June in London is 22:30 UTC: it belongs to 30 June, not 1 July.
    entry_at(org, datetime(2026, 6, 30, 23, 30, tzinfo=LONDON), "site", "late-june")
    entry_at(org, datetime(2026, 7, 1, 0, 30, tzinfo=LONDON), "site", "early-july")
    entry_at(org, datetime(2026, 7, 3, 12, 0, tzinfo=LONDON), "site", "third-july")
    page = admin_client.get(AUDIT, {"since": "2026-07-01", "until": "2026-07-01"}).content.decode()
    assert "early-july" in page and "late-june" not in page and "third-july" not in page
    page = admin_client.get(AUDIT, {"until": "2026-06-30", "object_type": "site"}).content.decode()
    assert "late-june" in page and "early-july" not in page
    assert "30 Jun 2026 23:30" in page  # shown in the organisation's time


def test_bad_filter_is_explained(admin_client: Client) -> None:
    response = admin_client.get(AUDIT, {"since": "2026-07-02", "until": "2026-07-01"})
    assert response.status_code == 400
    assert "The end date must be on or after the start date." in response.content.decode()
    response = admin_client.get(AUDIT, {"since": "yesterday"})
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()


def test_log_is_paginated(admin_client: Client, org: Organisation) -> None:
    start = datetime(2020, 1, 1, tzinfo=LONDON)
    AuditEntry.objects.bulk_create(
        AuditEntry(
            organisation=org,
            at=start + timedelta(minutes=i),
            actor_name="bulk",
            verb="change",
            object_type="site",
            object_key=f"s{i:03}",
        )
        for i in range(60)
    )
    first = admin_client.get(AUDIT, {"actor": "bulk"}).content.decode()
    assert "Page 1 of 2" in first and ">s059<" in first and ">s010<" in first and ">s009<" not in first
    assert 'href="?actor=bulk&amp;page=2"' in first
    second = admin_client.get(AUDIT, {"actor": "bulk", "page": "2"}).content.decode()
    assert ">s009<" in second and ">s000<" in second and ">s010<" not in second
    assert admin_client.get(AUDIT, {"page": "nonsense"}).status_code == 200


def test_audit_log_needs_administer(member: MemberFactory) -> None:
    assert member(Role.APPROVER, Role.EDITOR).get(AUDIT).status_code == 403
    assert member(Role.ADMINISTRATOR, organisation=OTHER_ORG).get(AUDIT).status_code == 404


def test_history_of_a_plan_part_after_an_edit(member: MemberFactory, admin: User) -> None:
    edit_function(admin)
    viewer = member(Role.VIEWER)
    response = viewer.get(f"/o/{HOME_ORG}/history/functions/{PACS}/functions/image-reporting/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>History of functions pacs-bcdr/functions/image-reporting</h1>" in page
    assert "1 recorded change," in page
    assert "Diagnostic image viewing and reporting" in page and "Image viewing and reporting (changed)" in page


def test_history_of_a_plan_includes_its_parts(member: MemberFactory, admin: User) -> None:
    edit_function(admin)
    page = member(Role.VIEWER).get(f"/o/{HOME_ORG}/history/plan/{PACS}/").content.decode()
    assert "including every part of the plan" in page
    assert "pacs-bcdr/functions/image-reporting" in page
    assert "edited, so a new draft" in page  # the plan's own entry: returned to draft


def test_history_of_members_is_for_administrators(member: MemberFactory, admin_client: Client) -> None:
    url = f"/o/{HOME_ORG}/history/membership/ada/"
    assert member(Role.VIEWER).get(url).status_code == 403
    assert admin_client.get(url).status_code == 200


def test_history_does_not_cross_organisations(member: MemberFactory) -> None:
    other = Organisation.objects.get(slug=OTHER_ORG)
    audit.record(organisation=other, actor=None, verb="change", object_type="plan", object_key=f"{PACS}/x")
    page = member(Role.VIEWER).get(f"/o/{HOME_ORG}/history/plan/{PACS}/").content.decode()
    assert f"{PACS}/x" not in page
    assert member(Role.VIEWER).get(f"/o/{OTHER_ORG}/history/plan/{EYE}/").status_code == 404
