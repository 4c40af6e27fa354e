"""Call-outs over the API and GOV.UK Notify's callbacks, against real SMTP, Notify and webhook servers.

The demo PACS plan is invoked out of hours (02:00 on a Wednesday): TP1 texts four managers
through the local Notify, rings the senior radiographer (a task), and posts to the radiology
Teams channel; the out-of-hours inform step rings the departments.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from contingency.api.notify import FAILURES, NOT_CONFIGURED, TOKEN_VARIABLE, WRONG_TOKEN
from contingency.core.models import AuditEntry
from contingency.incidents import services
from contingency.incidents.models import Incident, Task, TimelineEntry
from contingency.notify import delivery
from contingency.notify.models import Callout, Notification
from contingency.plans.models import Plan

from .support.live_channels import LiveChannels
from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)  # a Wednesday, out of hours, GMT
BASE = "/api/v1"
INCIDENTS = f"{BASE}/organisations/{HOME_ORG}/incidents"
INBOUND = f"{BASE}/notify/inbound-sms"
RECEIPT = f"{BASE}/notify/delivery-status"
TOKEN = "a-callback-token-of-some-length"
ALL_TRUE = {"several-patients": True, "several-pcs": True, "several-modalities": True}
TP1 = "trigger:tp1:0"
OUT_OF_HOURS = "task:step/pacs-downtime/inform-departments-out-of-hours"
MANAGERS = {
    "helen-marsh": ("07700 900101", "helen.marsh@northwick.example.org"),
    "julia-fenwick": ("07700 900110", "julia.fenwick@northwick.example.org"),
    "marcus-hale": ("07700 900111", "marcus.hale@northwick.example.org"),
    "anita-rao": ("07700 900112", "anita.rao@northwick.example.org"),
}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    return TOKEN


@pytest.fixture
def outage(demo_plans: list[object], channels: LiveChannels, clock: time_machine.Traveller) -> Incident:
    """PACS invoked out of hours, and everything due delivered."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    incident = services.report(plan=plan, subject="system:pacs", actor=None, answers=ALL_TRUE, via="test")
    services.invoke(incident=incident, actor=None, via="test")
    delivery.run_until_idle(worker="test")
    return incident


def post(client: Client, url: str, body: Any = None, **headers: str) -> Any:
    return client.post(url, json.dumps({} if body is None else body), content_type="application/json", headers=headers)


