"""The JSON API, version 1: /api/v1/, described at /api/v1/openapi.json and browsable at /api/v1/docs."""

from __future__ import annotations

from . import (
    commissioning,
    downtime,
    downtime_archive,
    errors,
    exercises,
    incidents,
    mirror,
    notify,
    parts,
    plans,
    probes,
    suppliers,
    workflow,
)
from .auth import BearerToken, Session

DESCRIPTION = """Plans of the organisations you belong to, with the same permissions as the pages.

Authenticate with a personal token (`Authorization: Bearer ctg_...`, made on your account page)
or, from a browser, with your signed-in session (unsafe methods then need the CSRF token).
Plan documents and parts follow schema/plan-v1.schema.json and are validated like a plan file;
an invalid body gets 422 with every problem located by path.

Incidents run through the same services as the pages: a refusal that names a field of the
request (a future `beganAt`, an unknown check, a skip without a reason) is 422 located at
that field, and one about the incident's or task's state (restoring an incident that is not
invoked, completing a task that is done) is 409. Times are ISO 8601 in UTC; `local` fields
give the same moment on the organisation's wall clock, with its offset.

Exercises, supplier assurance and tickets, and commissioners' KPIs run through their services
in the same way: an exercise that has finished, a relaxation already agreed, is 409."""

api = errors.Api(
    title="Contingency API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=[BearerToken(), Session()],
    parser=errors.BoundedJson(),
)
errors.install(api)
api.add_router("", plans.router, tags=["plans"])
api.add_router("", parts.router, tags=["parts"])
api.add_router("", workflow.router, tags=["workflow"])
api.add_router("", incidents.router, tags=["incidents"])
api.add_router("", notify.router, tags=["notifications"])
api.add_router("", downtime.router, tags=["downtime"])
api.add_router("", mirror.router, tags=["laptop copies"])
api.add_router("", downtime_archive.router, tags=["downtime"])
api.add_router("", probes.router, tags=["probes"])
api.add_router("", exercises.router, tags=["exercises"])
api.add_router("", suppliers.router, tags=["suppliers"])
api.add_router("", commissioning.router, tags=["commissioners' KPIs"])
