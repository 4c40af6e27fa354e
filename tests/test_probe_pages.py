"""The system's page (status over time as a strip with its table), the plan's systems, and the probes page."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from contingency.core.models import AuditEntry, Organisation
from contingency.monitor import services
from contingency.monitor.models import ProbeRefusal, ProbeSite, Refusal
from contingency.monitor.services import ResultIn
from contingency.web.probes.strip import Change, strip

from .web import HOME_ORG, PACS, MemberFactory

NOW = datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(demo_plans: list[object]) -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def a_morning(clock: time_machine.Traveller) -> None:
    """Two sites; PACS up, then failing at north-wing only from 10:00."""
    org = Organisation.objects.get(slug=HOME_ORG)
    sites = [
        services.add_site(organisation=org, name=name, actor=None, via="test")[0]
        for name in ("main-xray", "north-wing")
    ]
    for minutes in (-180, -120, -60):
        at = NOW + timedelta(minutes=minutes)
        clock.move_to(at)
        for site in sites:
            site.refresh_from_db()
            down = site.name == "north-wing" and minutes >= -120
            results = [
                ResultIn(
                    PACS,
                    "pacs",
                    "pacs-dicom-echo",
                    at,
                    not down,
                    "" if not down else "connect",
                    "connection refused" if down else "",
                ),
                ResultIn(PACS, "pacs", "pacs-web-viewer", at, True),
                ResultIn(PACS, "integration-engine", "ris-mllp", at, True),
            ]
            services.record_report(site=site, results=results, every_seconds=3600, at=at)
    clock.move_to(NOW)


def test_the_strip_is_plain_data() -> None:
    start, end = NOW - timedelta(hours=24), NOW
    changes = [
        Change(start - timedelta(hours=2), "up", "up"),
        Change(NOW - timedelta(hours=6), "complete", "complete failure", "Echo fails at every site"),
        Change(NOW - timedelta(hours=3), "up", "up"),
    ]
    found = strip(changes, start, end)
    assert [(s.state, s.x, s.width) for s in found.segments] == [
        ("up", 0.0, 540.0),
        ("complete", 540.0, 90.0),
        ("up", 630.0, 90.0),
    ]
    assert found.segments[0].start == start and found.segments[-1].end == end
    assert [t.at.hour for t in found.ticks] == [12, 18, 0, 6, 12]
    assert strip([], start, end).segments == ()


def test_the_system_page_shows_the_status_over_time_and_which_site_fails(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    a_morning(clock)
    page = member("viewer").get(reverse("plan-system", kwargs={"org": HOME_ORG, "plan": PACS, "system": "pacs"}))
    assert page.status_code == 200
    body = text(page)
    assert "<h1>Meridian PACS</h1>" in body
    assert "partial failure</span> since 3 Nov 10:00" in body
    assert "Failing at: <strong>north-wing</strong>" in body
    assert "DICOM echo to the PACS archive fails at north-wing (connection refused); passes at main-xray" in body
    # The strip: an SVG with a title and a description, and the same as a table.
    svg = re.search(r'<svg role="img" aria-labelledby="strip-title strip-desc".*?</svg>', body, re.S)
    assert svg is not None and 'class="strip-partial"' in svg.group(0) and 'class="strip-up"' in svg.group(0)
    assert "Up from 09:00 to 10:00. Partial failure from 10:00 to 12:00." in svg.group(0)
    assert "<caption>Status over the last 24 hours</caption>" in body
    assert "<td>3 Nov 10:00</td><td>3 Nov 12:00</td>" in body
    # Each check's latest result at each site, with the layer that failed.
    assert (
        '<strong>north-wing</strong>: <span class="probe-state state-complete">cannot connect</span> connection refused'
        in body
    )
    assert "a failure at every site for 2 intervals opens a suspected incident" in body


def test_a_system_without_checks_says_so(member: MemberFactory) -> None:
    page = member("viewer").get(reverse("plan-system", kwargs={"org": HOME_ORG, "plan": PACS, "system": "cd-robots"}))
    assert page.status_code == 200
    assert "No checks: the probes do not watch this system." in text(page)
    missing = member("viewer").get(reverse("plan-system", kwargs={"org": HOME_ORG, "plan": PACS, "system": "nothing"}))
    assert missing.status_code == 404


def test_the_plan_page_lists_the_systems_with_their_status(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    a_morning(clock)
    body = text(member("viewer").get(reverse("plan", kwargs={"org": HOME_ORG, "plan": PACS})))
    link = reverse("plan-system", kwargs={"org": HOME_ORG, "plan": PACS, "system": "pacs"})
    assert f'<a href="{link}">Meridian PACS</a>' in body
    assert '<span class="probe-state state-partial">partial failure</span>' in body
    assert '<span class="probe-state state-up">up</span>' in body  # the integration engine


def test_the_probes_page_shows_sites_news_and_refusals(member: MemberFactory, clock: time_machine.Traveller) -> None:
    a_morning(clock)
    org = Organisation.objects.get(slug=HOME_ORG)
    ProbeRefusal.objects.create(
        organisation=org, site_name="north-wing", reason=Refusal.REPLAYED, count=3, first_at=NOW, last_at=NOW
    )
    clock.move_to(NOW + timedelta(hours=4))  # three hourly intervals without a report: no news
    body = text(member("viewer").get(reverse("probes", kwargs={"org": HOME_ORG})))
    assert '<th scope="row">north-wing</th>' in body and '<th scope="row">main-xray</th>' in body
    assert body.count('<span class="probe-state state-no-news">no news</span>') == 2
    assert "<td>north-wing</td><td>nonce already used (replayed)</td><td>3</td>" in body
    assert "Make a probe token" not in body  # only administrators make tokens


def test_an_administrator_makes_a_token_shown_once_and_revokes_it(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    admin = member("administrator")
    made = admin.post(reverse("probe-site-add", kwargs={"org": HOME_ORG}), {"name": "theatres"})
    assert made.status_code == 200
    token = re.search(r'<code class="token">(ctp_[^<]+)</code>', text(made))
    assert token is not None
    site = ProbeSite.objects.get(name="theatres")
    assert token.group(1).startswith(f"ctp_{site.key_id}_")
    assert token.group(1) not in text(admin.get(reverse("probes", kwargs={"org": HOME_ORG})))
    twice = admin.post(reverse("probe-site-add", kwargs={"org": HOME_ORG}), {"name": "theatres"})
    assert twice.status_code == 400 and "there is already a probe site 'theatres'" in text(twice)
    bad = admin.post(reverse("probe-site-add", kwargs={"org": HOME_ORG}), {"name": "no spaces please"})
    assert bad.status_code == 400 and "a site name is 1 to 64 letters" in text(bad)
    revoked = admin.post(reverse("probe-site-revoke", kwargs={"org": HOME_ORG, "pk": site.pk}))
    assert revoked.status_code == 302
    site.refresh_from_db()
    assert site.revoked_at is not None
    verbs = list(AuditEntry.objects.filter(object_type="probe-site").order_by("id").values_list("verb", "note"))
    assert verbs == [("create", "probe token made"), ("delete", "probe token revoked")]
