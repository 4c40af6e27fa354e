"""A communications exercise of the demo PACS plan, against real SMTP, GOV.UK Notify and webhook servers.

The exercise invokes the plan at 02:00 on a Wednesday (out of hours): TP1 texts four managers, one of
whose numbers Notify refuses for good. Two acknowledge (at 5 and 30 minutes); the figures say so, every
message sent starts with EXERCISE, and the exercise's incident stays out of the real incidents.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.compliance.facts import gather
from contingency.exercises import services
from contingency.exercises.models import Exercise, Finding
from contingency.incidents.models import Incident
from contingency.incidents.queries import open_incidents, ranked_open
from contingency.notify import delivery
from contingency.notify import services as notify
from contingency.notify.models import Callout, Notification
from contingency.plans.models import Plan

from .support.live_channels import LiveChannels
from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)  # a Wednesday, out of hours
TP1 = "trigger:tp1:0"
REFUSED = "07700 900112"  # Anita Rao's mobile: Notify refuses it for good in this exercise


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def exercise(demo_plans: list[object], channels: LiveChannels, clock: time_machine.Traveller) -> Exercise:
    channels.notify.fail_next(1, status=400, only=lambda body: body.get("phone_number") == REFUSED)
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    started = services.start(plan=plan, kind="communications", subject="system:pacs", actor=None, via="test")
    delivery.run_until_idle(worker="test")
    return started


def acknowledge(recipient: str, clock: time_machine.Traveller, minutes: int) -> None:
    clock.move_to(NIGHT + timedelta(minutes=minutes))
    callout = Callout.objects.get(event=TP1, recipient_key=recipient)
    assert notify.acknowledge(callout=callout, actor=None, via="test")


def test_every_message_of_an_exercise_starts_with_exercise(exercise: Exercise, channels: LiveChannels) -> None:
    sent = Notification.objects.filter(incident=exercise.incident, state="sent")
    assert sent.count() >= 4
    for row in sent:
        assert row.subject.startswith("EXERCISE"), row.subject
        assert row.body.startswith("EXERCISE"), row.body
        assert row.short.startswith("EXERCISE"), row.short
    texts = channels.notify.notifications
    assert texts and all(t.personalisation["body"].startswith("EXERCISE") for t in texts)
    mails = channels.smtp.messages
    assert mails and all(str(m.message["Subject"]).startswith("EXERCISE") for m in mails)
    posts = [p for p in channels.webhook.attempts if p.status < 300]
    assert posts and all("EXERCISE" in p.raw.decode()[:400] for p in posts)


def test_the_figures_of_a_communications_exercise(exercise: Exercise, clock: time_machine.Traveller) -> None:
    acknowledge("helen-marsh", clock, 5)
    acknowledge("julia-fenwick", clock, 30)
    found = services.of(exercise)
    people = Callout.objects.filter(incident=exercise.incident).values("recipient_key").distinct().count()
    assert found.people == people >= 4
    assert found.acknowledged == 2
    within15, within60 = found.shares
    assert (within15.minutes, within15.acknowledged, within60.minutes, within60.acknowledged) == (15, 1, 60, 2)
    assert within60.percent == round(200 / people)
    firsts = {r.role: r.first for r in found.roles if r.first is not None}
    assert sorted(firsts.values()) == [timedelta(minutes=5), timedelta(minutes=30)]
    assert [(f.channel, f.address) for f in found.failures] == [("sms", REFUSED)]

    clock.move_to(NIGHT + timedelta(hours=1))
    finished = services.finish(exercise=exercise, outcome="Two of four managers answered within the hour.",
                               actor=None, via="test")  # fmt: skip
    assert finished.incident is not None and finished.incident.state == "stood-down"
    [finding] = Finding.objects.filter(exercise=exercise)
    assert REFUSED in finding.text and finding.owner_name == services.owner_of(exercise.plan)
    with pytest.raises(services.ExerciseError, match="already finished"):
        services.finish(exercise=exercise, outcome="again", actor=None, via="test")


def test_an_exercise_is_not_a_real_incident(exercise: Exercise) -> None:
    incident = exercise.incident
    assert incident is not None and incident.state == "invoked"
    organisation = incident.organisation
    assert not open_incidents(organisation).filter(pk=incident.pk).exists()
    assert incident.pk not in [r.incident.pk for r in ranked_open(organisation, NIGHT)]
    assert incident.number not in [i.number for i in gather(organisation).incidents]
    assert Incident.objects.filter(pk=incident.pk, exercise__isnull=False).exists()


def test_an_outcome_is_needed_to_finish(exercise: Exercise) -> None:
    with pytest.raises(services.ExerciseError, match="say what the exercise showed") as caught:
        services.finish(exercise=exercise, outcome="  ", actor=None, via="test")
    assert caught.value.field == "outcome"
    assert Exercise.objects.get(pk=exercise.pk).finished_at is None


def test_compliance_counts_finished_exercises_of_each_kind(exercise: Exercise, clock: time_machine.Traveller) -> None:
    from contingency.compliance.rules import Facts, Rule, RuleResult, Status, evaluate_rule

    def status(rule: Rule, facts: Facts, on: date) -> Status:
        return result(rule, facts, on).status

    def result(rule: Rule, facts: Facts, on: date) -> RuleResult:
        found = evaluate_rule(rule, facts, on)
        assert found is not None
        return found

    incident = exercise.incident
    assert incident is not None
    organisation = incident.organisation
    today = NIGHT.date()
    communications, table_top, live = Rule("communications-test"), Rule("table-top-exercise"), Rule("live-exercise")
    assert status(communications, gather(organisation), today) is Status.NOT_MET  # still running
    clock.move_to(NIGHT + timedelta(hours=1))
    services.finish(exercise=exercise, outcome="Done.", actor=None, via="test")
    facts = gather(organisation)
    met = result(communications, facts, today)
    assert met.status is Status.MET and met.evidence[0].ref == ("exercise", str(exercise.number))
    assert status(table_top, facts, today) is Status.NOT_MET
    # The exercise's incident is no real activation: the live exercise is still not met.
    assert status(live, facts, today) is Status.NOT_MET
    # Six months on, the communications test is due again.
    assert status(communications, facts, today + timedelta(days=190)) is Status.NOT_MET


def test_an_exercise_run_as_if_on_sunday_night_is_routed_out_of_hours(demo_plans: list[object], email: None) -> None:
    weekday_noon = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)  # a Wednesday, in hours
    sunday_night = datetime(2027, 3, 14, 2, 0, tzinfo=LONDON)
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    with time_machine.travel(weekday_noon, tick=False):
        real = services.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, via="test")
        pretend = services.start(
            plan=plan, kind="table-top", subject="system:pacs", actor=None, as_if=sunday_night, via="test"
        )
    assert real.incident is not None and pretend.incident is not None
    assert real.incident.routing == "in-hours"
    assert pretend.incident.routing == "out-of-hours" and pretend.as_if == sunday_night
    # Its steps are the out-of-hours ones, and no change to in hours is scheduled during the exercise.
    keys = set(pretend.incident.tasks.values_list("key", flat=True))
    assert any("out-of-hours" in key for key in keys), keys
    assert not pretend.incident.due_actions.filter(kind="routing").exists()
