"""Supplier assurance, an incident's supplier tickets with their clocks, and commissioners' KPIs over the API.

Who may call which endpoint (401, 403, 404 for another organisation) is in test_api_evidence_access.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from contingency.commissioning import services as commissioning
from contingency.commissioning.models import ContractKpi, KpiRelaxation
from contingency.core.models import AuditEntry
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident
from contingency.plans.models import Plan
from contingency.suppliers.models import Assurance, ClockEvent, Ticket

from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 6, 2, 10, 0, tzinfo=LONDON)  # a Wednesday, in British Summer Time
ORG_URL = f"/api/v1/organisations/{HOME_ORG}"
ASSURANCE = {
    "hasPlan": "yes",
    "lastTestedOn": "2027-01-10",
    "responseTime": "30 minutes",
    "restoreTime": "4 hours",
    "contacts": [{"name": "Meridian duty manager", "phone": "01632 960123"}],
    "reviewOn": "2028-01-10",
    "note": "Tested with the fail-over in January.",
}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def name_of(client: Client) -> str:
    """The username of an `api_as` client's user."""
    return str(client.__dict__["username"])


def send(client: Client, method: str, url: str, body: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(url, data, content_type="application/json")


def rows() -> dict[str, int]:
    models = (Assurance, Ticket, ClockEvent, KpiRelaxation, ContractKpi, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def invoked() -> Incident:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    return incidents.invoke(
        incident=incidents.report(plan=plan, subject="system:pacs", actor=None, via="test"), actor=None, via="test"
    )


def a_kpi() -> ContractKpi:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    return commissioning.add_kpi(
        plan=plan,
        what="Urgent reports",
        target="95% of urgent studies reported",
        clock_value=2,
        clock_unit="working days",
        clock_from="the scan",
        commissioner="Northwick ICB",
        actor=None,
        via="test",
    )


# ---------------------------------------------------------------- assurance


def test_assurance_register_and_recording(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    editor = api_as("editor")
    listed = editor.get(f"{ORG_URL}/suppliers").json()
    meridian = next(r for r in listed if r["supplier"] == "meridian")
    assert meridian["name"] == "Meridian Imaging Systems Ltd"
    assert meridian["state"] == "missing" and meridian["assurance"] is None and meridian["findings"]
    recorded = send(editor, "put", f"{ORG_URL}/suppliers/meridian", ASSURANCE)
    assert recorded.status_code == 200, recorded.json()
    body = recorded.json()
    assert body["state"] == "ok" and body["findings"] == []
    assert body["assurance"]["restoreTime"] == "4 hours"
    assert body["assurance"]["contacts"] == [{"name": "Meridian duty manager", "phone": "01632 960123"}]
    assert body["assurance"]["updatedBy"] == name_of(editor)
    entry = AuditEntry.objects.get(object_type="supplier-assurance", object_key="meridian")
    assert entry.actor_name == name_of(editor) and entry.verb == "create"
    # An administrator may record it too (as on the page), and a later record replaces it.
    again = send(api_as("administrator"), "put", f"{ORG_URL}/suppliers/meridian", {**ASSURANCE, "hasPlan": "no"})
    assert again.status_code == 200
    assert again.json()["state"] == "stale"
    assert Assurance.objects.get().has_plan == "no"


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({**ASSURANCE, "hasPlan": "maybe"}, "hasPlan", "yes, no or unknown"),
        ({**ASSURANCE, "lastTestedOn": "2027-06-03"}, "lastTestedOn", "a day still to come"),
        ({**ASSURANCE, "lastTestedOn": "2027-02-30"}, "lastTestedOn", "date"),
        ({**ASSURANCE, "contacts": [{"phone": "01632 960123"}]}, "contacts", "give the name for 01632 960123"),
        ({**ASSURANCE, "contacts": [{"name": "x"}] * 11}, "contacts", "at most 10 items"),
        ({**ASSURANCE, "responseTime": "x" * 201}, "responseTime", "at most 200 characters"),
        ({k: v for k, v in ASSURANCE.items() if k != "hasPlan"}, "hasPlan", "this is required"),
    ],
)
def test_bad_assurance_is_a_located_422_and_changes_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller, body: Any, where: str, message: str
) -> None:
    editor = api_as("editor")
    before = rows()
    response = send(editor, "put", f"{ORG_URL}/suppliers/meridian", body)
    assert response.status_code == 422, response.json()
    [error] = response.json()["errors"]
    assert error["path"] == where, error
    assert message in error["message"], error
    assert rows() == before


