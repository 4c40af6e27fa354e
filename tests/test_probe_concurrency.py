"""Exactly one incident when the sites' reports arrive at the same moment (PostgreSQL: concurrent writers).

On SQLite writers take turns (IMMEDIATE transactions), which tests/test_probe_incidents.py covers; here
three threads, one per site, push the round that completes the outage at once, each on its own connection.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from contingency.core.models import Organisation
from contingency.incidents.models import Incident
from contingency.monitor import services
from contingency.monitor.models import ProbeSite
from contingency.monitor.services import ResultIn
from contingency.notify.models import Callout

from .web import HOME_ORG, PACS, load_demo

pytestmark = pytest.mark.django_db(transaction=True)
NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)
SITES = ("main-xray", "north-wing", "south-wing")


def push(site: ProbeSite, at: datetime) -> None:
    down = [
        ResultIn(PACS, "pacs", check, at, False, "connect", "connection refused")
        for check in ("pacs-dicom-echo", "pacs-web-viewer")
    ]
    services.record_report(
        site=site, results=[*down, ResultIn(PACS, "integration-engine", "ris-mllp", at, True)], every_seconds=60, at=at
    )


def test_reports_arriving_together_open_one_incident() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time; this needs concurrent writers")
    load_demo()
    org = Organisation.objects.get(slug=HOME_ORG)
    sites = [services.add_site(organisation=org, name=name, actor=None, via="test", at=NOW)[0] for name in SITES]
    for site in sites:
        push(ProbeSite.objects.get(pk=site.pk), NOW)
    assert not Incident.objects.exists()
    start = threading.Barrier(len(sites))
    errors: list[BaseException] = []

    def second_round(site: ProbeSite) -> None:
        try:
            start.wait()
            push(ProbeSite.objects.get(pk=site.pk), NOW + timedelta(minutes=1))
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=second_round, args=(site,)) for site in sites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    [incident] = Incident.objects.filter(subject="system:pacs")
    assert Callout.objects.filter(incident=incident, event="probes:opened").count() == 1
