"""The notification pages: who has been reached on the incident page, the lead's actions, the acknowledgement
page, and the preview of a plan's call trees and messages.

The demo PACS plan is invoked at 02:00 on a weekday night (out of hours) with every channel a real local
server (the `channels` fixture): SMS and e-mail through a stand-in for GOV.UK Notify and an SMTP server, the
radiology Teams channel through a webhook server. The workers run as always-on workers would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from contingency.core.models import AuditEntry
from contingency.incidents import services, tasks, worker
from contingency.incidents.models import DueAction, Incident, Task, TimelineEntry
from contingency.notify import delivery, dispatch, links
from contingency.notify.models import Callout, CalloutState, Notification
from contingency.plans.models import Plan
from contingency.web.notify.preview import sms_length

from .support.live_channels import LiveChannels
from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)  # a Wednesday, out of hours
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
TP1 = "trigger:tp1:0"
DEPARTMENTS = "task:step/pacs-downtime/inform-departments-out-of-hours"


class _Text(HTMLParser):
    """The text inside the element with one id: tags dropped, blocks apart, whitespace collapsed."""

    VOID = frozenset({"br", "input", "img", "meta", "link", "hr", "wbr", "source", "area", "col", "embed"})
    BLOCK = frozenset(
        {"p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "div", "section", "ul", "ol", "dl", "table", "tr", "td"}
        | {"th", "br", "summary", "legend", "details", "form"}
    )

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.found = wanted, 0, False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            if tag not in self.VOID:
                self.depth += 1
        elif dict(attrs).get("id") == self.wanted:
            self.found, self.depth = True, 1
        if self.depth and tag in self.BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag in self.BLOCK:
            self.parts.append(" ")
        if self.depth and tag not in self.VOID:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text_of(response: Any, element_id: str) -> str:
    parser = _Text(element_id)
    parser.feed(response.content.decode())
    assert parser.found, f"no element with id {element_id!r}"
    return " ".join("".join(parser.parts).split())


def said(response: Any) -> str:
    """The words of the page's main content, as a reader sees them."""
    return text_of(response, "main")


class Night:
    """The PACS plan invoked at 02:00, with the workers run whenever the clock moves."""

    def __init__(self, clock: Any, live: LiveChannels) -> None:
        self.clock = clock
        self.live = live
        plan = Plan.objects.get(key=PACS, organisation__slug=HOME_ORG)
        reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
        self.incident: Incident = services.invoke(incident=reported, actor=None, via="test")
        self.run()

    def at(self, minutes: int) -> None:
        target = NIGHT + timedelta(minutes=minutes)
        for due in DueAction.objects.filter(state="pending", due_at__lte=target).order_by("due_at"):
            self.clock.move_to(due.due_at)
            self.run()
        self.clock.move_to(target)
        self.run()

    def run(self) -> None:
        worker.run_until_idle(worker="test-worker")
        delivery.run_until_idle(worker="test-delivery")

    def callout(self, key: str, event: str = TP1) -> Callout:
        return Callout.objects.get(incident=self.incident, event=event, recipient_key=key)

    def url(self, name: str = "incident", **extra: Any) -> str:
        return reverse(name, kwargs={"org": HOME_ORG, "number": self.incident.number, **extra})

    def action(self, name: str, key: str, event: str = TP1) -> str:
        return self.url(name, callout=self.callout(key, event).pk)

    def sms_to(self, number: str) -> list[str]:
        return [n.reference or "" for n in self.live.notify.notifications if n.to == number]

    def emails_to(self, address: str) -> list[str]:
        return [str(m.message["X-Contingency-Key"]) for m in self.live.smtp.messages if m.rcpt_tos[0] == address]


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def start(demo_plans: list[object], channels: LiveChannels, clock: Any) -> Callable[..., Night]:
    def make(*, fail_first_sms: bool = False) -> Night:
        if fail_first_sms:
            channels.notify.fail_next(1, status=400)  # Helen's: a permanent refusal, so e-mail goes at once
        return Night(clock, channels)

    return make


@pytest.fixture
def night(start: Callable[..., Night]) -> Night:
    return start()


def ack_path(callout: Callout) -> str:
    return reverse("callout-ack", kwargs={"signed": links.signed(callout.ack_token)})


