"""The call-tree cascade of the demo PACS plan, invoked at 02:00 on a weekday night, with real servers.

SMS and e-mail go to a stand-in for GOV.UK Notify's API and an SMTP server; TP1's call tree reaches
the PACS manager and the senior radiology managers by SMS, then e-mail, then each one's deputy, and
the senior radiographer on shift by a telephone call to make. One manager never answers: her
e-mail goes after 15 minutes and her deputy's SMS after 30; those who acknowledged hear nothing more.
The departments on the out-of-hours list are rung through the inform step's own task.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from contingency.incidents import services, tasks, worker
from contingency.incidents.models import DueAction, Incident, InformTarget, Task, TimelineEntry
from contingency.notify import delivery, dispatch, links
from contingency.notify.models import Callout, Level, Notification
from contingency.plans.models import Plan

from .support.live_channels import LiveChannels

LONDON = ZoneInfo("Europe/London")
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)  # a Wednesday, out of hours
TP1 = "trigger:tp1:0"
DEPARTMENTS = "task:step/pacs-downtime/inform-departments-out-of-hours"
pytestmark = pytest.mark.django_db


class Night:
    def __init__(self, clock: Any, live: LiveChannels) -> None:
        self.clock = clock
        self.live = live
        plan = Plan.objects.get(key="pacs-bcdr")
        reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
        self.incident: Incident = services.invoke(incident=reported, actor=None, via="test")
        self.run()

    def at(self, minutes: int) -> None:
        """Move to `minutes` after 02:00 and let the workers do what is due, as always-on workers would."""
        target = NIGHT + timedelta(minutes=minutes)
        for due in DueAction.objects.filter(state="pending", due_at__lte=target).order_by("due_at"):
            self.clock.move_to(due.due_at)
            self.run()
        self.clock.move_to(target)
        self.run()

    def run(self) -> None:
        worker.run_until_idle(worker="test-worker")
        delivery.run_until_idle(worker="test-delivery")

    def callout(self, event: str, key: str) -> Callout:
        return Callout.objects.get(incident=self.incident, event=event, recipient_key=key)

    def states(self, event: str) -> dict[str, str]:
        rows = Callout.objects.filter(incident=self.incident, event=event).order_by("position")
        return {c.recipient_key: c.state for c in rows}

    def sms(self) -> list[tuple[str, str]]:
        """(number, key) of each SMS received, the key without the incident's id in front."""
        return [(n.to, self._short(n.reference or "")) for n in self.live.notify.notifications]

    def emails(self) -> list[tuple[str, str]]:
        return [(m.rcpt_tos[0], self._short(str(m.message["X-Contingency-Key"]))) for m in self.live.smtp.messages]

    def _short(self, key: str) -> str:
        prefix = f"{self.incident.pk}:"
        return key.removeprefix(prefix) if key.startswith(prefix) else key

    def notes(self) -> list[str]:
        return [e.text for e in TimelineEntry.objects.filter(incident=self.incident, kind="notified").order_by("id")]


@pytest.fixture
def night(demo_plans: list[object], channels: LiveChannels) -> Iterator[Night]:
    with time_machine.travel(NIGHT, tick=False) as clock:
        yield Night(clock, channels)


