"""Incidents over the JSON API: a PACS outage walked through with a token, permissions, and bad bodies."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.core.models import AuditEntry, Role
from contingency.incidents import services
from contingency.incidents.models import (
    DueAction,
    Incident,
    InformTarget,
    Review,
    ReviewAction,
    Task,
    TimelineEntry,
)
from contingency.plans.models import Plan

from .conftest import budget
from .web import EYE, HOME_ORG, OTHER_ORG, PACS, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
BASE = "/api/v1"
INCIDENTS = f"{BASE}/organisations/{HOME_ORG}/incidents"
CHECKS = f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}/checks"
ALL_TRUE = {"several-patients": True, "several-pcs": True, "several-modalities": True}
REPORTED = datetime(2027, 10, 29, 16, 40, tzinfo=LONDON)  # a Friday, in British Summer Time
REPORT = {"plan": PACS, "subject": "system:pacs", "answers": ALL_TRUE}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(REPORTED, tick=False) as traveller:
        yield traveller


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    data = json.dumps(body) if body is not None else b""
    return getattr(client, method)(url, data, content_type="application/json")


def post(client: Client, url: str, body: Any = None) -> Any:
    return send(client, "post", url, {} if body is None else body)


def at(hour: int, minute: int, day: int = 29, month: int = 10) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=LONDON)


def rows() -> dict[str, int]:
    """How many of each incident row there are: a refused request changes none of them."""
    models = (Incident, Task, InformTarget, TimelineEntry, DueAction, Review, ReviewAction, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def invoked_incident(number_of: int = 1) -> Incident:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    incident = services.report(plan=plan, subject="system:pacs", actor=None, answers=ALL_TRUE, via="test")
    return services.invoke(incident=incident, actor=None, via="test")


def task_key(tasks: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(t for t in tasks if t["key"] == key)


# ---------------------------------------------------------------- the walk-through


def test_a_pacs_outage_through_the_api(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    responder = api_as("responder")
    me = responder.username  # type: ignore[attr-defined]

    checks = responder.get(CHECKS, {"subject": "system:pacs"})
    assert checks.status_code == 200
    assert [c["key"] for c in checks.json()] == ["several-patients", "several-pcs", "several-modalities"]
    assert {"key", "procedure", "check", "ifNot", "advice"} == set(checks.json()[0])

    reported = post(responder, INCIDENTS, {**REPORT, "beganAt": "2027-10-29T15:30:00Z"})
    assert reported.status_code == 201, reported.json()
    body = reported.json()
    assert body["number"] == 1
    assert body["state"] == "reported"
    assert body["assessment"] == "complete"
    assert body["subject"] == "system:pacs"
    assert body["title"] == f"{body['subjectName']} failure"
    assert [(a["key"], a["answer"]) for a in body["answers"]] == list(ALL_TRUE.items())
    assert body["answers"][0]["ifNot"]
    assert body["plan"] == {"key": PACS, "title": Plan.objects.get(key=PACS).title, "issue": body["plan"]["issue"]}
    assert body["times"]["reportedAt"] == "2027-10-29T15:40:00Z"
    assert body["times"]["beganAt"] == "2027-10-29T15:30:00Z"
    assert body["local"] == {
        "timezone": "Europe/London",
        "beganAt": "2027-10-29T16:30:00+01:00",
        "reportedAt": "2027-10-29T16:40:00+01:00",
        "invokedAt": None,
        "restoredAt": None,
        "stoodDownAt": None,
    }
    assert body["people"]["reportedBy"] == me
    assert body["risk"] is not None and body["severity"] > 0
    assert body["affected"] == []  # nothing is marked lost until the plan is invoked
    url = f"{INCIDENTS}/1"

    clock.move_to(at(16, 45))
    invoked = post(responder, f"{url}/invoke")
    assert invoked.status_code == 200, invoked.json()
    body = invoked.json()
    assert body["state"] == "invoked"
    assert body["times"]["invokedAt"] == "2027-10-29T15:45:00Z"
    assert body["people"]["invokedBy"] == me
    assert body["routing"]["current"] == "in-hours"
    assert body["routing"]["inHoursNow"] is True
    assert body["routing"]["nextChange"] == "2027-10-29T16:00:00Z"  # 17:00 on the wall clock
    lost = {a["key"]: a for a in body["affected"]}
    assert set(lost) == {"image-reporting", "image-acquisition", "image-sharing"}
    reporting = lost["image-reporting"]
    assert reporting["chain"] and reporting["degraded"] is False
    assert reporting["mtpdDueAt"] is not None
    assert (
        reporting["timeLeftSeconds"]
        == datetime.fromisoformat(reporting["mtpdDueAt"]).timestamp() - at(16, 45).timestamp()
    )
    assert [p["id"] for p in body["procedures"]] == ["pacs-downtime"]
    # 13 from the plan, and 5 calls to make: no SMS or e-mail is configured here, so TP1 is told by phone.
    assert body["openTasks"] == 18 and body["overdueTasks"] == 0
    assert body["nextDue"][0]["key"] == "image-reporting#0"

    listed = responder.get(INCIDENTS)
    assert listed.status_code == 200
    [summary] = listed.json()
    assert summary["number"] == 1 and summary["state"] == "invoked"
    assert summary["urgency"]["rank"] == 1
    assert summary["urgency"]["breached"] is False
    assert summary["urgency"]["worstFunction"]
    assert summary["openTasks"] == 18
    assert summary["nextDue"]["local"] == "2027-10-29T20:30:00+01:00"
    assert responder.get(INCIDENTS, {"state": "closed"}).json() == []

    tasks = responder.get(f"{url}/tasks").json()
    assert [t["key"] for t in tasks][:2] == [
        "step/pacs-downtime/call-pacs-team",
        "step/pacs-downtime/impact-assessment",
    ]
    call = task_key(tasks, "step/pacs-downtime/call-pacs-team")
    assert call["state"] == "open" and call["source"] == "response"
    assert [t["name"] for t in call["targets"]] == ["PACS team"]
    inform = task_key(tasks, "step/pacs-downtime/inform-departments-in-hours")
    assert len(inform["targets"]) > 3
    assert all(t["toldAt"] is None for t in inform["targets"])

    clock.move_to(at(16, 50))
    started = send(responder, "patch", f"{url}/tasks/{call['id']}", {"action": "start"})
    assert started.status_code == 200, started.json()
    assert started.json()["state"] == "started"
    assert started.json()["assignee"] == me
    done = send(responder, "patch", f"{url}/tasks/{call['id']}", {"action": "complete", "note": "Spoke to Sam"})
    assert done.status_code == 200
    assert done.json()["state"] == "done"
    assert done.json()["outcome"] == "Spoke to Sam"
    assert done.json()["finishedAt"] == "2027-10-29T15:50:00Z"
    assert done.json()["finishedBy"] == me

    first = inform["targets"][0]
    told = post(responder, f"{url}/tasks/{inform['id']}/targets/{first['key']}/told", {"how": "by phone"})
    assert told.status_code == 200, told.json()
    target = told.json()["targets"][0]
    assert target["toldAt"] == "2027-10-29T15:50:00Z"
    assert target["toldLocal"] == "2027-10-29T16:50:00+01:00"
    assert (target["toldBy"], target["how"]) == (me, "by phone")
    again = post(responder, f"{url}/tasks/{inform['id']}/targets/{first['key']}/told", {})
    assert again.status_code == 409
    assert "already told" in again.json()["detail"]

    added = post(responder, f"{url}/tasks", {"text": "Borrow CDs from cardiology", "who": "Ward clerk"})
    assert added.status_code == 201
    assert (added.json()["source"], added.json()["who"], added.json()["key"]) == ("ad-hoc", "Ward clerk", "ad-hoc/1")

    update = post(responder, f"{url}/updates", {"text": "PACS down; CDs with every patient.", "audience": "board"})
    assert update.status_code == 201
    assert update.json() == {
        "at": "2027-10-29T15:50:00Z",
        "local": "2027-10-29T16:50:00+01:00",
        "kind": "update",
        "text": "PACS down; CDs with every patient.",
        "actor": me,
        "audience": "board",
    }
    decision = post(responder, f"{url}/updates", {"text": "Divert CT to Eastfield.", "decision": True})
    assert decision.status_code == 201 and decision.json()["kind"] == "decision"

    triggers = responder.get(f"{url}/triggers").json()
    tp1 = next(t for t in triggers if t["key"] == "tp1")
    assert (tp1["kind"], tp1["state"], tp1["sequence"], tp1["firedBy"]) == ("trigger", "fired", 0, "invocation")
    assert tp1["firedAt"] == "2027-10-29T15:45:00Z"
    tp2 = next(t for t in triggers if t["key"] == "tp2")
    assert (tp2["state"], tp2["local"], tp2["firedAt"]) == ("pending", "2027-10-29T20:45:00+01:00", None)
    assert {t["kind"] for t in triggers} == {"trigger", "duration"}  # the routing change is not a trigger

    handover = responder.get(f"{url}/handover").json()
    assert handover["history"] == []
    report = handover["report"]
    assert report["incident"] == 1 and report["since"] is None
    assert len(report["openTasks"]) == 18  # 12 of the plan's left open, the ad hoc one and TP1's 5 calls
    assert report["decisions"] == [{"when": "Fri 29 Oct 16:50", "who": me, "text": "Divert CT to Eastfield."}]
    assert report["updates"][0]["audience"] == "board"
    assert report["nextTriggers"][0] == {"when": "Fri 29 Oct 20:30", "what": report["nextTriggers"][0]["what"]}
    night = api_as("responder")
    clock.move_to(at(17, 5))
    handed = post(responder, f"{url}/handover", {"to": night.username, "note": "Vendor called back"})  # type: ignore[attr-defined]
    assert handed.status_code == 201, handed.json()
    assert handed.json()["record"]["toName"] == night.username  # type: ignore[attr-defined]
    assert handed.json()["record"]["to"] == night.username  # type: ignore[attr-defined]
    assert handed.json()["report"]["at"] == "Fri 29 Oct 17:05"
    assert responder.get(url).json()["people"]["lead"] == night.username  # type: ignore[attr-defined]
    assert len(responder.get(f"{url}/handover").json()["history"]) == 1

    briefing = responder.get(f"{url}/briefing").json()
    assert briefing["text"].startswith("Daily briefing: ")
    assert "Divert CT to Eastfield." in briefing["text"]

    clock.move_to(at(9, 0, day=3, month=11))
    restored = post(night, f"{url}/restore", {"restoredAt": "2027-11-03T08:30:00Z", "note": "Vendor fixed storage"})
    assert restored.status_code == 200, restored.json()
    body = restored.json()
    assert body["state"] == "restored"
    assert body["times"]["restoredAt"] == "2027-11-03T08:30:00Z"
    assert body["local"]["restoredAt"] == "2027-11-03T08:30:00+00:00"  # GMT again after the clocks went back
    assert body["downtimeSeconds"] == at(8, 30, day=3, month=11).timestamp() - at(16, 30).timestamp()
    restoration = [t for t in night.get(f"{url}/tasks").json() if t["source"] == "restoration"]
    assert restoration
    assert post(night, f"{url}/restore").status_code == 409

    clock.move_to(at(10, 0, day=10, month=11))
    review = night.get(f"{url}/review").json()
    assert review["started"] is False and review["actions"] == []
    whys = ["Images would not load", "The archive was offline", "Storage filled up"]
    written = send(
        night,
        "put",
        f"{url}/review",
        {"whys": whys, "rootCause": "Storage alerts went to a closed mailbox", "lessons": "Route alerts to the desk"},
    )
    assert written.status_code == 200, written.json()
    assert written.json()["whys"] == whys
    assert written.json()["complete"] is False
    owner = night.username  # type: ignore[attr-defined]
    action = post(night, f"{url}/review/actions", {"text": "Fix alert routing", "owner": owner, "dueOn": "2027-12-01"})
    assert action.status_code == 201
    assert action.json()["done"] is False and action.json()["dueOn"] == "2027-12-01"
    # A review as read back is not a body: its read-only fields (started, actions ...) are refused by name.
    echoed = send(night, "put", f"{url}/review", written.json())
    assert echoed.status_code == 422
    assert {e["code"] for e in echoed.json()["errors"]} == {"request.extra_forbidden"}
    finished = send(
        night,
        "put",
        f"{url}/review",
        {
            "whys": whys,
            "rootCause": "Storage alerts went to a closed mailbox",
            "lessons": "Route alerts",
            "complete": True,
        },
    )
    assert finished.json()["complete"] is True
    assert finished.json()["completedAt"] == "2027-11-10T10:00:00Z"
    closed = post(night, f"{url}/review/actions/{action.json()['id']}/done", {"note": "Alerts go to the desk"})
    assert closed.status_code == 200
    assert closed.json()["done"] is True and closed.json()["doneNote"] == "Alerts go to the desk"
    assert post(night, f"{url}/review/actions/{action.json()['id']}/done").status_code == 409

    stood = post(night, f"{url}/stand-down", {"reason": "Review done"})
    assert stood.status_code == 200 and stood.json()["state"] == "stood-down"
    assert night.get(INCIDENTS).json() == []
    [closed_one] = night.get(INCIDENTS, {"state": "closed"}).json()
    assert closed_one["urgency"] is None and closed_one["state"] == "stood-down"

    kinds = [e["kind"] for e in night.get(f"{url}/timeline").json()]
    assert kinds[:3] == ["reported", "assessed", "invoked"]
    for kind in ("task", "informed", "update", "decision", "handover", "restored", "review", "stood-down"):
        assert kind in kinds
    audited = AuditEntry.objects.filter(object_type__startswith="incident", actor_name__in=(me, night.username))  # type: ignore[attr-defined]
    assert set(audited.values_list("object_type", flat=True)) == {
        "incident",
        "incident-task",
        "incident-update",
        "incident-handover",
        "incident-review",
    }


def test_a_report_that_is_not_a_failure(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    responder = api_as("responder")
    body = post(responder, INCIDENTS, {**REPORT, "answers": {**ALL_TRUE, "several-pcs": False}}).json()
    assert body["assessment"] in {"partial", "not-a-failure"}
    assessed = post(responder, f"{INCIDENTS}/1/assess", {"answers": ALL_TRUE})
    assert assessed.status_code == 200 and assessed.json()["assessment"] == "complete"
    closed = post(responder, f"{INCIDENTS}/1/not-a-failure", {"reason": "One PC's cable"})
    assert closed.status_code == 200
    assert (closed.json()["state"], closed.json()["closedNote"]) == ("not-a-failure", "One PC's cable")
    assert post(responder, f"{INCIDENTS}/1/invoke").status_code == 409
    assert post(responder, f"{INCIDENTS}/1/assess", {"answers": ALL_TRUE}).status_code == 409


def test_open_incidents_are_ranked_most_urgent_first(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    invoked_incident()
    clock.move_to(at(18, 0))
    plan = Plan.objects.get(key=PACS)
    services.report(plan=plan, subject="system:pacs", actor=None, answers=ALL_TRUE, via="test")
    listed = api_as("viewer").get(INCIDENTS).json()
    assert [(i["number"], i["urgency"]["rank"]) for i in listed] == [(1, 1), (2, 2)]
    assert listed[0]["urgency"]["timeLeftSeconds"] is not None  # invoked: its functions' MTPDs are counting down
    assert listed[1]["urgency"]["timeLeftSeconds"] is None  # still being checked: nothing marked lost yet


# ---------------------------------------------------------------- permissions


def _every_change(number: int, task: int, target: str) -> list[tuple[str, str, Any]]:
    url = f"{INCIDENTS}/{number}"
    return [
        ("post", INCIDENTS, REPORT),
        ("post", f"{url}/assess", {"answers": ALL_TRUE}),
        ("post", f"{url}/invoke", {}),
        ("post", f"{url}/not-a-failure", {}),
        ("post", f"{url}/restore", {}),
        ("post", f"{url}/stand-down", {}),
        ("post", f"{url}/tasks", {"text": "x"}),
        ("patch", f"{url}/tasks/{task}", {"action": "start"}),
        ("post", f"{url}/tasks/{task}/targets/{target}/told", {}),
        ("post", f"{url}/updates", {"text": "x", "audience": "staff"}),
        ("post", f"{url}/handover", {"toName": "Sam"}),
        ("post", f"{url}/briefing", {"text": "x"}),
        ("put", f"{url}/supplier", {"ticket": "x"}),
        ("put", f"{url}/review", {}),
        ("post", f"{url}/review/actions", {"text": "x", "owner": "y", "dueOn": "2028-01-01"}),
        ("post", f"{url}/review/actions/1/done", {}),
    ]


def _every_read(number: int, task: int) -> list[str]:
    url = f"{INCIDENTS}/{number}"
    return [
        INCIDENTS,
        f"{CHECKS}?subject=system:pacs",
        url,
        f"{url}/tasks",
        f"{url}/tasks/{task}",
        f"{url}/timeline",
        f"{url}/triggers",
        f"{url}/handover",
        f"{url}/briefing",
        f"{url}/review",
    ]


def _an_inform_task(incident: Incident) -> tuple[int, str]:
    target = InformTarget.objects.filter(task__incident=incident).first()
    assert target is not None
    return target.task_id, target.key


def test_viewer_reads_everything_but_changes_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    incident = invoked_incident()
    task, target = _an_inform_task(incident)
    viewer = api_as("viewer")
    for url in _every_read(incident.number, task):
        assert viewer.get(url).status_code == 200, url
    before = rows()
    for method, url, body in _every_change(incident.number, task, target):
        response = send(viewer, method, url, body)
        assert response.status_code == 403, (method, url, response.content)
        assert response.json() == {
            "detail": "This needs the respond permission in Northwick General Hospital NHS Foundation Trust."
        }
    assert rows() == before


def test_outsider_gets_404_and_anonymous_401(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    incident = invoked_incident()
    task, target = _an_inform_task(incident)
    outsider = api_as("editor", organisation=OTHER_ORG)
    anonymous = Client()
    before = rows()
    for url in _every_read(incident.number, task):
        assert outsider.get(url).status_code == 404, url
        assert outsider.get(url).json() == {"detail": "No such organisation."}
        assert anonymous.get(url).status_code == 401, url
    for method, url, body in _every_change(incident.number, task, target):
        assert send(outsider, method, url, body).status_code == 404, url
        assert send(anonymous, method, url, body).status_code == 401, url
    assert rows() == before


def test_an_outsider_cannot_report_against_another_organisations_plan(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    # Clearview's responder names Northwick's plan in a report to Clearview: there is no such plan there.
    response = post(api_as("responder", organisation=OTHER_ORG), f"{BASE}/organisations/{OTHER_ORG}/incidents", REPORT)
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "plan"
    assert Incident.objects.count() == 0
    assert Plan.objects.filter(key=EYE).exists()


def test_unknown_incident_task_target_and_action_are_404(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    incident = invoked_incident()
    task, _ = _an_inform_task(incident)
    responder = api_as("responder")
    other = invoked_incident()  # incident 2: its tasks are not incident 1's
    other_task = Task.objects.filter(incident=other).first()
    assert other_task is not None
    cases = [
        (
            "get",
            f"{INCIDENTS}/99",
            None,
            "There is no incident #99 in Northwick General Hospital NHS Foundation Trust.",
        ),
        ("get", f"{INCIDENTS}/99999999999999999999", None, None),
        ("get", f"{INCIDENTS}/1/tasks/{other_task.pk}", None, f"Incident #1 has no task {other_task.pk}."),
        ("patch", f"{INCIDENTS}/1/tasks/0", {"action": "start"}, "Incident #1 has no task 0."),
        ("post", f"{INCIDENTS}/1/tasks/{task}/targets/nobody/told", {}, f"Task {task} has no target 'nobody'."),
        ("post", f"{INCIDENTS}/1/review/actions/5/done", {}, "Incident #1 has no review action 5."),
    ]
    for method, url, body, detail in cases:
        response = send(responder, method, url, body)
        assert response.status_code == 404, (url, response.content)
        if detail:
            assert response.json() == {"detail": detail}


# ---------------------------------------------------------------- bad bodies


@pytest.mark.parametrize(
    ("body", "path", "code"),
    [
        ({**REPORT, "answers": {"several-pcs": "maybe"}}, "answers.several-pcs", "request.bool_parsing"),
        ({**REPORT, "subject": 7}, "subject", "request.string_type"),
        ({**REPORT, "subject": "system:nope"}, "subject", "incident.refused"),
        ({**REPORT, "subject": "pacs"}, "subject", "incident.refused"),
        ({**REPORT, "answers": {"no-such-check": True}}, "answers", "incident.refused"),
        ({**REPORT, "beganAt": "2027-10-29T17:00:00+01:00"}, "beganAt", "incident.refused"),
        ({**REPORT, "beganAt": "2027-10-29T16:00:00"}, "beganAt", "request.timezone_aware"),
        ({**REPORT, "beganAt": "yesterday"}, "beganAt", "request.datetime_from_date_parsing"),
        ({**REPORT, "plan": "nope"}, "plan", "incident.refused"),
        ({**REPORT, "begunAt": "2027-10-29T16:00:00Z"}, "begunAt", "request.extra_forbidden"),
        ({**REPORT, "title": "x" * 201}, "title", "request.string_too_long"),
        ({**REPORT, "description": "a\x00b"}, "description", "request.text"),
        ({"subject": "system:pacs"}, "plan", "request.missing"),
    ],
)
def test_bad_reports_are_located_422s_and_change_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller, body: Any, path: str, code: str
) -> None:
    responder = api_as("responder")
    before = rows()
    response = post(responder, INCIDENTS, body)
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert (error["path"], error["code"]) == (path, code), error
    assert error["message"]
    assert rows() == before


def test_future_began_at_says_why(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    response = post(api_as("responder"), INCIDENTS, {**REPORT, "beganAt": "2027-10-29T15:41:00Z"})
    assert response.json() == {
        "detail": "The request is not valid.",
        "errors": [
            {
                "path": "beganAt",
                "loc": ["beganAt"],
                "code": "incident.refused",
                "message": "the service cannot be lost in the future: give a time up to now",
            }
        ],
    }


def test_unknown_subject_on_the_checks_endpoint(api_as: Callable[..., Client]) -> None:
    response = api_as("viewer").get(CHECKS, {"subject": "system:nope"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "subject"
    assert api_as("viewer").get(CHECKS).status_code == 422  # subject is required


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"action": "skip"}, "reason"),
        ({"action": "skip", "reason": "   "}, "reason"),
        ({"action": "assign", "assignee": "nobody-here"}, "assignee"),
        ({"action": "fly"}, "action"),
        ({"action": "complete", "note": 5}, "note"),
        ({}, "action"),
    ],
)
def test_bad_task_changes_are_located_422s(
    api_as: Callable[..., Client], clock: time_machine.Traveller, body: Any, path: str
) -> None:
    incident = invoked_incident()
    task = Task.objects.filter(incident=incident).first()
    assert task is not None
    responder = api_as("responder")
    before = rows()
    response = send(responder, "patch", f"{INCIDENTS}/1/tasks/{task.pk}", body)
    assert response.status_code == 422, response.content
    assert [e["path"] for e in response.json()["errors"]] == [path]
    assert rows() == before
    assert Task.objects.get(pk=task.pk).state == "open"


def test_assigning_someone_from_another_organisation_is_refused(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    incident = invoked_incident()
    task = Task.objects.filter(incident=incident).first()
    assert task is not None
    outsider = make_user("clearview-person", OTHER_ORG, Role.RESPONDER)
    response = send(
        api_as("responder"),
        "patch",
        f"{INCIDENTS}/1/tasks/{task.pk}",
        {"action": "assign", "assignee": outsider.username},
    )
    assert response.status_code == 422
    assert (
        response.json()["errors"][0]["message"]
        == "'clearview-person' is not a member of Northwick General Hospital NHS Foundation Trust"
    )


def test_state_conflicts_are_409(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    responder = api_as("responder")
    post(responder, INCIDENTS, REPORT)
    before = rows()
    restore = post(responder, f"{INCIDENTS}/1/restore")
    assert restore.status_code == 409
    assert restore.json() == {"detail": "incident #1 is reported: only an invoked incident is restored"}
    assert post(responder, f"{INCIDENTS}/1/tasks", {"text": "x"}).status_code == 409
    assert send(responder, "put", f"{INCIDENTS}/1/review", {}).status_code == 409
    assert rows() == before
    post(responder, f"{INCIDENTS}/1/invoke")
    task = Task.objects.filter(incident__number=1).first()
    assert task is not None
    assert send(responder, "patch", f"{INCIDENTS}/1/tasks/{task.pk}", {"action": "reopen"}).status_code == 409
    future = post(responder, f"{INCIDENTS}/1/restore", {"restoredAt": "2027-10-30T00:00:00Z"})
    assert future.status_code == 422 and future.json()["errors"][0]["path"] == "restoredAt"
    assert post(responder, f"{INCIDENTS}/1/invoke", {"risk": "nope"}).status_code == 409  # already invoked


def test_bad_update_review_and_handover_bodies(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    invoked_incident()
    responder = api_as("responder")
    url = f"{INCIDENTS}/1"
    before = rows()
    cases = [
        ("post", f"{url}/updates", {"text": "x", "audience": "everyone"}, "audience"),
        ("post", f"{url}/updates", {"text": "x"}, "audience"),
        ("post", f"{url}/updates", {"text": " ", "audience": "staff"}, "text"),
        ("post", f"{url}/handover", {}, "to"),
        ("post", f"{url}/handover", {"to": "nobody-here"}, "to"),
        ("post", f"{url}/tasks", {"text": ""}, "text"),
        ("post", f"{url}/tasks", {"text": "x" * 2001}, "text"),
    ]
    for method, target, body, path in cases:
        response = send(responder, method, target, body)
        assert response.status_code == 422, (body, response.content)
        assert [e["path"] for e in response.json()["errors"]] == [path], body
    assert rows() == before
    clock.move_to(at(18, 0))
    post(responder, f"{url}/restore")
    before = rows()
    review_cases: list[tuple[dict[str, Any], str]] = [
        ({"complete": True, "lessons": "x"}, "rootCause"),
        ({"complete": True, "rootCause": "x"}, "lessons"),
        ({"whys": ["a"] * 6}, "whys"),
    ]
    for body, path in review_cases:
        response = send(responder, "put", f"{url}/review", body)
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["path"] == path
    action_cases = [
        ({"text": "x", "owner": " ", "dueOn": "2028-01-01"}, "owner"),
        ({"text": "x", "owner": "y", "dueOn": "soon"}, "dueOn"),
        ({"text": "x", "owner": "y"}, "dueOn"),
    ]
    for body, path in action_cases:
        response = post(responder, f"{url}/review/actions", body)
        assert response.status_code == 422, response.content
        assert response.json()["errors"][0]["path"] == path
    assert rows() == before


# ---------------------------------------------------------------- random bodies

TEXT = st.text(max_size=30)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)
MOMENT = st.one_of(
    st.datetimes(timezones=st.just(LONDON)).map(lambda d: d.isoformat()),
    st.sampled_from(["2027-10-29T15:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "now"]),
)
REPORT_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "plan": st.one_of(st.just(PACS), st.just(EYE), JSON),
        "subject": st.one_of(st.sampled_from(["system:pacs", "function:image-reporting", "site:x", ":", ""]), JSON),
        "answers": st.one_of(st.dictionaries(st.sampled_from([*ALL_TRUE, "x"]), st.one_of(st.booleans(), JSON)), JSON),
        "beganAt": st.one_of(MOMENT, JSON),
        "area": st.one_of(TEXT, JSON),
        "title": st.one_of(TEXT, JSON),
        "description": st.one_of(TEXT, JSON),
    },
)
TASK_CHANGE = st.fixed_dictionaries(
    {},
    optional={
        "action": st.one_of(st.sampled_from(["assign", "start", "complete", "skip", "reopen"]), JSON),
        "assignee": st.one_of(st.none(), st.sampled_from(["", "nobody", "api-responder-1"]), JSON),
        "note": st.one_of(TEXT, JSON),
        "reason": st.one_of(TEXT, JSON),
    },
)


def _well_formed(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, response.content
    payload = response.json()
    assert isinstance(payload.get("detail", ""), str)
    if response.status_code == 422:
        assert payload["errors"]
        assert all(set(e) == {"path", "loc", "code", "message"} for e in payload["errors"])


@pytest.fixture
def responder(api_as: Callable[..., Client]) -> Client:
    return api_as("responder")


@settings(max_examples=budget(120), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSON, REPORT_LIKE, REPORT_LIKE.map(lambda d: {**REPORT, **d})))
def test_random_reports_never_cause_a_500(responder: Client, body: Any) -> None:
    with time_machine.travel(REPORTED, tick=False):
        _well_formed(post(responder, INCIDENTS, body), {201, 422})


@settings(max_examples=budget(120), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSON, TASK_CHANGE), which=st.integers(min_value=0, max_value=20))
def test_random_task_changes_never_cause_a_500(responder: Client, body: Any, which: int) -> None:
    with time_machine.travel(REPORTED, tick=False):
        incident = Incident.objects.filter(number=1).first() or invoked_incident()
        tasks = list(Task.objects.filter(incident=incident).order_by("position"))
        task = tasks[which % len(tasks)]
        response = send(responder, "patch", f"{INCIDENTS}/1/tasks/{task.pk}", body)
        _well_formed(response, {200, 409, 422})
