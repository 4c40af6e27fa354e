"""The incident pages: list, report, live page and its actions, hand-over, briefing and review.

Driven through the test client against the demo PACS plan, with the clock held by time_machine
(Friday 29 October 2027, in hours until 17:00 Europe/London).
"""

from __future__ import annotations

import html
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from contingency.core.models import Membership
from contingency.incidents import services
from contingency.incidents.models import (
    Handover,
    Incident,
    InformTarget,
    Review,
    State,
    Task,
    TaskState,
    TimelineEntry,
)
from contingency.plans.models import Plan

from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
FRIDAY = datetime(2027, 10, 29, 16, 40, tzinfo=LONDON)
CHECKS = {"check_0": "yes", "check_1": "yes", "check_2": "yes"}


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def said(response) -> str:
    """The page's text, unescaped and lower-cased, for looking for messages."""
    return str(html.unescape(response.content.decode())).lower()


def url(name: str, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, **kwargs})


def reported() -> Incident:
    plan = Plan.objects.get(key=PACS, organisation__slug=HOME_ORG)
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    return services.report(plan=plan, subject="system:pacs", actor=None, answers=answers, via="test")


def invoked() -> Incident:
    return services.invoke(incident=reported(), actor=None, via="test")


def restored() -> Incident:
    return services.restore(incident=invoked(), actor=None, via="test")


def page(incident: Incident, name: str = "incident", **extra: object) -> str:
    return url(name, number=incident.number, **extra)


def open_task(incident: Incident) -> Task:
    return Task.objects.filter(incident=incident, state=TaskState.OPEN).order_by("position").first()  # type: ignore[return-value]


# Viewing: every page renders for a viewer, who cannot change anything.


