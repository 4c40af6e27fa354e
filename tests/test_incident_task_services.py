"""Working the checklist through the services: every change audited, every refusal changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from contingency.core.models import AuditEntry, Role
from contingency.incidents import handover, reports, services, tasks
from contingency.incidents.models import Incident, InformTarget, Task, TimelineEntry
from contingency.plans.models import Plan

from .web import HOME_ORG, OTHER_ORG, make_user

LONDON = ZoneInfo("Europe/London")
NOON = datetime(2027, 6, 9, 12, 0, tzinfo=LONDON)
pytestmark = pytest.mark.django_db


@pytest.fixture
def running(demo_plans: list[object]) -> Iterator[Incident]:
    """An incident invoked at noon; the clock then runs on from there."""
    with time_machine.travel(NOON, tick=True):
        plan = Plan.objects.get(key="pacs-bcdr")
        yield services.invoke(incident=services.report(plan=plan, subject="system:pacs", actor=None), actor=None)


def task(incident: Incident, key: str) -> Task:
    return Task.objects.get(incident=incident, key=key)


def test_assign_start_complete_and_reopen(running: Incident) -> None:
    lead = make_user("lead", HOME_ORG, Role.RESPONDER)
    outsider = make_user("outsider", OTHER_ORG, Role.RESPONDER)
    cd = task(running, "step/pacs-downtime/start-cd-burning")
    with pytest.raises(services.IncidentError, match="not a member") as refused:
        tasks.assign(task=cd, assignee_id=outsider.pk, actor=lead)
    assert refused.value.field == "assignee"
    tasks.assign(task=cd, assignee_id=lead.pk, actor=lead)
    tasks.start(task=cd, actor=lead)
    with pytest.raises(services.IncidentError, match="only an open task is started"):
        tasks.start(task=cd, actor=lead)
    tasks.finish(task=cd, actor=lead, done=True, text="Robots 1-3 burning")
    cd.refresh_from_db()
    assert (cd.state, cd.assignee, cd.outcome, cd.finished_by_name) == ("done", lead, "Robots 1-3 burning", "lead")
    tasks.reopen(task=cd, actor=lead)
    cd.refresh_from_db()
    assert cd.state == "open"
    entries = AuditEntry.objects.filter(object_type="incident-task").values_list("note", flat=True)
    assert list(reversed(entries)) == ["assigned", "started", "done", "reopened"]


def test_skipping_needs_a_reason(running: Incident) -> None:
    log = task(running, "step/pacs-downtime/downtime-log")
    before = TimelineEntry.objects.count()
    with pytest.raises(services.IncidentError, match="say why") as refused:
        tasks.finish(task=log, actor=None, done=False, text="  ")
    assert refused.value.field == "reason"
    assert TimelineEntry.objects.count() == before
    tasks.finish(task=log, actor=None, done=False, text="Modalities log automatically")
    assert task(running, "step/pacs-downtime/downtime-log").state == "skipped"


def test_who_was_told_is_recorded_once(running: Incident) -> None:
    responder = make_user("shift", HOME_ORG, Role.RESPONDER)
    inform = task(running, "step/pacs-downtime/inform-departments-in-hours")
    first = inform.targets.order_by("position").first()
    assert first is not None
    tasks.told(target=first, actor=responder, how="phone")
    with pytest.raises(services.IncidentError, match="already told"):
        tasks.told(target=first, actor=responder)
    first.refresh_from_db()
    assert (first.told_by, first.told_by_name, first.how) == (responder, "shift", "phone")
    report = reports.handover_report(running, timezone.now())
    reach = next(r for r in report.reach if r.task == inform.text)
    assert reach.told[0].startswith(first.name) and len(reach.not_told) == inform.targets.count() - 1


def test_ad_hoc_tasks_updates_and_hand_over(running: Incident) -> None:
    a = make_user("a-lead", HOME_ORG, Role.RESPONDER)
    b = make_user("b-lead", HOME_ORG, Role.RESPONDER)
    with pytest.raises(services.IncidentError, match="write what needs doing"):
        tasks.add_ad_hoc(incident=running, text=" ", actor=a)
    extra = tasks.add_ad_hoc(incident=running, text="Borrow a CD robot from the breast unit", actor=a, who="Porters")
    assert (extra.key, extra.source, extra.who_name) == ("ad-hoc/1", "ad-hoc", "Porters")
    with pytest.raises(services.IncidentError, match="audience must be one of") as refused:
        tasks.post_update(incident=running, text="PACS down", audience="everyone", actor=a)
    assert refused.value.field == "audience"
    tasks.post_update(incident=running, text="PACS down; images on CD", audience="staff", actor=a)
    tasks.post_update(incident=running, text="Divert elective CT to St Mary's", audience="", decision=True, actor=a)
    record = handover.hand_over(incident=running, actor=a, to_user_id=b.pk, note_text="Vendor ETA 18:00")
    running.refresh_from_db()
    assert running.lead == b
    assert record.report["decisions"][0][2] == "Divert elective CT to St Mary's"
    assert list(record.report["updates"][0][1:]) == ["staff", "PACS down; images on CD"]
    later = reports.handover_report(running, timezone.now())
    assert later.since is not None and later.decisions == ()


def test_closed_incidents_take_no_more_work(running: Incident) -> None:
    services.restore(incident=running, actor=None)
    services.stand_down(incident=running, actor=None, reason="Handed to the day team")
    target = InformTarget.objects.filter(task__incident=running, told_at__isnull=True).first()
    assert target is not None
    for call in (
        lambda: tasks.finish(task=task(running, "step/pacs-downtime/start-cd-burning"), actor=None, done=True),
        lambda: tasks.told(target=target, actor=None),
        lambda: tasks.add_ad_hoc(incident=running, text="More", actor=None),
        lambda: services.restore(incident=running, actor=None),
    ):
        with pytest.raises(services.IncidentError):
            call()