def audits(kind: str = "incident-callout") -> list[tuple[str, str]]:
    return list(AuditEntry.objects.filter(object_type=kind).order_by("id").values_list("object_key", "note"))


# ---------------------------------------------------------------- the panel


def test_the_panel_shows_who_was_reached_by_what_and_who_was_not(start, member) -> None:
    night = start(fail_first_sms=True)
    viewer = member("viewer")
    page = viewer.get(night.url())
    assert page.status_code == 200
    assert "Who has been reached" in said(page)
    helen = night.callout("helen-marsh")
    # Helen's SMS was refused for good, so her e-mail went at once; the page says both, with the error.
    row = text_of(page, f"callout-{helen.pk}")
    assert row.startswith(
        "Helen Marsh (PACS Manager) Waiting trying e-mail until 02:15, then their deputy, Tom Adeyemi"
    )
    assert "SMS: failed to 07700 900101 Error:" in row
    assert "E-mail: sent to helen.marsh@northwick.example.org · sent Wed 10 Mar 02:00" in row
    # The senior radiographer has only a bleep and an extension: a call to make, on the checklist.
    radiographer = night.callout("senior-radiographer")
    row = text_of(page, f"callout-{radiographer.pk}")
    assert "Waiting trying telephone call until 02:15" in row
    assert f'href="#task-{radiographer.task_id}"' in page.content.decode()
    assert "Telephone call: call to make on 2200 (bleep); 4310 (extension)" in row
    # The urgent care centre has only an in-hours number: nobody to ring at night, and it says so.
    urgent = night.callout("urgent-care", DEPARTMENTS)
    assert "Not reached No way to reach them" in text_of(page, f"callout-{urgent.pk}")
    panel = text_of(page, "reached")
    assert "7 to reach, 0 acknowledged, 6 waiting, 1 not reached Not reached: Urgent care centre" in panel
    # The Teams post is listed under TP1's event.
    tp1 = panel.split("TP1 - information-gathering meeting, PACS incident team Started Wed 10 Mar 02:00")[1]
    assert "Channel post: sent PACS incident team (radiology-teams) · sent Wed 10 Mar 02:00" in tp1.split("Inform")[0]

    # 02:05: acknowledgements by the link, by SMS reply, and by the call task; 02:16 Helen's e-mail wait ends.
    night.at(5)
    dispatch.acknowledge(night.callout("julia-fenwick"), via="link", at=timezone.now())
    dispatch.by_reply(night.callout("marcus-hale").ack_code, number="07700 900111", at=timezone.now())
    dispatch.acknowledge(night.callout("anita-rao"), via="link", at=timezone.now())
    [call] = Task.objects.filter(incident=night.incident, source="call")
    tasks.finish(task=call, actor=None, done=True, text="Sam Okafor answered bleep 2200", via="test")
    night.at(15)

    live = viewer.get(night.url("incident-live"))  # the polled region carries the panel too
    assert live.status_code == 200
    counts = text_of(live, "reached")
    assert counts.startswith("Who has been reached 13 to reach 4 acknowledged 7 waiting 2 not reached")
    julia = text_of(live, f"callout-{night.callout('julia-fenwick').pk}")
    assert "Acknowledged at Wed 10 Mar 02:05 by the link in the message" in julia
    marcus = text_of(live, f"callout-{night.callout('marcus-hale').pk}")
    assert "Acknowledged at Wed 10 Mar 02:05 by SMS reply from 07700 900111" in marcus
    assert "Acknowledged at Wed 10 Mar 02:05 by telephone call: Sam Okafor answered bleep 2200" in text_of(
        live, f"callout-{radiographer.pk}"
    )
    helen_row = text_of(live, f"callout-{helen.pk}")
    assert "Not reached Not reached (tried sms, email) at 02:15." in helen_row
    tom = night.callout("tom-adeyemi")
    tom_row = text_of(live, f"callout-{tom.pk}")
    assert tom_row.startswith("Tom Adeyemi (Deputy PACS Manager) deputy for Helen Marsh Waiting trying SMS until 02:30")
    assert "SMS: sent to 07700 900102 · sent Wed 10 Mar 02:15" in tom_row
    panel = text_of(live, "reached")
    assert "6 to reach, 4 acknowledged, 1 waiting, 1 not reached Not reached: Helen Marsh" in panel
    # A viewer sees everything and can change nothing.
    assert "Send again" not in panel and "Record a call" not in panel


