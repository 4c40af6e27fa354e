"""The JSON API over real HTTP: authentication, permissions, validation errors, edits and their audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contingency.api.access import audit_needs
from contingency.api.errors import json_error, request_error
from contingency.core.models import AuditEntry, Role
from contingency.core.permissions import Capability
from contingency.core.tokens import create_token, revoke_token
from contingency.plans.editing import plan_data
from contingency.plans.models import Plan, PlanStatus

from .conftest import budget
from .web import HOME_ORG, OTHER_ORG, PACS, make_user

BASE = "/api/v1"
PLAN_URL = f"{BASE}/organisations/{HOME_ORG}/plans/{PACS}"
FUNCTION = "image-reporting"
FUNCTION_URL = f"{PLAN_URL}/parts/functions/{FUNCTION}"

pytestmark = pytest.mark.django_db


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def function_data() -> dict[str, Any]:
    data: dict[str, Any] = next(f for f in plan_data(pacs())["functions"] if f["id"] == FUNCTION)
    return data


def put(client: Client, url: str, body: Any) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")


def post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


# ---------------------------------------------------------------- authentication


def test_anonymous_gets_401_json(demo_plans: list[object]) -> None:
    response = Client().get(f"{BASE}/organisations")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication required: send 'Authorization: Bearer <token>' or sign in."}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer ctg_not-a-real-token", "Bearer nonsense", "Basic dXNlcjpwYXNz"])
def test_bad_token_is_401(demo_plans: list[object], header: str) -> None:
    response = Client(headers={"Authorization": header}).get(f"{BASE}/organisations")
    assert response.status_code == 401


def test_bad_token_on_a_write_is_401_not_a_csrf_refusal(demo_plans: list[object]) -> None:
    client = Client(enforce_csrf_checks=True, headers={"Authorization": "Bearer ctg_wrong"})
    response = put(client, FUNCTION_URL, {})
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


def test_revoked_token_is_401(demo_plans: list[object]) -> None:
    user = make_user("revoked", HOME_ORG, Role.VIEWER)
    token, plain = create_token(user, "laptop")
    client = Client(headers={"Authorization": f"Bearer {plain}"})
    assert client.get(f"{BASE}/organisations").status_code == 200
    revoke_token(token)
    response = client.get(f"{BASE}/organisations")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("The API token is not valid")


def test_token_of_an_inactive_user_is_401(demo_plans: list[object]) -> None:
    user = make_user("leaver", HOME_ORG, Role.VIEWER)
    _, plain = create_token(user, "laptop")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert Client(headers={"Authorization": f"Bearer {plain}"}).get(f"{BASE}/organisations").status_code == 401


def test_organisations_lists_only_the_callers(api_as: Callable[..., Client]) -> None:
    response = api_as("viewer", "editor").get(f"{BASE}/organisations")
    assert response.status_code == 200
    assert response.json() == [
        {
            "slug": HOME_ORG,
            "name": "Northwick General Hospital NHS Foundation Trust",
            "roles": ["editor", "viewer"],
            "capabilities": ["edit", "respond", "view"],
        }
    ]


# ---------------------------------------------------------------- permissions


def test_member_of_another_organisation_gets_404_like_an_unknown_one(api_as: Callable[..., Client]) -> None:
    outsider = api_as("editor", organisation=OTHER_ORG)
    for url in (f"{BASE}/organisations/{HOME_ORG}/plans", PLAN_URL, FUNCTION_URL, f"{PLAN_URL}/yaml"):
        response = outsider.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "No such organisation."}
    assert outsider.get(f"{BASE}/organisations/no-such-org/plans").json() == {"detail": "No such organisation."}
    assert put(outsider, FUNCTION_URL, function_data()).status_code == 404


def test_viewer_reads_but_cannot_write(api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    assert viewer.get(FUNCTION_URL).status_code == 200
    before = plan_data(pacs())
    response = put(viewer, FUNCTION_URL, {**function_data(), "name": "Changed"})
    assert response.status_code == 403
    assert response.json() == {
        "detail": "This needs the edit permission in Northwick General Hospital NHS Foundation Trust."
    }
    assert viewer.delete(FUNCTION_URL).status_code == 403
    assert plan_data(pacs()) == before


def test_approver_cannot_edit(api_as: Callable[..., Client]) -> None:
    assert put(api_as("approver"), FUNCTION_URL, function_data()).status_code == 403


def test_audit_log_needs_administer_unless_filtered_to_one_object(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    put(editor, FUNCTION_URL, {**function_data(), "name": "Image viewing"})
    audit_url = f"{BASE}/organisations/{HOME_ORG}/audit"
    assert editor.get(audit_url).status_code == 403
    one = editor.get(audit_url, {"key": f"{PACS}/functions/{FUNCTION}"})
    assert one.status_code == 200
    entries = one.json()
    assert [(e["verb"], e["objectType"], e["label"]) for e in entries] == [
        ("change", "functions", f"critical function {FUNCTION}")
    ]
    assert entries[0]["after"]["name"] == "Image viewing"
    assert api_as("administrator").get(audit_url).status_code == 200
    assert api_as("administrator").get(audit_url, {"limit": 0}).status_code == 422


def test_audit_needs() -> None:
    assert audit_needs(None) is Capability.ADMINISTER
    assert audit_needs("") is Capability.ADMINISTER
    assert audit_needs("pacs-bcdr") is Capability.VIEW


# ---------------------------------------------------------------- reading


def test_plans_list(api_as: Callable[..., Client]) -> None:
    response = api_as("viewer").get(f"{BASE}/organisations/{HOME_ORG}/plans")
    assert response.status_code == 200
    [summary] = response.json()
    plan = pacs()
    assert summary["key"] == PACS
    assert summary["title"] == plan.title
    assert summary["status"] == "issued"
    assert summary["issue"] == plan.issue
    assert summary["issueDate"] == plan.issue_date.isoformat()
    assert summary["reviewDate"] == plan.review_date.isoformat()
    assert set(summary["lint"]) == {"error", "warning", "info"}


def test_whole_plan_get_then_put_changes_nothing(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    got = editor.get(PLAN_URL)
    assert got.status_code == 200
    body = got.json()
    assert body["status"] == "issued"
    assert body["document"]["id"] == PACS
    assert body["document"]["apiVersion"] == "contingency/v1"
    entries = AuditEntry.objects.count()
    response = put(editor, PLAN_URL, body["document"])
    assert response.status_code == 200
    assert response.json() == body
    assert AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


def test_whole_plan_put_with_a_change_makes_a_draft(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    document = editor.get(PLAN_URL).json()["document"]
    document["title"] = "PACS business continuity and disaster recovery plan (draft)"
    response = put(editor, PLAN_URL, document)
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert pacs().title == document["title"]


def test_whole_plan_put_cannot_rename_the_plan(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    document = editor.get(PLAN_URL).json()["document"]
    response = put(editor, PLAN_URL, {**document, "id": "renamed"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "path": "id",
            "loc": ["id"],
            "code": "edit.plan-id",
            "message": "the plan id is 'pacs-bcdr'; a plan's id cannot be changed by an edit",
        }
    ]


def test_create_plan_and_refuse_a_duplicate(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    document = editor.get(PLAN_URL).json()["document"]
    plans_url = f"{BASE}/organisations/{HOME_ORG}/plans"
    assert post(editor, plans_url, document).status_code == 409
    created = post(editor, plans_url, {**document, "id": "pacs-copy"})
    assert created.status_code == 201
    assert created.json()["key"] == "pacs-copy"
    assert created.json()["status"] == "draft"
    assert AuditEntry.objects.filter(verb="create", object_type="plan", object_key="pacs-copy").exists()


def test_lint_and_yaml(api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    findings = viewer.get(f"{PLAN_URL}/lint")
    assert findings.status_code == 200
    for finding in findings.json():
        assert set(finding) == {"rule", "severity", "message", "path", "loc"}
        assert finding["severity"] in {"error", "warning", "info"}
    yaml = viewer.get(f"{PLAN_URL}/yaml")
    assert yaml.status_code == 200
    assert yaml["Content-Type"] == "text/yaml; charset=utf-8"
    assert yaml.content.decode().startswith("apiVersion: contingency/v1\nkind: Plan\nid: pacs-bcdr\n")


def test_unknown_plan_section_and_part_are_404(api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    assert viewer.get(f"{BASE}/organisations/{HOME_ORG}/plans/nope").json() == {
        "detail": "There is no plan 'nope' in Northwick General Hospital NHS Foundation Trust."
    }
    response = viewer.get(f"{PLAN_URL}/parts/widgets")
    assert response.status_code == 404
    assert response.json()["detail"].startswith("There is no collection of parts 'widgets': use one of sites, ")
    assert viewer.get(f"{PLAN_URL}/sections/functions").status_code == 404
    missing = viewer.get(f"{PLAN_URL}/parts/functions/nope")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no critical function 'nope' in plan 'pacs-bcdr'."}
    assert put(api_as("editor"), f"{PLAN_URL}/parts/functions/nope", function_data()).status_code == 404


def test_parts_list_and_sections(api_as: Callable[..., Client]) -> None:
    viewer = api_as("viewer")
    listed = viewer.get(f"{PLAN_URL}/parts/functions").json()
    assert listed["section"] == "functions"
    assert listed["items"][0]["key"] == FUNCTION
    assert listed["items"][0]["data"] == function_data()
    header = viewer.get(f"{PLAN_URL}/sections/header").json()
    assert header["data"]["id"] == PACS
    assert header["planStatus"] == "issued"


# ---------------------------------------------------------------- changing


def test_invalid_part_is_422_with_located_errors_and_changes_nothing(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    before = plan_data(pacs())
    entries = AuditEntry.objects.count()
    body = function_data()
    body["rto"][0]["duration"] = ["soon"]  # words ("soon") are kept as written; the wrong type is refused
    response = put(editor, FUNCTION_URL, body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The plan is not valid.",
        "errors": [
            {
                "path": "rto[0].duration",
                "loc": ["rto", 0, "duration"],
                "code": "schema.value",
                "message": "expected a duration such as 4h or 5 working days, got ['soon']",
            }
        ],
    }
    response = put(editor, FUNCTION_URL, {**function_data(), "owner": "anita-roa"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "path": "owner",
            "loc": ["owner"],
            "code": "ref.dangling",
            "message": "'anita-roa' names no person or role or supplier in this plan (did you mean 'anita-rao'?)",
        }
    ]
    assert plan_data(pacs()) == before
    assert AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


def test_unknown_field_message(api_as: Callable[..., Client]) -> None:
    response = put(api_as("editor"), FUNCTION_URL, {**function_data(), "nmae": "x"})
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["path"] == "nmae"
    assert error["message"].startswith("unknown field 'nmae' (did you mean 'name'?)")


def test_valid_part_is_saved_audited_via_the_api_and_makes_a_draft(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    body = {**function_data(), "description": "Viewing and reporting of images."}
    response = put(editor, FUNCTION_URL, body)
    assert response.status_code == 200
    assert response.json() == {"planStatus": "draft", "section": "functions", "key": FUNCTION, "data": body}
    assert function_data() == body
    entry = AuditEntry.objects.get(object_key=f"{PACS}/functions/{FUNCTION}")
    user = User.objects.get(username__startswith="api-editor")
    assert (entry.actor_name, entry.actor_id, entry.verb) == (user.username, user.pk, "change")
    assert isinstance(entry.after, dict)
    assert entry.after["description"] == "Viewing and reporting of images."
    status = AuditEntry.objects.get(object_type="plan", verb="status")
    assert status.note == "edited, so a new draft"


def test_create_and_delete_a_part(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    url = f"{PLAN_URL}/parts/sites"
    site = {"id": "annex", "name": "Northwick Annex"}
    created = post(editor, url, site)
    assert created.status_code == 201, created.json()
    assert created.json() == {"planStatus": "draft", "section": "sites", "key": "annex", "data": site}
    assert editor.get(f"{url}/annex").json()["data"] == site
    assert post(editor, url, site).json()["errors"][0]["code"] == "id.duplicate"
    deleted = editor.delete(f"{url}/annex")
    assert deleted.status_code == 204
    assert editor.get(f"{url}/annex").status_code == 404
    verbs = list(AuditEntry.objects.filter(object_key=f"{PACS}/sites/annex").values_list("verb", flat=True))
    assert sorted(verbs) == ["create", "delete"]


def test_deleting_a_part_still_named_elsewhere_is_refused(api_as: Callable[..., Client]) -> None:
    response = api_as("editor").delete(f"{PLAN_URL}/parts/people/anita-rao")
    assert response.status_code == 422
    assert any(e["code"] == "ref.dangling" for e in response.json()["errors"])
    assert pacs().people.filter(key="anita-rao").exists()


def test_put_a_single_section(api_as: Callable[..., Client]) -> None:
    editor = api_as("editor")
    header = editor.get(f"{PLAN_URL}/sections/header").json()["data"]
    response = put(editor, f"{PLAN_URL}/sections/header", {**header, "aim": "Keep imaging going."})
    assert response.status_code == 200
    assert response.json()["data"]["aim"] == "Keep imaging going."


# ---------------------------------------------------------------- bad bodies


def test_body_that_is_not_json_is_400(api_as: Callable[..., Client]) -> None:
    response = api_as("editor").put(FUNCTION_URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The request body is not valid JSON.",
        "errors": [
            {
                "path": "(body)",
                "loc": [],
                "code": "request.json",
                "message": "not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)",
            }
        ],
    }


@pytest.mark.parametrize(("body", "got"), [([1, 2], "an array"), ("text", "a string"), (None, "null")])
def test_json_that_is_not_an_object_is_422(api_as: Callable[..., Client], body: Any, got: str) -> None:
    response = put(api_as("editor"), FUNCTION_URL, body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The request is not valid.",
        "errors": [
            {
                "path": "(body)",
                "loc": [],
                "code": "request.dict_type",
                "message": f"expected a JSON object (a mapping of fields), got {got}",
            }
        ],
    }


def test_empty_body_is_422(api_as: Callable[..., Client]) -> None:
    response = api_as("editor").put(FUNCTION_URL, b"", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "request.missing"


def test_error_translation_is_pure() -> None:
    assert request_error({"loc": ("query", "limit"), "type": "greater_than_equal", "msg": "x"}) == {
        "path": "query.limit",
        "loc": ["query", "limit"],
        "code": "request.greater_than_equal",
        "message": "is too small",
    }
    assert json_error(None)["message"] == "not valid JSON"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(["id", "name", "owner", "rto", "impact", "locations", "likelihood", "systems", "deputy"])
FUNCTION_LIKE = st.dictionaries(FIELDS, JSON, max_size=6)


@settings(max_examples=budget(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSON, FUNCTION_LIKE, FUNCTION_LIKE.map(lambda d: {"id": FUNCTION, "name": "x", **d})))
def test_random_bodies_never_cause_a_500(api_as: Callable[..., Client], body: Any) -> None:
    response = put(api_as("editor"), FUNCTION_URL, body)
    assert response.status_code in {200, 422}, response.content
    payload = response.json()
    if response.status_code == 422:
        assert payload["errors"]
        assert all(set(e) == {"path", "loc", "code", "message"} for e in payload["errors"])
