"""Incident roles: the lead and deputy the plan gives at invocation (in hours and out of hours), changed by the
lead or an administrator, asked for by a responder, and handed over with the shift hand-over record."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from contingency.core.models import AuditEntry, Role
from contingency.incidents import handover, leads, services
from contingency.incidents.models import Handover, Incident, LeadRequest, TimelineEntry
from contingency.incidents.roles import Holder, default_roles
from contingency.plans import people
from contingency.plans.models import Plan
from contingency.plans.spec import PlanDocument
from contingency.plans.validate import load_text

from .web import EYE, HOME_ORG, OTHER_ORG, PACS, make_user

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2027, 6, 9, 12, 0, tzinfo=LONDON)  # a Wednesday: in hours
NIGHT = datetime(2027, 6, 13, 2, 0, tzinfo=LONDON)  # a Sunday: out of hours
DEMO = Path(__file__).resolve().parent.parent / "demo" / "plans"


def plan_text(name: str, change: Callable[[str], str] = lambda text: text) -> PlanDocument:
    return load_text(change((DEMO / name).read_text()), name)[0]


# ---------------------------------------------------------------- pure: who the plan gives


def test_the_escalation_owner_for_the_time_of_day_leads() -> None:
    pacs = plan_text("pacs.yaml")
    day, night = default_roles(pacs, in_hours=True), default_roles(pacs, in_hours=False)
    assert (day.lead, day.deputy) == (
        Holder("PACS team", "pacs-team"),
        Holder("Senior radiographer on shift", "senior-radiographer"),
    )
    assert day.why == "the plan's escalation owner in hours (level 2, PACS team)"
    assert night.lead == Holder("Senior radiographer on shift", "senior-radiographer")
    assert night.why.startswith("the plan's escalation owner out of hours")


def test_a_deputy_kept_as_written_is_words_with_no_key() -> None:
    eye = plan_text(
        "eye-care.yaml",
        lambda text: text.replace(
            "  email: imran.siddiqui@clearview.example.org\n",
            "  email: imran.siddiqui@clearview.example.org\n  deputy: Dr A Patel, the clinical lead\n",
            1,
        ),
    )
    found = default_roles(eye, in_hours=False)
    assert found.lead == Holder("Imran Siddiqui", "imran-siddiqui", "imran-siddiqui")
    assert found.deputy == Holder("Dr A Patel, the clinical lead")
    assert found.deputy.as_written


def test_without_an_escalation_ladder_the_plans_owner_leads() -> None:
    eye = plan_text("eye-care.yaml", lambda text: text.split("\nescalation:\n")[0] + "\n" + _after_escalation(text))
    assert eye.escalation == []
    found = default_roles(eye, in_hours=True)
    assert found.lead == Holder("Imran Siddiqui", "imran-siddiqui", "imran-siddiqui")
    assert found.why == "the plan's owner (it has no escalation)"


def _after_escalation(text: str) -> str:
    return text[text.index("\nprocedures:\n") + 1 :]


# ---------------------------------------------------------------- services


def invoked(plan_key: str, at: datetime, actor: Any = None) -> Incident:
    with time_machine.travel(at, tick=False):
        plan = Plan.objects.get(key=plan_key)
        subject = "system:pacs" if plan_key == PACS else "system:referral-platform"
        reported = services.report(plan=plan, subject=subject, actor=actor)
        return services.invoke(incident=reported, actor=actor)


def data(value: Any) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def counts(incident: Incident) -> tuple[int, int, int, int]:
    return (
        AuditEntry.objects.count(),
        TimelineEntry.objects.filter(incident=incident).count(),
        LeadRequest.objects.filter(incident=incident).count(),
        Handover.objects.filter(incident=incident).count(),
    )


def roles(incident: Incident) -> tuple[Any, str, Any, str]:
    incident.refresh_from_db()
    return (incident.lead, incident.lead_name, incident.deputy, incident.deputy_name)


@pytest.mark.django_db
def test_invocation_sets_the_lead_for_in_hours_and_out_of_hours(demo_plans: list[object]) -> None:
    day = invoked(PACS, NOON)
    assert roles(day) == (None, "PACS team", None, "Senior radiographer on shift")
    assert day.lead_key == "pacs-team"
    entry = TimelineEntry.objects.get(incident=day, kind="lead")
    assert entry.text == (
        "Incident lead: PACS team, the plan's escalation owner in hours (level 2, PACS team); "
        "deputy: Senior radiographer on shift."
    )
    invocation = AuditEntry.objects.filter(object_type="incident", note="invoked").latest("id")
    assert data(invocation.after)["lead"] == "PACS team" and data(invocation.after)["leadMember"] is None
    night = invoked(PACS, NIGHT)
    assert roles(night) == (None, "Senior radiographer on shift", None, "PACS team")


@pytest.mark.django_db
def test_a_plan_person_linked_to_a_member_leads_as_that_member(demo_plans: list[object]) -> None:
    imran = make_user("imran", OTHER_ORG, Role.RESPONDER)
    organisation = Plan.objects.get(key=EYE).organisation
    people.link(organisation=organisation, person_key="imran-siddiqui", user=imran, actor=None)
    incident = invoked(EYE, NOON)
    assert roles(incident)[:2] == (imran, "Imran Siddiqui")
    assert leads.current(incident) is not None
    assert leads.current(incident).shown == "Imran Siddiqui (imran)"  # type: ignore[union-attr]


@pytest.fixture
def led(demo_plans: list[object]) -> Iterator[tuple[Incident, User, User, User]]:
    """A PACS incident in hours, its lead handed by an administrator to a member; another responder; the admin."""
    admin = make_user("boss", HOME_ORG, Role.ADMINISTRATOR)
    lead = make_user("helen", HOME_ORG, Role.RESPONDER)
    other = make_user("tom", HOME_ORG, Role.RESPONDER)
    incident = invoked(PACS, NOON)
    with time_machine.travel(NOON, tick=True):
        leads.change(incident=incident, actor=admin, to_user_id=lead.pk, note_text="Helen is in today")
        yield incident, lead, other, admin


@pytest.mark.django_db
def test_an_administrator_or_the_lead_changes_the_roles(led: tuple[Incident, User, User, User]) -> None:
    incident, lead, other, admin = led
    assert roles(incident) == (lead, "helen", None, "Senior radiographer on shift")
    entry = TimelineEntry.objects.filter(incident=incident, kind="lead").latest("id")
    assert entry.text == "Incident lead: helen, in place of PACS team. Helen is in today"
    change = AuditEntry.objects.filter(object_type="incident-lead").latest("id")
    assert (change.actor_name, change.note, data(change.before)["lead"], data(change.after)["leadMember"]) == (
        "boss",
        "lead changed",
        "PACS team",
        "helen",
    )
    leads.change(incident=incident, actor=lead, which="deputy", to_user_id=other.pk)
    assert roles(incident) == (lead, "helen", other, "tom")
    # Making the deputy lead leaves no deputy: one person is not both.
    leads.change(incident=incident, actor=lead, to_user_id=other.pk)
    assert roles(incident) == (other, "tom", None, "")
    with pytest.raises(services.IncidentError, match="already the lead"):
        leads.change(incident=incident, actor=admin, to_user_id=other.pk)


@pytest.mark.django_db
def test_refused_changes_change_nothing(led: tuple[Incident, User, User, User]) -> None:
    incident, lead, other, _admin = led
    outsider = make_user("outsider", OTHER_ORG, Role.ADMINISTRATOR)
    before, who = counts(incident), roles(incident)
    for actor, call in (
        (other, lambda a: leads.change(incident=incident, actor=a, to_user_id=a.pk)),
        (other, lambda a: leads.change(incident=incident, actor=a, which="deputy", to_name="Sam")),
        (outsider, lambda a: leads.change(incident=incident, actor=a, to_name="Someone")),
        (other, lambda a: handover.hand_over(incident=incident, actor=a, to_user_id=a.pk)),
        (lead, lambda a: leads.change(incident=incident, actor=a, to_user_id=outsider.pk)),
        (lead, lambda a: leads.change(incident=incident, actor=a, to_name="  ")),
        (outsider, lambda a: leads.ask(incident=incident, actor=a)),
        (lead, lambda a: leads.ask(incident=incident, actor=a)),
    ):
        with pytest.raises(services.IncidentError):
            call(actor)
        assert counts(incident) == before and roles(incident) == who
    with pytest.raises(services.IncidentError, match=r"only the incident lead \(helen\) or an admin"):
        leads.change(incident=incident, actor=other, to_user_id=other.pk)


@pytest.mark.django_db
def test_a_responder_asks_and_the_lead_declines_or_accepts(led: tuple[Incident, User, User, User]) -> None:
    incident, lead, other, _admin = led
    audits = AuditEntry.objects.filter(object_type="incident-lead").count()  # the change that made helen lead
    asked = leads.ask(incident=incident, actor=other, note_text="I am on site all night")
    assert asked.state == "pending" and roles(incident)[0] == lead
    with pytest.raises(services.IncidentError, match="already asked"):
        leads.ask(incident=incident, actor=other)
    before = counts(incident)
    with pytest.raises(services.IncidentError, match="only the incident lead"):
        leads.decide(lead_request=asked, actor=other, accept=True)  # not your own request to grant
    assert counts(incident) == before and roles(incident)[0] == lead
    leads.decide(lead_request=asked, actor=lead, accept=False, answer="Stay until the vendor calls back")
    asked.refresh_from_db()
    assert (asked.state, asked.decided_by_name, asked.answer) == (
        "declined",
        "helen",
        "Stay until the vendor calls back",
    )
    with pytest.raises(services.IncidentError, match="already declined"):
        leads.decide(lead_request=asked, actor=lead, accept=True)
    again = leads.decide(lead_request=leads.ask(incident=incident, actor=other), actor=lead, accept=True)
    assert again.state == "accepted" and roles(incident)[:2] == (other, "tom")
    texts = list(TimelineEntry.objects.filter(incident=incident, kind="lead").values_list("text", flat=True))
    assert texts[-4:] == [
        "tom asked to be incident lead. I am on site all night",
        "helen declined tom's request to lead. Stay until the vendor calls back",
        "tom asked to be incident lead.",
        "helen accepted tom's request: tom is incident lead in place of helen.",
    ]
    entries = AuditEntry.objects.filter(object_type="incident-lead").order_by("id")
    notes = list(entries.values_list("note", flat=True))[audits:]
    assert notes == [
        "asked to lead",
        "declined tom's request to lead",
        "asked to lead",
        "accepted tom's request to lead",
    ]


@pytest.mark.django_db
def test_while_no_member_leads_a_request_is_granted_at_once(demo_plans: list[object]) -> None:
    incident = invoked(PACS, NIGHT)
    sam = make_user("sam", HOME_ORG, Role.RESPONDER)
    with time_machine.travel(NIGHT, tick=True):
        request = leads.ask(incident=incident, actor=sam)
    assert request.state == "accepted" and request.decided_by_name == "nobody signed in held the lead"
    assert roles(incident)[:2] == (sam, "sam")
    assert TimelineEntry.objects.filter(incident=incident, kind="lead").latest("id").text == (
        "Incident lead: sam, in place of Senior radiographer on shift "
        "(no member held the lead to answer, so the request was granted)."
    )


@pytest.mark.django_db
def test_the_hand_over_record_names_the_outgoing_and_incoming_lead(led: tuple[Incident, User, User, User]) -> None:
    incident, lead, other, admin = led
    record = handover.hand_over(incident=incident, actor=lead, to_user_id=other.pk, note_text="Vendor ETA 18:00")
    assert (record.from_name, record.to_name, record.lead_from, record.lead_to) == (
        "helen",
        "tom",
        "helen",
        "tom",
    )
    assert roles(incident)[:2] == (other, "tom")
    entry = TimelineEntry.objects.filter(incident=incident, kind="handover").latest("id")
    assert "Incident lead: tom, in place of helen." in entry.text
    audit = AuditEntry.objects.filter(object_type="incident-handover").latest("id")
    assert (data(audit.after)["leadFrom"], data(audit.after)["leadTo"], data(audit.before)["leadMember"]) == (
        "helen",
        "tom",
        "helen",
    )
    # To someone without an account: their name is the lead, with no member behind it.
    handover.hand_over(incident=incident, actor=admin, to_name="Night site manager")
    assert roles(incident)[:2] == (None, "Night site manager")


# ---------------------------------------------------------------- the pages


@pytest.mark.django_db
def test_every_incident_page_shows_the_lead_and_the_roles_page_works(demo_plans: list[object]) -> None:
    import html
    import re

    from django.urls import reverse

    from .web import client_for

    incident = invoked(PACS, NOON)
    admin, helen, tom = (
        make_user("boss", HOME_ORG, Role.ADMINISTRATOR),
        make_user("helen", HOME_ORG, Role.RESPONDER),
        make_user("tom", HOME_ORG, Role.RESPONDER),
    )
    args = {"org": HOME_ORG, "number": incident.number}

    def text(client: Any, name: str) -> str:
        response = client.get(reverse(name, kwargs=args))
        assert response.status_code == 200, name
        return str(html.unescape(response.content.decode()))

    for name in ("incident", "incident-mine", "incident-handover", "incident-briefing", "incident-lead"):
        words = " ".join(re.sub(r"<[^>]+>", "", text(client_for(tom), name)).split())
        assert "Incident lead: PACS team · Deputy: Senior radiographer on shift" in words, name
    # Not the lead: tom may only ask, and as no member leads, he becomes lead at once.
    roles_page = text(client_for(tom), "incident-lead")
    assert "Ask to be lead" in roles_page and "Hand over the lead" not in roles_page
    change = reverse("incident-lead-change", kwargs={**args, "which": "lead"})
    refused = client_for(helen).post(change, {"lead-to_user": helen.pk})
    assert refused.status_code == 400 and "only the incident lead" in html.unescape(refused.content.decode())
    # An administrator makes helen lead; she sees the hand-over form and tom's request, and declines it.
    assert client_for(admin).post(change, {"lead-to_user": helen.pk}).status_code == 302
    assert roles(incident)[:2] == (helen, "helen")
    ask = reverse("incident-lead-ask", kwargs=args)
    assert client_for(tom).post(ask, {"note": "I am on site"}).status_code == 302
    request = LeadRequest.objects.get(incident=incident, state="pending")
    as_helen = text(client_for(helen), "incident-lead")
    assert "Hand over the lead" in as_helen and "I am on site" in as_helen and "Accept: tom leads" in as_helen
    answer = reverse("incident-lead-answer", kwargs={**args, "pk": request.pk})
    assert client_for(tom).post(answer, {"accept": "yes"}).status_code == 302  # refused, shown as a message
    assert roles(incident)[0] == helen
    assert client_for(helen).post(answer, {"accept": "no", "answer": "Not yet"}).status_code == 302
    request.refresh_from_db()
    assert (request.state, request.answer) == ("declined", "Not yet")
    deputy = reverse("incident-lead-change", kwargs={**args, "which": "deputy"})
    empty = client_for(helen).post(deputy, {"deputy-to_name": " "})
    assert empty.status_code == 400 and "Say who" in html.unescape(empty.content.decode())
    assert client_for(helen).post(deputy, {"deputy-to_user": tom.pk}).status_code == 302
    assert roles(incident)[2:] == (tom, "tom")


# ---------------------------------------------------------------- the API


@pytest.mark.django_db
def test_the_api_reads_and_changes_the_roles(api_as: Callable[..., Any]) -> None:
    import json

    incident = invoked(PACS, NIGHT)
    base = f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}/roles"
    admin, lead, other = api_as("administrator"), api_as("responder"), api_as("responder")

    def send(client: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return getattr(client, method)(url, data=json.dumps(body or {}), content_type="application/json")

    shown = lead.get(base).json()
    assert (shown["lead"], shown["leadName"], shown["deputyName"], shown["requests"]) == (
        None,
        "Senior radiographer on shift",
        "PACS team",
        [],
    )
    assert send(lead, "put", f"{base}/lead", {"to": lead.username}).status_code == 409  # not the lead, nor admin
    assert send(admin, "put", f"{base}/lead", {"to": "nobody-here"}).status_code == 422
    changed = send(admin, "put", f"{base}/lead", {"to": lead.username, "note": "On site"})
    assert changed.status_code == 200 and changed.json()["lead"] == lead.username
    asked = send(other, "post", f"{base}/requests", {"note": "I know the vendor"})
    assert asked.status_code == 201 and asked.json()["state"] == "pending"
    pk = asked.json()["id"]
    assert send(other, "post", f"{base}/requests/{pk}/accept").status_code == 409
    declined = send(lead, "post", f"{base}/requests/{pk}/decline", {"answer": "Not yet"})
    assert (declined.json()["state"], declined.json()["answer"]) == ("declined", "Not yet")
    again = send(other, "post", f"{base}/requests").json()["id"]
    assert send(lead, "post", f"{base}/requests/{again}/accept").json()["state"] == "accepted"
    detail = lead.get(f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}").json()
    assert detail["people"]["lead"] == other.username
    handed = send(
        other, "post", f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}/handover", {"to": lead.username}
    )
    assert (handed.json()["record"]["leadFrom"], handed.json()["record"]["leadTo"]) == (other.username, lead.username)
    assert send(lead, "put", f"{base}/deputy", {"toName": "Night site manager"}).json()["deputyName"] == (
        "Night site manager"
    )
