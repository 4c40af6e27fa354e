"""The incident as the shift lives it: due now is not overdue, an unanswered report is a suspicion,
nobody is asked to ring themselves, groups of tasks are closed with one reason, my next actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from contingency.core.models import Role
from contingency.incidents import services
from contingency.incidents.models import Incident, InformTarget, Task
from contingency.notify.models import Callout
from contingency.plans.models import Plan

from .web import HOME_ORG, client_for, make_user

LONDON = ZoneInfo("Europe/London")
# 02:00 on a Sunday: out of hours, the senior radiographer on shift is the one who finds it.
NIGHT = datetime(2027, 6, 13, 2, 0, tzinfo=LONDON)
pytestmark = pytest.mark.django_db


def pacs() -> Plan:
    return Plan.objects.get(key="pacs-bcdr")


@pytest.fixture
def radiographer(demo_plans: list[object]) -> User:
    """A member who is Sam Okafor of the plan's directory (one of the senior radiographers on shift)."""
    user = make_user("sam", HOME_ORG, Role.RESPONDER)
    user.email = "Sam.Okafor@northwick.example.org"
    user.save()
    return user


@pytest.fixture
def invoked(radiographer: User) -> Iterator[Incident]:
    with time_machine.travel(NIGHT, tick=False):
        reported = services.report(plan=pacs(), subject="system:pacs", actor=radiographer)
        yield services.invoke(incident=reported, actor=radiographer)


def test_tasks_due_at_invocation_are_due_now_not_overdue(invoked: Incident, radiographer: User) -> None:
    client = client_for(radiographer)
    url = f"/o/{HOME_ORG}/incidents/{invoked.number}/"
    due = [t for t in Task.objects.filter(incident=invoked) if t.due_at is not None]
    assert due, "the at-invocation trigger point's actions are due at invocation"
    with time_machine.travel(NIGHT + timedelta(minutes=1), tick=False):
        page = client.get(url).content.decode()
        assert "overdue" not in page.split('id="checklist"')[1].split("</p>")[0]
        assert "due now" in page
        assert not any(t.is_overdue(NIGHT) for t in due)
    with time_machine.travel(NIGHT + timedelta(hours=2), tick=False):
        page = client.get(url).content.decode()
        assert f"{len(due)} overdue" in page


def test_a_report_with_no_answers_stays_suspected(demo_plans: list[object]) -> None:
    silent = services.report(plan=pacs(), subject="system:pacs", actor=None)
    assert silent.assessment == ""
    assert silent.get_assessment_display() == ""
    again = services.assess_again(incident=silent, answers={}, actor=None)
    assert again.assessment == ""
    answered = services.report(plan=pacs(), subject="system:pacs", actor=None, answers={"several-pcs": True})
    assert answered.assessment == "complete"
    # Invoking a suspicion still runs the plan as a complete failure: the person invoking decides.
    assert services.invoke(incident=silent, actor=None).assessment == "complete"


def test_the_reporter_is_never_asked_to_telephone_themselves(invoked: Incident) -> None:
    mine = InformTarget.objects.filter(task__incident=invoked, key__in=("senior-radiographer", "sam-okafor"))
    assert mine.exists(), "the demo plan names the senior radiographer among those to bring together"
    assert all(t.told_at is not None and "themselves" in t.how for t in mine)
    assert not InformTarget.objects.filter(task__incident=invoked, told_at__isnull=False).exclude(
        key__in=("senior-radiographer", "sam-okafor")
    )
    assert not Callout.objects.filter(incident=invoked, recipient_key__in=("senior-radiographer", "sam-okafor"))
    assert not Task.objects.filter(incident=invoked, source="call", text__icontains="Okafor")


def test_a_group_of_tasks_is_skipped_with_one_reason(invoked: Incident, radiographer: User) -> None:
    from contingency.core.models import AuditEntry
    from contingency.incidents import tasks
    from contingency.incidents.models import TimelineEntry

    first = Task.objects.filter(incident=invoked, source="trigger").order_by("position").first()
    assert first is not None
    group = Task.objects.filter(incident=invoked, source="trigger", origin=first.origin)
    n = group.count()
    assert n > 1
    audits, entries = AuditEntry.objects.count(), TimelineEntry.objects.filter(incident=invoked).count()
    with pytest.raises(services.IncidentError, match="say why") as refused:
        tasks.finish_group(
            incident=invoked, source="trigger", origin=first.origin, actor=radiographer, done=False, reason=" "
        )
    assert refused.value.field == "reason"
    assert AuditEntry.objects.count() == audits and group.filter(state="open").count() == n
    closed = tasks.finish_group(
        incident=invoked,
        source="trigger",
        origin=first.origin,
        actor=radiographer,
        done=False,
        reason="Meeting held by phone instead",
    )
    assert len(closed) == n
    assert set(group.values_list("state", "outcome")) == {("skipped", "Meeting held by phone instead")}
    assert AuditEntry.objects.count() == audits + 1
    assert TimelineEntry.objects.filter(incident=invoked).count() == entries + 1
    with pytest.raises(services.IncidentError, match="no open tasks"):
        tasks.finish_group(
            incident=invoked, source="trigger", origin=first.origin, actor=radiographer, done=True, reason="again"
        )


