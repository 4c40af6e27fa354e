"""The board is told: the briefing carries what the board asks, and publishing it e-mails the plan's board.

The demo PACS plan names its board (escalation level 5, "Board": the board role, whose member is Peter
Langley); the eye-care plan's ladder stops at the commissioner, so it has no board audience.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import transaction
from django.test import Client

from contingency.core.models import AuditEntry, Role
from contingency.incidents import briefing, reports, services, tasks
from contingency.incidents.models import Incident, Task, TaskState, TimelineEntry
from contingency.incidents.services import IncidentError
from contingency.incidents.snapshot import document_of
from contingency.notify.models import Callout, Notification, NotificationState
from contingency.plans.models import Plan

from .web import EYE, HOME_ORG, OTHER_ORG, PACS, client_for, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = datetime(2027, 3, 10, 10, 0, tzinfo=LONDON)  # a Wednesday, in hours
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(DAY, tick=False) as traveller:
        yield traveller


def pacs_outage(began: datetime | None = None) -> Incident:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, began_at=began, via="test")
    return services.invoke(incident=reported, actor=None, via="test")


def eye_care_outage() -> Incident:
    plan = Plan.objects.get(organisation__slug=OTHER_ORG, key=EYE)
    reported = services.report(plan=plan, subject="system:referral-platform", actor=None, via="test")
    return services.invoke(incident=reported, actor=None, via="test")


def briefing_rows(incident: Incident) -> list[Notification]:
    return list(Notification.objects.filter(incident=incident, key__contains=":briefing:"))


# ---------------------------------------------------------------- who the board is


def test_the_pacs_plan_names_its_board_and_the_eye_care_plan_does_not(demo_plans: list[object]) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    from contingency.plans import readmodel

    found = briefing.board_audience(readmodel.view(pacs).document)
    assert found is not None and found.name == "Board" and found.who == ("board",)
    eye = Plan.objects.get(organisation__slug=OTHER_ORG, key=EYE)
    assert briefing.board_audience(readmodel.view(eye).document) is None


# ---------------------------------------------------------------- what the briefing says


def test_the_briefing_carries_actions_taken_workaround_supplier_and_the_mtpd(clock: time_machine.Traveller) -> None:
    incident = pacs_outage(began=DAY - timedelta(hours=1))
    task = Task.objects.filter(incident=incident, state=TaskState.OPEN).order_by("position").first()
    assert task is not None
    tasks.finish(task=task, actor=None, done=True, via="test")
    briefing.set_supplier(incident=incident, ticket="MER-4471", fix="Thursday 14:00", actor=None, via="test")
    clock.shift(timedelta(days=1, hours=6))  # past the PACS function's 1 day MTPD and more
    incident.refresh_from_db()
    text = reports.briefing(incident, datetime.now(LONDON))
    assert "Actions taken:" in text and task.text in text
    assert "Workaround in use: PACS downtime - confirm, call, inform, burn CDs" in text
    assert "Supplier: ticket MER-4471; estimated fix: Thursday 14:00." in text
    assert " target passed " in text and " ago" in text  # a passed deadline, in words
    fresh = pacs_outage()
    ahead = reports.briefing(fresh, datetime.now(LONDON))
    assert "MTPD in " in ahead and "no ticket reference recorded; no estimated fix given yet." in ahead


def test_supplier_facts_are_audited_and_refused_when_unchanged(clock: time_machine.Traveller) -> None:
    incident = pacs_outage()
    briefing.set_supplier(incident=incident, ticket=" MER-1 ", fix="", actor=None, via="test")
    incident.refresh_from_db()
    assert incident.supplier_ticket == "MER-1"
    entry = AuditEntry.objects.filter(object_type="incident", note="supplier's ticket and estimated fix").get()
    assert entry.after == {"ticket": "MER-1", "fix": ""} and entry.before == {"ticket": "", "fix": ""}
    with pytest.raises(IncidentError, match="nothing changed"):
        briefing.set_supplier(incident=incident, ticket="MER-1", fix="", actor=None, via="test")
    with pytest.raises(IncidentError) as too_long:
        briefing.set_supplier(incident=incident, ticket="x" * 201, fix="", actor=None, via="test")
    assert too_long.value.field == "ticket"
    assert AuditEntry.objects.filter(note="supplier's ticket and estimated fix").count() == 1


# ---------------------------------------------------------------- publishing sends it


def test_publishing_writes_outbox_rows_for_the_board_with_acknowledgement_links(
    clock: time_machine.Traveller, email: None
) -> None:
    incident = pacs_outage()
    entry = briefing.publish(incident=incident, text="Daily briefing {not a placeholder}", actor=None, via="test")
    rows = briefing_rows(incident)
    assert [(r.recipient_name, r.address, r.state) for r in rows] == [
        ("Peter Langley", "peter.langley@northwick.example.org", NotificationState.PENDING)
    ]
    assert "Daily briefing {not a placeholder}" in rows[0].body and "Please acknowledge: " in rows[0].body
    assert rows[0].ack_link and rows[0].subject.endswith("board briefing")
    callout = Callout.objects.get(incident=incident, event=f"briefing:{entry.pk}")
    assert callout.channels == ["email"] and callout.state == "waiting"
    said = TimelineEntry.objects.filter(incident=incident, kind="notified", text__contains="e-mailed to").get()
    assert "Peter Langley" in said.text
    audit = AuditEntry.objects.filter(object_type="incident-briefing").get()
    assert audit.after == {"text": "Daily briefing {not a placeholder}", "audience": "Board"}


def test_the_briefing_and_its_outbox_rows_commit_together(clock: time_machine.Traveller, email: None) -> None:
    incident = pacs_outage()
    before = TimelineEntry.objects.filter(incident=incident).count()
    with pytest.raises(RuntimeError), transaction.atomic():
        briefing.publish(incident=incident, text="Rolled back", actor=None, via="test")
        assert briefing_rows(incident)  # written inside the transaction ...
        raise RuntimeError("the transaction fails after the briefing")
    assert briefing_rows(incident) == []  # ... and gone with it
    assert not Callout.objects.filter(incident=incident, event__startswith="briefing:").exists()
    assert TimelineEntry.objects.filter(incident=incident).count() == before


def test_a_plan_with_no_board_says_so_and_sends_nothing(clock: time_machine.Traveller, email: None) -> None:
    incident = eye_care_outage()
    assert briefing.board_audience(document_of(incident)) is None
    briefing.publish(incident=incident, text="Briefing", actor=None, via="test")
    assert briefing_rows(incident) == []
    assert TimelineEntry.objects.filter(incident=incident, text=briefing.NO_AUDIENCE).exists()
    assert TimelineEntry.objects.filter(incident=incident, kind="update", audience="board", text="Briefing").exists()


def test_the_page_shows_the_audience_and_who_acknowledged(clock: time_machine.Traveller, email: None) -> None:
    incident = pacs_outage()
    lead = client_for(make_user("lead", HOME_ORG, Role.RESPONDER))
    url = f"/o/{HOME_ORG}/incidents/{incident.number}/briefing/"
    assert "escalation level 5, Board" in lead.get(url).content.decode()
    assert lead.post(url + "publish/", {"text": "Today's briefing"}).status_code == 302
    shown = lead.get(url).content.decode()
    assert "Peter Langley" in shown and "e-mailed, not yet acknowledged" in shown
    eye = eye_care_outage()
    eye_lead = client_for(make_user("eye-lead", OTHER_ORG, Role.RESPONDER))
    assert "No board audience." in eye_lead.get(f"/o/{OTHER_ORG}/incidents/{eye.number}/briefing/").content.decode()


def test_a_viewer_is_refused_and_nothing_changes(clock: time_machine.Traveller, email: None) -> None:
    incident = pacs_outage()
    viewer = client_for(make_user("viewer", HOME_ORG, Role.VIEWER))
    url = f"/o/{HOME_ORG}/incidents/{incident.number}/briefing/"
    timeline = TimelineEntry.objects.filter(incident=incident).count()
    audits = AuditEntry.objects.count()
    assert viewer.post(url + "publish/", {"text": "Not mine to send"}).status_code == 403
    assert viewer.post(url + "supplier/", {"ticket": "X", "fix": "Y"}).status_code == 403
    incident.refresh_from_db()
    assert incident.supplier_ticket == "" and briefing_rows(incident) == []
    assert TimelineEntry.objects.filter(incident=incident).count() == timeline
    assert AuditEntry.objects.count() == audits


def test_the_api_publishes_and_records_the_supplier_through_the_same_services(
    clock: time_machine.Traveller, email: None, api_as: Callable[..., Client]
) -> None:
    incident = pacs_outage()
    lead = api_as("responder")
    url = f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}"
    other = api_as("responder")  # may respond, but does not lead: the supplier's facts are the lead's
    refused = other.put(f"{url}/supplier", {"ticket": "MER-0"}, content_type="application/json")
    assert refused.status_code == 409 and "only the incident lead" in refused.content.decode()
    incident.refresh_from_db()
    assert incident.supplier_ticket == ""
    Incident.objects.filter(pk=incident.pk).update(lead=User.objects.get(username=lead.username))  # type: ignore[attr-defined]
    supplier = lead.put(f"{url}/supplier", {"ticket": "MER-9", "fix": "tonight"}, content_type="application/json")
    assert supplier.status_code == 200 and supplier.json() == {"ticket": "MER-9", "fix": "tonight"}
    published = lead.post(f"{url}/briefing", {"text": "Briefing by API"}, content_type="application/json")
    assert published.status_code == 201 and published.json()["audience"] == "Board"
    assert [r.recipient_name for r in briefing_rows(incident)] == ["Peter Langley"]
    assert AuditEntry.objects.filter(object_type="incident-briefing", actor_name=lead.username).exists()  # type: ignore[attr-defined]
