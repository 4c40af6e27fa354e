"""The admin shows every part of an imported plan."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from contingency.incidents import services
from contingency.plans.files import collect, load_all
from contingency.plans.store import import_plans
from tests.conftest import DEMO_PLANS

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.org", "a-long-test-password")
    client.force_login(user)
    return client


def test_every_admin_list_and_change_page_renders(staff_client: Client) -> None:
    loaded, problems = load_all(collect([str(DEMO_PLANS)])[0])
    assert not problems
    plans = {plan.key: plan for plan in import_plans([item.plan for item in loaded])}
    pacs = plans["pacs-bcdr"]
    services.invoke(incident=services.report(plan=pacs, subject="system:pacs", actor=None), actor=None)
    ours = [m for m in admin.site._registry if m._meta.app_label in {"core", "plans", "incidents"}]
    assert len(ours) >= 15
    for model in ours:
        meta = model._meta
        listing = staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        assert listing.status_code == 200, meta.label
        first = model._default_manager.first()
        if first is not None:
            page = staff_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[first.pk]))
            assert page.status_code == 200, meta.label


def test_admin_requires_login(client: Client) -> None:
    response = client.get(reverse("admin:plans_plan_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
