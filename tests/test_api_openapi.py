"""The API's description and docs page, session authentication with CSRF, and the workflow steps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from contingency.api.main import api
from contingency.core.models import AuditEntry, Role
from contingency.core.tokens import create_token
from contingency.plans.models import Plan, PlanIssue, PlanStatus

from .web import HOME_ORG, PACS, make_user

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = ROOT / "schema" / "openapi-v1.json"
BASE = "/api/v1"
PLAN_URL = f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}"
EXPECTED_PATHS = {
    "/api/v1/organisations",
    "/api/v1/organisations/{org}/plans",
    "/api/v1/organisations/{org}/plans/{plan}",
    "/api/v1/organisations/{org}/plans/{plan}/lint",
    "/api/v1/organisations/{org}/plans/{plan}/yaml",
    "/api/v1/organisations/{org}/audit",
    "/api/v1/organisations/{org}/downtime-ids",
    "/api/v1/organisations/{org}/plans/{plan}/parts/{section}",
    "/api/v1/organisations/{org}/plans/{plan}/parts/{section}/{key}",
    "/api/v1/organisations/{org}/plans/{plan}/sections/{section}",
    "/api/v1/organisations/{org}/plans/{plan}/submit",
    "/api/v1/organisations/{org}/plans/{plan}/approve",
    "/api/v1/organisations/{org}/plans/{plan}/return",
    "/api/v1/organisations/{org}/plans/{plan}/issue",
    "/api/v1/organisations/{org}/plans/{plan}/checks",
    *(
        "/api/v1/organisations/{org}/incidents" + path
        for path in (
            "",
            "/{number}",
            "/{number}/assess",
            "/{number}/invoke",
            "/{number}/not-a-failure",
            "/{number}/restore",
            "/{number}/stand-down",
            "/{number}/tasks",
            "/{number}/tasks/{task}",
            "/{number}/tasks/{task}/group",
            "/{number}/tasks/{task}/targets/{key}/told",
            "/{number}/timeline",
            "/{number}/updates",
            "/{number}/triggers",
            "/{number}/handover",
            "/{number}/roles",
            "/{number}/roles/lead",
            "/{number}/roles/deputy",
            "/{number}/roles/requests",
            "/{number}/roles/requests/{pk}/accept",
            "/{number}/roles/requests/{pk}/decline",
            "/{number}/briefing",
            "/{number}/supplier",
            "/{number}/review",
            "/{number}/review/actions",
            "/{number}/review/actions/{action}/done",
            "/{number}/callouts",
            "/{number}/callouts/{callout}/resend",
            "/{number}/callouts/{callout}/outcome",
            "/{number}/downtime",
            "/{number}/downtime/records",
            "/{number}/downtime/records/{record}",
            "/{number}/downtime/records/{record}/re-enter",
            "/{number}/downtime/records/{record}/check",
            "/{number}/downtime/records/{record}/resolve",
            "/{number}/downtime/draw",
            "/{number}/downtime/import",
            "/{number}/downtime/archive/runs",
            "/{number}/downtime/archive/runs/{run}",
            "/{number}/supplier-tickets",
            "/{number}/supplier-tickets/{ticket}/clock",
            "/{number}/kpis",
            "/{number}/kpis/relaxations",
            "/{number}/kpis/relaxations/{relaxation}/agree",
        )
    ),
    "/api/v1/notify/inbound-sms",
    "/api/v1/notify/delivery-status",
    "/api/v1/mirror/organisations",
    "/api/v1/mirror/organisations/{org}/feed",
    "/api/v1/mirror/organisations/{org}/plans/{plan}/issues/{issue}",
    "/api/v1/organisations/{org}/probe/checks",
    "/api/v1/organisations/{org}/probe/results",
    "/api/v1/organisations/{org}/probes",
    "/api/v1/organisations/{org}/probes/systems/{plan}/{system}",
    "/api/v1/organisations/{org}/exercises",
    "/api/v1/organisations/{org}/exercises/{number}",
    "/api/v1/organisations/{org}/exercises/{number}/injects",
    "/api/v1/organisations/{org}/exercises/{number}/injects/release",
    "/api/v1/organisations/{org}/exercises/{number}/clock",
    "/api/v1/organisations/{org}/exercises/{number}/finish",
    "/api/v1/organisations/{org}/suppliers",
    "/api/v1/organisations/{org}/suppliers/{supplier}",
    "/api/v1/organisations/{org}/plans/{plan}/kpis",
}
REGENERATE = (
    "contingency manage export_openapi_schema --api contingency.api.main.api --indent 2 --output schema/openapi-v1.json"
)


def test_openapi_json_is_served_and_lists_every_path(db: None) -> None:
    response = Client().get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Contingency API"
    assert schema["info"]["version"] == "1"
    assert set(schema["paths"]) == EXPECTED_PATHS
    assert set(schema["components"]["securitySchemes"]) == {
        "BearerToken",
        "Session",
        "NotifyCallbackToken",
        "MirrorToken",
        "ProbeSignature",
    }
    summary = schema["components"]["schemas"]["PlanSummary"]["properties"]
    assert {"issueDate", "reviewDate", "lint"} <= set(summary)
    put = schema["paths"]["/api/v1/organisations/{org}/plans/{plan}"]["put"]
    body = put["requestBody"]["content"]["application/json"]["schema"]
    assert "schema/plan-v1.schema.json" in body["description"]
    assert set(put["responses"]) >= {"200", "400", "401", "403", "404", "422"}


def test_committed_openapi_copy_is_current() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
    assert committed == current, f"schema/openapi-v1.json is out of date: run `{REGENERATE}`"


def test_docs_page_uses_only_static_scripts(db: None) -> None:
    response = Client().get(f"{BASE}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    # The site's CSP forbids inline scripts: every script is a file, or data (JSON settings), never code.
    for attributes, content in scripts:
        assert 'src="/static/' in attributes or ('type="application/json"' in attributes and content.strip())
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for src in re.findall(r'src="(/static/[^"]+)"', html):
        assert Client().get(src).status_code == 200, src


# ---------------------------------------------------------------- the browser session


def test_signed_in_session_can_read(member: Callable[..., Client]) -> None:
    response = member("viewer").get(f"{BASE}/organisations/{HOME_ORG}/plans")
    assert response.status_code == 200
    assert [p["key"] for p in response.json()] == [PACS]


def _session(demo_plans: list[object], *roles: Role) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("session-" + "-".join(roles), HOME_ORG, *roles))
    return client


def test_session_writes_need_the_csrf_token(demo_plans: list[object]) -> None:
    client = _session(demo_plans, Role.EDITOR)
    url = f"{PLAN_URL}/sections/header"
    header = client.get(url).json()["data"]
    body = json.dumps({**header, "aim": "Keep imaging going."})
    refused = client.put(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "CSRF check Failed"}
    assert Plan.objects.get(key=PACS).aim != "Keep imaging going."
    client.get(f"{BASE}/docs")  # any page with a form sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.put(url, body, content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200
    assert Plan.objects.get(key=PACS).aim == "Keep imaging going."


def test_a_token_needs_no_csrf_token(demo_plans: list[object]) -> None:
    _, plain = create_token(make_user("token-editor", HOME_ORG, Role.EDITOR), "ci")
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {plain}"})
    response = client.post(f"{PLAN_URL}/parts/sites", {"id": "annex", "name": "Annex"}, content_type="application/json")
    assert response.status_code == 201


# ---------------------------------------------------------------- workflow


def _token_client(username: str, *roles: Role) -> Client:
    _, plain = create_token(make_user(username, HOME_ORG, *roles), "test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def _post(client: Client, url: str, body: Any = None) -> Any:
    return client.post(url, json.dumps(body) if body is not None else b"", content_type="application/json")


def test_submit_approve_issue(demo_plans: list[object]) -> None:
    editor = _token_client("wf-editor", Role.EDITOR)
    approver = _token_client("wf-approver", Role.APPROVER)
    issued = Plan.objects.get(key=PACS).issue
    # An issued plan cannot be submitted: it must be edited into a draft first.
    refused = _post(editor, f"{PLAN_URL}/submit", {"summary": "New site"})
    assert refused.status_code == 409
    assert refused.json() == {"detail": "Submitting for approval needs a plan that is a draft; this plan is issued."}
    assert _post(editor, f"{PLAN_URL}/parts/sites", {"id": "annex", "name": "Annex"}).status_code == 201
    assert _post(editor, f"{PLAN_URL}/approve").status_code == 403
    assert _post(approver, f"{PLAN_URL}/submit", {"summary": "x"}).status_code == 403
    assert _post(editor, f"{PLAN_URL}/submit", {"summary": " "}).json() == {
        "detail": "Say what this draft changes: it goes into the plan's record of changes."
    }
    assert _post(editor, f"{PLAN_URL}/submit", {}).status_code == 422
    submitted = _post(editor, f"{PLAN_URL}/submit", {"summary": "Adds the annex"})
    assert submitted.json() == {"key": PACS, "status": "submitted", "issue": issued}
    returned = _post(approver, f"{PLAN_URL}/return", {"reason": "Name the annex's manager"})
    assert returned.json()["status"] == "draft"
    _post(editor, f"{PLAN_URL}/submit", {"summary": "Adds the annex"})
    # The demo plan has errors the linter finds: going ahead needs a reason, and nothing changes without one.
    refused = _post(approver, f"{PLAN_URL}/approve")
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"][-1] == "reason"
    assert Plan.objects.get(key=PACS).status == PlanStatus.SUBMITTED
    reason = {"reason": "Out-of-hours numbers follow next month"}
    assert _post(approver, f"{PLAN_URL}/approve", reason).json()["status"] == "approved"
    assert _post(approver, f"{PLAN_URL}/issue").status_code == 422
    result = _post(approver, f"{PLAN_URL}/issue", reason)
    assert result.status_code == 200, result.json()
    assert result.json() == {"key": PACS, "status": "issued", "issue": issued + 1}
    plan = Plan.objects.get(key=PACS)
    assert plan.status == PlanStatus.ISSUED
    assert PlanIssue.objects.filter(plan=plan, issue=issued + 1).exists()
    verbs = AuditEntry.objects.filter(object_type="plan", object_key=PACS).values_list("verb", "actor_name")
    assert {("submit", "wf-editor"), ("return", "wf-approver"), ("approve", "wf-approver")} <= set(verbs)
    assert ("issue", "wf-approver") in set(verbs)


@pytest.mark.parametrize("step", ["approve", "issue"])
def test_steps_out_of_order_are_409(demo_plans: list[object], step: str) -> None:
    response = _post(_token_client("wf-approver", Role.APPROVER), f"{PLAN_URL}/{step}")
    assert response.status_code == 409
    assert response.json()["detail"].endswith("this plan is issued.")