def test_every_page_renders_for_a_viewer(member, clock):
    viewer = member("viewer")
    incident = invoked()
    for name in ("incident", "incident-live", "incident-handover", "incident-briefing", "incident-review"):
        response = viewer.get(page(incident, name))
        assert response.status_code == 200, name
    listing = viewer.get(url("incidents"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert f"#{incident.number}" in text and "Chain of failures" in text
    assert "Report a failure" not in text
    live = viewer.get(page(incident)).content.decode()
    assert "The checklist for now" in live and "Timeline" in live and 'hx-trigger="every 15s"' in live
    assert "Mark done" not in live


def test_a_viewer_cannot_change_anything(member, clock):
    viewer = member("viewer")
    incident = invoked()
    task = open_task(incident)
    posts = [
        (page(incident, "incident-task", task=task.pk), {"action": "start"}),
        (page(incident, "incident-update"), {"audience": "staff", "text": "hello"}),
        (page(incident, "incident-restore"), {}),
        (page(incident, "incident-stand-down"), {"confirm": "yes"}),
        (page(incident, "incident-hand-over"), {"to_name": "Sam"}),
        (page(incident, "incident-briefing-publish"), {"text": "x"}),
        (url("incident-report"), {"plan": PACS, "subject": "system:pacs"}),
    ]
    for target, data in posts:
        assert viewer.post(target, data).status_code == 403, target
    assert viewer.get(url("incident-report")).status_code == 403
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert Incident.objects.get(pk=incident.pk).state == State.INVOKED


def test_an_outsider_gets_404(member, clock):
    outsider = member("viewer", "responder", organisation=OTHER_ORG)
    incident = invoked()
    for name in ("incident", "incident-live", "incident-handover", "incident-review"):
        assert outsider.get(page(incident, name)).status_code == 404
    assert outsider.get(url("incidents")).status_code == 404
    assert outsider.post(page(incident, "incident-stand-down"), {"confirm": "yes"}).status_code == 404


def test_unknown_incident_is_404(member):
    assert member("viewer").get(url("incident", number=999)).status_code == 404


# Reporting and invoking.


def test_report_steps_prefill_from_the_what_to_do_page(member, clock):
    responder = member("responder")
    now_page = responder.get(
        reverse("function-now", kwargs={"org": HOME_ORG, "plan": PACS, "function": "image-reporting"})
    )
    assert "Report this failure / start an incident" in now_page.content.decode()
    response = responder.get(url("incident-report") + f"?plan={PACS}&subject=function:image-reporting")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Step 2" in text and "<legend>" in text and "Report the failure" in text


def test_a_responder_reports_with_answers_and_invokes(member, clock):
    responder = member("responder")
    data = {"plan": PACS, "subject": "system:pacs", "area": "", "description": "Images will not load", **CHECKS}
    response = responder.post(url("incident-report"), data)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.state == State.REPORTED and incident.assessment == "complete"
    assert [a["answer"] for a in incident.answers] == [True, True, True]
    text = responder.get(response["Location"]).content.decode()
    assert "Assessment: complete failure" in text and "Invoke the plan" in text and "Close: not a failure" in text
    response = responder.post(page(incident, "incident-invoke"), {"risk": ""})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == State.INVOKED
    text = responder.get(page(incident)).content.decode()
    assert "Mark done" in text and "Told " in text


def test_report_with_a_no_closes_as_not_a_failure(member, clock):
    responder = member("responder")
    data = {"plan": PACS, "subject": "system:pacs", "check_0": "no", "check_1": "yes", "check_2": "yes"}
    responder.post(url("incident-report"), data)
    incident = Incident.objects.get()
    assert incident.assessment == "not-a-failure"
    assert responder.post(page(incident, "incident-assess"), CHECKS).status_code == 302
    incident.refresh_from_db()
    assert incident.assessment == "complete"
    assert responder.post(page(incident, "incident-close"), {"reason": "one PC only"}).status_code == 302
    incident.refresh_from_db()
    assert incident.state == State.NOT_A_FAILURE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"subject": "function:nope"}, "there is no function 'nope' in this plan"),
        ({"began_at": "2027-10-30T09:00"}, "the service cannot be lost in the future"),
        ({"began_at": "yesterday"}, "Enter a date and time"),
    ],
)
def test_bad_report_input_is_400_and_changes_nothing(member, clock, data, message):
    responder = member("responder")
    response = responder.post(url("incident-report"), {"plan": PACS, "subject": "system:pacs", **data})
    assert response.status_code == 400
    assert "there is a problem" in said(response) and message.lower() in said(response)
    assert not Incident.objects.exists()


def test_report_with_an_unknown_plan_is_400(member, clock):
    response = member("responder").post(url("incident-report"), {"plan": "nope", "subject": "system:pacs"})
    assert response.status_code == 400
    assert "There is no plan" in response.content.decode()


def test_began_at_is_read_on_the_organisations_clock(member, clock):
    responder = member("responder")
    data = {"plan": PACS, "subject": "system:pacs", "began_at": "2027-10-29T16:10", **CHECKS}
    assert responder.post(url("incident-report"), data).status_code == 302
    assert Incident.objects.get().began_at == datetime(2027, 10, 29, 16, 10, tzinfo=LONDON)


# The checklist.


def test_complete_start_assign_skip_and_reopen(member, clock):
    responder = member("responder")
    incident = invoked()
    task = open_task(incident)
    target = page(incident, "incident-task", task=task.pk)
    assert responder.post(target, {"action": "assign", "assignee": "me"}).status_code == 302
    assert responder.post(target, {"action": "start"}).status_code == 302
    assert responder.post(target, {"action": "complete", "note": "Rang them"}).status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.DONE and task.outcome == "Rang them" and task.assignee is not None
    assert responder.post(target, {"action": "reopen"}).status_code == 302
    response = responder.post(target, {"action": "skip", "reason": ""})
    assert response.status_code == 400
    assert "say why the task is skipped" in said(response) and f'href="#task-{task.pk}-skip-reason"' in said(response)
    task.refresh_from_db()
    assert task.state == TaskState.OPEN
    assert responder.post(target, {"action": "skip", "reason": "Not needed"}).status_code == 302
    task.refresh_from_db()
    assert task.state == TaskState.SKIPPED and task.outcome == "Not needed"


