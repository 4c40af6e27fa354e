"""A breached supplier clock calls people out: a text to each of the supplier's escalation contacts with a
mobile number and a message to the incident lead, queued in the notification outbox with the claim and
delivered by the notify worker to real local SMTP and SMS servers; once, however many workers run; marked
EXERCISE in an exercise. Contract times in working days breach on the organisation's calendar."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.exercises import services as exercises
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident, TimelineEntry
from contingency.notify import delivery
from contingency.notify.models import Notification
from contingency.plans.models import Plan
from contingency.suppliers import escalation, services
from contingency.suppliers.models import ClockDue, DueState, Ticket

from .support.live_channels import LiveChannels
from .web import HOME_ORG, PACS

LONDON = ZoneInfo("Europe/London")
SUPPLIER = "meridian"
CONTACTS = [
    {"name": "Dana Whitlock", "phone": "07700 900123"},  # a mobile: texted
    {"name": "Meridian duty manager", "phone": "01632 960418"},  # a landline: named to ring
]
LEAD_EMAIL = "pacs.team@northwick.example.org"  # the PACS plan's incident lead (the PACS team) has an e-mail only


@pytest.fixture(autouse=True)
def in_hours() -> Iterator[None]:
    """The incident lead is chosen at invocation by the hour: in hours the PACS plan's is the PACS team (an
    e-mail only), out of hours someone with neither. Every test here starts on a Wednesday morning, whenever
    the suite runs (after 17:00 these failed)."""
    with time_machine.travel(datetime(2026, 12, 2, 10, 0, tzinfo=LONDON), tick=True):
        yield


def assure(**changes: Any) -> None:
    values: dict[str, Any] = {
        "organisation": Organisation.objects.get(slug=HOME_ORG),
        "supplier_key": SUPPLIER,
        "has_plan": "yes",
        "last_tested_on": date(2026, 6, 1),
        "response_time": "30 minutes",
        "restore_time": "8h",
        "contacts": CONTACTS,
        "review_on": None,
        "actor": None,
        "via": "test",
        **changes,
    }
    services.record_assurance(**values)


def invoked() -> Incident:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    return incidents.invoke(incident=reported, actor=None, via="test")


def log(incident: Incident, *, ago: timedelta = timedelta(hours=2), reference: str = "MIS-40721") -> Ticket:
    return services.log_ticket(
        incident=incident,
        supplier_key=SUPPLIER,
        reference=reference,
        logged_at=timezone.now() - ago,
        rca_due_on=None,
        actor=None,
        via="test",
    )


def breach_rows() -> list[Notification]:
    return list(Notification.objects.filter(key__startswith="supplier-breach:").order_by("key"))


def texts(live: LiveChannels) -> Counter[tuple[str, str]]:
    """The texts Notify accepted for breaches: (number, key) -> how many times."""
    return Counter(
        (n.to, str(n.reference)) for n in live.notify.notifications if str(n.reference).startswith("supplier-breach:")
    )


def mails(live: LiveChannels) -> Counter[tuple[str, str]]:
    return Counter(
        (m.rcpt_tos[0], str(m.message["X-Contingency-Key"]))
        for m in live.smtp.messages
        if str(m.message["X-Contingency-Key"]).startswith("supplier-breach:")
    )


@pytest.mark.django_db
def test_a_breach_texts_the_contacts_and_tells_the_lead_through_the_outbox(
    channels: LiveChannels, demo_plans: list[Any]
) -> None:
    assure()
    incident = invoked()
    ticket = log(incident)  # two hours ago: the 30 minute response time is past, the 8 hour restore time is not
    assert escalation.run_due(worker="one") == 1
    response = ClockDue.objects.get(ticket=ticket, clock="response")
    rows = breach_rows()
    assert [(r.key, r.channel, r.address, r.state) for r in rows] == [
        (f"supplier-breach:{response.pk}:contact0:sms", "sms", "07700 900123", "pending"),
        (f"supplier-breach:{response.pk}:lead:email", "email", LEAD_EMAIL, "pending"),
    ]
    to_dana = rows[0].short
    assert (
        to_dana.startswith("Northwick General") and "MIS-40721" in to_dana and "response time (30 minutes)" in to_dana
    )
    assert "Please escalate it now. Our incident lead: PACS team." in to_dana
    assert "Dana Whitlock 07700 900123; Meridian duty manager 01632 960418" in rows[1].body
    [entry] = TimelineEntry.objects.filter(incident=incident, text__contains="MIS-40721")
    assert "Sent to Dana Whitlock (text), the incident lead PACS team (e-mail)." in entry.text
    assert "No mobile number to text, ring: Meridian duty manager 01632 960418." in entry.text

    delivery.run_until_idle(worker="delivery")
    assert texts(channels) == {("07700 900123", rows[0].key): 1}
    assert mails(channels) == {(LEAD_EMAIL, rows[1].key): 1}
    assert set(Notification.objects.filter(key__startswith="supplier-breach:").values_list("state", flat=True)) == {
        "sent"
    }
    assert escalation.run_due(worker="two") == 0  # escalated once: nothing more is queued or sent
    delivery.run_until_idle(worker="delivery")
    assert len(breach_rows()) == 2 and sum(texts(channels).values()) == 1


@pytest.mark.django_db
def test_in_an_exercise_every_message_starts_with_exercise(channels: LiveChannels, demo_plans: list[Any]) -> None:
    assure()
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    exercise = exercises.start(plan=pacs, kind="table-top", subject="system:pacs", actor=None, via="test")
    assert exercise.incident is not None
    log(exercise.incident)
    assert escalation.run_due(worker="one") == 1
    rows = breach_rows()
    assert len(rows) == 2
    for row in rows:
        assert (
            row.subject.startswith("EXERCISE") and row.body.startswith("EXERCISE") and row.short.startswith("EXERCISE")
        )
    delivery.run_until_idle(worker="delivery")
    [text] = [n for n in channels.notify.notifications if str(n.reference).startswith("supplier-breach:")]
    assert str(text.personalisation["body"]).startswith("EXERCISE")
    [mail] = [m for m in channels.smtp.messages if str(m.message["X-Contingency-Key"]).startswith("supplier-breach:")]
    assert str(mail.message["Subject"]).startswith("EXERCISE")


@pytest.mark.django_db
def test_without_channels_the_rows_say_why_and_the_timeline_still_names_the_contacts(
    catcher: None, demo_plans: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from contingency.notify.channels import registry

    monkeypatch.delenv("CONTINGENCY_CATCHER")
    registry.reset()
    assure()
    log(invoked())
    assert escalation.run_due(worker="one") == 1
    assert {(r.state, r.permanent, r.last_error) for r in breach_rows()} == {
        ("failed", True, "no sms channel is configured"),
        ("failed", True, "no email channel is configured"),
    }
    registry.reset()


@pytest.mark.django_db
def test_two_workers_that_listed_the_same_breaches_escalate_and_send_each_once(
    channels: LiveChannels, demo_plans: list[Any]
) -> None:
    assure()
    incident = invoked()
    for n in range(2):
        log(incident, ago=timedelta(hours=9), reference=f"MIS-{n}")
    now = timezone.now()
    listed = escalation._due_ids(now, 50)
    assert len(listed) == 4 and escalation._due_ids(now, 50) == listed  # both workers see the same four rows
    won = [(pk, name) for pk in listed for name in ("a", "b") if escalation.escalate_one(pk, now=now, worker=name)]
    assert won == [(pk, "a") for pk in listed]  # the first to claim each row escalates it; the other does nothing
    assert len(breach_rows()) == 8
    delivery.run_until_idle(worker="a")
    delivery.run_until_idle(worker="b")
    assert set(texts(channels).values()) == {1} and len(texts(channels)) == 4
    assert set(mails(channels).values()) == {1} and len(mails(channels)) == 4


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_escalate_and_send_each_message_once(channels: LiveChannels, demo_plans: list[Any]) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time (the test above interleaves two workers); this needs two")
    assure()
    incident = invoked()
    for n in range(3):  # three tickets, each with both clocks breached: six escalations to race for
        log(incident, ago=timedelta(hours=9), reference=f"MIS-{n}")
    start = threading.Barrier(2)
    escalated: dict[str, int] = {}
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            escalated[name] = escalation.run_due(worker=name)
            delivery.run_until_idle(worker=name)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(escalated.values()) == 6
    assert ClockDue.objects.filter(state=DueState.FIRED).count() == 6
    assert len(breach_rows()) == 12  # per escalation: Dana's text and the lead's e-mail
    delivery.run_until_idle(worker="after")  # anything a worker left (it stopped when it found nothing to claim)
    assert set(texts(channels).values()) == {1} and len(texts(channels)) == 6
    assert set(mails(channels).values()) == {1} and len(mails(channels)) == 6
    assert TimelineEntry.objects.filter(incident=incident, text__contains="was breached").count() == 6


# ------------------------------------------------------------------------------ working days


@pytest.mark.django_db
def test_a_restore_time_in_working_days_breaches_on_the_organisations_calendar(demo_plans: list[Any]) -> None:
    assure(restore_time="2 working days", response_time="next business day")
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, tzinfo=LONDON), tick=False):  # Friday noon
        incident = invoked()
        ticket = services.log_ticket(
            incident=incident,
            supplier_key=SUPPLIER,
            reference="MIS-WD",
            logged_at=datetime(2026, 12, 4, 12, 0, tzinfo=LONDON),
            rca_due_on=None,
            actor=None,
            via="test",
        )
    # Two working days from Friday noon, the weekend skipped: Tuesday 8 December at noon.
    restore = ClockDue.objects.get(ticket=ticket, clock="restore")
    assert restore.due_at == datetime(2026, 12, 8, 12, 0, tzinfo=LONDON)
    assert ClockDue.objects.get(ticket=ticket, clock="response").due_at is None  # "next business day": uncounted
    assert escalation.run_due(now=lambda: datetime(2026, 12, 8, 11, 59, tzinfo=LONDON)) == 0
    assert escalation.run_due(now=lambda: datetime(2026, 12, 8, 12, 0, tzinfo=LONDON)) == 1
    [entry] = TimelineEntry.objects.filter(incident=incident, text__contains="MIS-WD")
    assert "restore time (2 working days) was breached at 12:00 on 08 Dec" in entry.text
