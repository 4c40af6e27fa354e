"""A whole PACS outage from the demo plan, driven through time with a controllable clock.

Two runs of the same story, because no UK date puts a daylight-saving change and a bank-holiday
Monday on one weekend after a working Friday (the spring change comes on Easter Sunday only
when Good Friday, itself a bank holiday, is the Friday):

- Spring bank holiday 2027: reported Friday 28 May 16:40, out of hours from 17:00 until
  Tuesday 08:00 because Monday 31 May is a bank holiday.
- Clocks go back 2027: reported Friday 29 October 16:40; the daily TP2 call keeps its 20:45
  wall-clock time across Sunday 31 October, so that gap is 25 hours.

Both: invoked 16:45, TP1 at once, TP2 daily from 4h after invocation until 5 days, the day-5
escalation (TP4) and the 5-day duration rule at 16:40 on Wednesday, restoration on day 6,
the on-restoration TP3, review and stand-down. The worker runs at every moment something is
due, as an always-on worker would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.core.models import Role
from contingency.incidents import reports, review, services, tasks, worker
from contingency.incidents.models import DueAction, Incident, Task, TimelineEntry
from contingency.plans.models import Plan

from .web import HOME_ORG, make_user

LONDON = ZoneInfo("Europe/London")
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}
pytestmark = pytest.mark.django_db


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)  # type: ignore[misc,arg-type]


class Outage:
    """Drives one incident: the clock, the worker, and what the tests read back."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.incident: Incident | None = None

    def at(self, moment: datetime) -> None:
        """Move to `moment`, stopping at every due action on the way, as an always-on worker would."""
        while True:
            due = (
                DueAction.objects.filter(state="pending", due_at__lte=moment)
                .order_by("due_at")
                .values_list("due_at", flat=True)
                .first()
            )
            if due is None:
                break
            self.clock.move_to(due)
            worker.run_until_idle(worker="test-worker")
        self.clock.move_to(moment)
        worker.run_until_idle(worker="test-worker")

    @property
    def inc(self) -> Incident:
        assert self.incident is not None
        self.incident.refresh_from_db()
        return self.incident

    def tasks(self, **filters: Any) -> list[tuple[str, str, str]]:
        # The plan's own tasks: calls its call trees ask for are test_notify_cascade.py's business.
        rows = Task.objects.filter(incident=self.inc, **filters).exclude(source="call").order_by("position")
        return [(t.key, t.state, t.who_name) for t in rows]

    def task(self, key: str) -> Task:
        return Task.objects.get(incident=self.inc, key=key)

    def timeline(self, kind: str) -> list[tuple[str, str]]:
        return [
            (e.at.astimezone(LONDON).strftime("%a %d %b %H:%M"), e.text)
            for e in TimelineEntry.objects.filter(incident=self.inc, kind=kind)
        ]

    def due(self, kind: str = "trigger") -> list[tuple[str, int, str, str]]:
        return [
            (d.key, d.sequence, d.due_at.astimezone(LONDON).strftime("%a %d %b %H:%M %Z"), d.state)
            for d in DueAction.objects.filter(incident=self.inc, kind=kind).order_by("due_at", "key", "sequence")
        ]


@pytest.fixture
def outage(demo_plans: list[object]) -> Iterator[Outage]:
    with time_machine.travel(local(2027, 1, 4, 9, 0), tick=False) as clock:
        yield Outage(clock)


TP1 = [
    ("trigger/tp1#0/convene", "open", "PACS team"),
    ("trigger/tp1#0/0", "open", "PACS team"),
    ("trigger/tp1#0/1", "open", "Senior radiographer on shift"),
    ("trigger/tp1#0/2", "open", "PACS team"),
    ("trigger/tp1#0/3", "open", "PACS team"),
    ("trigger/tp1#0/4", "open", "Senior radiology managers"),
    ("trigger/tp1#0/5", "open", "PACS team"),
]
RESPONSE_IN_HOURS = [
    ("step/pacs-downtime/call-pacs-team", "open", "Senior radiographer on shift"),
    ("step/pacs-downtime/impact-assessment", "open", "PACS team"),
    ("step/pacs-downtime/vendor-call-in-hours", "open", "PACS team"),
    ("step/pacs-downtime/inform-departments-in-hours", "open", "PACS team"),
    ("step/pacs-downtime/start-cd-burning", "open", "Senior radiographer on shift"),
    ("step/pacs-downtime/downtime-log", "open", "Senior radiographer on shift"),
]