def test_the_page_closes_a_group_and_refuses_without_a_reason(invoked: Incident, radiographer: User) -> None:
    client = client_for(radiographer)
    first = Task.objects.filter(incident=invoked, source="response").order_by("position").first()
    assert first is not None
    base = f"/o/{HOME_ORG}/incidents/{invoked.number}/"
    page = client.get(base).content.decode()
    assert f'id="group-{first.pk}"' in page and "Close or skip all" in page
    url = f"{base}tasks/{first.pk}/group/"
    refused = client.post(url, {"action": "skip", f"group-reason-{first.pk}": ""})
    assert refused.status_code == 400
    assert f'id="group-{first.pk}-reason-error"' in refused.content.decode()
    done = client.post(url, {"action": "complete", f"group-reason-{first.pk}": "All done on the night"})
    assert done.status_code == 302
    assert not Task.objects.filter(incident=invoked, source="response", origin=first.origin, state="open").exists()


def test_standing_down_with_open_tasks_asks_for_a_reason(invoked: Incident, radiographer: User) -> None:
    with pytest.raises(services.IncidentError, match="still open") as refused:
        services.stand_down(incident=invoked, actor=radiographer)
    assert refused.value.field == "reason"
    assert Incident.objects.get(pk=invoked.pk).state == "invoked"
    done = services.stand_down(incident=invoked, actor=radiographer, reason="Handed to the day team")
    assert done.state == "stood-down"


def test_my_next_actions_lists_mine_in_order_with_numbers_and_folds_the_rest(
    invoked: Incident, radiographer: User
) -> None:
    client = client_for(radiographer)
    url = f"/o/{HOME_ORG}/incidents/{invoked.number}/mine/"
    with time_machine.travel(NIGHT + timedelta(minutes=1), tick=False):
        page = client.get(url).content.decode()
    now_part = page.split('id="now-title"')[1].split('id="next-title"')[0]
    mine = list(
        Task.objects.filter(incident=invoked, who_key="senior-radiographer", state="open", assignee=None).order_by(
            "position"
        )
    )
    assert mine, "the out-of-hours steps name the senior radiographer"
    for task in mine:
        assert f'id="my-task-{task.pk}"' in now_part
    assert 'href="tel:' in now_part  # the numbers to ring, as links
    assert now_part.count('value="complete"') == len(mine)  # one button per task
    others = page.split('class="others"')[1]
    assert "<details" in page.split('class="others"')[0][-20:] and "Everyone else" in others
    # Each contact's card once, however many tasks name them.
    contacts = page.split('id="contacts-title"')[1].split("</section>")[0] if "contacts-title" in page else ""
    names = [n.split("<")[0] for n in contacts.split('class="callee-name">')[1:]]
    assert len(names) == len(set(names))
    # Done from this page comes back to it.
    first = mine[0]
    done = client.post(
        f"/o/{HOME_ORG}/incidents/{invoked.number}/tasks/{first.pk}/", {"action": "complete", "next": "mine"}
    )
    assert done.status_code == 302 and done["Location"].endswith("/mine/")
    first.refresh_from_db()
    assert first.state == "done"


def test_the_what_do_i_do_page_puts_the_procedure_for_now_first(invoked: Incident, radiographer: User) -> None:
    client = client_for(radiographer)
    page = client.get(f"/o/{HOME_ORG}/plans/pacs-bcdr/functions/image-reporting/now/").content.decode()
    assert f"/incidents/{invoked.number}/mine/" in page  # the running incident's next actions, one tap away
    step2 = page.split('id="step-2"')[1].split('id="step-3"')[0]
    first_title = step2.split("<h3>")[1]
    assert first_title.startswith("PACS downtime") or "applies now" in first_title
    assert step2.count('class="other-procedures"') == 1


def test_the_api_closes_a_group_with_one_reason(invoked: Incident, api_as: Any) -> None:
    import json

    first = Task.objects.filter(incident=invoked, source="trigger").order_by("position").first()
    assert first is not None
    client = api_as("responder")
    url = f"/api/v1/organisations/{HOME_ORG}/incidents/{invoked.number}/tasks/{first.pk}/group"
    refused = client.post(url, json.dumps({"action": "skip", "reason": " "}), content_type="application/json")
    assert refused.status_code == 422
    assert [e["path"] for e in refused.json()["errors"]] == ["reason"]
    done = client.post(url, json.dumps({"action": "skip", "reason": "Met by phone"}), content_type="application/json")
    assert done.status_code == 200, done.content
    assert {t["state"] for t in done.json()} == {"skipped"}
    assert not Task.objects.filter(incident=invoked, source="trigger", origin=first.origin, state="open").exists()
