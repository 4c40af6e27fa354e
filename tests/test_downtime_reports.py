"""Downtime progress where the incident is read: the hand-over, the board briefing and the review."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contingency.downtime import services as downtime
from contingency.incidents import handover, reports, services

from .downtime_support import exam, id_range, pacs_incident

pytestmark = pytest.mark.usefixtures("demo_plans")


def test_handover_briefing_and_review_carry_the_counts(
    member: Callable[..., Client], api_as: Callable[..., Client]
) -> None:
    incident = pacs_incident()
    id_range()
    for n in (1, 2):
        downtime.record(incident=incident, kind="examination", values=exam(incident, n), actor=None)
    now = timezone.now()
    report = reports.handover_report(incident, now)
    [(title, summary, lines)] = report.work
    assert title == "Downtime records" and summary == "2 of 2 downtime record(s) still to re-enter"
    assert lines == (
        "Image acquisition and storage - Examination done during downtime: 2 recorded, 0 re-entered, 0 verified of 0 sampled",
    )
    record = handover.hand_over(incident=incident, actor=None, to_name="Night lead", via="test")
    assert record.report["work"][0][1] == summary  # kept as it was read at the hand-over
    assert "Downtime records: 2 of 2 downtime record(s) still to re-enter" in reports.briefing(incident, now)
    api = api_as("viewer").get(
        f"/api/v1/organisations/{incident.organisation.slug}/incidents/{incident.number}/handover"
    )
    assert api.json()["report"]["work"][0]["summary"] == summary
    client = member("viewer")
    args = {"org": incident.organisation.slug, "number": incident.number}
    live = html.unescape(client.get(reverse("incident", kwargs=args)).content.decode())
    assert '<h2 id="work-1">Downtime records</h2>' in live and lines[0] in live
    page = html.unescape(client.get(reverse("incident-handover", kwargs=args)).content.decode())
    assert "<h3>Downtime records</h3>" in page and summary in page
    restored = services.restore(incident=incident, actor=None, via="test")
    review = html.unescape(client.get(reverse("incident-review", kwargs=args)).content.decode())
    assert "2 of 2 downtime record(s) still to re-enter." in review
    assert reverse("downtime-report", kwargs=args) in review
    overview = html.unescape(client.get(reverse("incident-downtime", kwargs=args)).content.decode())
    assert "Examination done during downtime</th><td>2</td><td>2</td>" in overview
    assert restored.state == "restored"


def test_the_plan_page_lists_the_records_kept_by_hand(member: Callable[..., Client]) -> None:
    page = html.unescape(
        member("viewer").get(reverse("plan", kwargs={"org": "northwick-general", "plan": "pacs-bcdr"})).content.decode()
    )
    assert '<tr id="record-kind-examination"><th scope="row">Examination done during downtime</th>' in page
    assert "<td>Image acquisition and storage</td><td>Meridian PACS</td>" in page
    assert "10% a day, at least 2; 100% after a failed check" in page
