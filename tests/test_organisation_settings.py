"""The organisation's settings: changed by administrators through one service, audited; a plan upload
never changes them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from contingency.core.models import AuditEntry, Organisation
from contingency.core.organisations import SettingsRefused, check, update_settings
from contingency.plans.editing import plan_data, save_document
from contingency.plans.models import Plan
from contingency.plans.store import export_plan
from contingency.plans.validate import validate_data

ORG = "northwick-general"
URL = reverse("organisation-settings", kwargs={"org": ORG})
FORM = {
    "name": "Northwick and District Hospitals",
    "timezone": "Europe/London",
    "working_days": ["0", "1", "2", "3"],
    "working_start": "07:30",
    "working_end": "18:00",
    "nation": "wales",
}


def test_the_checks_refuse_what_cannot_be_used() -> None:
    good = {
        "name": "N",
        "timezone": "Europe/London",
        "nation": "england",
        "working_days": [4, 0],
        "working_start": time(8),
        "working_end": time(17),
    }
    assert check(**good) == [0, 4]  # type: ignore[arg-type]
    assert check(**{**good, "working_start": time(0), "working_end": time(0)}) == [0, 4]  # type: ignore[arg-type]
    for field, value in (
        ("name", "  "),
        ("timezone", "Europe/Nowhere"),
        ("nation", "mercia"),
        ("working_days", []),
        ("working_end", time(7)),
    ):
        with pytest.raises(SettingsRefused) as refused:
            check(**{**good, field: value})  # type: ignore[arg-type]
        assert refused.value.field == field


def test_an_administrator_changes_the_settings_and_it_is_audited(member: Callable[..., Client]) -> None:
    admin = member("administrator")
    page = admin.get(URL)
    assert page.status_code == 200
    assert 'value="Northwick General Hospital NHS Foundation Trust"' in page.content.decode()
    assert admin.post(URL, FORM).status_code == 302
    organisation = Organisation.objects.get(slug=ORG)
    assert (organisation.name, organisation.nation, organisation.working_days) == (FORM["name"], "wales", [0, 1, 2, 3])
    assert (organisation.working_start, organisation.working_end) == (time(7, 30), time(18))
    entry = AuditEntry.objects.filter(organisation=organisation, object_type="organisation-settings").latest("id")
    before, after = entry.before or {}, entry.after or {}
    assert before["name"] == "Northwick General Hospital NHS Foundation Trust"
    assert after["working_start"] == "07:30" and entry.actor_name.startswith("administrator")
    # Every plan shows the organisation as it now is.
    assert export_plan(Plan.objects.get(organisation=organisation, key="pacs-bcdr")).organisation.name == FORM["name"]
    # Saving the same again changes nothing and records nothing.
    before = AuditEntry.objects.count()
    assert admin.post(URL, FORM).status_code == 302
    assert AuditEntry.objects.count() == before


def test_bad_settings_are_refused_beside_the_field_and_nothing_changes(member: Callable[..., Client]) -> None:
    admin = member("administrator")
    answer = admin.post(URL, {**FORM, "working_start": "19:00"})
    assert answer.status_code == 400
    assert "Working hours must end after they start" in answer.content.decode()
    answer = admin.post(URL, {**FORM, "working_days": []})
    assert answer.status_code == 400 and "Choose the working days" in answer.content.decode()
    assert Organisation.objects.get(slug=ORG).name == "Northwick General Hospital NHS Foundation Trust"


@pytest.mark.parametrize("role", ["viewer", "responder", "editor", "approver"])
def test_only_administrators_see_the_settings(member: Callable[..., Client], role: str) -> None:
    client = member(role)
    assert client.get(URL).status_code == 403
    assert client.post(URL, FORM).status_code == 403
    assert Organisation.objects.get(slug=ORG).name == "Northwick General Hospital NHS Foundation Trust"


def test_another_organisations_administrator_cannot_change_them(member: Callable[..., Client]) -> None:
    outsider = member("administrator", organisation="clearview-eyecare")
    assert outsider.post(URL, FORM).status_code in (403, 404)
    assert Organisation.objects.get(slug=ORG).name == "Northwick General Hospital NHS Foundation Trust"


def test_an_editors_upload_does_not_rename_the_organisation(demo_plans: list[Plan]) -> None:
    organisation = Organisation.objects.get(slug=ORG)
    pacs = Plan.objects.get(organisation=organisation, key="pacs-bcdr")
    data = plan_data(pacs)
    data["organisation"]["name"] = "Renamed by an editor"
    data["organisation"]["workingHours"] = "24/7"
    save_document(validate_data(data), organisation=organisation, actor=None, via="test")
    organisation.refresh_from_db()
    assert organisation.name == "Northwick General Hospital NHS Foundation Trust"
    assert organisation.working_end == time(17)
    assert not AuditEntry.objects.filter(object_type="organisation-settings").exists()


def test_the_service_records_who_changed_what(demo_plans: list[Plan]) -> None:
    organisation = Organisation.objects.get(slug=ORG)
    update_settings(
        organisation=organisation,
        name=organisation.name,
        timezone="Europe/Dublin",
        nation=organisation.nation,
        working_days=organisation.working_days,
        working_start=organisation.working_start,
        working_end=organisation.working_end,
        actor=None,
        via="cli",
    )
    entry = AuditEntry.objects.get(object_type="organisation-settings")
    assert ((entry.before or {})["timezone"], (entry.after or {})["timezone"]) == ("Europe/London", "Europe/Dublin")


def test_the_upload_page_says_the_files_organisation_was_not_applied(member: Callable[..., Client]) -> None:
    from django.contrib.messages import get_messages
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import DEMO_PLANS

    text = (DEMO_PLANS / "pacs.yaml").read_text(encoding="utf-8")
    text = text.replace("Northwick General Hospital NHS Foundation Trust", "Renamed by an upload", 1)
    upload = SimpleUploadedFile("pacs.yaml", text.encode(), content_type="application/yaml")
    answer = member("editor").post(reverse("plan-upload", kwargs={"org": ORG}), {"file": upload})
    assert answer.status_code == 302
    said = " ".join(str(m) for m in get_messages(answer.wsgi_request))
    assert (
        "The file's organisation (name) differs from Northwick General Hospital NHS Foundation Trust's settings" in said
    )
    assert Organisation.objects.get(slug=ORG).name == "Northwick General Hospital NHS Foundation Trust"