def test_unknown_task_action_is_400(member, clock):
    incident = invoked()
    task = open_task(incident)
    response = member("responder").post(page(incident, "incident-task", task=task.pk), {"action": "explode"})
    assert response.status_code == 400


def test_mark_a_target_told(member, clock):
    responder = member("responder")
    incident = invoked()
    target = InformTarget.objects.filter(task__incident=incident).order_by("pk")[0]
    response = responder.post(page(incident, "incident-told", target=target.pk), {"how": "phone"})
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.told_at is not None and target.how == "phone"
    assert "Told</strong> by" in responder.get(page(incident)).content.decode()
    again = responder.post(page(incident, "incident-told", target=target.pk), {"how": "phone"})
    assert again.status_code == 400 and "already told" in said(again)


def test_add_an_ad_hoc_task(member, clock):
    responder = member("responder")
    incident = invoked()
    assert responder.post(page(incident, "incident-task-add"), {"text": ""}).status_code == 400
    assert responder.post(page(incident, "incident-task-add"), {"text": "Order more CDs"}).status_code == 302
    assert Task.objects.filter(incident=incident, source="ad-hoc", text="Order more CDs").exists()


def test_rerouting_at_five_shows_the_change(member, clock):
    from contingency.incidents import worker

    viewer = member("viewer")
    incident = invoked()
    clock.move_to(datetime(2027, 10, 29, 17, 1, tzinfo=LONDON))
    worker.run_until_idle(worker="test")
    assert Task.objects.filter(incident=incident, state=TaskState.REROUTED).exists()
    text = viewer.get(page(incident)).content.decode()
    assert "<del>" in text and "Re-routed at" in text and "Out of hours" in text


def test_post_an_update_and_a_decision(member, clock):
    responder = member("responder")
    incident = invoked()
    assert (
        responder.post(page(incident, "incident-update"), {"audience": "board", "text": "All well"}).status_code == 302
    )
    assert (
        responder.post(page(incident, "incident-update"), {"audience": "decision", "text": "Divert"}).status_code == 302
    )
    kinds = set(TimelineEntry.objects.filter(incident=incident).values_list("kind", flat=True))
    assert {"update", "decision"} <= kinds
    bad = responder.post(page(incident, "incident-update"), {"audience": "press", "text": "x"})
    assert bad.status_code == 400 and "audience must be one of" in said(bad)
    empty = responder.post(page(incident, "incident-update"), {"audience": "staff", "text": " "})
    assert empty.status_code == 400 and "write the update" in said(empty)


def test_timeline_order_and_filter(member, clock):
    viewer = member("viewer")
    incident = invoked()
    oldest = viewer.get(page(incident) + "?order=oldest").content.decode()
    assert "Show newest first" in oldest
    only = viewer.get(page(incident, "incident-live") + "?kind=invoked").content.decode()
    assert "Plan invoked" in only and "Suspected failure" not in only


# Restore, stand down.


def test_restore_with_a_time_and_stand_down(member, clock):
    responder = member("responder")
    incident = invoked()
    clock.move_to(datetime(2027, 10, 29, 19, 0, tzinfo=LONDON))
    early = responder.post(page(incident, "incident-restore"), {"restored_at": "2027-10-29T16:00"})
    assert early.status_code == 400 and "cannot be restored before it was lost" in said(early)
    bad = responder.post(page(incident, "incident-restore"), {"restored_at": "2027-10-29T20:00"})
    assert bad.status_code == 400 and "restoration cannot be in the future" in said(bad)
    worse = responder.post(page(incident, "incident-restore"), {"restored_at": "soon"})
    assert worse.status_code == 400 and "enter a date and time" in said(worse)
    assert Incident.objects.get(pk=incident.pk).state == State.INVOKED
    ok = responder.post(page(incident, "incident-restore"), {"restored_at": "2027-10-29T18:30", "note": "vendor fix"})
    assert ok.status_code == 302
    incident.refresh_from_db()
    assert incident.state == State.RESTORED and incident.restored_at == datetime(2027, 10, 29, 18, 30, tzinfo=LONDON)
    unconfirmed = responder.post(page(incident, "incident-stand-down"), {})
    assert unconfirmed.status_code == 400 and "confirm the incident is over" in said(unconfirmed)
    assert (
        responder.post(
            page(incident, "incident-stand-down"), {"confirm": "yes", "reason": "Tasks left for the review"}
        ).status_code
        == 302
    )
    incident.refresh_from_db()
    assert incident.state == State.STOOD_DOWN
    assert f"#{incident.number}" in responder.get(url("incidents")).content.decode()


