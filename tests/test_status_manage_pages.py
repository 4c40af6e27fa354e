"""The status page's management page: every form with good and bad input (errors beside the field, nothing
written), who sees what, and the incident page's one button that puts up the maintenance notice."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from contingency.core.models import AuditEntry
from contingency.incidents import services as incident_services
from contingency.incidents.models import TimelineEntry
from contingency.status.models import MaintenanceWindow, PublishedService, PublishJob, StatusSite, StatusUpdate

from .support.status import EYE_ORG, HOME, clearview, get, incident, northwick

pytestmark = pytest.mark.django_db
BASE = f"/o/{HOME}/status/"
Member = Callable[..., Client]


def _written() -> tuple[int, ...]:
    """Everything a form could write."""
    return (
        StatusSite.objects.count(),
        PublishedService.objects.count(),
        StatusUpdate.objects.count(),
        MaintenanceWindow.objects.count(),
        PublishJob.objects.count(),
        AuditEntry.objects.filter(object_type__startswith="status").count(),
    )


def site(**values: str) -> dict[str, str]:
    return {f"site-{name}": value for name, value in values.items()}


def add(**values: str) -> dict[str, str]:
    return {f"add-{name}": value for name, value in values.items()}


def upd(**values: object) -> dict[str, object]:
    return {f"update-{name}": value for name, value in values.items()}


def maint(**values: object) -> dict[str, object]:
    return {f"maintenance-{name}": value for name, value in values.items()}


def _refused(response: object, field_id: str, message: str) -> None:
    body = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 400, body[:300]  # type: ignore[attr-defined]
    assert f'<a href="#{field_id}">' in body, f"no summary link to #{field_id}"
    assert message in body


def test_an_administrator_sets_the_page_up(member: Member) -> None:
    admin = member("administrator")
    before = _written()
    settings = f"{BASE}settings/"
    _refused(admin.post(settings, site(title="", published="on")), "id_site-title", "Fill this in.")
    _refused(admin.post(settings, site(title="x" * 121)), "id_site-title", "Keep this to 120 characters")
    _refused(admin.post(settings, site(title="T", intro="x" * 5001)), "id_site-intro", "5,000 characters")
    assert _written() == before
    done = admin.post(settings, site(title="Northwick service status", published="on"), follow=True)
    assert "The page is published." in done.content.decode()
    assert StatusSite.objects.get().published
    assert AuditEntry.objects.filter(object_type="status-site", verb="create").count() == 1
    assert get(Client(), f"/status/{HOME}/").status_code == 200


def test_publishing_a_service_and_its_bad_input(member: Member) -> None:
    admin = member("administrator")
    northwick()
    before = _written()
    good = {"subject": "pacs-bcdr system:modalities", "key": "modalities", "name": "Scanners"}
    services = f"{BASE}services/"
    _refused(admin.post(services, add(**{**good, "subject": "pacs-bcdr site:x"})), "id_add-subject", "Select a valid")
    _refused(admin.post(services, add(**{**good, "key": "Not A Slug"})), "id_add-key", "lower-case letters")
    _refused(admin.post(services, add(**{**good, "key": "pacs"})), "id_add-key", "already has the id")
    _refused(
        admin.post(services, add(**{**good, "subject": "pacs-bcdr system:pacs"})), "id_add-subject", "already published"
    )
    _refused(admin.post(services, add(**{**good, "name": ""})), "id_add-name", "Fill this in.")
    assert _written() == before
    assert admin.post(services, add(**good)).status_code == 302
    assert PublishedService.objects.filter(key="modalities", subject="system:modalities").exists()

    prefix = "edit-modalities-"
    _refused(
        admin.post(f"{BASE}services/modalities/", {f"{prefix}name": "RIS", f"{prefix}position": "-1"}),
        f"id_{prefix}position",
        "greater than or equal to 0",
    )
    assert (
        admin.post(f"{BASE}services/modalities/", {f"{prefix}name": "RIS", f"{prefix}position": "0"}).status_code == 302
    )
    assert PublishedService.objects.order_by("position").first().key == "modalities"  # type: ignore[union-attr]
    assert admin.post(f"{BASE}services/modalities/remove/").status_code == 302
    assert not PublishedService.objects.filter(key="modalities").exists()
    assert admin.post(f"{BASE}services/no-such-service/remove/").status_code == 404


def test_a_responder_sets_a_state_and_posts_updates(member: Member) -> None:
    responder = member("responder")
    northwick()
    before = _written()
    bad_state = responder.post(f"{BASE}services/pacs/state/", {"state-pacs-state": "on-fire"}, follow=True)
    assert "the state was not changed" in bad_state.content.decode()
    posts = f"{BASE}updates/"
    _refused(responder.post(posts, upd(audience="public", text="")), "id_update-text", "Write the text.")
    _refused(
        responder.post(posts, upd(audience="everyone", text="x")),
        "id_update-audience",
        "Choose the public or staff only.",
    )
    _refused(
        responder.post(posts, upd(audience="public", text="x", state="degraded")),
        "id_update-services",
        "choose the services the state is for",
    )
    _refused(
        responder.post(posts, upd(audience="public", text="x", services=["nope"])),
        "id_update-services",
        "Choose services of this page.",
    )
    _refused(
        responder.post(posts, upd(audience="public", text="x", incident="999")),
        "id_update-incident",
        "Choose one of the open incidents.",
    )
    assert _written() == before

    assert responder.post(f"{BASE}services/pacs/state/", {"state-pacs-state": "degraded"}).status_code == 302
    assert PublishedService.objects.get(key="pacs").state == "degraded"
    running = incident()
    posted = responder.post(
        posts,
        upd(
            audience="public",
            services=["pacs"],
            state="major-outage",
            incident=str(running.number),
            text="PACS is down.",
            text_cy="Mae PACS i lawr.",
        ),
    )
    assert posted.status_code == 302
    update = StatusUpdate.objects.get()
    assert (update.incident, update.state, update.text_cy) == (running, "major-outage", "Mae PACS i lawr.")
    assert "Unavailable" in get(Client(), f"/status/{HOME}/").content.decode()


def test_maintenance_forms(member: Member) -> None:
    responder = member("responder")
    northwick()
    before = _written()
    good = {"title": "Storage upgrade", "starts_at": "2031-03-01T20:00", "ends_at": "2031-03-01T23:00"}
    plan = f"{BASE}maintenance/"
    _refused(responder.post(plan, maint(**{**good, "starts_at": "soon"})), "id_maintenance-starts_at", "Enter a date")
    _refused(responder.post(plan, maint(**{**good, "ends_at": ""})), "id_maintenance-ends_at", "Give the end.")
    _refused(
        responder.post(plan, maint(**{**good, "ends_at": "2031-03-01T19:00"})),
        "id_maintenance-ends_at",
        "the end must come after the start",
    )
    _refused(
        responder.post(plan, maint(**{**good, "starts_at": "2020-01-01T10:00", "ends_at": "2020-01-01T11:00"})),
        "id_maintenance-ends_at",
        "already ended",
    )
    _refused(
        responder.post(plan, maint(**{**good, "ends_at": "2031-05-01T19:00"})),
        "id_maintenance-ends_at",
        "at most 31 days",
    )
    assert _written() == before
    assert responder.post(plan, maint(**good, services=["pacs"])).status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.starts_at.isoformat() == "2031-03-01T20:00:00+00:00"  # GMT in March
    assert [s.key for s in window.services.all()] == ["pacs"]
    assert responder.post(f"{BASE}maintenance/{window.pk}/cancel/").status_code == 302
    window.refresh_from_db()
    assert window.cancelled_at is not None
    again = responder.post(f"{BASE}maintenance/{window.pk}/cancel/", follow=True)
    assert "already cancelled" in again.content.decode()


def test_a_viewer_sees_the_page_without_its_forms(member: Member) -> None:
    northwick()
    body = member("viewer").get(BASE).content.decode()
    assert "Imaging archive (PACS)" in body and "Publishing" in body
    assert "Post the update" not in body and "Save the page" not in body and "Set the state" not in body
    responder = member("responder").get(BASE).content.decode()
    assert "Post the update" in responder and "Save the page" not in responder


def test_the_incident_page_puts_up_the_maintenance_notice_in_one_press(member: Member) -> None:
    clearview()
    client = member("responder", organisation=EYE_ORG)
    running = incident(EYE_ORG, "eye-care-data", "system:referral-platform")
    path = f"/o/{EYE_ORG}/incidents/{running.number}/"
    page = client.get(path).content.decode()
    assert f'action="{path}status-notice/"' in page and "Referral platform" in page
    jobs = PublishJob.objects.count()

    done = client.post(f"{path}status-notice/", {"kind": "outage"}, follow=True)
    assert "Posted on the status page for Referral platform" in done.content.decode()
    update = StatusUpdate.objects.get()
    assert (update.audience, update.state, update.incident) == ("public", "major-outage", running)
    assert update.text.startswith("Referral platform: not available at the moment.")
    assert update.text_cy.startswith("Platfform atgyfeirio: ddim ar gael")
    assert TimelineEntry.objects.filter(incident=running, text__startswith="Status page: major outage").exists()
    assert PublishJob.objects.count() >= jobs  # queued to every configured target (none here)
    public = get(Client(), f"/status/{EYE_ORG}/").content.decode()
    assert "Unavailable" in public and "not available at the moment" in public

    client.post(f"{path}status-notice/", {"kind": "maintenance"})
    assert "Under maintenance" in get(Client(), f"/status/{EYE_ORG}/").content.decode()
    incident_services.restore(incident=running, actor=None, via="test")
    assert "All services are working normally." in get(Client(), f"/status/{EYE_ORG}/").content.decode()
    assert "Put up the maintenance page" in client.get(path).content.decode()  # restored is still open

    bad = client.post(f"{path}status-notice/", {"kind": "meteor"}, follow=True)
    assert "choose outage or maintenance" in bad.content.decode()
    assert StatusUpdate.objects.count() == 2


def test_no_button_when_no_published_service_is_affected(member: Member) -> None:
    clearview()
    client = member("responder", organisation=EYE_ORG)
    running = incident(EYE_ORG, "eye-care-data", "system:phone-system")
    path = f"/o/{EYE_ORG}/incidents/{running.number}/"
    assert "status-notice/" not in client.get(path).content.decode()
    refused = client.post(f"{path}status-notice/", {"kind": "outage"}, follow=True)
    assert "no service on the status page is affected" in refused.content.decode()
    assert not StatusUpdate.objects.exists()
