"""Who may call the exercise, supplier and KPI endpoints: every endpoint against every kind of caller.

The table ENDPOINTS names, for each of these endpoints, what it needs (the same as its page in
test_permission_matrix.EXPECTED); an endpoint missing from it fails `test_every_endpoint_is_in_the_table`.
Anonymous callers get 401, members of another organisation 404 (as if it did not exist), members without
the capability 403, and none of them changes anything. Random bodies never cause a 500.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.api.main import api
from contingency.commissioning import services as commissioning
from contingency.commissioning.models import KpiRelaxation
from contingency.core.models import AuditEntry
from contingency.exercises import services as exercises
from contingency.exercises.models import ClockAdvance, Exercise, Inject
from contingency.incidents import services as incidents
from contingency.plans.models import Plan
from contingency.suppliers import services as suppliers
from contingency.suppliers.models import Assurance, ClockEvent, Ticket

from .conftest import budget
from .web import HOME_ORG, OTHER_ORG, PACS

pytestmark = pytest.mark.django_db

Needs = Literal["view", "respond", "record"]  # record: the edit or the administer permission
ORG = "/api/v1/organisations/{org}"
INCIDENT = ORG + "/incidents/{incident}"
SOMETHING = re.compile(r"/(exercises|suppliers|supplier-tickets|kpis)(/|$)")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    needs: Needs
    body: dict[str, Any] | None = None


ENDPOINTS = [
    Endpoint("get", ORG + "/exercises", "view"),
    Endpoint("post", ORG + "/exercises", "respond", {"plan": PACS, "kind": "live", "subject": "system:pacs"}),
    Endpoint("get", ORG + "/exercises/{exercise}", "view"),
    Endpoint("post", ORG + "/exercises/{exercise}/injects", "respond", {"title": "x", "text": "y"}),
    Endpoint("post", ORG + "/exercises/{exercise}/injects/release", "respond", {}),
    Endpoint("post", ORG + "/exercises/{exercise}/clock", "respond", {"minutes": 30, "reason": "x"}),
    Endpoint("post", ORG + "/exercises/{exercise}/finish", "respond", {"outcome": "x"}),
    Endpoint("get", ORG + "/suppliers", "view"),
    Endpoint("put", ORG + "/suppliers/{supplier}", "record", {"hasPlan": "yes"}),
    Endpoint("get", INCIDENT + "/supplier-tickets", "view"),
    Endpoint("post", INCIDENT + "/supplier-tickets", "respond", {"supplier": "meridian", "reference": "MIS-2"}),
    Endpoint(
        "post", INCIDENT + "/supplier-tickets/{ticket}/clock", "respond", {"clock": "response", "kind": "stopped"}
    ),
    Endpoint("get", ORG + "/plans/{plan}/kpis", "view"),
    Endpoint("get", INCIDENT + "/kpis", "view"),
    Endpoint(
        "post",
        INCIDENT + "/kpis/relaxations",
        "respond",
        {"kpi": 1, "askedOf": "x", "relaxedFrom": "2020-01-01T00:00:00Z", "relaxedTo": "2020-01-02T00:00:00Z"},
    ),
    Endpoint("post", INCIDENT + "/kpis/relaxations/{relaxation}/agree", "respond", {"agreedBy": "x"}),
]
WRITES = [e for e in ENDPOINTS if e.method != "get"]
# The role that has everything but the capability needed.
LACKING = {"respond": "viewer", "record": "responder"}


@pytest.fixture
def world(demo_plans: list[object]) -> dict[str, Any]:
    """Northwick's objects every endpoint names: a running exercise, an invoked incident with a supplier ticket
    and a KPI relaxation asked for."""
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    exercise = exercises.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, via="test")
    exercises.add_inject(exercise=exercise, title="x", text="y", minutes=0, actor=None, via="test")
    incident = incidents.report(plan=plan, subject="system:pacs", actor=None, via="test")
    incident = incidents.invoke(incident=incident, actor=None, via="test")
    ticket = suppliers.log_ticket(
        incident=incident,
        supplier_key="meridian",
        reference="MIS-1",
        logged_at=timezone.now(),
        rca_due_on=None,
        actor=None,
        via="test",
    )
    kpi = commissioning.add_kpi(
        plan=plan, what="Reports", target="95%", clock_value=2, clock_unit="days", commissioner="ICB", actor=None,
        via="test",
    )  # fmt: skip
    assert incident.invoked_at is not None
    relaxation = commissioning.ask_relaxation(
        incident=incident,
        kpi=kpi,
        asked_of="Contract manager",
        asked_at=incident.invoked_at,
        relaxed_from=incident.invoked_at,
        relaxed_to=incident.invoked_at + (timezone.now() - incident.invoked_at) + timedelta(days=3),
        actor=None,
        via="test",
    )
    return {
        "org": HOME_ORG,
        "exercise": exercise.number,
        "incident": incident.number,
        "ticket": ticket.pk,
        "relaxation": relaxation.pk,
        "supplier": "meridian",
        "plan": PACS,
    }


def url(endpoint: Endpoint, world: dict[str, Any]) -> str:
    return endpoint.path.format(**world)


def call(client: Client, endpoint: Endpoint, world: dict[str, Any], body: Any = None) -> Any:
    given = endpoint.body if body is None else body
    if endpoint.method == "get":
        return client.get(url(endpoint, world))
    data = json.dumps(given if given is not None else {})
    return getattr(client, endpoint.method)(url(endpoint, world), data, content_type="application/json")


def rows() -> dict[str, int]:
    models = (Exercise, Inject, ClockAdvance, Assurance, Ticket, ClockEvent, KpiRelaxation, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def test_every_endpoint_is_in_the_table() -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    served = {
        (method, path)
        for path, operations in schema["paths"].items()
        if SOMETHING.search(path)
        for method in operations
    }
    listed = {(e.method, e.path.replace("{exercise}", "{number}").replace("{incident}", "{number}")) for e in ENDPOINTS}
    assert listed == served


def test_anonymous_is_401_and_another_organisation_404(world: dict[str, Any], api_as: Callable[..., Client]) -> None:
    outsider = api_as("editor", "administrator", organisation=OTHER_ORG)
    anonymous = Client()
    before = rows()
    for endpoint in ENDPOINTS:
        refused = call(anonymous, endpoint, world)
        assert refused.status_code == 401, endpoint
        assert refused["WWW-Authenticate"] == 'Bearer realm="contingency"'
        hidden = call(outsider, endpoint, world)
        assert hidden.status_code == 404, endpoint
        assert hidden.json() == {"detail": "No such organisation."}, endpoint
        # In their own organisation, Northwick's exercise, incident and ticket numbers name nothing of theirs.
        theirs = call(outsider, endpoint, {**world, "org": OTHER_ORG, "plan": "eye-care-data"})
        assert theirs.status_code in ({200, 404} if endpoint.method == "get" else {404, 422}), (
            endpoint,
            theirs.content,
        )
    assert rows() == before


@pytest.mark.parametrize("endpoint", WRITES, ids=lambda e: f"{e.method} {e.path}")
def test_a_member_without_the_capability_gets_403_and_changes_nothing(
    world: dict[str, Any], api_as: Callable[..., Client], endpoint: Endpoint
) -> None:
    member = api_as(LACKING[endpoint.needs])
    before = rows()
    response = call(member, endpoint, world)
    assert response.status_code == 403, response.content
    assert "permission in Northwick General Hospital NHS Foundation Trust." in response.json()["detail"]
    assert rows() == before


def test_a_viewer_reads_every_read_endpoint(world: dict[str, Any], api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    for endpoint in ENDPOINTS:
        if endpoint.method == "get":
            assert call(viewer, endpoint, world).status_code == 200, endpoint


def test_the_capability_is_enough(world: dict[str, Any], api_as: Callable[..., Client]) -> None:
    """The role with just the capability gets past the check (what it then does is in the other API tests)."""
    for endpoint in WRITES:
        role = {"respond": "responder", "record": "editor"}[endpoint.needs]
        response = call(api_as(role), endpoint, world)
        assert response.status_code not in {401, 403, 404, 500}, (endpoint, response.content)
    assert call(api_as("administrator"), WRITES[[e.needs for e in WRITES].index("record")], world).status_code == 200


TEXT = st.text(max_size=30)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSON = st.recursive(
    SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8
)


def _like(endpoint: Endpoint) -> Any:
    """Bodies with the endpoint's own fields, each valid or anything at all."""
    fields = dict(endpoint.body or {})
    return st.fixed_dictionaries({}, optional={k: st.one_of(st.just(v), JSON) for k, v in fields.items()})


BODIES = st.sampled_from(range(len(WRITES))).flatmap(lambda i: st.tuples(st.just(i), st.one_of(JSON, _like(WRITES[i]))))


@settings(max_examples=budget(150), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=BODIES)
def test_random_bodies_never_cause_a_500(world: dict[str, Any], api_as: Callable[..., Client], case: Any) -> None:
    which, body = case
    response = call(api_as("editor"), WRITES[which], world, body)
    assert response.status_code in {200, 201, 400, 404, 409, 422}, response.content
    payload = response.json()
    assert isinstance(payload.get("detail", ""), str)
    if response.status_code == 422:
        assert payload["errors"]
        assert all(set(e) == {"path", "loc", "code", "message"} for e in payload["errors"])
