"""The live incident page polls cheaply: a version per incident, 304 when nothing changed, and only
the sections that changed otherwise; one form for the whole checklist; sections rendered once per
version and shared, with each reader's own CSRF token.

Every change to an incident, its tasks, timeline, trigger points and call-outs gives it a new
version (incidents.models.touch), so a cached section can never be stale.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from contingency.core.models import Role
from contingency.incidents import handover, review, services, tasks, worker
from contingency.incidents.models import Incident, InformTarget, Task, TaskState
from contingency.notify import delivery, dispatch
from contingency.notify.models import Callout
from contingency.plans.models import Plan
from contingency.web.fragments import CSRF_SLOT
from contingency.web.incidents import live

from .web import HOME_ORG, PACS, MemberFactory, client_for, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
FRIDAY = datetime(2027, 10, 29, 16, 40, tzinfo=LONDON)
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def reported() -> Incident:
    plan = Plan.objects.get(key=PACS, organisation__slug=HOME_ORG)
    return services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")


def invoked() -> Incident:
    return services.invoke(incident=reported(), actor=None, via="test")


def version(incident: Incident) -> str:
    return Incident.objects.values_list("version", flat=True).get(pk=incident.pk)


def open_task(incident: Incident) -> Task:
    return Task.objects.filter(incident=incident, state=TaskState.OPEN).order_by("position")[0]


def url(incident: Incident, name: str = "incident", **extra: object) -> str:
    from django.urls import reverse

    return reverse(name, kwargs={"org": HOME_ORG, "number": incident.number, **extra})


def sections_in(response: Any) -> list[str]:
    return re.findall(r'<div id="live-(\w+)" hx-swap-oob="true">', response.content.decode())


# ---------------------------------------------------------------- every change gives a new version


def test_every_change_to_an_incident_gives_it_a_new_version(demo_plans: list[object], clock: Any) -> None:
    user = make_user("lead", HOME_ORG, Role.RESPONDER)
    incident = reported()
    seen = {version(incident)}

    def changes(name: str, change: Callable[[], object]) -> None:
        change()
        now = version(incident)
        assert now not in seen, f"{name} left the version as it was"
        seen.add(now)

    changes("assess", lambda: services.assess_again(incident=incident, answers=CHECKS, actor=None, via="test"))
    changes("invoke", lambda: services.invoke(incident=incident, actor=None, via="test"))
    task = open_task(incident)
    changes("assign", lambda: tasks.assign(task=task, assignee_id=user.pk, actor=None, via="test"))
    changes("start", lambda: tasks.start(task=task, actor=None, via="test"))
    changes("finish", lambda: tasks.finish(task=task, actor=None, done=True, via="test"))
    changes("reopen", lambda: tasks.reopen(task=task, actor=None, via="test"))
    target = InformTarget.objects.filter(task__incident=incident).order_by("pk")[0]
    changes("told", lambda: tasks.told(target=target, actor=None, how="phone", via="test"))
    changes("ad hoc", lambda: tasks.add_ad_hoc(incident=incident, text="Order CDs", actor=None, via="test"))
    changes(
        "update",
        lambda: tasks.post_update(incident=incident, text="Vendor on site", audience="staff", actor=None, via="test"),
    )
    changes("hand over", lambda: handover.hand_over(incident=incident, actor=None, to_name="Night lead", via="test"))
    clock.move_to(FRIDAY + timedelta(hours=1))
    changes("worker", lambda: worker.run_until_idle(worker="test"))
    changes("restore", lambda: services.restore(incident=incident, actor=None, via="test"))
    changes(
        "review",
        lambda: review.save_review(
            incident=incident, actor=None, whys=["x"], root_cause="", went_well="", went_badly="", lessons=""
        ),
    )
    changes("stand down", lambda: services.stand_down(incident=incident, actor=None, via="test", reason="over"))


def test_call_outs_and_messages_give_a_new_version(demo_plans: list[object], channels: Any, clock: Any) -> None:
    incident = invoked()
    assert Callout.objects.filter(incident=incident).exists()
    before = version(incident)
    sent, _ = delivery.run_until_idle(worker="test")
    assert sent and version(incident) != before
    before = version(incident)
    callout = Callout.objects.filter(incident=incident, state="waiting").order_by("pk")[0]
    assert dispatch.acknowledge(callout, via="link", at=FRIDAY)
    assert version(incident) != before
    before = version(incident)
    clock.move_to(FRIDAY + timedelta(hours=2))  # every wait for an acknowledgement has ended
    assert delivery.advance_waits(now=FRIDAY + timedelta(hours=2))
    assert version(incident) != before


# ---------------------------------------------------------------- the poll


def test_the_poll_is_not_modified_until_the_incident_changes(member: MemberFactory, clock: Any) -> None:
    incident = invoked()
    viewer = member("viewer")
    first = viewer.get(url(incident, "incident-live"))
    assert first.status_code == 200 and first["ETag"]
    assert sections_in(first) == list(live.SECTIONS)  # no ETag sent: every section
    again = viewer.get(url(incident, "incident-live"), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content

    tasks.finish(task=open_task(incident), actor=None, done=True, text="CDs going out", via="test")
    changed = viewer.get(url(incident, "incident-live"), headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    sent = sections_in(changed)
    assert {"checklist", "timeline", "summary"} <= set(sent)
    assert "facts" not in sent and "functions" not in sent and "due" not in sent
    assert "CDs going out" in changed.content.decode()


def test_the_clock_moving_on_sends_only_what_shows_the_time(member: MemberFactory, clock: Any) -> None:
    incident = invoked()
    viewer = member("viewer")
    clock.move_to(FRIDAY + timedelta(minutes=1))  # the tasks due at the invocation are overdue from now on
    first = viewer.get(url(incident, "incident-live"))
    clock.move_to(FRIDAY + timedelta(minutes=2))
    later = viewer.get(url(incident, "incident-live"), headers={"If-None-Match": first["ETag"]})
    assert later.status_code == 200
    sent = sections_in(later)
    assert "facts" in sent and "functions" in sent
    assert "timeline" not in sent and "checklist" not in sent


def test_the_page_carries_its_etag_for_the_first_poll(member: MemberFactory, clock: Any) -> None:
    incident = invoked()
    viewer = member("viewer")
    page = viewer.get(url(incident)).content.decode()
    etag = re.search(r'id="incident-live" data-etag="([^"]+)"', page)
    assert etag is not None and 'hx-swap="none"' in page
    poll = viewer.get(url(incident, "incident-live"), headers={"If-None-Match": etag.group(1).replace("&quot;", '"')})
    assert poll.status_code == 304


def test_a_section_is_rendered_once_per_version_and_shared(
    member: MemberFactory, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = invoked()
    rendered: list[int] = []
    real = live._render

    def counting(*args: Any, **kwargs: Any) -> Any:
        rendered.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(live, "_render", counting)
    readers = [member("viewer") for _ in range(3)]
    for reader in readers:
        assert reader.get(url(incident)).status_code == 200
        assert reader.get(url(incident, "incident-live")).status_code == 200
    assert len(rendered) == 1
    tasks.add_ad_hoc(incident=incident, text="Order more CDs", actor=None, via="test")
    for reader in readers:
        assert "Order more CDs" in reader.get(url(incident)).content.decode()
    assert len(rendered) == 2


def test_readers_with_other_rights_do_not_share_a_section(member: MemberFactory, clock: Any) -> None:
    incident = invoked()
    responder_page = member("responder").get(url(incident)).content.decode()
    viewer_page = member("viewer").get(url(incident)).content.decode()
    assert "Mark done" in responder_page
    assert "Mark done" not in viewer_page and '<form method="post" class="checklist-form"' not in viewer_page


# ---------------------------------------------------------------- one form for the checklist


def test_the_checklist_is_one_form_with_a_button_per_task(member: MemberFactory, clock: Any) -> None:
    incident = invoked()
    page = member("responder").get(url(incident)).content.decode()
    checklist = page[page.index('<div id="live-checklist">') : page.index('<div id="live-reached">')]
    tasks_shown = checklist.count('<li class="task ')
    assert tasks_shown > 10
    assert checklist.count("<form") == 1
    task = open_task(incident)
    assert f'formaction="{url(incident, "incident-task", task=task.pk)}"' in checklist
    assert f'name="note-{task.pk}"' in checklist and f'name="reason-{task.pk}"' in checklist


def test_the_one_form_works_without_javascript(member: MemberFactory, clock: Any) -> None:
    """A browser without a script posts every field of the form; the button pressed names the task."""
    incident = invoked()
    first, second = Task.objects.filter(incident=incident, state=TaskState.OPEN).order_by("position")[:2]
    target = InformTarget.objects.filter(task__incident=incident).order_by("pk")[0]
    responder = member("responder")
    everything = {
        f"note-{first.pk}": "Done by hand",
        f"note-{second.pk}": "",
        f"reason-{second.pk}": "",
        f"assignee-{second.pk}": "me",
        f"how-{target.pk}": "",
    }
    done = responder.post(url(incident, "incident-task", task=first.pk), {**everything, "action": "complete"})
    assert done.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == TaskState.DONE and first.outcome == "Done by hand" and second.state == TaskState.OPEN
    told = responder.post(url(incident, "incident-told", target=target.pk), {**everything, f"how-{target.pk}": "bleep"})
    assert told.status_code == 302
    target.refresh_from_db()
    assert target.how == "bleep"
    refused = responder.post(url(incident, "incident-task", task=second.pk), {**everything, "action": "skip"})
    assert refused.status_code == 400 and "say why the task is skipped" in refused.content.decode().lower()


def test_the_readers_own_csrf_token_is_in_every_form(clock: Any, demo_plans: list[object]) -> None:
    incident = invoked()
    user = make_user("strict", HOME_ORG, Role.RESPONDER)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    client_for(make_user("first-reader", HOME_ORG, Role.RESPONDER)).get(url(incident))  # fills the cache
    page = strict.get(url(incident)).content.decode()
    assert CSRF_SLOT not in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    task = open_task(incident)
    response = strict.post(
        url(incident, "incident-task", task=task.pk), {"csrfmiddlewaretoken": token.group(1), "action": "start"}
    )
    assert response.status_code == 302


def test_the_minute_before_stands_in_only_while_another_thread_renders() -> None:
    """At the turn of a minute one poll renders the sections; the others are answered with the same version's
    previous minute rather than wait. Nothing else stands in: an entry that is not being rendered is rendered."""
    import threading

    from contingency.web.fragments import Fragments

    cache: Fragments[str] = Fragments(8)
    cache.get("16:40", lambda: "clocks at 16:40")
    assert cache.get("16:41", lambda: "clocks at 16:41", stand_in="16:40") == "clocks at 16:41"  # nobody else was

    started, release = threading.Event(), threading.Event()
    made: list[str] = []

    def slow() -> str:
        started.set()
        assert release.wait(60), "the test never released the render"
        return "clocks at 16:42"

    renderer = threading.Thread(target=lambda: made.append(cache.get("16:42", slow)))
    renderer.start()
    assert started.wait(60)
    assert cache.get("16:42", lambda: "a second render", stand_in="16:41") == "clocks at 16:41"
    release.set()
    renderer.join()
    assert made == ["clocks at 16:42"]
    assert cache.get("16:42", lambda: "a second render", stand_in="16:41") == "clocks at 16:42"
