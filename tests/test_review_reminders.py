"""Review actions are owned by a member and remind them by e-mail when due and while overdue, until done.

Reminders are due actions like trigger points: the worker claims each once (two workers in turn here,
and two that listed the same row before either fired it), a failed firing rolls back and is tried again,
and a worker that was down sends one reminder on its return, not the backlog.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from contingency.core.models import AuditEntry, Role
from contingency.incidents import review, schedule, services, worker
from contingency.incidents.models import DueAction, DueState, Incident, ReviewAction
from contingency.incidents.services import IncidentError
from contingency.lib.calendar import WorkingCalendar
from contingency.notify import board
from contingency.notify.models import Notification
from contingency.plans.models import Plan

from .web import HOME_ORG, OTHER_ORG, PACS, client_for, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
DAY = datetime(2027, 3, 10, 10, 0, tzinfo=LONDON)  # a Wednesday
DUE_ON = date(2027, 3, 15)  # a Monday
FIRST = datetime(2027, 3, 15, 9, 0, tzinfo=LONDON)  # the first reminder: 09:00 on the due date
CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(DAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def owner(demo_plans: list[object]) -> User:
    return make_user("helen", HOME_ORG, Role.RESPONDER)


def restored() -> Incident:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=CHECKS, via="test")
    return services.restore(incident=services.invoke(incident=reported, actor=None, via="test"), actor=None, via="test")


def action_for(owner: User, incident: Incident | None = None) -> ReviewAction:
    action = review.add_action(
        incident=incident or restored(),
        text="Move the witness",
        owner_id=owner.pk,
        due_on=DUE_ON,
        actor=None,
        via="test",
    )
    # Only reminders fall due in these tests: weeks of the demo incidents' routing changes would be slow noise.
    DueAction.objects.filter(state=DueState.PENDING).exclude(kind="review").update(state=DueState.CANCELLED)
    return action


def reminders(action: ReviewAction) -> list[Notification]:
    return list(Notification.objects.filter(key__startswith=f"review:{action.pk}:").order_by("id"))


def pending(action: ReviewAction) -> list[DueAction]:
    rows = DueAction.objects.filter(kind="review", key=f"review-action:{action.pk}", state=DueState.PENDING)
    return list(rows)


def fired(action: ReviewAction) -> list[tuple[int, str]]:
    """(sequence, worker) of each reminder fired."""
    rows = DueAction.objects.filter(kind="review", key=f"review-action:{action.pk}", state=DueState.FIRED)
    return list(rows.order_by("sequence").values_list("sequence", "fired_by"))


def two_workers(at: datetime) -> None:
    """Worker a then worker b pass over what is due (the demo's own incident may have due rows too)."""
    worker.run_due(now=lambda: at, worker="a")
    worker.run_due(now=lambda: at, worker="b")


# ---------------------------------------------------------------- the schedule (pure)


def test_reminders_fall_at_nine_on_the_due_date_then_weekly_across_a_clock_change() -> None:
    calendar = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17))
    assert schedule.reminder_due(DUE_ON, 0, calendar) == FIRST
    assert schedule.reminder_due(DUE_ON, 2, calendar) == datetime(2027, 3, 29, 9, 0, tzinfo=LONDON)  # after BST began
    n, due = schedule.next_reminder(DUE_ON, 0, FIRST + timedelta(days=30), calendar)
    assert (n, due) == (5, datetime(2027, 4, 19, 9, 0, tzinfo=LONDON))


# ---------------------------------------------------------------- exactly once, then weekly, until done


def test_one_reminder_when_due_with_two_workers_then_one_a_week_while_overdue(
    clock: time_machine.Traveller, email: None, owner: User
) -> None:
    action = action_for(owner)
    assert action.owner == "helen" and action.owner_user == owner
    two_workers(FIRST - timedelta(minutes=1))
    assert fired(action) == [] and reminders(action) == []
    two_workers(FIRST)
    assert fired(action) == [(0, "a")]
    [sent] = reminders(action)
    assert (sent.address, sent.state, sent.channel) == ("helen@example.org", "pending", "email")
    assert sent.subject == "Review action due today: Move the witness"
    assert sent.link.endswith(f"/incidents/{action.review.incident.number}/review/")
    # Both listed the next one before either fired it: the second finds it taken.
    week = FIRST + timedelta(days=7)
    [listed] = [row.pk for row in pending(action)]
    assert listed in worker._due_ids(week, 50)
    assert [worker._fire_one(listed, now=lambda: week, name=name) for name in ("b", "a")] == [True, False]
    assert fired(action) == [(0, "a"), (1, "b")]
    assert [r.subject for r in reminders(action)][1] == "Review action overdue by 7 days: Move the witness"
    # A worker down for weeks sends one reminder on its return, and the next falls in the future.
    late = FIRST + timedelta(days=30)
    worker.run_until_idle(now=lambda: late, worker="a")
    assert len(reminders(action)) == 3 and fired(action)[-1] == (2, "a")
    [following] = pending(action)
    assert following.due_at > late