# Hand-over, briefing, review.


def test_hand_over(member, clock):
    responder = member("responder")
    incident = invoked()
    text = responder.get(page(incident, "incident-handover")).content.decode()
    assert "Hand-over report" in text and "Who has and has not been told" in text
    empty = responder.post(page(incident, "incident-hand-over"), {"to_user": "", "to_name": ""})
    assert empty.status_code == 400 and "say who takes over" in said(empty)
    assert (
        responder.post(page(incident, "incident-hand-over"), {"to_name": "Night lead", "note": "CDs low"}).status_code
        == 302
    )
    record = Handover.objects.get(incident=incident)
    assert record.to_name == "Night lead"
    shown = responder.get(page(incident, "incident-handover-record", pk=record.pk))
    assert shown.status_code == 200 and "CDs low" in shown.content.decode()


def test_briefing_publishes_to_the_board(member, clock):
    responder = member("responder")
    incident = invoked()
    text = responder.get(page(incident, "incident-briefing")).content.decode()
    assert "Daily briefing" in text and "Publish and e-mail to the board" in text
    assert responder.post(page(incident, "incident-briefing-publish"), {"text": ""}).status_code == 400
    assert responder.post(page(incident, "incident-briefing-publish"), {"text": "Briefing text"}).status_code == 302
    assert TimelineEntry.objects.filter(incident=incident, kind="update", audience="board").exists()


def test_review_with_an_action(member, clock):
    responder = member("responder")
    running = invoked()
    assert "opens once service is restored" in responder.get(page(running, "incident-review")).content.decode()
    assert responder.post(page(running, "incident-review-save"), {"root_cause": "x"}).status_code == 400
    incident = restored()
    incomplete = responder.post(page(incident, "incident-review-save"), {"complete": "on", "root_cause": ""})
    assert incomplete.status_code == 400 and "states the root cause" in said(incomplete)
    data = {
        "why_1": "Disk full",
        "why_2": "No alert",
        "root_cause": "No monitoring",
        "lessons": "Monitor disks",
        "complete": "on",
    }
    assert responder.post(page(incident, "incident-review-save"), data).status_code == 302
    review = Review.objects.get(incident=incident)
    assert review.completed_at is not None and review.whys == ["Disk full", "No alert"]
    owner = str(Membership.objects.filter(organisation__slug=HOME_ORG).values_list("user_id", flat=True).first())
    bad = responder.post(
        page(incident, "incident-review-action"), {"text": "Add alert", "owner": owner, "due_on": "31/31/2027"}
    )
    assert bad.status_code == 400 and "enter a date such as" in said(bad)
    ok = {"text": "Add disk alert", "owner": owner, "due_on": "2027-11-30"}
    assert responder.post(page(incident, "incident-review-action"), ok).status_code == 302
    action = review.actions.get()
    text = responder.get(page(incident, "incident-review")).content.decode()
    assert "Add disk alert" in text and "Downtime against the objectives" in text
    assert (
        responder.post(page(incident, "incident-review-action-done", pk=action.pk), {"note": "done"}).status_code == 302
    )
    action.refresh_from_db()
    assert action.done_at is not None