def report_and_invoke(outage: Outage, friday: datetime) -> None:
    plan = Plan.objects.get(key="pacs-bcdr")
    outage.at(friday)
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
    assert (reported.state, reported.assessment, reported.risk_key) == ("reported", "complete", "complete-failure")
    assert (reported.severity, reported.severity_band) == (8, "high")
    assert reported.response.startswith("Invoke the plan, log a call with the vendor")
    outage.incident = reported
    outage.at(friday + timedelta(minutes=5))
    services.invoke(incident=reported, actor=None, via="test")
    # In hours at 16:45: the in-hours and always steps of the downtime procedure, then TP1's actions.
    assert outage.tasks() == RESPONSE_IN_HOURS + TP1
    informed = outage.task("step/pacs-downtime/inform-departments-in-hours")
    assert [t.name for t in informed.targets.all()][:3] == [
        "Diagnostics and Clinical Support directorate manager",
        "Site operations manager",
        "Bed management team",
    ]
    assert informed.targets.count() == 12
    affected = {a.key: (a.rto, a.mtpd, a.degraded) for a in outage.inc.affected.all()}
    assert affected == {
        "image-reporting": ("4h", "7 days", False),
        "image-acquisition": ("4h", "7 days", False),
        "image-sharing": ("4h", "5 days", False),
    }
    # Before 17:00 the senior radiographer reaches the PACS team, who log the call with the vendor.
    outage.at(friday + timedelta(minutes=10))
    tasks.finish(task=outage.task("step/pacs-downtime/call-pacs-team"), actor=None, done=True, text="Spoke to Ravi")
    tasks.finish(
        task=outage.task("step/pacs-downtime/vendor-call-in-hours"), actor=None, done=True, text="Call ref MIS-40213"
    )


def the_friday_reroute(outage: Outage, friday: datetime) -> None:
    outage.at(friday.replace(hour=17, minute=0))
    rerouted = outage.task("step/pacs-downtime/inform-departments-in-hours")
    assert rerouted.state == "rerouted"
    assert rerouted.replaced_by is not None
    assert rerouted.replaced_by.key == "step/pacs-downtime/inform-departments-out-of-hours"
    assert rerouted.replaced_by.who_name == "Senior radiographer on shift"
    assert [t for t in outage.tasks() if t[0].startswith("step/")] == [
        ("step/pacs-downtime/call-pacs-team", "done", "Senior radiographer on shift"),
        ("step/pacs-downtime/impact-assessment", "open", "PACS team"),
        ("step/pacs-downtime/vendor-call-in-hours", "done", "PACS team"),
        ("step/pacs-downtime/inform-departments-in-hours", "rerouted", "PACS team"),
        ("step/pacs-downtime/start-cd-burning", "open", "Senior radiographer on shift"),
        ("step/pacs-downtime/downtime-log", "open", "Senior radiographer on shift"),
        ("step/pacs-downtime/inform-departments-out-of-hours", "open", "Senior radiographer on shift"),
        # The out-of-hours vendor call is not added: the in-hours one was done before 17:00.
        ("step/pacs-downtime/inform-it", "open", "Senior radiographer on shift"),
    ]
    assert outage.task("step/pacs-downtime/inform-departments-out-of-hours").targets.count() == 7


