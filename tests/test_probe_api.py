"""The probe endpoints: the check list and results for a signed probe; forged or replayed requests refused and counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from contingency.core.models import Organisation
from contingency.lib import probesign
from contingency.monitor import services
from contingency.monitor.models import CheckResult, ProbeNonce, ProbeRefusal, ProbeSite

from .support.probing import BASE, report, result, signed
from .web import HOME_ORG, OTHER_ORG

NOW = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
CHECKS = f"{BASE}/{HOME_ORG}/probe/checks?site=north-wing"
RESULTS = f"{BASE}/{HOME_ORG}/probe/results"


@pytest.fixture
def clock(demo_plans: list[object]) -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def token(clock: time_machine.Traveller) -> str:
    _, plain = services.add_site(
        organisation=Organisation.objects.get(slug=HOME_ORG), name="north-wing", actor=None, via="test"
    )
    return plain


def refusals() -> dict[tuple[str, str, str], int]:
    return {
        (r.organisation.slug, r.site_name, r.reason): r.count
        for r in ProbeRefusal.objects.select_related("organisation")
    }


def test_a_probe_fetches_its_checks(token: str) -> None:
    response = signed(token, "GET", CHECKS, now=NOW.timestamp())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["site"] == "north-wing" and body["every"] == "1m"
    found = {(c["system"], c["check"]["id"]) for c in body["checks"]}
    assert found == {("pacs", "pacs-dicom-echo"), ("pacs", "pacs-web-viewer"), ("integration-engine", "ris-mllp")}
    echo = next(c for c in body["checks"] if c["check"]["id"] == "pacs-dicom-echo")
    assert echo["check"]["dicom"] == {
        "host": "127.0.0.1",
        "port": 11112,
        "calledAe": "MERIDIAN_PACS",
        "callingAe": "NGH_PROBE",
        "slow": "2s",
    }


def test_results_are_kept_and_decided(token: str) -> None:
    body = report(
        "north-wing",
        result("pacs-dicom-echo", True, NOW),
        result("pacs-web-viewer", False, NOW, layer="connect", detail="connection refused by 127.0.0.1:8042"),
        result("gone-check", True, NOW),
    )
    response = signed(token, "POST", RESULTS, body, now=NOW.timestamp())
    assert response.status_code == 200, response.content
    assert response.json() == {
        "accepted": 2,
        "ignored": ["pacs-bcdr/pacs/gone-check"],
        "states": {"pacs-bcdr/pacs": "complete", "pacs-bcdr/integration-engine": "no-news"},
    }
    assert CheckResult.objects.count() == 2
    site = ProbeSite.objects.get(name="north-wing")
    assert site.last_report_at == NOW and site.reports == 1


def _other_token() -> str:
    _, plain = services.add_site(
        organisation=Organisation.objects.get(slug=OTHER_ORG), name="clinic", actor=None, via="test"
    )
    return plain


@pytest.mark.parametrize(
    ("case", "reason", "site"),
    [
        ("unsigned", "malformed", ""),
        ("bad-signature", "bad-signature", "north-wing"),
        ("tampered-body", "bad-signature", "north-wing"),
        ("old", "stale", "north-wing"),
        ("future", "stale", "north-wing"),
        ("unknown", "unknown-key", ""),
        ("revoked", "unknown-key", ""),
        ("other-organisation", "other-organisation", ""),
        ("wrong-site", "wrong-site", "north-wing"),
    ],
)
def test_forged_requests_are_refused_and_counted(token: str, case: str, reason: str, site: str) -> None:
    body = report("north-wing", result("pacs-dicom-echo", True, NOW))
    now = NOW.timestamp()
    client = Client()
    if case == "unsigned":
        response = client.post(RESULTS, body, content_type="application/json")
    elif case == "bad-signature":
        response = signed(token, "POST", RESULTS, body, now=now, tamper={probesign.SIGNATURE_HEADER: "v1=" + "0" * 64})
    elif case == "tampered-body":
        parsed = probesign.parse_token(token)
        headers = probesign.sign(parsed, "POST", RESULTS, b'{"site": "north-wing"}', now=now)
        response = client.post(RESULTS, body, content_type="application/json", headers=headers)
    elif case in ("old", "future"):
        shift = -(probesign.WINDOW + 1) if case == "old" else probesign.WINDOW + 1
        response = signed(token, "POST", RESULTS, body, now=now + shift)
    elif case == "unknown":
        response = signed(str(probesign.new_token()), "POST", RESULTS, body, now=now)
    elif case == "revoked":
        services.revoke_site(site=ProbeSite.objects.get(name="north-wing"), actor=None, via="test")
        response = signed(token, "POST", RESULTS, body, now=now)
    elif case == "other-organisation":
        response = signed(
            _other_token(), "POST", RESULTS, report("clinic", result("pacs-dicom-echo", True, NOW)), now=now
        )
    else:
        response = signed(token, "POST", RESULTS, report("south-wing", result("pacs-dicom-echo", True, NOW)), now=now)
    assert response.status_code == 401, response.content
    assert response.json()["detail"]
    assert CheckResult.objects.count() == 0
    assert refusals() == {(HOME_ORG, site, reason): 1}


def test_a_replayed_request_is_refused_and_counted(token: str) -> None:
    body = report("north-wing", result("pacs-dicom-echo", True, NOW))
    nonce = "ab" * 16
    first = signed(token, "POST", RESULTS, body, now=NOW.timestamp(), nonce=nonce)
    assert first.status_code == 200
    again = signed(token, "POST", RESULTS, body, now=NOW.timestamp(), nonce=nonce)
    assert again.status_code == 401
    assert again.json() == {"detail": "The request's nonce has been used before: a request is accepted once."}
    assert CheckResult.objects.count() == 1
    assert refusals() == {(HOME_ORG, "north-wing", "replayed"): 1}
    signed(token, "POST", RESULTS, body, now=NOW.timestamp(), nonce=nonce)
    assert refusals() == {(HOME_ORG, "north-wing", "replayed"): 2}


def test_a_stale_nonce_is_pruned_but_its_request_stays_refused(token: str, clock: time_machine.Traveller) -> None:
    from contingency.monitor import worker

    body = report("north-wing", result("pacs-dicom-echo", True, NOW))
    nonce = "cd" * 16
    assert signed(token, "POST", RESULTS, body, now=NOW.timestamp(), nonce=nonce).status_code == 200
    later = NOW + timedelta(seconds=3 * probesign.WINDOW)
    clock.move_to(later)
    worker.prune(later)
    assert not ProbeNonce.objects.exists()
    # The nonce is forgotten, but the signed timestamp is now too old: still refused.
    assert signed(token, "POST", RESULTS, body, now=NOW.timestamp(), nonce=nonce).status_code == 401
    assert refusals() == {(HOME_ORG, "north-wing", "stale"): 1}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"site": "north-wing", "everySeconds": 60}, "results"),
        ({"site": "north-wing", "everySeconds": 0, "results": []}, "everySeconds"),
        ({"site": "north-wing", "everySeconds": 60, "results": [{"plan": "p"}]}, "results.0.system"),
    ],
)
def test_a_bad_body_is_a_located_422_and_keeps_nothing(token: str, body: dict[str, object], path: str) -> None:
    response = signed(token, "POST", RESULTS, body, now=NOW.timestamp())
    assert response.status_code == 422, response.content
    assert path in {e["path"].replace("[", ".").replace("]", "") for e in response.json()["errors"]}
    assert CheckResult.objects.count() == 0


# ---------------------------------------------------------------- what people read


def test_people_read_the_probes_with_view(token: str, api_as: Callable[..., Client]) -> None:
    signed(token, "POST", RESULTS, report("north-wing", result("pacs-dicom-echo", True, NOW)), now=NOW.timestamp())
    viewer = api_as("viewer")
    listed = viewer.get(f"{BASE}/{HOME_ORG}/probes")
    assert listed.status_code == 200
    body = listed.json()
    assert [s["name"] for s in body["sites"]] == ["north-wing"]
    assert {s["system"]: s["state"] for s in body["systems"]} == {
        "pacs": "no-news",
        "integration-engine": "no-news",
    } or body["systems"]
    one = viewer.get(f"{BASE}/{HOME_ORG}/probes/systems/pacs-bcdr/pacs")
    assert one.status_code == 200 and one.json()["current"]["system"] == "pacs"
    assert viewer.get(f"{BASE}/{HOME_ORG}/probes/systems/pacs-bcdr/cd-robots").status_code == 404


@pytest.mark.parametrize("url", [f"{BASE}/{HOME_ORG}/probes", f"{BASE}/{HOME_ORG}/probes/systems/pacs-bcdr/pacs"])
def test_outsiders_get_404_and_anonymous_401(token: str, api_as: Callable[..., Client], url: str) -> None:
    assert api_as("editor", organisation=OTHER_ORG).get(url).json() == {"detail": "No such organisation."}
    assert Client().get(url).status_code == 401
    # A probe's signature is not a person's log-in.
    assert signed(token, "GET", url, now=NOW.timestamp()).status_code == 401