def notify(url: str, body: Any, token: str | None = TOKEN) -> Any:
    """A callback as GOV.UK Notify sends it."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return post(Client(), url, body, **headers)


def callout(recipient: str, event: str = TP1) -> Callout:
    return Callout.objects.get(event=event, recipient_key=recipient)


def sms_to(live: LiveChannels, recipient: str) -> Any:
    [record] = [r for r in live.notify.notifications if r.to == MANAGERS[recipient][0]]
    return record


def code_in(record: Any) -> str:
    found = re.search(r"\breply ([A-Z2-9]{8})\b", record.personalisation["body"])
    assert found, record.personalisation["body"]
    return found.group(1)


def reply(number: str, message: str) -> dict[str, str]:
    return {
        "id": str(uuid.uuid4()),
        "source_number": number,
        "destination_number": "07700900999",
        "message": message,
        "date_received": "2027-03-10T02:05:00.000000Z",
    }


def receipt(record: Any, status: str, **changes: Any) -> dict[str, Any]:
    """A delivery receipt in Notify's shape (its docs' field list, template id and version included)."""
    return {
        "id": record.id,
        "reference": record.reference,
        "to": record.to,
        "status": status,
        "created_at": "2027-03-10T02:00:00.000000Z",
        "completed_at": "2027-03-10T02:01:00.000000Z",
        "sent_at": "2027-03-10T02:00:01.000000Z",
        "notification_type": "sms",
        "template_id": record.template_id,
        "template_version": 1,
        **changes,
    }


def emailed(live: LiveChannels) -> list[str]:
    return sorted(rcpt for m in live.smtp.messages for rcpt in m.rcpt_tos)


def state() -> list[tuple[Any, ...]]:
    """Every call-out and message as it stands, and the audit and timeline counts: a refusal changes none."""
    return [
        *Callout.objects.order_by("id").values_list("id", "state", "step", "round", "acknowledged_at"),
        *Notification.objects.order_by("id").values_list("id", "state", "attempts", "last_error"),
        (AuditEntry.objects.count(), TimelineEntry.objects.count(), Task.objects.filter(state="open").count()),
    ]


# ---------------------------------------------------------------- the call-outs of an incident


def test_the_callouts_list_what_each_server_received(
    outage: Incident, channels: LiveChannels, api_as: Callable[..., Client]
) -> None:
    response = api_as("viewer").get(f"{INCIDENTS}/{outage.number}/callouts")
    assert response.status_code == 200, response.content
    events = {e["event"]: e for e in response.json()}
    assert set(events) == {TP1, OUT_OF_HOURS}
    tp1 = events[TP1]
    assert (tp1["callTree"], tp1["label"]) == ("incident-team", "TP1 - information-gathering meeting")
    assert tp1["counts"] == {"waiting": 5, "acknowledged": 0, "unreached": 0, "cancelled": 0}
    by_recipient = {c["recipient"]: c for c in tp1["callouts"]}
    assert list(by_recipient) == [*MANAGERS, "senior-radiographer"]

    # Every text the local Notify accepted is listed, with Notify's id and our reference.
    received = {r.to: r for r in channels.notify.notifications}
    assert set(received) == {number for number, _ in MANAGERS.values()}
    for key, (number, _) in MANAGERS.items():
        listed = by_recipient[key]
        assert (listed["channels"], listed["step"], listed["channel"]) == (["sms", "email"], 0, "sms")
        assert (listed["state"], listed["level"], listed["fallbackOf"]) == ("waiting", "audience", None)
        assert listed["ackDueAt"] == "2027-03-10T02:15:00Z"
        assert listed["ackDueLocal"] == "2027-03-10T02:15:00+00:00"
        assert listed["acknowledgedAt"] is None and listed["acknowledgedVia"] == ""
        [message] = listed["messages"]
        record = received[number]
        assert (message["channel"], message["transport"], message["address"]) == ("sms", "notify-sms", number)
        assert (message["state"], message["attempts"], message["sentAt"]) == ("sent", 1, "2027-03-10T02:00:00Z")
        assert (message["providerRef"], message["key"]) == (record.id, record.reference)
        assert (message["lastError"], message["permanent"], message["maybeDuplicate"]) == ("", False, False)
        assert record.personalisation["body"] in Callout.objects.get(pk=listed["id"]).short
    assert channels.smtp.messages == []  # e-mail is the second channel: nobody's wait has ended

    # The senior radiographer has only numbers to ring: a call task, and the outbox's record of it.
    ring = by_recipient["senior-radiographer"]
    assert ring["channels"] == ["phone"]
    [call] = ring["messages"]
    assert (call["channel"], call["transport"], call["state"]) == ("phone", "manual", "sent")
    assert call["address"] == "2200 (bleep); 4310 (extension)"
    assert Task.objects.get(pk=ring["task"]).kind == "call"

    [teams] = tp1["posts"]
    assert (teams["channel"], teams["transport"], teams["address"]) == (
        "post",
        "webhook:radiology-teams",
        "radiology-teams",
    )
    assert teams["state"] == "sent"
    [posted] = channels.webhook.posts("/teams")
    assert posted.headers["idempotency-key"] == teams["key"]

    departments = events[OUT_OF_HOURS]
    assert departments["callTree"] == "departments-out-of-hours" and departments["posts"] == []
    assert departments["counts"] == {"waiting": 6, "acknowledged": 0, "unreached": 1, "cancelled": 0}
    urgent = next(c for c in departments["callouts"] if c["recipient"] == "urgent-care")
    assert (urgent["state"], urgent["channels"], urgent["messages"]) == ("unreached", [], [])
    assert urgent["informTask"] is not None


def test_an_incident_without_callouts_lists_none(
    demo_plans: list[object], api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    services.report(plan=plan, subject="system:pacs", actor=None, answers=ALL_TRUE, via="test")
    assert api_as("viewer").get(f"{INCIDENTS}/1/callouts").json() == []


# ---------------------------------------------------------------- received text messages


def test_a_reply_with_the_code_acknowledges_and_stops_the_repeat(
    outage: Incident, channels: LiveChannels, token: str, clock: time_machine.Traveller
) -> None:
    code = code_in(sms_to(channels, "helen-marsh"))
    clock.move_to(NIGHT + timedelta(minutes=4))
    answered = notify(INBOUND, reply("447700900101", f"ok {code.lower()} on my way"))
    assert answered.status_code == 200, answered.content
    assert answered.json() == {
        "result": "acknowledged",
        "detail": "Acknowledged: Helen Marsh for TP1 - information-gathering meeting.",
    }
    helen = callout("helen-marsh")
    assert helen.state == "acknowledged"
    assert helen.acknowledged_at == NIGHT + timedelta(minutes=4)
    assert helen.acknowledged_via == "SMS reply from 447700900101"
    [entry] = AuditEntry.objects.filter(object_type="incident-callout")
    assert (entry.actor_name, entry.note, entry.object_key) == (
        "GOV.UK Notify",
        "acknowledged by SMS reply",
        f"incident/1/callouts/{helen.pk}",
    )
    assert (entry.before, entry.after) == (
        {"state": "waiting", "step": 0, "channel": "sms", "round": 0},
        {"state": "acknowledged", "step": 0, "channel": "sms", "round": 0},
    )

    # The same reply again (Notify retrying, or a second text) changes nothing.
    before = state()
    again = notify(INBOUND, reply("447700900101", code))
    assert again.status_code == 200
    assert again.json()["result"] == "already-acknowledged"
    assert state() == before

    # Everyone else's wait ends at 02:15 and they are e-mailed; Helen is not.
    clock.move_to(NIGHT + timedelta(minutes=16))
    delivery.run_until_idle(worker="test")
    assert emailed(channels) == sorted(email for key, (_, email) in MANAGERS.items() if key != "helen-marsh")
    texted = [r.to for r in channels.notify.notifications]
    assert all(texted.count(number) == 1 for number, _ in MANAGERS.values())  # and no second text to them


@pytest.mark.parametrize("message", ["Thanks, got it", "ABCDEFGH", "reply 2345ABCD please", ""])
def test_a_reply_without_a_known_code_is_answered_200_and_changes_nothing(
    outage: Incident, token: str, message: str
) -> None:
    before = state()
    answered = notify(INBOUND, reply("447700900101", message))
    assert answered.status_code == 200
    assert answered.json()["result"] == "no-match"
    assert state() == before


def test_a_reply_after_the_incident_ended_acknowledges_nothing(
    outage: Incident, channels: LiveChannels, token: str
) -> None:
    code = code_in(sms_to(channels, "julia-fenwick"))
    services.stand_down(incident=outage, actor=None, reason="False alarm", via="test")
    before = state()
    answered = notify(INBOUND, reply("447700900110", code))
    assert answered.status_code == 200
    assert answered.json() == {
        "result": "not-acknowledged",
        "detail": "The call-out is cancelled: Julia Fenwick for TP1 - information-gathering meeting.",
    }
    assert state() == before


# ---------------------------------------------------------------- the callbacks' token and bodies


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-the-token"},
        {"Authorization": f"Bearer {TOKEN}x"},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": "Bearer t\u00f6k\u00e9n"},
    ],
)
@pytest.mark.parametrize("url", [INBOUND, RECEIPT])
def test_a_callback_without_the_token_is_401(
    outage: Incident, channels: LiveChannels, token: str, headers: dict[str, str], url: str
) -> None:
    body = reply("447700900101", code_in(sms_to(channels, "helen-marsh")))
    if url == RECEIPT:
        body = receipt(sms_to(channels, "helen-marsh"), "permanent-failure")
    before = state()
    response = post(Client(), url, body, **headers)
    assert response.status_code == 401, response.content
    assert response.json() == {"detail": WRONG_TOKEN}
    assert response["WWW-Authenticate"] == 'Bearer realm="contingency"'
    assert state() == before
    assert notify(url, body).status_code == 200  # the same body with the token is taken


@pytest.mark.parametrize("url", [INBOUND, RECEIPT])
def test_callbacks_are_503_until_a_token_is_configured(
    outage: Incident, channels: LiveChannels, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, "  ")
    before = state()
    response = notify(url, reply("447700900101", code_in(sms_to(channels, "helen-marsh"))), token="  ")
    assert response.status_code == 503
    assert response.json() == {"detail": NOT_CONFIGURED}
    assert TOKEN_VARIABLE in NOT_CONFIGURED
    assert state() == before


@pytest.mark.parametrize(
    ("url", "body", "path", "code"),
    [
        (INBOUND, {"id": "x", "source_number": "447700900101"}, "message", "request.missing"),
        (INBOUND, {"id": "x", "message": "ok"}, "source_number", "request.missing"),
        (INBOUND, {"id": "x", "source_number": "447700900101", "message": 5}, "message", "request.string_type"),
        (INBOUND, {"id": "x", "source_number": 447700900101, "message": "ok"}, "source_number", "request.string_type"),
        (INBOUND, {"id": "x", "source_number": "4477", "message": "x" * 2001}, "message", "request.string_too_long"),
        (INBOUND, ["not", "an", "object"], "id source_number message", "request.missing"),
        (RECEIPT, {"id": "x", "reference": None}, "status", "request.missing"),
        (RECEIPT, {"reference": "1:x", "status": "delivered"}, "id", "request.missing"),
        (RECEIPT, {"id": "x", "status": ["permanent-failure"]}, "status", "request.string_type"),
    ],
)
def test_a_malformed_callback_is_a_located_422(
    outage: Incident, token: str, url: str, body: Any, path: str, code: str
) -> None:
    before = state()
    response = notify(url, body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [(e["path"], e["code"]) for e in errors] == [(p, code) for p in path.split()]
    assert state() == before


def test_a_callback_that_is_not_json_is_400(outage: Incident, token: str) -> None:
    response = Client().post(
        INBOUND, b"id=1&message=ok", content_type="application/json", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."


# ---------------------------------------------------------------- delivery receipts


def test_a_permanent_failure_moves_the_callout_to_email_now(
    outage: Incident, channels: LiveChannels, token: str, api_as: Callable[..., Client]
) -> None:
    record = sms_to(channels, "helen-marsh")
    answered = notify(RECEIPT, receipt(record, "permanent-failure"))
    assert answered.status_code == 200, answered.content
    assert answered.json() == {"result": "failed", "detail": FAILURES["permanent-failure"][1]}
    text = Notification.objects.get(provider_ref=record.id)
    assert (text.state, text.permanent) == ("failed", True)
    assert text.last_error == "Notify: permanent-failure (the number or address does not exist)"
    helen = callout("helen-marsh")
    assert (helen.state, helen.step, helen.channel) == ("waiting", 1, "email")
    [entry] = AuditEntry.objects.filter(object_type="incident-notification")
    assert (entry.actor_name, entry.note) == ("GOV.UK Notify", "permanent-failure")
    assert entry.after == {"state": "failed", "permanent": True, "last_error": text.last_error}

    # The same time (02:00): it is the receipt, not the end of the wait, that sends the e-mail.
    delivery.run_until_idle(worker="test")
    assert emailed(channels) == ["helen.marsh@northwick.example.org"]
    [mail] = channels.smtp.messages
    assert "TP1" in mail.message["Subject"]
    [tp1] = [e for e in api_as("viewer").get(f"{INCIDENTS}/1/callouts").json() if e["event"] == TP1]
    listed = next(c for c in tp1["callouts"] if c["recipient"] == "helen-marsh")
    assert [(m["channel"], m["state"], m["permanent"]) for m in listed["messages"]] == [
        ("sms", "failed", True),
        ("email", "sent", False),
    ]
    assert listed["messages"][0]["lastError"] == text.last_error

    # Notify sending the receipt again changes nothing more.
    before = state()
    again = notify(RECEIPT, receipt(record, "permanent-failure"))
    assert again.status_code == 200
    assert again.json() == {"result": "unchanged", "detail": "The message is failed: nothing to change."}
    assert state() == before


@pytest.mark.parametrize("status", ["temporary-failure", "technical-failure"])
def test_a_temporary_or_technical_failure_fails_the_text_and_moves_on(
    outage: Incident, channels: LiveChannels, token: str, status: str
) -> None:
    record = sms_to(channels, "julia-fenwick")
    # Matched by Notify's id alone, as when a receipt carries no reference.
    answered = notify(RECEIPT, receipt(record, status, reference=None))
    assert answered.status_code == 200
    assert answered.json()["result"] == "failed"
    text = Notification.objects.get(provider_ref=record.id)
    assert (text.state, text.permanent) == ("failed", False)
    assert text.last_error == FAILURES[status][1]
    assert text.last_error.startswith(f"Notify: {status} (")
    assert callout("julia-fenwick").channel == "email"
    delivery.run_until_idle(worker="test")
    assert emailed(channels) == ["julia.fenwick@northwick.example.org"]


def test_delivered_unknown_and_superseded_receipts_change_nothing(
    outage: Incident, channels: LiveChannels, token: str
) -> None:
    record = sms_to(channels, "marcus-hale")
    before = state()
    cases = [
        (receipt(record, "delivered"), "delivered"),
        (receipt(record, "permanent-failure", id=str(uuid.uuid4()), reference="9:nothing"), "unknown"),
        (receipt(record, "permanent-failure", id=str(uuid.uuid4()), reference=None), "unknown"),
        # Another Notify id for our reference: a send made before a resend after a crash.
        (receipt(record, "permanent-failure", id=str(uuid.uuid4())), "superseded"),
        (receipt(record, "pending-virus-check"), "ignored"),
    ]
    for body, result in cases:
        answered = notify(RECEIPT, body)
        assert answered.status_code == 200, answered.content
        assert answered.json()["result"] == result, body
    assert state() == before
    assert Notification.objects.get(provider_ref=record.id).state == "sent"


def test_a_receipt_that_overtakes_the_record_of_the_send_asks_notify_to_retry(
    outage: Incident, channels: LiveChannels, token: str
) -> None:
    record = sms_to(channels, "anita-rao")
    # As if the worker had sent the text but not yet written down that it had.
    Notification.objects.filter(key=record.reference).update(state="sending", provider_ref="", sent_at=None)
    before = state()
    refused = notify(RECEIPT, receipt(record, "permanent-failure"))
    assert refused.status_code == 503
    assert refused.json() == {"detail": "The message's send is still being recorded: try again shortly."}
    assert state() == before
    Notification.objects.filter(key=record.reference).update(state="sent", provider_ref=record.id)
    retried = notify(RECEIPT, receipt(record, "permanent-failure"))
    assert retried.json()["result"] == "failed"
    assert callout("anita-rao").channel == "email"


# ---------------------------------------------------------------- the lead: resend and the outcome of a call


def test_resend_sends_the_text_again(
    outage: Incident, channels: LiveChannels, api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    lead = api_as("responder")
    marcus = callout("marcus-hale")
    clock.move_to(NIGHT + timedelta(minutes=5))
    resent = post(lead, f"{INCIDENTS}/1/callouts/{marcus.pk}/resend")
    assert resent.status_code == 200, resent.content
    body = resent.json()
    assert (body["state"], body["step"], body["round"], body["channel"]) == ("waiting", 0, 1, "sms")
    assert body["ackDueAt"] == "2027-03-10T02:20:00Z"
    assert [(m["key"].rsplit(":", 1)[-1], m["state"]) for m in body["messages"]] == [
        ("sms", "sent"),
        ("again1", "pending"),
    ]
    delivery.run_until_idle(worker="test")
    assert [r.to for r in channels.notify.notifications].count("07700 900111") == 2
    [entry] = AuditEntry.objects.filter(object_type="incident-callout")
    assert (entry.actor_name, entry.note, entry.object_key) == (
        lead.username,  # type: ignore[attr-defined]
        "sent again",
        f"incident/1/callouts/{marcus.pk}",
    )
    assert (entry.before, entry.after) == (
        {"state": "waiting", "step": 0, "channel": "sms", "round": 0},
        {"state": "waiting", "step": 0, "channel": "sms", "round": 1},
    )
    assert TimelineEntry.objects.filter(
        text__contains="sent TP1 - information-gathering meeting to Marcus Hale again"
    ).exists()


def test_resend_is_refused_once_acknowledged_or_ended(
    outage: Incident, channels: LiveChannels, api_as: Callable[..., Client], token: str
) -> None:
    lead = api_as("responder")
    helen = callout("helen-marsh")
    notify(INBOUND, reply("447700900101", code_in(sms_to(channels, "helen-marsh"))))
    before = state()
    refused = post(lead, f"{INCIDENTS}/1/callouts/{helen.pk}/resend")
    assert refused.status_code == 409
    assert refused.json() == {"detail": "Helen Marsh has already acknowledged"}
    services.stand_down(incident=outage, actor=None, reason="Fixed", via="test")
    before = state()
    ended = post(lead, f"{INCIDENTS}/1/callouts/{callout('julia-fenwick').pk}/resend")
    assert ended.status_code == 409
    assert ended.json() == {"detail": "the incident has ended: nothing more is sent"}
    assert state() == before


def _after(reached: bool) -> dict[str, Any]:
    if reached:
        return {"state": "acknowledged", "step": 0, "channel": "phone", "round": 0}
    return {"state": "unreached", "step": 1, "channel": "", "round": 0}


@pytest.mark.parametrize("reached", [True, False])
def test_the_outcome_of_a_call_closes_the_call_task(
    outage: Incident, channels: LiveChannels, api_as: Callable[..., Client], reached: bool
) -> None:
    lead = api_as("responder")
    me = lead.username  # type: ignore[attr-defined]
    ring = callout("senior-radiographer")
    assert ring.task is not None and ring.task.state == "open"
    note = "Spoke on the bleep" if reached else "No answer on either number"
    answered = post(lead, f"{INCIDENTS}/1/callouts/{ring.pk}/outcome", {"reached": reached, "note": note})
    assert answered.status_code == 200, answered.content
    body = answered.json()
    task = Task.objects.get(pk=ring.task.pk)
    if reached:
        assert (body["state"], body["acknowledgedAt"]) == ("acknowledged", "2027-03-10T02:00:00Z")
        assert body["acknowledgedVia"] == f"telephone call (recorded by {me}): {note}"
        assert (task.state, task.outcome, task.finished_by_name) == ("done", note, me)
    else:
        # One channel, tried: not reached, moved on exactly once (not once by the task and once more).
        assert (body["state"], body["step"], body["channel"]) == ("unreached", 1, "")
        assert (task.state, task.outcome) == ("skipped", note)
    [entry] = AuditEntry.objects.filter(object_type="incident-callout")
    assert (entry.actor_name, entry.note) == (me, "call recorded: reached" if reached else "call recorded: not reached")
    assert entry.after == {**_after(reached), "note": note}
    again = post(lead, f"{INCIDENTS}/1/callouts/{ring.pk}/outcome", {"reached": reached})
    assert again.status_code == 409
    expected = (
        "Senior radiographer on shift has already acknowledged TP1 - information-gathering meeting"
        if reached
        else "the call-out to Senior radiographer on shift is not reached: there is no wait to end"
    )
    assert again.json() == {"detail": expected}


def test_not_reached_moves_a_text_on_to_email(
    outage: Incident, channels: LiveChannels, api_as: Callable[..., Client]
) -> None:
    anita = callout("anita-rao")
    answered = post(api_as("responder"), f"{INCIDENTS}/1/callouts/{anita.pk}/outcome", {"reached": False})
    assert answered.status_code == 200, answered.content
    assert (answered.json()["step"], answered.json()["channel"]) == (1, "email")
    delivery.run_until_idle(worker="test")
    assert emailed(channels) == ["anita.rao@northwick.example.org"]


def test_an_inform_steps_call_reached_marks_the_target_told(outage: Incident, api_as: Callable[..., Client]) -> None:
    lead = api_as("responder")
    emergency = callout("emergency-department", OUT_OF_HOURS)
    answered = post(lead, f"{INCIDENTS}/1/callouts/{emergency.pk}/outcome", {"reached": True})
    assert answered.status_code == 200, answered.content
    assert answered.json()["acknowledgedVia"] == f"telephone call (recorded by {lead.username})"  # type: ignore[attr-defined]
    target = emergency.inform_task.targets.get(key="emergency-department")  # type: ignore[union-attr]
    assert target.told_at is not None and target.told_by_name == lead.username  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({}, "reached", "request.missing"),
        ({"reached": "maybe"}, "reached", "request.bool_parsing"),
        ({"reached": True, "note": "x" * 201}, "note", "request.string_too_long"),
        ({"reached": True, "how": "phone"}, "how", "request.extra_forbidden"),
    ],
)
def test_a_bad_outcome_is_a_located_422(
    outage: Incident, api_as: Callable[..., Client], body: Any, path: str, code: str
) -> None:
    lead = api_as("responder")
    before = state()
    response = post(lead, f"{INCIDENTS}/1/callouts/{callout('helen-marsh').pk}/outcome", body)
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert (error["path"], error["code"]) == (path, code)
    assert state() == before


def _changes(number: int, pk: int) -> list[tuple[str, Any]]:
    url = f"{INCIDENTS}/{number}/callouts/{pk}"
    return [(f"{url}/resend", {}), (f"{url}/outcome", {"reached": True})]


def test_viewers_read_but_cannot_resend_or_record(outage: Incident, api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    assert viewer.get(f"{INCIDENTS}/1/callouts").status_code == 200
    before = state()
    for url, body in _changes(1, callout("helen-marsh").pk):
        response = post(viewer, url, body)
        assert response.status_code == 403, url
        assert response.json() == {
            "detail": "This needs the respond permission in Northwick General Hospital NHS Foundation Trust."
        }
    assert state() == before


def test_other_organisations_and_incidents_get_404(
    outage: Incident, api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    helen = callout("helen-marsh")
    outsider = api_as("editor", organisation=OTHER_ORG)
    before = state()
    assert outsider.get(f"{INCIDENTS}/1/callouts").json() == {"detail": "No such organisation."}
    assert Client().get(f"{INCIDENTS}/1/callouts").status_code == 401
    for url, body in _changes(1, helen.pk):
        assert post(outsider, url, body).status_code == 404, url
        assert post(outsider, url, body).json() == {"detail": "No such organisation."}
        assert post(Client(), url, body).status_code == 401, url
    # Clearview's own incidents do not reach Northwick's call-outs either.
    other_url = f"{BASE}/organisations/{OTHER_ORG}/incidents/1/callouts/{helen.pk}/resend"
    assert post(outsider, other_url).status_code == 404
    assert state() == before
    # A call-out of another incident of the same organisation.
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    second = services.report(plan=plan, subject="system:pacs", actor=None, answers=ALL_TRUE, via="test")
    responder = api_as("responder")
    before = state()
    for url, body in _changes(second.number, helen.pk):
        response = post(responder, url, body)
        assert response.status_code == 404
        assert response.json() == {"detail": f"Incident #2 has no call-out {helen.pk}."}
    for pk in (0, 2**63, 10**30):
        assert post(responder, f"{INCIDENTS}/1/callouts/{pk}/resend").status_code == 404
    assert state() == before