def test_an_unknown_supplier_is_404(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    response = send(api_as("editor"), "put", f"{ORG_URL}/suppliers/nobody", ASSURANCE)
    assert response.status_code == 404
    assert response.json() == {"detail": "No supplier 'nobody' in this organisation's plans."}
    assert not Assurance.objects.exists()


# ---------------------------------------------------------------- tickets and clocks


def test_a_ticket_and_its_clocks(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    send(api_as("editor"), "put", f"{ORG_URL}/suppliers/meridian", ASSURANCE)
    incident = invoked()
    url = f"{ORG_URL}/incidents/{incident.number}/supplier-tickets"
    responder = api_as("responder")
    logged = send(
        responder, "post", url, {"supplier": "meridian", "reference": "MIS-1", "loggedAt": "2027-06-02T08:20:00Z"}
    )
    assert logged.status_code == 201, logged.json()
    ticket = logged.json()
    assert ticket["supplierName"] == "Meridian Imaging Systems Ltd" and ticket["loggedBy"] == name_of(responder)
    assert ticket["loggedLocal"] == "2027-06-02T09:20:00+01:00"
    response, restore = ticket["clocks"]
    assert response["clock"] == "response" and response["written"] == "30 minutes"
    assert response["state"] == "running" and response["breached"] is True  # 10 minutes ago
    assert response["breachAt"] == "2027-06-02T08:50:00Z" and response["elapsedSeconds"] == 40 * 60
    assert restore["breachAt"] == "2027-06-02T12:20:00Z" and restore["breached"] is False
    clocks = f"{url}/{ticket['id']}/clock"
    stopped = send(responder, "post", clocks, {"clock": "response", "kind": "stopped", "at": "2027-06-02T08:55:00Z"})
    assert stopped.status_code == 200, stopped.json()
    assert stopped.json()["clocks"][0]["state"] == "stopped"
    paused = send(
        responder, "post", clocks, {"clock": "restore", "kind": "paused", "reason": "Waiting on our network team"}
    )
    assert paused.status_code == 200, paused.json()
    assert paused.json()["clocks"][1]["state"] == "paused"
    assert [e["kind"] for e in paused.json()["events"]] == ["stopped", "paused"]
    assert paused.json()["events"][1]["at"] == "2027-06-02T09:00:00Z"
    read = responder.get(url).json()
    assert [t["reference"] for t in read] == ["MIS-1"]
    assert read[0]["clocks"][1]["elapsedSeconds"] == 40 * 60
    # A state the clock cannot take is refused at the field, and nothing changes.
    before = rows()
    refused = send(responder, "post", clocks, {"clock": "response", "kind": "resumed", "reason": "x"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0] == {
        "path": "kind",
        "loc": ["kind"],
        "code": "suppliers.refused",
        "message": "The response clock is stopped: it cannot be resumed.",
    }
    assert rows() == before
    assert send(responder, "post", f"{url}/999999/clock", {"clock": "response", "kind": "stopped"}).status_code == 404
    notes = AuditEntry.objects.filter(object_type="supplier-ticket").values_list("actor_name", flat=True)
    assert set(notes) == {name_of(responder)}


@pytest.mark.parametrize(
    ("body", "where", "message"),
    [
        ({"supplier": "nobody", "reference": "X-1"}, "(body)", ""),
        ({"supplier": "meridian", "reference": " "}, "reference", "Enter the vendor's ticket reference."),
        ({"supplier": "meridian", "reference": "X-1", "loggedAt": "2027-06-02T12:00:00Z"}, "loggedAt", "still to come"),
        ({"supplier": "meridian", "reference": "X-1", "loggedAt": "yesterday"}, "loggedAt", "datetime"),
        ({"supplier": "meridian"}, "reference", "this is required"),
    ],
)
def test_bad_tickets_change_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller, body: Any, where: str, message: str
) -> None:
    incident = invoked()
    responder = api_as("responder")
    before = rows()
    response = send(responder, "post", f"{ORG_URL}/incidents/{incident.number}/supplier-tickets", body)
    if where == "(body)":
        assert response.status_code == 404
        assert response.json() == {"detail": "No supplier 'nobody' in this organisation's plans."}
    else:
        assert response.status_code == 422, response.json()
        [error] = response.json()["errors"]
        assert error["path"] == where and message in error["message"], error
    assert rows() == before


# ---------------------------------------------------------------- KPIs and relaxations


def test_kpis_and_a_relaxation(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    kpi = a_kpi()
    viewer = api_as("viewer")
    listed = viewer.get(f"{ORG_URL}/plans/{PACS}/kpis").json()
    assert listed == [
        {
            "id": kpi.pk,
            "what": "Urgent reports",
            "target": "95% of urgent studies reported",
            "clockValue": 2,
            "clockUnit": "working days",
            "clockFrom": "the scan",
            "clockWords": "within 2 working days of the scan",
            "commissioner": "Northwick ICB",
        }
    ]
    incident = invoked()
    clock.shift(3600)
    url = f"{ORG_URL}/incidents/{incident.number}/kpis"
    shown = viewer.get(url).json()
    assert shown["outage"]["ongoing"] is True
    assert [a["kpi"]["id"] for a in shown["affected"]] == [kpi.pk] and shown["affected"][0]["asked"] is False
    assert shown["relaxations"] == []
    responder = api_as("responder")
    ask = {
        "kpi": kpi.pk,
        "askedOf": "Contract manager",
        "relaxedFrom": "2027-06-02T09:00:00Z",
        "relaxedTo": "2027-06-09T17:00:00Z",
        "note": "Asked by telephone.",
    }
    asked = send(responder, "post", f"{url}/relaxations", ask)
    assert asked.status_code == 201, asked.json()
    row = asked.json()
    assert (
        row["agreed"] is False and row["askedAt"] == "2027-06-02T10:00:00Z" and row["recordedBy"] == name_of(responder)
    )
    assert row["kpiWords"] == "Urgent reports: 95% of urgent studies reported, within 2 working days of the scan"
    clock.shift(1800)
    agreed = send(responder, "post", f"{url}/relaxations/{row['id']}/agree", {"agreedBy": "Dr A Example"})
    assert agreed.status_code == 200, agreed.json()
    assert agreed.json()["agreed"] is True and agreed.json()["agreedAt"] == "2027-06-02T10:30:00Z"
    assert viewer.get(url).json()["affected"][0]["asked"] is True
    twice = send(responder, "post", f"{url}/relaxations/{row['id']}/agree", {"agreedBy": "Dr A Example"})
    assert twice.status_code == 409
    assert twice.json() == {"detail": "Already agreed by Dr A Example."}
    verbs = AuditEntry.objects.filter(object_type="kpi-relaxation").values_list("note", "actor_name")
    assert sorted(verbs) == [("agreed", name_of(responder)), ("asked", name_of(responder))]


@pytest.mark.parametrize(
    ("change", "where", "message"),
    [
        ({"kpi": 987654}, "kpi", "there is no KPI 987654"),
        ({"kpi": 2**70}, "kpi", "there is no KPI"),
        ({"kpi": True}, "kpi", "expected a whole number"),
        ({"askedOf": ""}, "askedOf", "who at the commissioner was asked"),
        ({"relaxedTo": "2027-06-01T09:00:00Z"}, "relaxedTo", "must end after it starts"),
        ({"askedAt": "2027-06-03T09:00:00Z"}, "askedAt", "cannot be in the future"),
        ({"agreedBy": "Dr A Example"}, "agreedAt", "both who agreed and when"),
        ({"relaxedFrom": "soon"}, "relaxedFrom", "datetime"),
        ({"note": "x" * 4001}, "note", "at most 4000 characters"),
    ],
)
def test_bad_relaxations_are_located_422s_and_change_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller, change: dict[str, Any], where: str, message: str
) -> None:
    kpi = a_kpi()
    incident = invoked()
    body = {
        "kpi": kpi.pk,
        "askedOf": "Contract manager",
        "relaxedFrom": "2027-06-02T09:00:00Z",
        "relaxedTo": "2027-06-09T17:00:00Z",
        **change,
    }
    responder = api_as("responder")
    before = rows()
    response = send(responder, "post", f"{ORG_URL}/incidents/{incident.number}/kpis/relaxations", body)
    assert response.status_code == 422, response.json()
    [error] = response.json()["errors"]
    assert error["path"] == where, error
    assert message in error["message"], error
    assert rows() == before


def test_a_relaxation_for_an_incident_never_invoked_is_409(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    kpi = a_kpi()
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = incidents.report(plan=plan, subject="system:pacs", actor=None, via="test")
    body = {"kpi": kpi.pk, "askedOf": "x", "relaxedFrom": "2027-06-02T09:00:00Z", "relaxedTo": "2027-06-03T09:00:00Z"}
    responder = api_as("responder")
    before = rows()
    response = send(responder, "post", f"{ORG_URL}/incidents/{reported.number}/kpis/relaxations", body)
    assert response.status_code == 409
    assert "was not invoked" in response.json()["detail"]
    assert rows() == before