def restore_and_review(outage: Outage, thursday: datetime) -> None:
    outage.at(thursday)
    before = set(Task.objects.filter(incident=outage.inc).values_list("key", flat=True))
    services.restore(incident=outage.inc, actor=None, via="test")
    new = [t for t in outage.tasks() if t[0] not in before]
    assert new == [
        ("step/pacs-restoration/0", "open", "PACS team"),
        ("step/pacs-restoration/1", "open", "PACS team"),
        ("step/pacs-restoration/2", "open", "Modality leads"),
        ("step/pacs-restoration/3", "open", "Modality leads"),
        ("step/pacs-restoration/4", "open", "Interface administrators"),
        ("step/pacs-restoration/restored-tell-in-hours", "open", "PACS team"),
        ("step/pacs-restoration/7", "open", "PACS team"),
        ("trigger/tp3#0/convene", "open", "PACS team"),
        ("trigger/tp3#0/0", "open", "PACS team"),
        ("trigger/tp3#0/1", "open", "PACS team"),
        ("trigger/tp3#0/2", "open", "Interface administrators"),
        ("trigger/tp3#0/3", "open", "Helen Marsh"),
    ]
    assert not DueAction.objects.filter(incident=outage.inc, state="pending").exclude(kind="routing").exists()
    assert outage.inc.state == "restored"
    # The review: five whys, lessons, an action that stays open until done.
    review.save_review(
        incident=outage.inc,
        actor=None,
        whys=["PACS stopped", "The database cluster lost quorum", "The witness was unreachable", "", ""],
        root_cause="Cluster witness in the same network segment as node A",
        went_well="CD burning started within 10 minutes",
        went_badly="Bed management was told late",
        lessons="Move the witness; rehearse the out-of-hours list",
        complete=True,
        via="test",
    )
    action = review.add_action(
        incident=outage.inc,
        text="Move the witness to a third site",
        owner_id=make_user("helen-marsh", HOME_ORG, Role.RESPONDER).pk,
        due_on=thursday.date() + timedelta(days=28),
        actor=None,
        via="test",
    )
    services.stand_down(incident=outage.inc, actor=None, reason="Service stable for a day", via="test")
    assert outage.inc.state == "stood-down"
    review.complete_action(action=action, actor=None, note_text="Witness moved", via="test")
    assert not DueAction.objects.filter(incident=outage.inc, state="pending").exists()


def test_spring_bank_holiday_outage(outage: Outage) -> None:
    friday = local(2027, 5, 28, 16, 40)
    report_and_invoke(outage, friday)
    the_friday_reroute(outage, friday)
    assert outage.timeline("routing")[0] == (
        "Fri 28 May 17:00",
        "Out of hours (after 17:00) began at 17:00 on Friday 28 May. Re-routed: "
        "'Inform every department on the in-hours list that PACS is down and images will come on CD' (PACS team) "
        "is now 'Inform every department on the out-of-hours list, including the bed manager on call' "
        "(Senior radiographer on shift); added 'Inform IT (ask switchboard for the on-call IT engineer)' "
        "(Senior radiographer on shift); still open: "
        "'Carry out an impact assessment and decide whether to invoke the plan' (PACS team). "
        "In hours begins at 08:00 on Tuesday 1 June. Bank holiday: Monday 31 May (Spring Bank Holiday).",
    )
    # The bank holiday Monday stays out of hours: the next change is Tuesday 08:00.
    outage.at(local(2027, 5, 31, 12, 0))
    assert outage.inc.routing == "out-of-hours"
    assert outage.due("routing")[-1] == ("routing", 1, "Tue 01 Jun 08:00 BST", "pending")
    outage.at(local(2027, 6, 1, 8, 0))
    assert outage.inc.routing == "in-hours"
    # The out-of-hours inform step still open at 08:00 goes back to the PACS team and the in-hours list.
    assert outage.timeline("routing")[1][0] == "Tue 01 Jun 08:00"
    assert outage.task("step/pacs-downtime/inform-departments-in-hours").state == "open"
    assert outage.task("step/pacs-downtime/inform-departments-out-of-hours").state == "rerouted"
    # Day 5: the escalation and the duration rule, both at 16:40 on Wednesday.
    outage.at(local(2027, 6, 3, 10, 15))
    assert outage.due() == [
        ("tp1", 0, "Fri 28 May 16:45 BST", "fired"),
        ("tp2", 0, "Fri 28 May 20:45 BST", "fired"),
        ("tp2", 1, "Sat 29 May 20:45 BST", "fired"),
        ("tp2", 2, "Sun 30 May 20:45 BST", "fired"),
        ("tp2", 3, "Mon 31 May 20:45 BST", "fired"),
        ("tp2", 4, "Tue 01 Jun 20:45 BST", "fired"),
        ("tp4", 0, "Wed 02 Jun 16:40 BST", "fired"),
    ]
    assert outage.due("duration") == [
        ("image-reporting#0", 0, "Fri 28 May 20:40 BST", "fired"),
        ("image-sharing#0", 0, "Sat 29 May 16:40 BST", "fired"),
        ("image-acquisition#0", 0, "Sun 30 May 16:40 BST", "fired"),
        ("image-reporting#1", 0, "Wed 02 Jun 16:40 BST", "fired"),
    ]
    assert outage.tasks(key__startswith="trigger/tp4") == [
        ("trigger/tp4#0/convene", "open", "Trust board (executive director on call)"),
        ("trigger/tp4#0/0", "open", "Trust board (executive director on call)"),
        ("trigger/tp4#0/1", "open", "Trust board (executive director on call)"),
        ("trigger/tp4#0/2", "open", "Trust board (executive director on call)"),
    ]
    assert len(outage.tasks(key__startswith="trigger/tp2")) == 5 * 4
    restore_and_review(outage, local(2027, 6, 3, 10, 15))
    assert outage.timeline("restored")[0] == (
        "Thu 03 Jun 10:15",
        "Service restored at 10:15 on Thursday 3 June, after 5 days 17 hours of downtime. "
        "Diagnostic image viewing and reporting: RTO 4h missed by 5 days 13 hours; "
        "MTPD 7 days not reached, 1 day 6 hours to spare. "
        "Image acquisition and storage: RTO 4h missed by 5 days 13 hours; MTPD 7 days not reached, 1 day 6 hours to spare. "
        "Image sharing with other departments: RTO 4h missed by 5 days 13 hours; MTPD 5 days exceeded by 17 hours 35 minutes.",
    )
    summary = reports.briefing(outage.inc, local(2027, 6, 3, 10, 20))
    assert "Service was restored at Thu 3 Jun 10:15, after 5 days 17 hours." in summary


