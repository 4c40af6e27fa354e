"""The exercise pages: sign-in, the user's organisation only, responders start and finish, viewers look."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client

from contingency.exercises.models import Cadence, Exercise, Finding
from contingency.exercises.programme import programme
from contingency.notify.models import Notification
from contingency.plans.models import Plan

from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db

BASE = f"/o/{HOME_ORG}/exercises/"
START = {"kind": "communications", "part": f"{PACS} system:pacs"}


def test_anonymous_visitors_are_sent_to_sign_in(demo_plans: list[object]) -> None:
    for url in (BASE, f"{BASE}start/", f"{BASE}1/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_responder_starts_and_finishes_an_exercise(member: Callable[..., Client], email: None) -> None:
    client = member("responder")
    assert client.get(f"{BASE}start/").status_code == 200
    response = client.post(f"{BASE}start/", START)
    assert response.status_code == 302, response.content.decode()[:2000]
    exercise = Exercise.objects.get(organisation__slug=HOME_ORG)
    assert response["Location"] == f"{BASE}{exercise.number}/"
    assert exercise.kind == "communications" and exercise.incident is not None
    messages = Notification.objects.filter(incident=exercise.incident)
    assert messages.exists() and all(m.subject.startswith("EXERCISE") for m in messages)
    page = client.get(response["Location"]).content.decode()
    assert "Communications figures" in page and "Within 15 minutes" in page and "Finish the exercise" in page
    # The exercise's incident is not among the real ones.
    assert exercise.incident.title not in client.get(f"/o/{HOME_ORG}/incidents/").content.decode()

    refused = client.post(f"{BASE}{exercise.number}/finish/", {"outcome": ""})
    assert refused.status_code == 400 and "Say what the exercise showed" in refused.content.decode()
    done = client.post(f"{BASE}{exercise.number}/finish/", {"outcome": "Everyone answered."})
    assert done.status_code == 302
    assert Exercise.objects.get(pk=exercise.pk).finished_at is not None
    assert not Finding.objects.filter(exercise=exercise).exists()  # e-mail only, none refused
    listing = client.get(BASE).content.decode()
    assert "Exercise 1: communications test" in listing and "finished" in listing


def test_a_bad_choice_is_refused_beside_its_field(member: Callable[..., Client]) -> None:
    client = member("responder")
    response = client.post(f"{BASE}start/", {"kind": "drill", "part": f"{PACS} system:nothing"})
    assert response.status_code == 400
    assert not Exercise.objects.exists()


def test_viewers_look_but_do_not_start_or_finish(member: Callable[..., Client], email: None) -> None:
    responder = member("responder")
    assert responder.post(f"{BASE}start/", START).status_code == 302
    viewer = member("viewer")
    assert viewer.get(BASE).status_code == 200
    assert "Start an exercise" not in viewer.get(BASE).content.decode()
    assert "Finish the exercise" not in viewer.get(f"{BASE}1/").content.decode()
    assert viewer.post(f"{BASE}start/", START).status_code == 403
    assert viewer.post(f"{BASE}1/finish/", {"outcome": "x"}).status_code == 403
    assert Exercise.objects.count() == 1 and Exercise.objects.get().finished_at is None


def test_another_organisation_sees_nothing_of_it(member: Callable[..., Client], email: None) -> None:
    assert member("responder").post(f"{BASE}start/", START).status_code == 302
    outsider = member("responder", organisation=OTHER_ORG)
    assert outsider.get(f"{BASE}1/").status_code in (403, 404)
    assert outsider.post(f"{BASE}1/finish/", {"outcome": "x"}).status_code in (403, 404)
    own = outsider.get(f"/o/{OTHER_ORG}/exercises/")
    assert own.status_code == 200 and "Exercise 1" not in own.content.decode()
    assert outsider.get(f"/o/{OTHER_ORG}/exercises/1/").status_code == 404
    assert Exercise.objects.get().finished_at is None


def test_the_programme_is_due_by_cadence() -> None:
    rows = programme(
        [("pacs", "PACS")],
        [("pacs", "communications", date(2026, 1, 10)), ("pacs", "communications", date(2026, 7, 1))],
        date(2027, 2, 1),
    )
    by_kind = {r.kind: r for r in rows}
    assert (by_kind["communications"].due, by_kind["communications"].overdue) == (date(2027, 1, 1), True)
    assert by_kind["table-top"].due is None and by_kind["table-top"].overdue
    assert [r.months for r in rows] == [6, 12, 36]
    assert not programme([("pacs", "PACS")], [("pacs", "live", date(2026, 1, 1))], date(2027, 1, 1))[2].overdue


def test_the_demo_exercise_has_figures_and_loads_once(demo_plans: list[object], catcher: None) -> None:
    from contingency.exercises import demo, services

    exercise = demo.load()
    assert exercise is not None and demo.load() is None
    assert exercise.finished_at is not None and exercise.incident is not None
    assert exercise.incident.state == "stood-down"
    found = services.of(exercise)
    assert found.people > 0 and 0 < found.acknowledged < found.people
    assert found.shares[0].acknowledged <= found.shares[1].acknowledged


def test_the_dashboard_lists_exercises_due_until_one_is_done(member: Callable[..., Client], email: None) -> None:
    client = member("responder")
    dashboard = f"/o/{HOME_ORG}/"
    title = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS).title
    due = f"<strong>{title}</strong>: communications test never done"
    assert due in client.get(dashboard).content.decode()
    started = client.post(f"{BASE}start/", START)
    assert started.status_code == 302
    # Started is not done: the programme counts finished exercises.
    assert due in client.get(dashboard).content.decode()
    assert client.post(f"{started['Location']}finish/", {"outcome": "Everyone answered."}).status_code == 302
    page = client.get(dashboard).content.decode()
    assert due not in page and f"<strong>{title}</strong>: table-top exercise never done" in page


def test_the_cadence_is_the_plans_own_else_every_plans_else_the_default() -> None:
    plans = [("pacs", "PACS"), ("eye", "Eye care")]
    own = {("", "table-top"): 24, ("eye", "table-top"): None, ("pacs", "communications"): 3}
    rows = {(r.plan_key, r.kind): r.months for r in programme(plans, [], date(2027, 1, 1), own=own)}
    assert rows[("pacs", "communications")] == 3 and rows[("eye", "communications")] == 6
    assert rows[("pacs", "table-top")] == 24 and ("eye", "table-top") not in rows
    assert rows[("pacs", "live")] == rows[("eye", "live")] == 36


def test_an_editor_changes_the_programme_and_a_responder_cannot(member: Callable[..., Client]) -> None:
    from contingency.core.models import AuditEntry

    cadence = f"{BASE}cadence/"
    assert member("responder").post(cadence, {"plan": "", "kind": "live", "setting": "not-required"}).status_code == 403
    editor = member("editor")
    assert "Change how often exercises are due" in editor.get(BASE).content.decode()
    missing = editor.post(cadence, {"plan": PACS, "kind": "table-top", "setting": "months"})
    assert missing.status_code == 400 and "Give the months between exercises." in missing.content.decode()
    assert (
        editor.post(cadence, {"plan": PACS, "kind": "table-top", "setting": "months", "months": "99999"}).status_code
        == 400
    )
    assert editor.post(cadence, {"plan": "nope", "kind": "live", "setting": "default"}).status_code == 400
    assert not Cadence.objects.exists()

    assert (
        editor.post(cadence, {"plan": PACS, "kind": "table-top", "setting": "months", "months": "6"}).status_code == 302
    )
    assert editor.post(cadence, {"plan": "", "kind": "live", "setting": "not-required"}).status_code == 302
    page = editor.get(BASE).content.decode()
    assert "live exercise" not in page.split('id="list-title"')[0].split("<tbody>")[1].split("</tbody>")[0]
    assert AuditEntry.objects.filter(object_type="exercise-cadence").count() == 2
    assert editor.post(cadence, {"plan": "", "kind": "live", "setting": "default"}).status_code == 302
    assert not Cadence.objects.filter(kind="live").exists()
    assert Cadence.objects.get(plan_key=PACS).months == 6


def test_a_real_activation_counts_as_the_live_exercise_once_reviewed(demo_plans: list[object]) -> None:
    from django.utils import timezone

    from contingency.core.models import Organisation
    from contingency.exercises import services
    from contingency.incidents import services as incidents
    from contingency.incidents.review import save_review

    organisation = Organisation.objects.get(slug=HOME_ORG)

    def live() -> date | None:
        today = timezone.localdate()
        return next(
            r.last for r in services.programme_of(organisation, today) if r.plan_key == PACS and r.kind == "live"
        )

    pacs = Plan.objects.get(organisation=organisation, key=PACS)
    found = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    found = incidents.restore(incident=incidents.invoke(incident=found, actor=None, via="test"), actor=None, via="test")
    assert live() is None  # invoked, not yet learned from
    save_review(
        incident=found, actor=None, whys=["The database failed over"], root_cause="A witness in the same room",
        went_well="CDs went with patients", went_badly="", lessons="Move the witness", complete=True, via="test",
    )  # fmt: skip
    assert live() is not None
