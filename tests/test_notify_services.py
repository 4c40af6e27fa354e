"""The notification services: the page and the API do the same thing, and each service audits with its `via`.

The demo PACS plan is invoked at 02:00 on a weekday night with every channel a real local server: TP1
texts four managers and makes a task to telephone the senior radiographer (who has only a bleep).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from contingency.core.models import AuditEntry, Role
from contingency.core.tokens import create_token
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident, Task
from contingency.notify import delivery, services
from contingency.notify.dispatch import NotifyError
from contingency.notify.models import Callout, CalloutState, Notification, NotificationState
from contingency.plans.models import Plan

from .support.live_channels import LiveChannels
from .web import HOME_ORG, PACS, make_user

pytestmark = pytest.mark.django_db

NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday, out of hours
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
TP1 = "trigger:tp1:0"
RADIOGRAPHER = "senior-radiographer"  # a bleep and an extension: a call to make, on the checklist


@pytest.fixture
def outage(demo_plans: list[object], channels: LiveChannels) -> Iterator[Incident]:
    with time_machine.travel(NIGHT, tick=False):
        plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
        reported = incidents.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
        incident = incidents.invoke(incident=reported, actor=None, via="test")
        delivery.run_until_idle(worker="test")
        yield incident


def callout(key: str) -> Callout:
    return Callout.objects.select_related("incident__organisation").get(event=TP1, recipient_key=key)


def audits(kind: str = "incident-callout") -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(object_type=kind).order_by("id").values_list("actor_name", "note"))


# ---------------------------------------------------------------- the page and the API, alike


def on_the_page(member: Callable[..., Client], found: Callout, reached: bool) -> str:
    client = member("responder")
    url = reverse("callout-call", kwargs={"org": HOME_ORG, "number": found.incident.number, "callout": found.pk})
    outcome = "reached" if reached else "not-reached"
    assert client.post(url, {"outcome": outcome, "step": str(found.step)}).status_code == 302
    return str(client.get(reverse("account")).wsgi_request.user.get_username())


def over_the_api(member: Callable[..., Client], found: Callout, reached: bool) -> str:
    user = make_user("api-responder", HOME_ORG, Role.RESPONDER)
    _, plain = create_token(user, "test")
    url = f"/api/v1/organisations/{HOME_ORG}/incidents/{found.incident.number}/callouts/{found.pk}/outcome"
    answered = Client(headers={"Authorization": f"Bearer {plain}"}).post(
        url, json.dumps({"reached": reached}), content_type="application/json"
    )
    assert answered.status_code == 200, answered.content
    return user.username


@pytest.mark.parametrize("record", [on_the_page, over_the_api], ids=["page", "api"])
@pytest.mark.parametrize("reached", [True, False], ids=["reached", "not-reached"])
def test_a_call_outcome_closes_the_telephone_task_on_the_page_and_over_the_api(
    outage: Incident, member: Callable[..., Client], record: Callable[..., str], reached: bool
) -> None:
    ring = callout(RADIOGRAPHER)
    assert ring.task is not None and ring.task.state == "open"
    with time_machine.travel(NIGHT + timedelta(minutes=3), tick=False):
        who = record(member, ring, reached)
    call = ring.task
    ring = callout(RADIOGRAPHER)
    task = Task.objects.get(pk=call.pk)
    if reached:
        assert (ring.state, ring.acknowledged_via) == ("acknowledged", f"telephone call (recorded by {who})")
        assert (task.state, task.outcome, task.finished_by_name) == (
            "done",
            "Reached: recorded with the call-out.",
            who,
        )
    else:
        # Only the one channel: not reached, the fall-back begins; moved on once, not once per route.
        assert (ring.state, ring.step) == ("unreached", 1)
        assert (task.state, task.outcome, task.finished_by_name) == ("skipped", "Not reached.", who)
    assert audits() == [(who, "call recorded: reached" if reached else "call recorded: not reached")]
    assert audits("incident-task") == [(who, "done" if reached else "skipped")]


# ---------------------------------------------------------------- each service audits itself, with its via


def test_resend_audits_with_its_via(outage: Incident) -> None:
    with time_machine.travel(NIGHT + timedelta(minutes=5), tick=False):
        sent = services.resend(callout=callout("marcus-hale"), actor=None, via="command line")
    assert (sent.round, sent.step, sent.state) == (1, 0, CalloutState.WAITING)
    [entry] = AuditEntry.objects.filter(object_type="incident-callout")
    assert (entry.actor_name, entry.note, entry.object_label) == (
        "command line",
        "sent again",
        "Marcus Hale for TP1 - information-gathering meeting",
    )
    assert entry.before is not None and entry.after is not None
    assert (entry.before["round"], entry.after["round"]) == (0, 1)


def test_record_call_audits_with_its_via_and_refuses_a_wait_that_moved_on(outage: Incident) -> None:
    anita = callout("anita-rao")
    with pytest.raises(NotifyError, match="moved on while you were calling"):
        services.record_call(callout=anita, reached=False, step=anita.step + 1, actor=None, via="web")
    assert audits() == [] and callout("anita-rao").step == 0
    moved = services.record_call(callout=anita, reached=False, note="Voicemail", actor=None, via="rota desk")
    assert (moved.step, moved.channel) == (1, "email")
    [entry] = AuditEntry.objects.filter(object_type="incident-callout")
    assert (entry.actor_name, entry.note, entry.after) == (
        "rota desk",
        "call recorded: not reached",
        {"state": "waiting", "step": 1, "channel": "email", "round": 0, "note": "Voicemail"},
    )


def test_acknowledge_audits_with_its_via_once_and_refuses_an_ended_incident(outage: Incident) -> None:
    julia = callout("julia-fenwick")
    assert services.acknowledge(callout=julia, actor=None, via="acknowledgement link") is True
    assert services.acknowledge(callout=julia, actor=None, via="acknowledgement link") is False
    assert audits() == [("acknowledgement link", "acknowledged by link")]
    assert callout("julia-fenwick").acknowledged_via == "link"
    incidents.stand_down(incident=outage, actor=None, reason="Restored", via="test")
    with pytest.raises(NotifyError, match="nothing more is recorded"):
        services.acknowledge(callout=callout("helen-marsh"), actor=None, via="acknowledgement link")
    assert len(audits()) == 1


def test_an_sms_reply_audits_with_its_via(outage: Incident) -> None:
    helen = callout("helen-marsh")
    replied = services.sms_reply(text=f"ok {helen.ack_code.lower()}", number="447700900101", actor=None, via="Notify")
    assert (replied.result, replied.callout) == ("acknowledged", helen)
    assert callout("helen-marsh").acknowledged_via == "SMS reply from 447700900101"
    assert services.sms_reply(text=helen.ack_code, number="", actor=None, via="Notify").result == (
        "already-acknowledged"
    )
    assert services.sms_reply(text="thanks", number="", actor=None, via="Notify") == services.Reply("no-match")
    assert audits() == [("Notify", "acknowledged by SMS reply")]


def test_a_delivery_receipt_audits_with_its_via(outage: Incident) -> None:
    text = Notification.objects.get(callout=callout("marcus-hale"), channel="sms")
    assert text.state == NotificationState.SENT and text.provider_ref
    done = services.delivery_receipt(
        reference=text.key, provider_id=text.provider_ref, status="permanent-failure", actor=None, via="Notify"
    )
    assert (done.result, done.error) == ("failed", services.FAILURES["permanent-failure"][1])
    assert (callout("marcus-hale").step, callout("marcus-hale").channel) == (1, "email")  # moved on now
    assert audits("incident-notification") == [("Notify", "permanent-failure")]
    again = services.delivery_receipt(
        reference=text.key, provider_id=text.provider_ref, status="permanent-failure", actor=None, via="Notify"
    )
    assert (again.result, again.state) == ("unchanged", "failed")
    unknown = services.delivery_receipt(reference=None, provider_id="nope", status="delivered", actor=None, via="x")
    assert unknown.result == "unknown" and len(audits("incident-notification")) == 1


def test_a_refused_service_changes_nothing(outage: Incident) -> None:
    incidents.stand_down(incident=outage, actor=None, reason="Restored", via="test")
    ring = callout(RADIOGRAPHER)
    before: list[Any] = [ring.state, ring.step, ring.task.state if ring.task else None]
    with pytest.raises(NotifyError, match="the incident has ended: nothing more is recorded"):
        services.record_call(callout=ring, reached=True, actor=None, via="web")
    with pytest.raises(NotifyError, match="the incident has ended: nothing more is sent"):
        services.resend(callout=ring, actor=None, via="web")
    ring = callout(RADIOGRAPHER)
    assert [ring.state, ring.step, ring.task.state if ring.task else None] == before
    assert audits() == []
