"""A member linked to a person in the plans is that person wherever the plans name them: my next actions
finds their tasks, nobody asks them to ring themselves, a call tree e-mails them when the plan has no
address, and "assign to" lists members by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.contrib.auth.models import User

from contingency.core.models import Organisation, Role
from contingency.incidents import selves, services
from contingency.incidents.models import Incident, Task
from contingency.notify.calltree import Audience, call_tree
from contingency.plans import people
from contingency.plans.guidance import Resolver
from contingency.plans.models import Plan
from contingency.plans.validate import validate_data
from contingency.web.incidents import present

from .conftest import DEMO_PLANS
from .web import HOME_ORG, client_for, make_user

LONDON = ZoneInfo("Europe/London")
NIGHT = datetime(2027, 6, 13, 2, 0, tzinfo=LONDON)  # out of hours: the senior radiographer on shift
pytestmark = pytest.mark.django_db


def _organisation() -> Organisation:
    return Organisation.objects.get(slug=HOME_ORG)


@pytest.fixture
def sam(demo_plans: list[object]) -> User:
    """Sam Okafor of the plan's directory, signed up with a personal address the plan does not know, linked."""
    user = make_user("sokafor", HOME_ORG, Role.RESPONDER)
    user.email = "sam.at.home@example.org"
    user.save()
    people.link(organisation=_organisation(), person_key="sam-okafor", user=user, actor=None, via="test")
    return user


@pytest.fixture
def invoked(sam: User) -> Iterator[Incident]:
    with time_machine.travel(NIGHT, tick=False):
        reported = services.report(plan=Plan.objects.get(key="pacs-bcdr"), subject="system:pacs", actor=sam)
        yield services.invoke(incident=reported, actor=sam)


def test_the_directory_keys_of_a_linked_person_include_their_posts() -> None:
    document = validate_data(yaml.safe_load((Path(DEMO_PLANS) / "pacs.yaml").read_text()))
    assert selves.keys_for(document, [], []) == set()
    by_link = selves.keys_for(document, ["nobody@example.org"], ["sam-okafor"])
    assert "sam-okafor" in by_link and "senior-radiographer" in by_link  # a post Sam holds on shift
    assert by_link == selves.keys_for(document, ["Sam.Okafor@northwick.example.org"])
    assert selves.keys_for(document, ["nobody@example.org"], ["no-such-person"]) == set()


def test_a_linked_member_finds_their_tasks_though_the_plan_has_another_address(invoked: Incident, sam: User) -> None:
    mine = Task.objects.filter(incident=invoked, who_key="senior-radiographer", state="open", assignee=None)
    assert mine.exists()
    with time_machine.travel(NIGHT + timedelta(minutes=1), tick=False):
        page = client_for(sam).get(f"/o/{HOME_ORG}/incidents/{invoked.number}/mine/").content.decode()
    now_part = page.split('id="now-title"')[1].split('id="next-title"')[0]
    for task in mine:
        assert f'id="my-task-{task.pk}"' in now_part


def test_a_linked_reporter_is_not_asked_to_ring_themselves(invoked: Incident, sam: User) -> None:
    from contingency.incidents.snapshot import document_of

    knows = selves.who_knows(invoked, document_of(invoked))
    assert knows.get("sam-okafor", (None,))[0] == sam.pk
    assert not invoked.callouts.filter(recipient_key="sam-okafor").exists()


def test_a_call_tree_emails_the_linked_member_when_the_plan_gives_no_address() -> None:
    data = yaml.safe_load((Path(DEMO_PLANS) / "pacs.yaml").read_text())
    for person in data["people"]:
        if person["id"] == "helen-marsh":
            del person["email"]
    document = validate_data(data)
    tree = call_tree(document, "incident-team")
    assert tree is not None
    resolver = Resolver(document, NIGHT, in_hours=False)

    def helen(members: dict[str, str] | None) -> dict[str, object]:
        found = [r for r in Audience(document, resolver, members).recipients(tree) if r.key == "helen-marsh"]
        return found[0].addresses

    assert "email" not in helen(None)
    assert helen({"helen-marsh": "helen@example.org"})["email"] == "helen@example.org"
    # The plan's own address wins over the member's.
    data_with = yaml.safe_load((Path(DEMO_PLANS) / "pacs.yaml").read_text())
    document_with = validate_data(data_with)
    tree_with = call_tree(document_with, "incident-team")
    assert tree_with is not None
    plan_own = Audience(document_with, Resolver(document_with, NIGHT, in_hours=False), {"helen-marsh": "x@example.org"})
    assert next(r for r in plan_own.recipients(tree_with) if r.key == "helen-marsh").addresses["email"] == (
        "helen.marsh@northwick.example.org"
    )


def test_linked_emails_reach_the_dispatcher(sam: User) -> None:
    assert people.linked_emails(_organisation())["sam-okafor"] == "sam.at.home@example.org"


def test_assign_to_lists_members_by_name(sam: User) -> None:
    named = make_user("jdoe", HOME_ORG, Role.RESPONDER)
    named.first_name, named.last_name = "Jo", "Doe"
    named.save()
    members = dict(present.members(_organisation()))
    assert members[named.pk] == "Jo Doe"  # their own name
    assert members[sam.pk] == "Sam Okafor"  # the plans' person they are linked to
    names = [name for _, name in present.members(_organisation())]
    assert names == sorted(names, key=str.casefold)
