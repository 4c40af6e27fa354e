"""Done means: three `contingency probe` processes, one per site, against the live server and real systems.

The systems are real servers on 127.0.0.1 (pynetdicom's SCP as the PACS archive, a web server as its
viewer, an MLLP listener as the RIS interface engine), and the PACS plan's checks point at them. Each
round runs the three probes as separate processes (`--once`); a site that "loses" something is
pointed at closed ports with `--route`. Waits are on the processes and the database, never on time.

- one site loses PACS: partial; no incident; the system's page names the site;
- one probe loses its own network: probe suspect; nothing opened;
- every site loses PACS (the archive and the viewer stop): complete; one suspected incident, owner called;
- a probe killed with SIGKILL: no news.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from contingency.core.models import Organisation, Role
from contingency.incidents.models import Incident
from contingency.monitor import read, services, worker
from contingency.monitor.models import ProbeSite
from contingency.notify.models import Callout
from contingency.plans import editing
from contingency.plans.models import Plan
from contingency.plans.validate import validate_data

from .support.dicom_peer import DicomPeer
from .support.forkserver import Commands
from .support.mllp_server import MllpServer
from .support.pages import PageServer
from .web import HOME_ORG, PACS, client_for, load_demo, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
SITES = ("main-xray", "north-wing", "south-wing")
STALL = 120.0  # seconds without progress before a wait gives up


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class World:
    server: str
    peer: DicomPeer
    viewer: PageServer
    ris: MllpServer
    tokens: dict[str, str]
    logs: Path
    closed: int = field(default_factory=closed_port)
    rounds: int = 0
    probes: dict[str, Commands] = field(default_factory=dict)

    def probe(self, site: str, *extra: str) -> list[str]:
        """`contingency probe ...` for this site: its arguments."""
        return ["probe", "--site", site, "--server", self.server, "--org", HOME_ORG, *extra]

    def command(self, site: str, *extra: str) -> list[str]:
        return [sys.executable, "-m", "contingency.cli", *self.probe(site, *extra)]

    def env(self, site: str) -> dict[str, str]:
        # A site's probe has no database and no settings of the server's: only its token.
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
        return keep | {"CONTINGENCY_PROBE_TOKEN": self.tokens[site], "PYTHONPATH": str(ROOT)}

    def route(self, *ports: int) -> list[str]:
        """`--route` options sending these targets to a closed port."""
        return [arg for port in ports for arg in ("--route", f"127.0.0.1:{port}=127.0.0.1:{self.closed}")]

    def round(self, only: tuple[str, ...] = SITES, **routes: list[str]) -> None:
        """One round: each site's probe as its own process, one after another (the live server's test
        database is SQLite in memory, which takes one writer at a time); each must push its results."""
        self.rounds += 1
        for site in only:
            if site not in self.probes:  # each site's probe forks from one process of its own (its environment)
                self.probes[site] = Commands(self.env(site), django=False)
            done = self.probes[site].run("cli", self.probe(site, "--once", *routes.get(site.replace("-", "_"), [])))
            assert done.returncode == 0, f"round {self.rounds}, {site}:\n{done.stdout}{done.stderr}"


def wait_until(
    condition: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], progress: Callable[[], Any]
) -> None:
    """Wait for `condition`, failing if the process dies or nothing moves for STALL seconds."""
    last, moved = progress(), time.monotonic()
    while not condition():
        assert proc.poll() is None, f"the probe died while waiting for {what}"
        now = progress()
        if now != last:
            last, moved = now, time.monotonic()
        assert time.monotonic() - moved < STALL, f"no progress for {STALL:.0f}s while waiting for {what}"
        time.sleep(0.05)


def point_the_plan_at(peer: DicomPeer, viewer: PageServer, ris: MllpServer) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    data = editing.plan_data(plan)
    systems = {s["id"]: s for s in data["systems"]}
    checks = {c["id"]: c for s in systems.values() for comp in s.get("components", []) for c in comp.get("checks", [])}
    checks["pacs-dicom-echo"]["dicom"]["port"] = peer.port
    checks["pacs-web-viewer"]["http"]["url"] = viewer.url()
    checks["ris-mllp"]["mllp"]["port"] = ris.port
    editing.save_document(validate_data(data), organisation=plan.organisation, actor=None, via="test", plan=plan)


@pytest.fixture
def world(live_server: Any, tmp_path: Path) -> Iterator[World]:
    load_demo()
    with DicomPeer() as peer, PageServer() as viewer, MllpServer() as ris:
        point_the_plan_at(peer, viewer, ris)
        org = Organisation.objects.get(slug=HOME_ORG)
        tokens = {site: services.add_site(organisation=org, name=site, actor=None, via="test")[1] for site in SITES}
        made = World(live_server.url, peer, viewer, ris, tokens, tmp_path)
        yield made
        for commands in made.probes.values():
            commands.close()


def pacs() -> read.SystemState:
    state = read.current_state(HOME_ORG, "pacs", PACS)
    assert state is not None
    return state


def test_partial_probe_suspect_then_complete(world: World) -> None:
    world.round()
    assert pacs().state == "up"
    assert world.peer.echoes == 3 and world.viewer.hits == 3 and len(world.ris.received) == 3

    # North wing loses PACS (its archive and viewer), keeps the RIS feed: a partial failure, nothing opened.
    north_loses_pacs = world.route(world.peer.port, world.viewer.port)
    for _ in range(2):
        world.round(north_wing=north_loses_pacs)
    assert pacs().state == "partial" and pacs().failing_sites == ("north-wing",)
    assert not Incident.objects.exists()
    viewer = client_for(make_user("ward-viewer", HOME_ORG, Role.VIEWER))
    page = viewer.get(reverse("plan-system", kwargs={"org": HOME_ORG, "plan": PACS, "system": "pacs"})).content.decode()
    assert "Failing at: <strong>north-wing</strong>" in page

    # South wing's probe loses its own network: everything it checks fails, the others pass. Nothing opened.
    south_cut_off = world.route(world.peer.port, world.viewer.port, world.ris.port)
    for _ in range(2):
        world.round(south_wing=south_cut_off)
    assert pacs().state == "probe-suspect" and pacs().suspect_sites == ("south-wing",)
    engine = read.current_state(HOME_ORG, "integration-engine", PACS)
    assert engine is not None and engine.state == "probe-suspect"
    assert not Incident.objects.exists()

    # The archive and the viewer go down: every site fails. The second round opens one incident.
    world.peer.stop()
    world.viewer.stop()
    world.round()
    assert pacs().state == "complete" and not Incident.objects.exists()
    world.round()
    [incident] = Incident.objects.all()
    assert (incident.subject, incident.state, incident.assessment, incident.risk_key) == (
        "system:pacs",
        "reported",
        "complete",
        "complete-failure",
    )
    assert {a["key"]: a["answer"] for a in incident.answers}["several-pcs"] is True
    assert Callout.objects.filter(incident=incident, event="probes:opened", recipient_key="helen-marsh").count() == 1
    world.round()
    assert Incident.objects.count() == 1  # still one while it is open
    assert pacs().incident == incident.number


def test_a_probe_killed_with_sigkill_is_no_news(world: World) -> None:
    log = world.logs / "main-xray.log"
    with log.open("wb") as out:
        killed = subprocess.Popen(
            world.command("main-xray"), env=world.env("main-xray"), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        # Its first round is pushed when its log says the server kept it (the database is not read meanwhile:
        # the live server's in-memory SQLite takes one connection at a time).
        wait_until(
            lambda: "server kept 3" in log.read_text(errors="replace"), "main-xray's first round", killed, log.stat
        )
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.wait()
    assert killed.returncode == -signal.SIGKILL
    world.round(only=("north-wing", "south-wing"))  # the others go on reporting
    others = ProbeSite.objects.filter(name__in=("north-wing", "south-wing"))
    main = ProbeSite.objects.get(name="main-xray")
    assert main.last_report_at is not None and all(main.last_report_at < site.last_report_at for site in others)  # type: ignore[operator]
    # The sweep runs three intervals after the others' last report: they still have news, the killed probe not.
    later = min(site.last_report_at for site in others if site.last_report_at) + timedelta(minutes=3)
    done = worker.sweep(later)
    assert done.silenced == (f"{main.organisation_id}/main-xray",)
    flagged = {s.name: s.no_news for s in read.sites(HOME_ORG, later)}
    assert flagged == {"main-xray": True, "north-wing": False, "south-wing": False}
    assert pacs().state == "up" and pacs().silent_sites == ("main-xray",)
    probes_page = client_for(make_user("probe-viewer", HOME_ORG, Role.VIEWER)).get(
        reverse("probes", kwargs={"org": HOME_ORG})
    )
    assert '<th scope="row">main-xray</th>' in probes_page.content.decode()
    assert "no news</span>" in probes_page.content.decode()