def test_a_done_action_stops_reminding(clock: time_machine.Traveller, email: None, owner: User) -> None:
    action = action_for(owner)
    two_workers(FIRST)
    review.complete_action(action=action, actor=None, note_text="Witness moved", via="test")
    assert pending(action) == []
    worker.run_until_idle(now=lambda: FIRST + timedelta(days=60), worker="a")
    assert len(reminders(action)) == 1 and len(fired(action)) == 1


def test_a_reminder_that_fails_is_rolled_back_and_sent_once_later(
    clock: time_machine.Traveller, email: None, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    action = action_for(owner)
    real = board.remind
    calls: list[int] = []

    def flaky(**kwargs: object) -> Notification:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the database went away mid-way")
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(board, "remind", flaky)
    worker.run_due(now=lambda: FIRST, worker="a", on_error=lambda row, exc: None)
    assert reminders(action) == [] and len(pending(action)) == 1  # nothing half-written
    assert pending(action)[0].attempts == 1
    two_workers(FIRST + worker.backoff(1))
    assert len(reminders(action)) == 1 and fired(action) == [(0, "a")]


def test_reminders_outlive_the_stand_down(clock: time_machine.Traveller, email: None, owner: User) -> None:
    incident = restored()
    action = action_for(owner, incident)
    services.stand_down(incident=incident, actor=None, reason="Review continues", via="test")
    assert len(pending(action)) == 1
    two_workers(FIRST)
    assert reminders(action)[0].state == "pending"


def test_an_owner_without_e_mail_is_named_in_the_timeline(clock: time_machine.Traveller, email: None) -> None:
    nobody = make_user("no-mail", HOME_ORG, Role.RESPONDER)
    User.objects.filter(pk=nobody.pk).update(email="")
    action = action_for(nobody)
    two_workers(FIRST)
    [row] = reminders(action)
    assert row.state == "failed" and row.last_error == "the owner has no e-mail address"
    assert action.review.incident.timeline.filter(text__contains="Not sent: the owner has no e-mail address").exists()


# ---------------------------------------------------------------- refusals change nothing


def test_the_owner_must_be_a_member_of_the_organisation(clock: time_machine.Traveller, owner: User) -> None:
    incident = restored()
    stranger = make_user("stranger", OTHER_ORG, Role.RESPONDER)
    for who in (stranger.pk, None):
        with pytest.raises(IncidentError) as refused:
            review.add_action(incident=incident, text="x", owner_id=who, due_on=DUE_ON, actor=None, via="test")
        assert refused.value.field == "owner"
    assert not ReviewAction.objects.filter(review__incident=incident).exists()
    assert not DueAction.objects.filter(incident=incident, kind="review").exists()


def test_a_viewer_cannot_add_or_finish_an_action(clock: time_machine.Traveller, owner: User) -> None:
    action = action_for(owner)
    incident = action.review.incident
    viewer = client_for(make_user("viewer", HOME_ORG, Role.VIEWER))
    url = f"/o/{HOME_ORG}/incidents/{incident.number}/review/actions/"
    page = viewer.get(f"/o/{HOME_ORG}/incidents/{incident.number}/review/").content.decode()
    assert "helen, due 15 Mar 2027" in page and "next reminder by e-mail Mon 15 Mar 09:00" in page
    audits = AuditEntry.objects.count()
    assert viewer.post(url, {"text": "x", "owner": owner.pk, "due_on": "2027-04-01"}).status_code == 403
    assert viewer.post(f"{url}{action.pk}/done/", {"note": "no"}).status_code == 403
    action.refresh_from_db()
    assert action.done_at is None and len(pending(action)) == 1
    assert ReviewAction.objects.filter(review__incident=incident).count() == 1
    assert AuditEntry.objects.count() == audits
