"""What the server does with the probes' rounds: complete, partial, probe suspect, recovery, silence, pruning.

Rounds go through services.record_report with their time given (one probe interval apart), as the
API does on each push; the sweep is called with the time it runs at.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from contingency.core.models import Organisation
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident, TimelineEntry
from contingency.monitor import read, services, worker
from contingency.monitor.models import KEEP, CheckResult, ProbeSite, StatusChange, SystemStatus
from contingency.monitor.services import ResultIn
from contingency.notify.models import Callout
from contingency.plans import editing
from contingency.plans.models import Plan

from .web import HOME_ORG, PACS

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 02:00 on a Tuesday: out of hours
MINUTE = timedelta(minutes=1)
SITES = ("main-xray", "north-wing", "south-wing")
ECHO, VIEWER, RIS = "pacs-dicom-echo", "pacs-web-viewer", "ris-mllp"


@pytest.fixture
def sites(demo_plans: list[object]) -> Iterator[dict[str, ProbeSite]]:
    with time_machine.travel(NOW, tick=False):
        org = Organisation.objects.get(slug=HOME_ORG)
        yield {name: services.add_site(organisation=org, name=name, actor=None, via="test")[0] for name in SITES}


def push(
    site: ProbeSite, at: datetime, *, echo: bool = True, viewer: bool = True, ris: bool = True
) -> services.Received:
    def one(check: str, ok: bool, system: str = "pacs") -> ResultIn:
        return ResultIn(
            PACS, system, check, at, ok, "" if ok else "connect", "" if ok else "connection refused by 127.0.0.1:11112"
        )

    site.refresh_from_db()
    results = [one(ECHO, echo), one(VIEWER, viewer), one(RIS, ris, "integration-engine")]
    return services.record_report(site=site, results=results, every_seconds=60, at=at)


def rounds(sites: dict[str, ProbeSite], start: datetime, n: int, **per_site: dict[str, bool]) -> datetime:
    """n rounds, a minute apart, each site a few seconds after the last; returns the time after the last."""
    at = start
    for _ in range(n):
        for offset, name in enumerate(SITES):
            push(sites[name], at + timedelta(seconds=offset), **per_site.get(name, {}))
        at += MINUTE
    return at


def pacs() -> SystemStatus:
    return SystemStatus.objects.get(plan_key=PACS, system_key="pacs")


def opened() -> list[Incident]:
    return list(Incident.objects.filter(subject="system:pacs"))


DOWN = {"echo": False, "viewer": False}


def everyone(**ok: bool) -> dict[str, dict[str, bool]]:
    return {name: dict(ok) for name in SITES}


def test_every_site_losing_pacs_opens_one_suspected_incident_and_calls_the_owner(sites: dict[str, ProbeSite]) -> None:
    after_one = rounds(sites, NOW, 1, **everyone(**DOWN))
    assert pacs().state == "complete" and opened() == []  # one failing interval; the plan says two
    rounds(sites, after_one, 3, **everyone(**DOWN))
    [incident] = opened()
    assert incident.state == "reported" and incident.reported_by_name.endswith("probes")
    assert incident.assessment == "complete" and incident.risk_key == "complete-failure"
    answers = {a["key"]: a["answer"] for a in incident.answers}
    assert answers == {"several-patients": True, "several-pcs": True, "several-modalities": None}
    assert incident.began_at == NOW  # the first failing run
    assert incident.title == "Meridian PACS: complete failure seen by the probes"
    assert "fails at every site (connection refused by 127.0.0.1:11112)" in incident.description
    [call] = Callout.objects.filter(incident=incident)
    assert (call.event, call.recipient_key, call.call_tree_name) == (
        "probes:opened",
        "helen-marsh",
        "Owner of Meridian PACS",
    )
    assert call.subject.startswith("Meridian PACS: complete failure seen by the probes")
    assert pacs().incident == incident
    assert read.current_state(HOME_ORG, "pacs").incident == incident.number  # type: ignore[union-attr]


def test_one_site_losing_pacs_is_partial_names_the_site_and_opens_nothing(sites: dict[str, ProbeSite]) -> None:
    rounds(sites, NOW, 6, **{"north-wing": DOWN})
    assert opened() == []
    status = pacs()
    assert status.state == "partial"
    assert status.detail["failingSites"] == ["north-wing"]
    assert (
        "fails at north-wing (connection refused by 127.0.0.1:11112); passes at main-xray, south-wing" in status.summary
    )


def test_a_plan_may_open_on_partial_failure_with_the_partial_risk(sites: dict[str, ProbeSite]) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    data = editing.plan_data(plan)
    system = next(s for s in data["systems"] if s["id"] == "pacs")
    system["probes"]["openOn"] = "partial"
    from contingency.plans.validate import validate_data

    editing.save_document(validate_data(data), organisation=plan.organisation, actor=None, via="test", plan=plan)
    rounds(sites, NOW, 2, **{"north-wing": DOWN})
    [incident] = opened()
    assert incident.assessment == "partial" and incident.risk_key == "partial-failure"
    assert incident.area == "north-wing"
    assert {a["key"]: a["answer"] for a in incident.answers}["several-pcs"] is False


def test_a_probe_that_loses_its_own_network_opens_nothing(sites: dict[str, ProbeSite]) -> None:
    rounds(sites, NOW, 6, **{"north-wing": {"echo": False, "viewer": False, "ris": False}})
    assert opened() == [] and not Incident.objects.exists()
    status = pacs()
    assert status.state == "probe-suspect"
    assert status.detail["suspectSites"] == ["north-wing"] and status.detail["failingSites"] == []
    assert "north-wing fails everything it checks" in status.summary
    engine = SystemStatus.objects.get(system_key="integration-engine")
    assert engine.state == "probe-suspect"


def test_recovery_proposes_restoration_once(sites: dict[str, ProbeSite]) -> None:
    at = rounds(sites, NOW, 2, **everyone(**DOWN))
    [incident] = opened()
    incidents.invoke(incident=incident, actor=None, via="test", at=at)
    at = rounds(sites, at, 2)
    assert not TimelineEntry.objects.filter(incident=incident, text__startswith="Probes say").exists()  # 2 of 3
    at = rounds(sites, at, 3)
    [proposal] = TimelineEntry.objects.filter(incident=incident, text__startswith="Probes say")
    # Back since the first round up, 02:02 UTC (02:02 in London in November).
    assert proposal.text == "Probes say Meridian PACS is back at every site since 02:02: restore?"
    task = incident.tasks.get(key__startswith="probes:restore:")
    assert task.kind == "check" and task.text.startswith("Probes say Meridian PACS is back")
    assert Incident.objects.get(pk=incident.pk).state == "invoked"  # proposed, not restored
    assert len(opened()) == 1


def test_an_incident_already_open_is_followed_not_duplicated(sites: dict[str, ProbeSite]) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    reported = incidents.report(plan=plan, subject="system:pacs", actor=None, via="test", at=NOW)
    rounds(sites, NOW, 4, **everyone(**DOWN))
    assert opened() == [reported]
    assert pacs().incident == reported
    assert not Callout.objects.filter(event="probes:opened").exists()


def test_a_new_outage_after_the_incident_closed_opens_a_new_one(sites: dict[str, ProbeSite]) -> None:
    at = rounds(sites, NOW, 2, **everyone(**DOWN))
    [first] = opened()
    incidents.close_as_not_a_failure(incident=first, actor=None, via="test", at=at)
    rounds(sites, at, 2, **everyone(**DOWN))
    assert len(opened()) == 2


def test_a_check_without_a_threshold_never_opens(sites: dict[str, ProbeSite]) -> None:
    # The RIS feed's system says failAfter: 3; with every site failing it opens after three, not before.
    rounds(sites, NOW, 2, **everyone(ris=False))
    assert not Incident.objects.filter(subject="system:integration-engine").exists()
    rounds(sites, NOW + 2 * MINUTE, 1, **everyone(ris=False))
    [engine] = Incident.objects.filter(subject="system:integration-engine")
    assert Callout.objects.get(incident=engine).recipient_key == "interface-admins"


def test_a_silent_site_is_no_news_never_all_well(sites: dict[str, ProbeSite]) -> None:
    at = rounds(sites, NOW, 1)
    assert pacs().state == "up"
    for _ in range(3):  # south-wing stops reporting
        for name in SITES[:2]:
            push(sites[name], at)
        at += MINUTE
    done = worker.sweep(at + MINUTE)
    assert done.silenced == (f"{sites['south-wing'].organisation_id}/south-wing",)
    assert worker.sweep(at + MINUTE).silenced == ()  # flagged once
    south = ProbeSite.objects.get(name="south-wing")
    assert south.no_news_since == at + MINUTE
    assert pacs().detail["silentSites"] == ["south-wing"]
    # Every site silent: the systems have no news, not "up".
    assert {s.name for s in read.sites(HOME_ORG, at + 10 * MINUTE) if s.no_news} == set(SITES)
    worker.sweep(at + 10 * MINUTE)
    assert pacs().state == "no-news"
    # A report clears the flag.
    push(sites["south-wing"], at + 11 * MINUTE)
    assert ProbeSite.objects.get(name="south-wing").no_news_since is None


def test_the_sweep_is_claimed_by_one_worker_per_period(demo_plans: list[object]) -> None:
    assert worker.tick(now=lambda: NOW, worker="a") is not None
    assert worker.tick(now=lambda: NOW, worker="b") is None
    assert worker.tick(now=lambda: NOW + worker.EVERY, worker="b") is not None


def test_history_and_states_for_the_status_page(sites: dict[str, ProbeSite]) -> None:
    at = rounds(sites, NOW, 2)
    at = rounds(sites, at, 2, **everyone(**DOWN))
    rounds(sites, at, 1)
    found = read.history(HOME_ORG, "pacs", since=NOW - MINUTE)
    # The sites report a round one after another: the first to see the outage make it partial, the last complete.
    assert [(c.at - NOW, c.state) for c in found] == [
        (timedelta(0), "up"),
        (2 * MINUTE, "partial"),
        (2 * MINUTE + timedelta(seconds=2), "complete"),
        (4 * MINUTE, "partial"),
        (4 * MINUTE + timedelta(seconds=2), "up"),
    ]
    later = read.history(HOME_ORG, "pacs", PACS, since=NOW + 3 * MINUTE, until=NOW + 4 * MINUTE)
    assert [(c.at, c.state) for c in later] == [(NOW + 3 * MINUTE, "complete"), (NOW + 4 * MINUTE, "partial")]
    assert {s.system: s.state for s in read.states(HOME_ORG)} == {"pacs": "up", "integration-engine": "up"}
    assert read.current_state(HOME_ORG, "modalities") is None
    assert StatusChange.objects.filter(status=pacs()).count() == 5


def test_old_and_surplus_results_are_pruned(sites: dict[str, ProbeSite]) -> None:
    site = sites["main-xray"]
    rows = [
        CheckResult(
            organisation=site.organisation,
            site=site,
            plan_key=PACS,
            system_key="pacs",
            check_key=ECHO,
            at=NOW + timedelta(seconds=i),
            received_at=NOW,
            ok=True,
        )
        for i in range(KEEP + 5)
    ]
    CheckResult.objects.bulk_create(rows)
    old = CheckResult(
        organisation=site.organisation,
        site=site,
        plan_key=PACS,
        system_key="pacs",
        check_key=VIEWER,
        at=NOW - timedelta(days=8),
        received_at=NOW - timedelta(days=8),
        ok=True,
    )
    old.save()
    assert worker.prune(NOW + MINUTE) == 6
    assert CheckResult.objects.filter(check_key=ECHO).count() == KEEP
    assert CheckResult.objects.filter(check_key=ECHO).order_by("at").first().at == NOW + timedelta(seconds=5)  # type: ignore[union-attr]


def test_each_change_of_verdict_is_signalled_in_the_reports_transaction(sites: dict[str, ProbeSite]) -> None:
    from contingency.monitor import events

    heard: list[tuple[str, str, str]] = []

    def listen(sender: object, *, system: str, state: str, previous: str, **kwargs: object) -> None:
        heard.append((system, previous, state))

    events.status_changed.connect(listen)
    try:
        at = rounds(sites, NOW, 1)
        rounds(sites, at, 1, **everyone(**DOWN))
    finally:
        events.status_changed.disconnect(listen)
    assert [h for h in heard if h[0] == "pacs"] == [
        ("pacs", "", "up"),
        ("pacs", "up", "partial"),
        ("pacs", "partial", "complete"),
    ]
