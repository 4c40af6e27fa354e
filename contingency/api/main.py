"""The JSON API, version 1: /api/v1/, described at /api/v1/openapi.json and browsable at /api/v1/docs."""

from __future__ import annotations

from . import errors, parts, plans, workflow
from .auth import BearerToken, Session

DESCRIPTION = """Plans of the organisations you belong to, with the same permissions as the pages.

Authenticate with a personal token (`Authorization: Bearer ctg_...`, made on your account page)
or, from a browser, with your signed-in session (unsafe methods then need the CSRF token).
Plan documents and parts follow schema/plan-v1.schema.json and are validated like a plan file;
an invalid body gets 422 with every problem located by path."""

api = errors.Api(
    title="Contingency API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[BearerToken(), Session()],
)
errors.install(api)
api.add_router("", plans.router, tags=["plans"])
api.add_router("", parts.router, tags=["parts"])
api.add_router("", workflow.router, tags=["workflow"])