def test_out_of_hours_cascade_reaches_the_deputy_and_acknowledgements_stop_repeats(night: Night) -> None:
    # 02:00: TP1's call tree by SMS to the PACS manager and each senior radiology manager.
    assert night.sms() == [
        ("07700 900101", "trigger:tp1:0:helen-marsh:sms"),
        ("07700 900110", "trigger:tp1:0:julia-fenwick:sms"),
        ("07700 900111", "trigger:tp1:0:marcus-hale:sms"),
        ("07700 900112", "trigger:tp1:0:anita-rao:sms"),
    ]
    first = night.live.notify.notifications[0].personalisation
    helen = night.callout(TP1, "helen-marsh")
    assert first["subject"] == "Meridian PACS failure: TP1 - information-gathering meeting"
    assert first["body"].startswith("PACS incident: TP1 - information-gathering meeting. Invoked, high severity.")
    assert "Next: TP2 - conference call and board briefing (1st) at 06:00 on Wednesday 10 March." in first["body"]
    assert first["body"].endswith(f"Ack: {links.link(helen.ack_token)} or reply {helen.ack_code}")
    # The team's Teams channel is posted to once; the senior radiographer (a bleep) is a call to make.
    [post] = night.live.webhook.posts("/teams")
    assert post.body["attachments"][0]["content"]["body"][0]["text"].startswith("Meridian PACS failure: TP1")
    [call] = Task.objects.filter(incident=night.incident, source="call")
    assert call.text.startswith("Telephone Senior radiographer on shift on 2200 (bleep); 4310 (extension) and tell")
    # The out-of-hours departments are rung from the inform step's own task: no second list of calls.
    assert night.states(DEPARTMENTS) == {
        "emergency-department": "waiting",
        "urgent-care": "unreached",  # only an in-hours number: nobody to ring at night
        "acute-medical-unit": "waiting",
        "coronary-care": "waiting",
        "critical-care": "waiting",
        "paediatrics": "waiting",
        "bed-manager-on-call": "waiting",
    }
    assert night.notes()[:2] == [
        "Call tree Departments to tell out of hours for Inform every department on the out-of-hours list, "
        "including the bed manager on call: 7 to reach. No way to reach: Urgent care centre.",
        "Urgent care centre not reached for Inform every department on the out-of-hours list, including the bed "
        "manager on call (tried no channel: no address or number). Nobody further to try.",
    ]
    assert "Call tree PACS incident team for TP1 - information-gathering meeting: 5 to reach, 1 channel post(s)." in (
        night.notes()
    )

    # 02:05: three managers acknowledge - by the link (opened twice), by SMS reply, by the link.
    night.at(5)
    julia = night.callout(TP1, "julia-fenwick")
    assert links.token_of(links.link(julia.ack_token).rsplit("/", 2)[1]) == julia.ack_token
    assert dispatch.acknowledge(julia, via="link", at=timezone.now()) is True
    assert dispatch.acknowledge(julia, via="link", at=timezone.now()) is False  # single use
    marcus = night.callout(TP1, "marcus-hale")
    assert dispatch.by_reply(f"ok {marcus.ack_code.lower()} on my way", number="07700 900111", at=NIGHT) == marcus
    assert dispatch.acknowledge(night.callout(TP1, "anita-rao"), via="link", at=timezone.now())
    # 02:10: the senior radiographer answered the bleep; the call task records it.
    night.at(10)
    tasks.finish(task=call, actor=None, done=True, text="Sam Okafor answered bleep 2200", via="test")
    assert night.callout(TP1, "senior-radiographer").acknowledged_via == (
        "telephone call: Sam Okafor answered bleep 2200"
    )

    # 02:15: Helen's wait on SMS ends: e-mail next. Nobody who acknowledged is sent anything.
    night.at(15)
    assert night.emails() == [("helen.marsh@northwick.example.org", "trigger:tp1:0:helen-marsh:email")]
    assert len(night.sms()) == 4
    assert night.states(TP1) == {
        "helen-marsh": "waiting",
        "julia-fenwick": "acknowledged",
        "marcus-hale": "acknowledged",
        "anita-rao": "acknowledged",
        "senior-radiographer": "acknowledged",
    }

    # 02:20: three departments told by phone, recorded on the inform task.
    night.at(20)
    inform = Task.objects.get(incident=night.incident, key="step/pacs-downtime/inform-departments-out-of-hours")
    for key in ("emergency-department", "critical-care", "bed-manager-on-call"):
        tasks.told(target=InformTarget.objects.get(task=inform, key=key), actor=None, how="by phone", via="test")

    # 02:30: Helen has not acknowledged either message: her deputy is reached by SMS. Departments nobody got
    # through to are marked not reached (no fall-back for departments), and stay untold on the task.
    night.at(30)
    assert night.sms()[4:] == [("07700 900102", "trigger:tp1:0:tom-adeyemi:sms")]
    tom = night.callout(TP1, "tom-adeyemi")
    assert (tom.level, tom.fallback_of_id, tom.state) == (Level.DEPUTY, helen.pk, "waiting")
    assert "Helen Marsh has not acknowledged." in night.live.notify.notifications[4].personalisation["body"]
    assert night.callout(TP1, "helen-marsh").state == "unreached"
    assert (
        "Helen Marsh not reached for TP1 - information-gathering meeting (tried sms, email). Trying Tom Adeyemi."
        in (night.notes())
    )
    assert night.states(DEPARTMENTS) == {
        "emergency-department": "acknowledged",
        "urgent-care": "unreached",
        "acute-medical-unit": "unreached",
        "coronary-care": "unreached",
        "critical-care": "acknowledged",
        "paediatrics": "unreached",
        "bed-manager-on-call": "acknowledged",
    }
    untold = InformTarget.objects.filter(task=inform, told_at=None).values_list("key", flat=True)
    assert sorted(untold) == ["acute-medical-unit", "coronary-care", "paediatrics", "urgent-care"]

    # 02:35 Tom replies; nothing more is sent that night: no e-mail to Tom, no escalation to the EPRR manager.
    night.at(35)
    assert dispatch.by_reply(tom.ack_code, number="07700 900102", at=timezone.now()) == tom
    night.at(4 * 60 - 1)
    assert len(night.sms()) == 5 and len(night.emails()) == 1
    assert not Callout.objects.filter(incident=night.incident, recipient_key="claire-dunmore").exists()
    # Never the same message twice to the same person for the same event.
    keys = [key for _, key in night.sms() + night.emails()]
    assert len(keys) == len(set(keys))

    # 06:00: TP2's first call is a new event: the managers are told again, once each.
    night.at(4 * 60 + 1)
    tp2 = [to for to, key in night.sms() if key.startswith("trigger:tp2:0:")]
    assert tp2 == ["07700 900101", "07700 900110", "07700 900111", "07700 900112"]

    # Standing down cancels every wait and every message not yet sent.
    services.stand_down(incident=night.incident, actor=None, reason="PACS restored and checked", via="test")
    assert not Callout.objects.filter(incident=night.incident, state="waiting").exists()
    assert not Notification.objects.filter(incident=night.incident, state="pending").exists()
    night.at(8 * 60)
    assert len([key for _, key in night.sms() if key.startswith("trigger:tp2:0:")]) == 4


def test_a_failed_sms_moves_straight_to_email(night: Night) -> None:
    # A number Notify refuses for good (400): no waiting out the 15 minutes, e-mail goes at once.
    night.live.notify.fail_next(1, status=400)
    night.at(4 * 60 + 1)  # TP2
    helen = night.callout("trigger:tp2:0", "helen-marsh")
    assert helen.step == 1
    [sms] = Notification.objects.filter(callout=helen, channel="sms")
    assert (sms.state, sms.permanent) == ("failed", True)
    assert ("helen.marsh@northwick.example.org", "trigger:tp2:0:helen-marsh:email") in night.emails()


def test_resend_is_a_new_message_and_standing_down_ends_waits(night: Night) -> None:
    helen = night.callout(TP1, "helen-marsh")
    dispatch.resend(helen, at=timezone.now(), by="Incident lead")
    night.run()
    assert [key for _, key in night.sms()].count("trigger:tp1:0:helen-marsh:sms:again1") == 1
    assert dispatch.acknowledge(night.callout(TP1, "helen-marsh"), via="link", at=timezone.now())
    with pytest.raises(dispatch.NotifyError, match="already acknowledged"):
        dispatch.resend(night.callout(TP1, "helen-marsh"), at=timezone.now(), by="Incident lead")
