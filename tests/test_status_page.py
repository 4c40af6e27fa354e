"""The public status page: services and their state, languages, conditional requests, and what it never shows."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from contingency.status import current, readmodel, services, updates
from contingency.status.models import PublishedService, ServiceState, StatusSite
from contingency.status.words import from_header

from .support.status import EYE_ORG, HOME, atom_entries, clearview, get, incident, northwick, site

pytestmark = pytest.mark.django_db
PAGE = f"/status/{HOME}/"
Page = tuple[StatusSite, PublishedService, PublishedService]


@pytest.fixture
def page(demo_plans: list[object]) -> Page:
    return northwick()


def test_the_page_lists_the_published_services_working_normally(page: Page) -> None:
    response = get(Client(), PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Imaging archive (PACS)" in body and "Image reporting" in body
    assert "All services are working normally." in body
    assert body.count("Working normally") == 2
    assert "Set-Cookie" not in response.headers and "csrfmiddlewaretoken" not in body


def test_no_page_until_it_is_published_and_none_for_an_unknown_organisation(demo_plans: list[object]) -> None:
    site(HOME, published=False)
    assert get(Client(), PAGE).status_code == 404
    assert get(Client(), f"{PAGE}status.json").status_code == 404
    assert get(Client(), "/status/no-such-organisation/").status_code == 404
    site(HOME, published=True)
    assert get(Client(), PAGE).status_code == 200
    assert get(Client(), f"{PAGE}secret.txt").status_code == 404


def test_welsh_by_query_or_by_accept_language(page: Page) -> None:
    welsh = get(Client(), f"{PAGE}?lang=cy").content.decode()
    assert '<html lang="cy">' in welsh
    assert "Statws gwasanaethau Northwick" in welsh and "Archif delweddau (PACS)" in welsh
    assert "Mae pob gwasanaeth yn gweithio fel arfer." in welsh
    # A service with no Welsh name is shown in English, marked as English for screen readers.
    assert '<h3 lang="en">Image reporting</h3>' in welsh
    by_header = get(Client(), PAGE, **{"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert '<html lang="cy">' in by_header.content.decode()
    assert "Accept-Language" in by_header["Vary"]
    english = get(Client(), PAGE, **{"Accept-Language": "en-GB,en;q=0.9,cy;q=0.5"}).content.decode()
    assert '<html lang="en">' in english
    assert '<html lang="en">' in get(Client(), f"{PAGE}?lang=en", **{"Accept-Language": "cy"}).content.decode()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", "en"),
        ("cy", "cy"),
        ("cy-GB", "cy"),
        ("en-GB,cy;q=0.8", "en"),
        ("cy;q=0.9,en;q=0.8", "cy"),
        ("fr,cy;q=0.1", "cy"),
        ("cy;q=abc", "en"),
        (";;;,,,", "en"),
        ("en;q=0.5,cy;q=0.5", "en"),
    ],
)
def test_the_language_from_the_header(header: str, expected: str) -> None:
    assert from_header(header) == expected


def test_conditional_requests_are_answered_not_modified_until_something_changes(page: Page) -> None:
    client = Client()
    first = get(client, PAGE)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=10"
    again = get(client, PAGE, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    assert get(client, PAGE, **{"If-Modified-Since": modified}).status_code == 304
    assert get(client, PAGE, **{"If-None-Match": '"something-else"'}).status_code == 200
    for name in ("status.json", "feed.atom", "feed.cy.atom", "maintenance.ics"):
        served = get(client, f"{PAGE}{name}")
        assert get(client, f"{PAGE}{name}", **{"If-None-Match": served["ETag"]}).status_code == 304, name

    _, pacs, _ = page
    services.set_state(service=pacs, state="degraded", actor=None, via="test")
    changed = get(client, PAGE, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "Slower than usual" in changed.content.decode()


def test_an_unchanged_page_is_answered_from_one_query(
    page: Page, django_assert_max_num_queries: Callable[[int], AbstractContextManager[object]]
) -> None:
    readmodel.clear()
    client = Client()
    first = client.get(PAGE)
    with django_assert_max_num_queries(1):
        assert client.get(PAGE).content == first.content
    with django_assert_max_num_queries(1):
        assert client.get(PAGE, headers={"If-None-Match": first["ETag"]}).status_code == 304


def test_staff_updates_are_never_public(page: Page, member: Callable[..., Client]) -> None:
    from contingency.core.models import Organisation

    _, pacs, _ = page
    home = Organisation.objects.get(slug=HOME)
    updates.post_update(
        organisation=home, text="Public: PACS is slow.", audience="public", services=[pacs], actor=None, via="test"
    )
    updates.post_update(
        organisation=home,
        text="STAFF ONLY: the vendor's engineer is on site, ring 01632 960123.",
        text_cy="STAFF CY: peiriannydd",
        audience="staff",
        services=[pacs],
        state="major-outage",
        incident=incident(),
        actor=None,
        via="test",
    )
    client = Client()
    for path in ("", "?lang=cy", "status.json", "feed.atom", "feed.cy.atom", "maintenance.ics"):
        body = get(client, f"{PAGE}{path}").content.decode()
        assert "STAFF" not in body and "01632 960123" not in body, path
    assert "Public: PACS is slow." in get(client, PAGE).content.decode()
    # Announcing a state is for the public too: a staff update's state changes nothing on the page.
    assert current.current_state(home, pacs).state == ServiceState.MAJOR  # the incident
    staff_page = member("viewer").get(f"/o/{HOME}/status/")
    assert "STAFF ONLY" in staff_page.content.decode()


def test_the_state_follows_an_incident_on_the_system(page: Page) -> None:
    from contingency.core.models import Organisation
    from contingency.incidents import services as incident_services

    _, pacs, reporting = page
    home = Organisation.objects.get(slug=HOME)
    reported = incident(invoke=False)
    assert current.current_state(home, pacs).state == ServiceState.OPERATIONAL
    invoked = incident_services.invoke(incident=reported, actor=None, via="test")
    found = current.states(home, [pacs, reporting])
    assert found[pacs.pk].state == ServiceState.MAJOR
    assert found[reporting.pk].state == ServiceState.MAJOR  # depends on PACS
    assert found[pacs.pk].readings[0].detail == f"incident #{invoked.number}"
    body = get(Client(), PAGE).content.decode()
    assert "Some services have problems." in body and body.count("Unavailable") == 2
    pacs = services.set_state(service=pacs, state="degraded", actor=None, via="test")
    assert current.current_state(home, pacs).state == ServiceState.MAJOR  # the worst
    incident_services.restore(incident=invoked, actor=None, via="test")
    assert current.current_state(home, pacs).state == ServiceState.DEGRADED


def test_a_partial_failure_reads_as_a_partial_outage(demo_plans: list[object]) -> None:
    from contingency.core.models import Organisation
    from contingency.incidents import services as incident_services

    _, platform = clearview()
    found = incident(EYE_ORG, "eye-care-data", "system:referral-platform", invoke=False)
    found.assessment = "partial"  # as the checks find when the hosting company can still reach it
    found.save(update_fields=["assessment"])
    incident_services.invoke(incident=found, actor=None, via="test")
    state = current.current_state(Organisation.objects.get(slug=EYE_ORG), platform).state
    assert state == ServiceState.PARTIAL


def test_maintenance_in_progress_then_over_moves_the_page_on_without_a_change(page: Page) -> None:
    import time_machine

    from contingency.core.models import Organisation

    _, pacs, _ = page
    home = Organisation.objects.get(slug=HOME)
    start = timezone.now() + timedelta(hours=1)
    updates.schedule_maintenance(
        organisation=home,
        title="Database upgrade",
        title_cy="Uwchraddio'r gronfa ddata",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        services=[pacs],
        actor=None,
        via="test",
    )
    client = Client()
    before = get(client, PAGE)
    assert "Database upgrade" in before.content.decode() and "Scheduled" in before.content.decode()
    with time_machine.travel(start + timedelta(minutes=5)):
        during = get(client, PAGE, **{"If-None-Match": before["ETag"]})
        assert during.status_code == 200 and during["ETag"] != before["ETag"]
        body = during.content.decode()
        assert "In progress" in body and "Under maintenance" in body
        assert "Uwchraddio'r gronfa ddata" in html.unescape(get(client, f"{PAGE}?lang=cy").content.decode())
    with time_machine.travel(start + timedelta(hours=3)):
        after = get(client, PAGE).content.decode()
        assert "Database upgrade" not in after and "Under maintenance" not in after
        assert "Database upgrade" in get(client, f"{PAGE}maintenance.ics").content.decode()


def test_json_and_feeds_parse_back(page: Page) -> None:
    from icalendar import Calendar

    from contingency.core.models import Organisation

    _, pacs, _ = page
    home = Organisation.objects.get(slug=HOME)
    first = updates.post_update(
        organisation=home, text="Investigating slow image loading.", audience="public", services=[pacs],
        state="degraded", actor=None, via="test",
    )  # fmt: skip
    updates.post_update(
        organisation=home, text="Fixed.", text_cy="Wedi'i drwsio.", audience="public", services=[pacs],
        state="operational", actor=None, via="test",
    )  # fmt: skip
    start = timezone.now() + timedelta(days=2)
    window = updates.schedule_maintenance(
        organisation=home, title="Network work", starts_at=start, ends_at=start + timedelta(hours=1),
        services=[pacs], actor=None, via="test",
    )  # fmt: skip
    client = Client()
    document = json.loads(get(client, f"{PAGE}status.json").content)
    assert document["overall"] == "operational"
    assert [s["key"] for s in document["services"]] == ["pacs", "reporting"]
    assert [u["text"]["en"] for u in document["updates"]] == ["Fixed.", "Investigating slow image loading."]
    assert document["updates"][0]["text"]["cy"] == "Wedi'i drwsio."
    assert document["maintenance"][0]["title"] == {"en": "Network work"}

    entries = atom_entries(get(client, f"{PAGE}feed.atom").content)
    assert [e["content"] for e in entries] == ["Fixed.", "Investigating slow image loading."]
    assert entries[1]["title"] == "Slower than usual: Imaging archive (PACS)"
    assert entries[1]["id"].endswith(f"#update-{first.pk}")
    welsh = atom_entries(get(client, f"{PAGE}feed.cy.atom").content)
    assert welsh[0]["content"] == "Wedi'i drwsio." and welsh[0]["title"].startswith("Yn gweithio fel arfer")

    calendar = Calendar.from_ical(get(client, f"{PAGE}maintenance.ics").content)
    events = calendar.walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Network work"]
    assert str(events[0]["UID"]) == f"{window.uid}@contingency" and str(events[0]["STATUS"]) == "CONFIRMED"
    assert events[0].decoded("DTSTART") == start.replace(microsecond=0) or events[0].decoded("DTSTART") == start
    updates.cancel_maintenance(window=window, actor=None, via="test")
    events = Calendar.from_ical(get(client, f"{PAGE}maintenance.ics").content).walk("VEVENT")
    assert str(events[0]["STATUS"]) == "CANCELLED" and events[0].decoded("SEQUENCE") == 1
    assert "Network work" not in get(client, PAGE).content.decode()
