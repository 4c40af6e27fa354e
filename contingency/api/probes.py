"""Probes over the API: the signed endpoints a probe calls, and what the probes decided, for people.

A probe (`contingency probe`) signs every request with its site's token (ADR 0020; the headers are
X-Probe-Key, X-Probe-Timestamp, X-Probe-Nonce and X-Probe-Signature, see lib/probesign.py):

- GET .../probe/checks?site=NAME: every check of the organisation's plans, to run from that site;
- POST .../probe/results: one round of results. The answer says how many were kept and each
  monitored system's verdict now.

A request that is not signed, is signed with an unknown, revoked or another organisation's token or
for another site, has a bad signature, an old timestamp or a nonce already used, gets 401 and is
counted. People (VIEW) read GET .../probes (sites, refusals, each system's verdict) and GET
.../probes/systems/{plan}/{system} (its verdict and the changes over the last day, or `since`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyHeader

from contingency.core.models import Organisation
from contingency.core.permissions import Capability
from contingency.lib import probesign
from contingency.monitor import read, services
from contingency.monitor.models import ProbeSite, Refusal
from contingency.monitor.signed import ProbeRefused, refuse, verify

from . import probe_schemas as p
from . import schemas as s
from .access import organisation_for

router = Router(by_alias=True)
ORG = "/organisations/{org}"
SIGNED_ANSWERS = {401: s.Error, 404: s.Error}
TAGS = ["probes"]


class ProbeSignature(APIKeyHeader):
    """The probe's signed headers (lib/probesign.py); the request is verified whole, and refusals counted."""

    param_name = probesign.SIGNATURE_HEADER

    def __call__(self, request: HttpRequest) -> ProbeSite:
        slug = request.resolver_match.kwargs.get("org", "") if request.resolver_match else ""
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise HttpError(404, "No such organisation.")
        try:
            return verify(
                organisation=organisation,
                method=request.method or "GET",
                path=request.get_full_path(),
                headers=request.headers,
                body=request.body,
                now=timezone.now(),
            )
        except ProbeRefused as refused:
            raise AuthenticationError(401, refused.message) from None

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return None  # not used: __call__ does it all


signed = Router(by_alias=True, auth=ProbeSignature())


def _site(request: HttpRequest, name: str) -> ProbeSite:
    site: ProbeSite = request.auth  # type: ignore[attr-defined]
    if name != site.name:
        raise AuthenticationError(401, refuse(site.organisation, site.name, Refusal.WRONG_SITE, timezone.now()).message)
    return site


@signed.get(ORG + "/probe/checks", response={200: p.CheckList, **SIGNED_ANSWERS}, tags=TAGS, url_name="probe-checks")
def checks(request: HttpRequest, org: str, site: str) -> dict[str, Any]:
    """Every check of the organisation's plans, for the probe at `site` to run."""
    found = _site(request, site)
    planned = [c for watched in services.watched(found.organisation) for c in watched.planned]
    every = min((c.every for c in planned), default=None)
    return {
        "organisation": found.organisation.slug,
        "site": found.name,
        "every": str(every) if every else "1m",
        "checks": [c.to_json() for c in planned],
    }


@signed.post(
    ORG + "/probe/results",
    response={200: p.ReportOut, **SIGNED_ANSWERS, 422: s.Invalid},
    tags=TAGS,
    url_name="probe-results",
)
def results(request: HttpRequest, org: str, body: p.ReportIn) -> dict[str, Any]:
    """One round of a site's results: kept, and every monitored system decided again."""
    found = _site(request, body.site)
    given = [
        services.ResultIn(
            plan=r.plan,
            system=r.system,
            check=r.check,
            at=r.at if timezone.is_aware(r.at) else timezone.make_aware(r.at, UTC),
            ok=r.ok,
            layer=r.layer,
            detail=r.detail,
            warning=r.warning,
            elapsed_ms=r.elapsed_ms,
            certificate_days=r.certificate_days,
        )
        for r in body.results
    ]
    done = services.record_report(site=found, results=given, every_seconds=body.every_seconds)
    return {"accepted": done.accepted, "ignored": done.ignored, "states": done.states}


# ---------------------------------------------------------------- for people


def _state_out(state: read.SystemState) -> dict[str, Any]:
    return {
        "plan": state.plan,
        "system": state.system,
        "name": state.name,
        "state": state.state,
        "words": state.words,
        "since": state.since,
        "summary": state.summary,
        "failing_sites": list(state.failing_sites),
        "silent_sites": list(state.silent_sites),
        "suspect_sites": list(state.suspect_sites),
        "checked_at": state.checked_at,
        "incident": state.incident,
    }


@router.get(
    ORG + "/probes", response={200: p.ProbesOut, 401: s.Error, 403: s.Error, 404: s.Error}, tags=TAGS, url_name="probes"
)
def probes(request: HttpRequest, org: str) -> dict[str, Any]:
    """The organisation's probe sites (last report, no news, refusals), refusals by reason, and each system's verdict."""
    organisation = organisation_for(request, org, Capability.VIEW)
    return {
        "sites": [vars(site) for site in read.sites(organisation)],
        "refusals": [vars(r) for r in read.refusals(organisation)],
        "systems": [_state_out(state) for state in read.states(organisation)],
    }


@router.get(
    ORG + "/probes/systems/{plan}/{system}",
    response={200: p.SystemHistory, 401: s.Error, 403: s.Error, 404: s.Error},
    tags=TAGS,
    url_name="probes-system",
)
def system_history(
    request: HttpRequest, org: str, plan: str, system: str, since: datetime | None = None
) -> dict[str, Any]:
    """One system's verdict now, and its changes since `since` (default: the last 24 hours)."""
    organisation = organisation_for(request, org, Capability.VIEW)
    current = read.current_state(organisation, system, plan)
    if current is None:
        raise HttpError(404, f"No probe watches system {system!r} of plan {plan!r}.")
    start = since or timezone.now() - timedelta(hours=24)
    changes = read.history(organisation, system, plan, since=start)
    return {"current": _state_out(current), "changes": [vars(c) for c in changes]}


router.add_router("", signed)