def test_a_resend_after_a_worker_crash_is_marked_maybe_twice(night, member) -> None:
    anita = night.callout("anita-rao")
    Notification.objects.filter(callout=anita).update(maybe_duplicate=True)
    page = member("viewer").get(night.url())
    assert "SMS: sent to 07700 900112 · sent Wed 10 Mar 02:00 · may have been sent twice" in text_of(
        page, f"callout-{anita.pk}"
    )


def test_the_panel_is_absent_when_nobody_is_notified(demo_plans, member, clock) -> None:
    plan = Plan.objects.get(key=PACS, organisation__slug=HOME_ORG)
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
    page = member("viewer").get(reverse("incident", kwargs={"org": HOME_ORG, "number": reported.number}))
    assert page.status_code == 200 and "Who has been reached" not in said(page)


# ---------------------------------------------------------------- the lead's actions


def test_send_again_sends_a_new_message_and_is_audited(night, member) -> None:
    lead = member("responder")
    helen = night.callout("helen-marsh")
    response = lead.post(night.action("callout-resend", "helen-marsh"))
    assert response.status_code == 302
    assert response["Location"].endswith(f"/incidents/{night.incident.number}/#callout-{helen.pk}")
    night.run()
    key = f"{night.incident.pk}:{TP1}:helen-marsh:sms"
    assert night.sms_to("07700 900101") == [key, f"{key}:again1"]
    helen.refresh_from_db()
    assert (helen.round, helen.step, helen.state) == (1, 0, CalloutState.WAITING)
    [(key, note)] = audits()
    assert (key, note) == (f"incident/{night.incident.number}/callouts/{helen.pk}", "sent again")
    entry = AuditEntry.objects.get(object_type="incident-callout")
    assert entry.before is not None and entry.after is not None
    assert entry.before["round"] == 0 and entry.after["round"] == 1 and entry.actor_name.startswith("responder-")
    page = lead.get(response["Location"])
    assert "Sent again to Helen Marsh, by SMS." in said(page)
    assert "SMS: sent to 07700 900101 · sent Wed 10 Mar 02:00 · sent again" in text_of(page, f"callout-{helen.pk}")


def test_record_a_call_reached_acknowledges_and_not_reached_moves_on(night, member) -> None:
    lead = member("responder")
    username = lead.get(reverse("account")).wsgi_request.user.get_username()
    anita = night.callout("anita-rao")
    response = lead.post(night.action("callout-call", "anita-rao"), {"outcome": "reached", "step": "0"})
    assert response.status_code == 302
    anita.refresh_from_db()
    assert anita.state == CalloutState.ACKNOWLEDGED
    assert anita.acknowledged_via == f"telephone call (recorded by {username})"
    assert TimelineEntry.objects.filter(
        incident=night.incident, text__startswith=f"Dr Anita Rao (recorded by {username}) acknowledged"
    ).exists()

    # Marcus did not answer: the SMS wait ends now and his e-mail goes, without waiting out the 15 minutes.
    response = lead.post(night.action("callout-call", "marcus-hale"), {"outcome": "not-reached", "step": "0"})
    assert response.status_code == 302
    night.run()
    marcus = night.callout("marcus-hale")
    assert (marcus.step, marcus.channel, marcus.state) == (1, "email", CalloutState.WAITING)
    assert night.emails_to("marcus.hale@northwick.example.org") == [f"{night.incident.pk}:{TP1}:marcus-hale:email"]
    page = lead.get(response["Location"])
    assert "Recorded: Marcus Hale not reached. Now trying e-mail." in said(page)
    assert [note for _, note in audits()] == ["call recorded: reached", "call recorded: not reached"]


