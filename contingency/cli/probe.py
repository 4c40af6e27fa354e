"""`contingency probe ...`: run the organisation's checks from one site; `contingency probes ...`: their tokens.

`contingency probe` needs no database: only the server's address, the organisation, the site's name
and its token (`--token`, or CONTINGENCY_PROBE_TOKEN so it stays out of the process list). Exit codes:
0 a round was pushed (--once) or the probe was stopped; 1 the server could not be reached or refused
the probe (--once); 2 bad input.
"""

from __future__ import annotations

import logging
import re
import signal
import sys
import threading
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..core.models import Organisation

from .common import EXIT_INVALID, _django, _error, _require_migrated, refusals

_ROUTE_RE = re.compile(r"^([^\s=:]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})=([^\s=:]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$")


def parse_routes(given: tuple[str, ...]) -> dict[tuple[str, int], tuple[str, int]]:
    routes: dict[tuple[str, int], tuple[str, int]] = {}
    for text in given:
        match = _ROUTE_RE.match(text.strip())
        if match is None or not all(0 < int(match.group(g)) < 65536 for g in (2, 4)):
            _error("--route", f"{text!r} is not HOST:PORT=HOST:PORT (e.g. pacs.example.org:104=10.2.0.5:11112)")
        assert match is not None
        source = (match.group(1).strip("[]"), int(match.group(2)))
        routes[source] = (match.group(3).strip("[]"), int(match.group(4)))
    return routes


@click.command(name="probe")
@click.option("--site", required=True, help="This site's name, as its token was made for (e.g. main-xray).")
@click.option("--server", required=True, help="The Contingency server's address, e.g. https://contingency.example.org")
@click.option("--org", "organisation", required=True, help="The organisation's id (slug), e.g. northwick-general.")
@click.option(
    "--token",
    envvar="CONTINGENCY_PROBE_TOKEN",
    required=True,
    help="The site's probe token (ctp_...); or set CONTINGENCY_PROBE_TOKEN.",
)
@click.option("--once", is_flag=True, help="Run one round, push it, print a line and exit (for cron).")
@click.option(
    "--route",
    "routes",
    multiple=True,
    metavar="HOST:PORT=HOST:PORT",
    help="Reach a host:port a check names at another address from this site (split DNS, NAT). Repeatable.",
)
@click.option(
    "--ca-file",
    type=click.Path(dir_okay=False),
    help="Certificates to trust for HTTPS checks (PEM), e.g. the hospital's CA.",
)
def probe_command(
    site: str, server: str, organisation: str, token: str, once: bool, routes: tuple[str, ...], ca_file: str | None
) -> None:
    """Run the checks of the organisation's plans from this site and push signed results, every interval,
    until SIGTERM or Ctrl+C."""
    from ..lib import probesign
    from ..monitor import checks
    from ..monitor.probe import Probe, ProbeError, loop

    try:
        parsed = probesign.parse_token(token)
    except probesign.BadToken as exc:
        _error("--token", str(exc))
    if not re.match(r"^https?://[^\s/]+", server):
        _error("--server", f"{server!r} is not an http:// or https:// address")
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,63}$", organisation):
        _error("--org", f"{organisation!r} is not an organisation id (e.g. northwick-general)")
    try:
        tls = checks.default_tls(ca_file)
    except (OSError, ValueError) as exc:
        _error("--ca-file", f"cannot read certificates from {ca_file}: {exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("pynetdicom").setLevel(logging.CRITICAL)  # its own log of each rejection is ours to say
    probe = Probe(server, organisation, site, parsed, parse_routes(routes), tls)
    if once:
        try:
            _, ran, failed, answer = probe.round()
        except ProbeError as exc:
            click.echo(f"error: {exc.message}", err=True)
            sys.exit(1)
        states = ", ".join(f"{k}: {v}" for k, v in sorted(answer.get("states", {}).items()))
        click.echo(f"{ran} check(s) run, {failed} failed, {answer.get('accepted', 0)} kept. {states}")
        return
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    for _ in loop(probe, stop):
        pass


@click.group()
def probes() -> None:
    """Probe sites of an organisation: make a site's token, list the sites, revoke a token."""


def _organisation(slug: str) -> Organisation:
    _django()
    _require_migrated()
    from ..core.models import Organisation

    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        _error("--org", f"no organisation {slug!r} (import its plans first)")
    assert found is not None
    return found


@probes.command(name="add-site")
@click.option("--org", "organisation", required=True)
@click.argument("name")
def add_site(organisation: str, name: str) -> None:
    """Make a probe site and print its token (shown once: give it to the site's probe)."""
    org = _organisation(organisation)
    from ..monitor import services

    with refusals({"name": "NAME"}, otherwise="NAME"):
        site, token = services.add_site(organisation=org, name=name, actor=None, via="cli")
    click.echo(f"Probe site {site.name} of {org.slug}. Its token (shown once):")
    click.echo(token)


@probes.command(name="sites")
@click.option("--org", "organisation", required=True)
def list_sites(organisation: str) -> None:
    """Each site: its last report, whether it has news, and the requests refused in its name."""
    org = _organisation(organisation)
    from ..monitor import read

    for site in read.sites(org):
        last = site.last_report_at.isoformat(timespec="seconds") if site.last_report_at else "never"
        state = "revoked" if not site.active else ("NO NEWS" if site.no_news else "reporting")
        click.echo(f"{site.name}: {state}; last report {last}; {site.reports} report(s); {site.refusals} refused")


@probes.command(name="revoke")
@click.option("--org", "organisation", required=True)
@click.argument("name")
def revoke(organisation: str, name: str) -> None:
    """Revoke a site's token at once (its results stay)."""
    org = _organisation(organisation)
    from ..monitor import services
    from ..monitor.models import ProbeSite

    site = ProbeSite.objects.filter(organisation=org, name=name, revoked_at__isnull=True).first()
    if site is None:
        _error("NAME", f"no active probe site {name!r}")
    assert site is not None
    with refusals({}, otherwise="NAME"):
        services.revoke_site(site=site, actor=None, via="cli")
    click.echo(f"Revoked the token of {name}.")


__all__ = ["EXIT_INVALID", "probe_command", "probes"]
