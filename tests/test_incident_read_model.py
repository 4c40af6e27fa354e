"""One read model of an incident: the per-function clocks and the impact now, the same everywhere.

The live page, the JSON API, the board briefing, the command line and the ranking of open incidents
all read a function's time left and its impact from `incidents.readmodel`; once service is
restored (or the incident stood down) the clocks stop there, for every one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from django.test import Client

from contingency.cli import main
from contingency.core.models import Role
from contingency.core.tokens import create_token
from contingency.incidents import queries, readmodel, reports, services
from contingency.incidents.models import Incident
from contingency.plans.models import Plan

from .web import HOME_ORG, PACS, MemberFactory, make_user

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Lost at 16:40 on a Friday; image reporting's impact is medium after 1 hour, high after a day.
LOST = datetime(2027, 10, 29, 16, 40, tzinfo=LONDON)
RESTORED = LOST + timedelta(hours=3)
LATER = LOST + timedelta(days=2)  # the impact would be "high" by now, had service not come back
REPORTING = "Diagnostic image viewing and reporting"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(LOST, tick=False) as traveller:
        yield traveller


def invoke() -> Incident:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    reported = services.report(plan=plan, subject="system:pacs", actor=None, answers=answers, via="test")
    return services.invoke(incident=reported, actor=None, via="test")


def restored(clock: time_machine.Traveller) -> Incident:
    incident = invoke()
    clock.move_to(RESTORED)
    return services.restore(incident=incident, actor=None, via="test")


def token_client() -> Client:
    user = make_user("api-reader", HOME_ORG, Role.VIEWER)
    _, plain = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def page_impacts(member: MemberFactory, incident: Incident) -> dict[str, str]:
    """Function name -> the "Impact now" cell of the live page."""
    text = member("viewer").get(f"/o/{HOME_ORG}/incidents/{incident.number}/").content.decode()
    rows = re.findall(
        r'<th scope="row">(.*?)(?: <span|\s*<details|</th>).*?data-label="Impact now">(.*?)</td>', text, re.S
    )
    return {name.strip(): cell.strip() for name, cell in rows}


def api_impacts(client: Client, incident: Incident) -> dict[str, str]:
    body = json.loads(client.get(f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}").content)
    return {a["name"]: a["impactNow"] or "—" for a in body["affected"]}


def test_the_page_and_the_api_agree_on_a_restored_incidents_impact(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    incident = restored(clock)
    client = token_client()
    clock.move_to(LATER)
    viewer_page = page_impacts(member, incident)
    from_api = api_impacts(client, incident)
    assert viewer_page and viewer_page == from_api
    # Service came back three hours in: the impact stopped at "medium", it never reached "high".
    assert from_api[REPORTING] == "medium"


def test_the_api_clocks_stop_at_restoration(member: MemberFactory, clock: time_machine.Traveller) -> None:
    incident = restored(clock)
    client = token_client()
    clock.move_to(LATER)
    body = json.loads(client.get(f"/api/v1/organisations/{HOME_ORG}/incidents/{incident.number}").content)
    reporting = next(a for a in body["affected"] if a["name"] == REPORTING)
    mtpd_due = datetime.fromisoformat(reporting["mtpdDueAt"])
    assert reporting["timeLeftSeconds"] == int((mtpd_due - RESTORED).total_seconds())
    assert body["downtimeSeconds"] == 3 * 3600


def test_the_briefing_and_the_command_line_say_the_same(member: MemberFactory, clock: time_machine.Traveller) -> None:
    incident = restored(clock)
    clock.move_to(LATER)
    briefing = reports.briefing(incident, LATER)
    assert f"- {REPORTING}; impact now medium" in briefing
    result = CliRunner().invoke(main, ["incident", "show", "--org", HOME_ORG, str(incident.number)])
    assert result.exit_code == 0, result.output
    assert re.search(rf"{re.escape(REPORTING)} \[lost\].*impact medium", result.output)


def test_a_running_incidents_clocks_run_on(member: MemberFactory, clock: time_machine.Traveller) -> None:
    incident = invoke()
    client = token_client()
    clock.move_to(LATER)
    assert page_impacts(member, incident)[REPORTING] == "high"
    assert api_impacts(client, incident)[REPORTING] == "high"
    state = readmodel.state_of(incident, LATER)
    reporting = next(f for f in state.functions if f.name == REPORTING)
    assert state.at == LATER and reporting.impact_now == "high"
    assert reporting.mtpd_left == reporting.mtpd_due_at - LATER  # type: ignore[operator]


def test_a_restored_incident_is_not_ranked_as_past_its_mtpd(
    demo_plans: list[object], clock: time_machine.Traveller
) -> None:
    incident = restored(clock)
    long_after = LOST + timedelta(days=10)  # every MTPD would have passed by now
    ranked = {r.incident.pk: r.ranked for r in queries.ranked_open(incident.organisation, long_after)}
    assert not ranked[incident.pk].breached
    assert ranked[incident.pk].impact_now == "medium"


def test_a_stood_down_incidents_clocks_stop_when_it_stood_down(
    demo_plans: list[object], clock: time_machine.Traveller
) -> None:
    incident = invoke()
    clock.move_to(RESTORED)
    services.stand_down(incident=incident, actor=None, via="test", reason="over")
    incident.refresh_from_db()
    state = readmodel.state_of(incident, LATER)
    assert state.at == RESTORED and state.downtime == timedelta(hours=3)
    assert {f.impact_now for f in state.functions if f.name == REPORTING} == {"medium"}