def test_refused_actions_say_why_and_change_nothing(night, member) -> None:
    lead = member("responder")
    dispatch.acknowledge(night.callout("anita-rao"), via="link", at=timezone.now())
    urgent = night.callout("urgent-care", DEPARTMENTS)
    before = list(Callout.objects.order_by("pk").values_list("state", "step", "round"))
    notifications = Notification.objects.count()
    cases = [
        (night.action("callout-call", "julia-fenwick"), {}, "choose whether you got through to julia fenwick"),
        (night.action("callout-call", "julia-fenwick"), {"outcome": "maybe"}, "choose whether you got through"),
        (night.action("callout-resend", "anita-rao"), {}, "anita rao has already acknowledged"),
        (night.action("callout-call", "anita-rao"), {"outcome": "reached"}, "anita rao has already acknowledged"),
        (night.url("callout-resend", callout=urgent.pk), {}, "has no address or number in the plan"),
        (night.url("callout-call", callout=urgent.pk), {"outcome": "not-reached"}, "there is no wait to end"),
        (night.action("callout-call", "julia-fenwick"), {"outcome": "not-reached", "step": "3"}, "moved on while"),
    ]
    for url, data, message in cases:
        response = lead.post(url, data)
        assert response.status_code == 400, (url, data)
        text = said(response).lower()
        assert "there is a problem" in text and message in text, (data, message)
        assert "nothing has been changed" in text
    assert list(Callout.objects.order_by("pk").values_list("state", "step", "round")) == before
    assert Notification.objects.count() == notifications
    assert audits() == []
    # The message sits beside the call-out's form, which stays open, and the summary links to it.
    julia = night.callout("julia-fenwick")
    response = lead.post(night.action("callout-call", "julia-fenwick"), {})
    body = response.content.decode()
    assert f'href="#callout-{julia.pk}-call-outcome"' in body
    assert f'<details id="callout-{julia.pk}-call-d" open>' in body
    assert 'hx-trigger="every 15s"' not in body  # no refresh wipes the message away


def test_the_incident_ended_refuses_changes(night, member) -> None:
    lead = member("responder")
    services.stand_down(incident=night.incident, actor=None, reason="restored", via="test")
    helen = night.callout("helen-marsh")
    assert helen.state == CalloutState.CANCELLED
    for name, data in (("callout-resend", {}), ("callout-call", {"outcome": "reached"})):
        response = lead.post(night.action(name, "helen-marsh"), data)
        assert response.status_code == 400
        assert "the incident has ended" in said(response).lower()
    assert night.callout("helen-marsh").state == CalloutState.CANCELLED and audits() == []


def test_viewers_and_other_organisations_cannot_act(night, member) -> None:
    viewer = member("viewer")
    outsider = member("viewer", "responder", "editor", organisation=OTHER_ORG)
    mine = Callout.objects.filter(incident=night.incident).order_by("pk")
    before = list(mine.values_list("state", "step", "round"))
    for name, data in (("callout-resend", {}), ("callout-call", {"outcome": "reached"})):
        url = night.action(name, "helen-marsh")
        assert viewer.post(url, data).status_code == 403
        assert outsider.post(url, data).status_code == 404
    # A call-out is only reachable through its own incident.
    other = services.invoke(
        incident=services.report(
            plan=Plan.objects.get(key=PACS, organisation__slug=HOME_ORG), subject="system:pacs", actor=None,
            answers=CHECKS, via="test",
        ),
        actor=None,
        via="test",
    )  # fmt: skip
    wrong = reverse(
        "callout-resend",
        kwargs={"org": HOME_ORG, "number": other.number, "callout": night.callout("helen-marsh").pk},
    )
    assert member("responder").post(wrong).status_code == 404
    assert outsider.get(night.url()).status_code == 404
    assert list(mine.values_list("state", "step", "round")) == before
    assert audits() == []


# ---------------------------------------------------------------- the acknowledgement page


def test_the_ack_page_shows_the_message_and_get_changes_nothing(night) -> None:
    julia = night.callout("julia-fenwick")
    pending = list(Notification.objects.order_by("pk").values_list("state", flat=True))
    notes = TimelineEntry.objects.count()
    phone = Client()  # not signed in
    for _ in range(2):
        page = phone.get(ack_path(julia))
        assert page.status_code == 200
    text = said(page)
    assert "For Julia Fenwick from Northwick General Hospital" in text
    assert "Meridian PACS failure: TP1 - information-gathering meeting" in page.content.decode().split("<h1>")[1]
    assert "Julia Fenwick, TP1 - information-gathering meeting for Meridian PACS failure." in text
    assert "I have received this" in text
    assert (
        "no-store" in page["Cache-Control"]
        and '<meta name="robots" content="noindex, nofollow">' in page.content.decode()
    )
    julia.refresh_from_db()
    assert julia.state == CalloutState.WAITING and julia.acknowledged_at is None
    assert list(Notification.objects.order_by("pk").values_list("state", flat=True)) == pending
    assert TimelineEntry.objects.count() == notes and audits() == []