def test_clocks_go_back_outage(outage: Outage) -> None:
    friday = local(2027, 10, 29, 16, 40)
    report_and_invoke(outage, friday)
    the_friday_reroute(outage, friday)
    assert outage.timeline("routing")[0][1].endswith("In hours begins at 08:00 on Monday 1 November.")
    outage.at(local(2027, 11, 4, 11, 0))
    assert outage.due() == [
        ("tp1", 0, "Fri 29 Oct 16:45 BST", "fired"),
        ("tp2", 0, "Fri 29 Oct 20:45 BST", "fired"),
        ("tp2", 1, "Sat 30 Oct 20:45 BST", "fired"),
        ("tp2", 2, "Sun 31 Oct 20:45 GMT", "fired"),
        ("tp2", 3, "Mon 01 Nov 20:45 GMT", "fired"),
        ("tp2", 4, "Tue 02 Nov 20:45 GMT", "fired"),
        ("tp4", 0, "Wed 03 Nov 16:40 GMT", "fired"),
    ]
    calls = [d.due_at for d in DueAction.objects.filter(incident=outage.inc, key="tp2").order_by("sequence")]
    assert [(b - a) / timedelta(hours=1) for a, b in pairwise(calls)] == [24, 25, 24, 24]
    tp4 = DueAction.objects.get(incident=outage.inc, key="tp4")
    assert (tp4.due_at - outage.inc.began_at) / timedelta(hours=1) == 5 * 24 + 1
    assert tp4.due_at.astimezone(UTC).hour == 16
    assert outage.timeline("trigger")[-1] == (
        "Wed 03 Nov 16:40",
        "Trigger point: TP4 - five days without service. Chair: Trust board (executive director on call). "
        "4 task(s) added.",
    )
    restore_and_review(outage, local(2027, 11, 4, 11, 0))
    handover = reports.handover_report(outage.inc, local(2027, 11, 4, 11, 5))
    assert handover.next_triggers == ()
