"""The live page and the hand-over on paper: the demo incident prints in a few A4 pages (WeasyPrint, for real)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.staticfiles import finders
from django.test import Client
from pypdf import PdfReader

from contingency.core.models import Role
from contingency.downtime import demo
from contingency.incidents.models import Incident

from .web import HOME_ORG, client_for, make_user

pytestmark = pytest.mark.django_db
MOST_PAGES = 6
LONDON = ZoneInfo("Europe/London")
DUMP = os.environ.get("PRINT_DUMP", "")  # a path: keep the last PDF there to look at


def _static(url: str) -> Any:
    """Serve the page's own stylesheets from the package; anything else is empty (nothing is fetched)."""
    from weasyprint.urls import URLFetcherResponse

    path = url.split("/static/", 1)[1].split("?")[0] if "/static/" in url else ""
    found = finders.find(path) if path.endswith(".css") else None
    body = Path(str(found)).read_bytes() if found else b""
    return URLFetcherResponse(url, body=body, headers={"Content-Type": "text/css"})


def printed(client: Client, url: str) -> list[str]:
    """The text of each printed A4 page."""
    from weasyprint import HTML

    response = client.get(url)
    assert response.status_code == 200
    pdf = HTML(string=response.content.decode(), base_url="http://testserver/", url_fetcher=_static).write_pdf()
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]
    if DUMP:
        Path(DUMP + url.strip("/").replace("/", "-") + ".pdf").write_bytes(pdf)
    return pages


# The demo outage began 30 hours before "now": seen in hours (began at 04:00, before 08:00) and out of hours
# (began on Friday evening, seen at 02:00 on Sunday), its checklist differs: each must print in a few pages.
MOMENTS = {
    "in hours": datetime(2027, 6, 9, 10, 0, tzinfo=LONDON),
    "out of hours": datetime(2027, 6, 13, 2, 0, tzinfo=LONDON),
}


@pytest.fixture(params=list(MOMENTS))
def outage(request: pytest.FixtureRequest, demo_plans: list[object]) -> Iterator[tuple[Client, Incident]]:
    responder = make_user("responder", HOME_ORG, Role.RESPONDER)
    make_user("approver", HOME_ORG, Role.APPROVER)
    with time_machine.travel(MOMENTS[request.param], tick=False):
        incident = demo.load()
        assert incident is not None
        yield client_for(responder), incident


def test_the_demo_incidents_live_page_prints_in_a_few_pages(outage: tuple[Client, Incident]) -> None:
    client, incident = outage
    pages = printed(client, f"/o/{HOME_ORG}/incidents/{incident.number}/")
    assert len(pages) <= MOST_PAGES, f"the live page prints as {len(pages)} A4 pages"
    text = " ".join(" ".join(pages).split())
    # The checklist is on paper (each task once), with who does it and the numbers to ring.
    for task in incident.tasks.exclude(state="rerouted")[:40]:
        assert " ".join(task.text.split())[:40] in text, f"{task.text!r} is not on the printed live page"


def test_the_demo_incidents_handover_prints_in_a_few_pages(outage: tuple[Client, Incident]) -> None:
    client, incident = outage
    pages = printed(client, f"/o/{HOME_ORG}/incidents/{incident.number}/handover/")
    assert len(pages) <= MOST_PAGES, f"the hand-over prints as {len(pages)} A4 pages"