def test_posting_acknowledges_once(night, member) -> None:
    helen = night.callout("helen-marsh")
    phone = Client(enforce_csrf_checks=True)
    page = phone.get(ack_path(helen))
    token = phone.cookies["csrftoken"].value
    done = phone.post(ack_path(helen), {"csrfmiddlewaretoken": token})
    assert done.status_code == 200
    assert "Thank you: received Recorded at 02:00 on Wednesday 10 March 2027." in said(done)
    helen.refresh_from_db()
    assert (helen.state, helen.acknowledged_via, helen.acknowledged_at) == ("acknowledged", "link", NIGHT)
    assert [note for _, note in audits()] == ["acknowledged by link"]
    # Her e-mail, due at 02:15, is never sent; a second press changes nothing.
    night.at(60)
    assert night.emails_to("helen.marsh@northwick.example.org") == []
    again = phone.post(ack_path(helen), {"csrfmiddlewaretoken": token})
    assert again.status_code == 200
    assert "Already acknowledged This message was acknowledged at 02:00 on Wednesday 10 March 2027 with this link." in (
        said(again)
    )
    assert night.callout("helen-marsh").acknowledged_at == NIGHT
    assert len(audits()) == 1
    assert TimelineEntry.objects.filter(incident=night.incident, text__contains="Helen Marsh acknowledged").count() == 1
    assert page.status_code == 200
    # The incident page shows it.
    incident_page = member("viewer").get(night.url())
    assert "Acknowledged at Wed 10 Mar 02:00 by the link in the message" in text_of(
        incident_page, f"callout-{helen.pk}"
    )


def test_altered_unknown_and_expired_links(night) -> None:
    julia = night.callout("julia-fenwick")
    signed = links.signed(julia.ack_token)
    phone = Client()
    altered = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    for path in (
        reverse("callout-ack", kwargs={"signed": altered}),
        reverse("callout-ack", kwargs={"signed": julia.ack_token}),
    ):
        for method in (phone.get, phone.post):
            response = method(path)
            assert response.status_code == 404
            assert "This acknowledgement link is not valid" in said(response)
    unknown = reverse("callout-ack", kwargs={"signed": links.signed("no-such-token")})
    assert phone.get(unknown).status_code == 404
    assert "not for any message we sent" in said(phone.get(unknown))

    sent = ack_path(julia)  # signed at 02:00, as the message was
    night.clock.move_to(NIGHT + timedelta(hours=settings.CONTINGENCY_ACK_LINK_HOURS, minutes=1))
    for method in (phone.get, phone.post):
        response = method(sent)
        assert response.status_code == 410
        text = said(response)
        assert "This link has expired" in text and "reply to it with the code" in text
    assert night.callout("julia-fenwick").acknowledged_at is None
    assert audits() == []


def test_an_ended_incident_takes_no_acknowledgement(night) -> None:
    julia = night.callout("julia-fenwick")
    services.stand_down(incident=night.incident, actor=None, reason="PACS restored", via="test")
    phone = Client()
    page = phone.get(ack_path(julia))
    assert page.status_code == 200
    assert "This incident has ended" in said(page) and "I have received this" not in said(page)
    refused = phone.post(ack_path(julia))
    assert refused.status_code == 409
    assert "nothing was recorded" in said(refused)
    assert night.callout("julia-fenwick").acknowledged_at is None and audits() == []


# ---------------------------------------------------------------- the preview


