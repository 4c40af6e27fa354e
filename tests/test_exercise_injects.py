"""A table-top exercise of a demo plan run inject by inject: added, released in order onto the incident's
timeline marked EXERCISE, refused when none are left or the exercise is over; viewers and other
organisations cannot release."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client

from contingency.core.models import AuditEntry
from contingency.exercises import services
from contingency.exercises.models import Exercise, Inject
from contingency.incidents.models import TimelineEntry

from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db

BASE = f"/o/{HOME_ORG}/exercises/"
START = {"kind": "table-top", "part": f"{PACS} system:pacs"}
INJECTS = [
    ("Failover", "02:40 the PACS database fails over and the standby does not come up.", 0),
    ("Radiology calls", "03:10 the emergency department asks where the CT reports are.", 30),
    ("Supplier", "04:00 the supplier says a fix will take six hours.", 80),
]


def _started(client: Client) -> Exercise:
    response = client.post(f"{BASE}start/", START)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Exercise.objects.get(organisation__slug=HOME_ORG)


def _exercise_notes(exercise: Exercise) -> list[str]:
    return [
        text
        for text in TimelineEntry.objects.filter(incident=exercise.incident).values_list("text", flat=True)
        if text.startswith("EXERCISE inject")
    ]


def test_a_table_top_runs_inject_by_inject(member: Callable[..., Client], email: None) -> None:
    facilitator = member("responder")
    exercise = _started(facilitator)
    page = f"{BASE}{exercise.number}/"
    assert "Add an inject" in facilitator.get(page).content.decode()
    for title, text, minutes in INJECTS:
        added = facilitator.post(f"{page}injects/", {"title": title, "text": text, "minutes": minutes})
        assert added.status_code == 302, added.content.decode()[:2000]
    assert list(exercise.injects.values_list("position", flat=True)) == [1, 2, 3]
    refused = facilitator.post(f"{page}injects/", {"title": "", "text": "x", "minutes": 0})
    assert refused.status_code == 400 and "Give the inject a title" in refused.content.decode()

    for done, (title, text, minutes) in enumerate(INJECTS, start=1):
        assert facilitator.post(f"{page}injects/release/").status_code == 302
        notes = _exercise_notes(exercise)
        assert len(notes) == done
        assert notes[-1] == f"EXERCISE inject {done}: {title}. {text}"
        inject = Inject.objects.get(exercise=exercise, position=done)
        assert inject.released_at is not None and inject.released_by is not None
        assert inject.scenario_at == exercise.started_at + timedelta(minutes=minutes)
    assert _exercise_notes(exercise) == [f"EXERCISE inject {n}: {t}. {x}" for n, (t, x, _) in enumerate(INJECTS, 1)]
    incident_page = facilitator.get(f"/o/{HOME_ORG}/incidents/{exercise.incident.number}/").content.decode()  # type: ignore[union-attr]
    assert "EXERCISE inject 3: Supplier." in incident_page

    fourth = facilitator.post(f"{page}injects/release/", follow=True)
    assert "no injects left to release" in fourth.content.decode()
    assert len(_exercise_notes(exercise)) == 3
    assert AuditEntry.objects.filter(object_key=f"exercise/{exercise.number}", note__startswith="inject").count() == 6


def test_nothing_is_released_or_added_after_the_exercise_finishes(member: Callable[..., Client], email: None) -> None:
    facilitator = member("responder")
    exercise = _started(facilitator)
    services.add_inject(exercise=exercise, title="Failover", text="The standby fails.", minutes=0, actor=None)
    services.finish(exercise=exercise, outcome="Stopped early.", actor=None)
    with pytest.raises(services.ExerciseError, match="has finished"):
        services.release_next_inject(exercise=exercise, actor=None)
    with pytest.raises(services.ExerciseError, match="has finished"):
        services.add_inject(exercise=exercise, title="Late", text="Too late.", minutes=5, actor=None)
    page = facilitator.get(f"{BASE}{exercise.number}/").content.decode()
    assert "Release next inject" not in page and "Add an inject" not in page and "Not released yet" in page
    assert _exercise_notes(exercise) == []


def test_a_released_inject_is_not_released_again(member: Callable[..., Client], email: None) -> None:
    exercise = _started(member("responder"))
    services.add_inject(exercise=exercise, title="One", text="First.", minutes=0, actor=None)
    stale = Exercise.objects.get(pk=exercise.pk)  # a second facilitator's copy, read before the first release
    assert services.release_next_inject(exercise=exercise, actor=None).position == 1
    with pytest.raises(services.ExerciseError, match="no injects left"):
        services.release_next_inject(exercise=stale, actor=None)
    assert len(_exercise_notes(exercise)) == 1


def test_viewers_read_but_do_not_add_or_release(member: Callable[..., Client], email: None) -> None:
    exercise = _started(member("responder"))
    services.add_inject(exercise=exercise, title="Failover", text="The standby fails.", minutes=0, actor=None)
    viewer = member("viewer")
    page = viewer.get(f"{BASE}{exercise.number}/").content.decode()
    assert "Failover" in page and "Release next inject" not in page and "Add an inject" not in page
    assert viewer.post(f"{BASE}{exercise.number}/injects/release/").status_code == 403
    assert (
        viewer.post(f"{BASE}{exercise.number}/injects/", {"title": "x", "text": "y", "minutes": 0}).status_code == 403
    )
    assert Inject.objects.get().released_at is None and exercise.injects.count() == 1


def test_another_organisation_cannot_see_or_release(member: Callable[..., Client], email: None) -> None:
    exercise = _started(member("responder"))
    services.add_inject(exercise=exercise, title="Failover", text="The standby fails.", minutes=0, actor=None)
    outsider = member("responder", organisation=OTHER_ORG)
    assert outsider.get(f"{BASE}{exercise.number}/").status_code in (403, 404)
    assert outsider.post(f"{BASE}{exercise.number}/injects/release/").status_code in (403, 404)
    assert outsider.post(f"/o/{OTHER_ORG}/exercises/{exercise.number}/injects/release/").status_code == 404
    assert Inject.objects.get().released_at is None
