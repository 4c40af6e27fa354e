"""The mirror feed a laptop copy pulls: issued plans only, each answer signed with the server's key.

GET /mirror/organisations lists the organisations the token may read; GET .../feed?since=&nonce=
lists each issued plan's version (or says nothing changed since the laptop's cursor); GET
.../plans/{plan}/issues/{issue}?nonce= hands out one issue as issued. The body is signed as sent
(X-Contingency-Signature, Ed25519 over the exact bytes; X-Contingency-Key names the key) and
echoes the nonce, so a laptop can tell a fresh answer from this server from anything else.
A mirror token (or an API token) of a member with the view permission may read them.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from contingency.core.access import organisations_of
from contingency.core.permissions import Capability
from contingency.lib.keys import KeyUnusable
from contingency.mirror import feed, signer, wire

from . import schemas as s
from .access import organisation_for
from .auth import MirrorToken, caller

router = Router(by_alias=True, auth=[MirrorToken()])
ORG = "/mirror/organisations/{org}"
DENIED = {401: s.Error, 403: s.Error, 404: s.Error, 422: s.Invalid, 503: s.Error}
NONCE_HELP = "16 to 128 letters, digits, - or _, chosen afresh for each request; the answer echoes it, signed."
SIGNED = {
    "200": {
        "description": "A signed JSON object (see X-Contingency-Signature).",
        "headers": {
            wire.SIGNATURE_HEADER: {"description": "Ed25519 signature of the exact body, base64url."},
            wire.KEY_HEADER: {"description": "The fingerprint of the key that signed it."},
        },
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


class Nonce(Schema):
    nonce: str = Field(pattern=wire.NONCE.pattern, description=NONCE_HELP)


class FeedQuery(Nonce):
    since: str = Field("", description="The cursor of the plans the laptop holds; empty on the first pull.")


def _signed(payload: dict[str, Any]) -> HttpResponse:
    body = wire.encode(payload)
    try:
        headers = signer.signature_headers(body)
    except KeyUnusable as exc:
        raise HttpError(503, f"The server cannot sign the mirror feed: {exc}. Tell its operator.") from None
    response = HttpResponse(body, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


@router.get("/mirror/organisations", response=DENIED, url_name="mirror-organisations",
            openapi_extra={"responses": SIGNED})  # fmt: skip
def organisations(request: HttpRequest, query: Query[Nonce]) -> HttpResponse:
    """The organisations whose issued plans the token may copy."""
    found = organisations_of(caller(request))
    return _signed(feed.organisations_payload(found, nonce=query.nonce, now=timezone.now()))


@router.get(ORG + "/feed", response=DENIED, url_name="mirror-feed", openapi_extra={"responses": SIGNED})
def mirror_feed(request: HttpRequest, org: str, query: Query[FeedQuery]) -> HttpResponse:
    """Each issued plan's key, issue and SHA-256; none listed when `since` is already the current cursor."""
    organisation = organisation_for(request, org, Capability.VIEW)
    payload = feed.feed_payload(organisation, since=query.since, nonce=query.nonce, now=timezone.now())
    return _signed(payload)


@router.get(ORG + "/plans/{plan}/issues/{issue}", response=DENIED, url_name="mirror-plan",
            openapi_extra={"responses": SIGNED})  # fmt: skip
def mirror_plan(request: HttpRequest, org: str, plan: str, issue: int, query: Query[Nonce]) -> HttpResponse:
    """One issue of a plan, as issued (canonical YAML in `text`, whose SHA-256 is `sha256`)."""
    organisation = organisation_for(request, org, Capability.VIEW)
    payload = feed.plan_payload(organisation, plan, issue, nonce=query.nonce, now=timezone.now())
    return _signed(payload)