def test_the_preview_renders_the_demo_plans_call_trees_and_messages(demo_plans, channels, member, clock) -> None:
    viewer = member("viewer")
    plan_page = viewer.get(reverse("plan", kwargs={"org": HOME_ORG, "plan": PACS}))
    url = reverse("plan-messages", kwargs={"org": HOME_ORG, "plan": PACS})
    assert f'href="{url}"' in plan_page.content.decode()
    page = viewer.get(url)
    assert page.status_code == 200
    text = said(page)
    assert "it is out of hours now" in text
    team = text_of(page, "tree-incident-team")
    assert team.startswith("PACS incident team Audience Helen Marsh; each member of Senior radiology managers;")
    assert "Channels, in order SMS, then e-mail Wait on each 15 minutes for an acknowledgement" in team
    assert "Fall-back Each person's deputy, then Claire Dunmore" in team
    assert "Posts to radiology-teams Message incident-meeting" in team
    assert "Trigger point: TP1 - information-gathering meeting" in team
    assert "Trigger point: TP3 - service restored (message service-restored)" in team
    # Who it reaches, here: SMS first, then e-mail; the radiographer on shift by a call.
    assert "Helen Marsh (PACS Manager) SMS: 07700 900101 E-mail: helen.marsh@northwick.example.org Deputy: Tom" in team
    assert "Telephone call: 2200 (bleep); 4310 (extension)" in team
    departments = text_of(page, "tree-departments-out-of-hours")
    assert "Used by Inform step: PACS downtime" in departments
    night = departments.split("Who it reaches out of hours (now)")[1]
    assert "1 with no way to reach them." in night
    assert "Urgent care centre No way to reach no address or number at this time of day." in night
    # The messages, filled in with example facts.
    meeting = text_of(page, "message-incident-meeting")
    assert "Subject Meridian PACS failure: TP1 - information-gathering meeting" in meeting
    assert "Status: Invoked, high severity. Affected: Diagnostic image viewing and reporting." in meeting
    assert "Sent for: Trigger point TP1 - information-gathering meeting (call tree PACS incident team)" in meeting
    example = links.link("example-token-for-the-preview-00")
    assert f"Ack: {example} or reply K7PX3M9Q" in meeting
    sms = text_of(page, "message-incident-meeting-sms")
    assert sms.startswith("PACS incident: TP1 - information-gathering meeting. Invoked, high severity. Next: TP2")
    assert 160 < len(sms) <= 306
    assert text_of(page, "message-incident-meeting-sms-length") == f"{len(sms)} characters: 2 SMS fragments."
    for key in ("departments-pacs-down", "service-restored"):
        assert text_of(page, f"message-{key}")
    restored = text_of(page, "message-service-restored")
    assert "The acknowledgement link and reply code are added at the end" in restored


def test_the_preview_without_channels_rings_everyone(demo_plans, member, clock) -> None:
    page = member("viewer").get(reverse("plan-messages", kwargs={"org": HOME_ORG, "plan": PACS}))
    assert page.status_code == 200
    team = text_of(page, "tree-incident-team")
    assert "Not configured on this installation: SMS, e-mail." in said(page)
    assert "Helen Marsh (PACS Manager) Telephone call: 07700 900101 (mobile)" in team
    assert "radiology-teams not configured here" in team


def test_an_outsider_cannot_see_the_preview(demo_plans, member) -> None:
    url = reverse("plan-messages", kwargs={"org": HOME_ORG, "plan": PACS})
    assert member("editor", organisation=OTHER_ORG).get(url).status_code == 404
    assert Client().get(url).status_code == 302


@pytest.mark.parametrize(
    ("text", "characters", "fragments", "gsm"),
    [
        ("a" * 160, 160, 1, True),
        ("a" * 161, 161, 2, True),
        ("a" * 306, 306, 2, True),
        ("a" * 307, 307, 3, True),
        ("€" * 80, 160, 1, True),  # the extension table: two septets each
        ("{" * 81, 162, 2, True),
        ("é, à and £ are GSM", 18, 1, True),
        ("it\u2019s" + "a" * 66, 70, 1, False),  # a curly apostrophe: UCS-2, 70 in one
        ("it\u2019s" + "a" * 67, 71, 2, False),
    ],
    ids=["160", "161", "306", "307", "euro", "brace", "accents", "ucs2-70", "ucs2-71"],
)
def test_sms_length(text: str, characters: int, fragments: int, gsm: bool) -> None:
    found = sms_length(text)
    assert (found.characters, found.fragments, found.gsm) == (characters, fragments, gsm)
    assert ("approx." in found.words) is (not gsm)
