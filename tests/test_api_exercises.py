"""Exercises over the JSON API: a table-top run with a token, and bad bodies refused with nothing changed.

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

from contingency.core.models import AuditEntry
from contingency.exercises.models import ClockAdvance, Exercise, Inject
from contingency.incidents.models import Incident, TimelineEntry

from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
EXERCISES = f"/api/v1/organisations/{HOME_ORG}/exercises"
STARTED = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)  # a Wednesday
START = {"plan": PACS, "kind": "table-top", "subject": "system:pacs", "asIf": "2027-03-14T02:00:00Z"}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(STARTED, tick=False) as traveller:
        yield traveller


def name_of(client: Client) -> str:
    """The username of an `api_as` client's user."""
    return str(client.__dict__["username"])


def post(client: Client, url: str, body: Any) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(url, data, content_type="application/json")


def rows() -> dict[str, int]:
    """How many of each row there are: a refused request changes none of them."""
    models = (Exercise, Inject, ClockAdvance, Incident, TimelineEntry, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def test_a_table_top_exercise_through_the_api(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    lead = api_as("responder")
    started = post(lead, EXERCISES, START)
    assert started.status_code == 201, started.json()
    body = started.json()
    assert body["number"] == 1 and body["kind"] == "table-top" and body["kindLabel"] == "table-top exercise"
    assert body["plan"] == PACS and body["running"] is True and body["startedBy"] == name_of(lead)
    assert body["asIf"] == "2027-03-14T02:00:00Z"
    assert body["scenarioNow"] == "2027-03-14T02:00:00Z"
    assert body["scenarioLocal"] == "2027-03-14T02:00:00+00:00"
    assert body["incident"] == Incident.objects.get().number
    assert body["injects"] == [] and body["clockAdvances"] == [] and body["findings"] == []
    assert {"people", "acknowledged", "shares", "roles", "failures"} <= set(body["figures"])
    url = f"{EXERCISES}/1"

    listed = lead.get(EXERCISES).json()
    assert [e["number"] for e in listed["exercises"]] == [1]
    table_top = next(r for r in listed["programme"] if r["plan"] == PACS and r["kind"] == "table-top")
    assert table_top["months"] == 12 and table_top["overdue"] is True  # started, not finished: not done yet

    added = post(
        lead, f"{url}/injects", {"title": "Failover fails", "text": "The standby does not come up.", "minutes": 90}
    )
    assert added.status_code == 201, added.json()
    assert added.json()["injects"] == [
        {
            "position": 1,
            "title": "Failover fails",
            "text": "The standby does not come up.",
            "minutes": 90,
            "releasedAt": None,
            "scenarioAt": None,
        }
    ]
    clock.shift(600)
    released = post(lead, f"{url}/injects/release", {"advance": True})
    assert released.status_code == 200, released.json()
    shown = released.json()
    assert shown["injects"][0]["releasedAt"] == "2027-03-10T12:10:00Z"
    assert shown["injects"][0]["scenarioAt"] == "2027-03-14T03:30:00Z"
    # Ten minutes had passed in scenario time too: the clock moved on by the other eighty.
    [step] = shown["clockAdvances"]
    assert step["minutes"] == 80 and step["inject"] == 1 and step["by"] == name_of(lead)
    assert shown["scenarioNow"] == "2027-03-14T03:30:00Z"
    assert TimelineEntry.objects.filter(text__startswith="EXERCISE inject 1: Failover fails.").exists()

    advanced = post(lead, f"{url}/clock", {"minutes": 60, "reason": "Skip to the conference call"})
    assert advanced.status_code == 200, advanced.json()
    assert [a["minutes"] for a in advanced.json()["clockAdvances"]] == [80, 60]
    assert advanced.json()["clockAdvances"][1]["words"] == "1 hour"
    assert advanced.json()["scenarioNow"] == "2027-03-14T04:30:00Z"

    none_left = post(lead, f"{url}/injects/release", {})
    assert none_left.status_code == 409
    assert none_left.json() == {"detail": "exercise 1 has no injects left to release"}

    finished = post(lead, f"{url}/finish", {"outcome": "The call tree reached everyone but the night porter."})
    assert finished.status_code == 200, finished.json()
    assert finished.json()["running"] is False
    assert finished.json()["outcome"] == "The call tree reached everyone but the night porter."
    assert lead.get(url).json()["finishedAt"] == "2027-03-10T12:10:00Z"
    again = post(lead, f"{url}/finish", {"outcome": "Again"})
    assert again.status_code == 409
    assert again.json() == {"detail": "exercise 1 has already finished"}
    notes = AuditEntry.objects.filter(object_type="exercise", object_key="exercise/1").values_list("note", "actor_name")
    assert [n for n, _ in notes.order_by("at", "id")] == [
        "started",
        "inject 1 added",
        "inject 1 released; clock advanced by 1 hour 20 minutes",
        "clock advanced by 1 hour",
        "finished",
    ]
    assert {a for _, a in notes} == {name_of(lead)}


def _started(api_as: Callable[..., Client]) -> Client:
    lead = api_as("responder")
    assert post(lead, EXERCISES, START).status_code == 201
    return lead


@pytest.mark.parametrize(
    ("path", "body", "where", "message"),
    [
        ("", {**START, "plan": "nope"}, "plan", "there is no plan 'nope' in Northwick General"),
        ("", {**START, "kind": "fire-drill"}, "kind", "an exercise is one of: communications, table-top, live"),
        ("", {**START, "asIf": "2027-03-14T02:00:00"}, "asIf", "Input should have timezone info"),
        ("", {**START, "colour": "red"}, "colour", "Extra inputs are not permitted"),
        ("/1/injects", {"title": " ", "text": "x"}, "title", "give the inject a title"),
        ("/1/injects", {"title": "x", "text": "y", "minutes": -1}, "minutes", "is too small"),
        ("/1/injects", {"title": "x" * 201, "text": "y"}, "title", "String should have at most 200 characters"),
        ("/1/clock", {"minutes": 0, "reason": "x"}, "minutes", "is too small"),
        ("/1/clock", {"minutes": 10081, "reason": "x"}, "minutes", "is too large"),
        ("/1/clock", {"minutes": "an hour", "reason": "x"}, "minutes", "expected a whole number"),
        ("/1/clock", {"minutes": True, "reason": "x"}, "minutes", "expected a whole number"),
        ("/1/injects", {"title": "x", "text": "y", "minutes": "90"}, "minutes", "expected a whole number"),
        ("/1/clock", {"minutes": 30, "reason": "  "}, "reason", "say why the clock moves on"),
        ("/1/finish", {"outcome": ""}, "outcome", "say what the exercise showed"),
        ("/1/finish", {}, "outcome", "this is required"),
        ("/1/injects/release", {"advance": "perhaps"}, "advance", "Input should be a valid boolean"),
    ],
)
def test_bad_bodies_are_located_422s_and_change_nothing(
    api_as: Callable[..., Client], clock: time_machine.Traveller, path: str, body: Any, where: str, message: str
) -> None:
    lead = _started(api_as)
    before = rows()
    response = post(lead, EXERCISES + path, body)
    assert response.status_code == 422, response.json()
    [error] = response.json()["errors"]
    assert error["path"] == where
    assert message in error["message"], error
    assert rows() == before


@pytest.mark.parametrize("body", ["{not json", b"\xff\xfe"])
def test_a_body_that_is_not_json_is_400(
    api_as: Callable[..., Client], clock: time_machine.Traveller, body: str | bytes
) -> None:
    lead = _started(api_as)
    before = rows()
    response = post(lead, f"{EXERCISES}/1/clock", body)
    assert response.status_code == 400
    assert response.json()["detail"] == "The request body is not valid JSON."
    assert rows() == before


def test_an_unknown_exercise_is_404(api_as: Callable[..., Client], clock: time_machine.Traveller) -> None:
    lead = _started(api_as)
    for number in (2, 0, 2**40):
        response = lead.get(f"{EXERCISES}/{number}")
        assert response.status_code == 404
    assert lead.get(f"{EXERCISES}/2").json() == {
        "detail": "There is no exercise 2 in Northwick General Hospital NHS Foundation Trust."
    }
    assert post(lead, f"{EXERCISES}/2/finish", {"outcome": "x"}).status_code == 404


def test_release_moves_the_clock_unless_told_not_to(
    api_as: Callable[..., Client], clock: time_machine.Traveller
) -> None:
    lead = _started(api_as)
    for title in ("First", "Second"):
        assert post(lead, f"{EXERCISES}/1/injects", {"title": title, "text": "x", "minutes": 60}).status_code == 201
    kept = post(lead, f"{EXERCISES}/1/injects/release", {"advance": False}).json()
    assert kept["clockAdvances"] == [] and kept["scenarioNow"] == "2027-03-14T02:00:00Z"
    moved = post(lead, f"{EXERCISES}/1/injects/release", {}).json()
    assert [a["minutes"] for a in moved["clockAdvances"]] == [60]
    assert moved["scenarioNow"] == "2027-03-14T03:00:00Z"
