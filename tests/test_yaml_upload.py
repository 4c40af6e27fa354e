"""YAML upload (new plan or replacement) and download, checked with the command line's messages."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse

from contingency.core.models import AuditEntry
from contingency.plans import editing
from contingency.plans.models import Plan, PlanStatus
from contingency.web.editing.upload import MAX_BYTES, UploadRefused, decode, read_upload

from .conftest import DEMO_PLANS
from .web import HOME_ORG, OTHER_ORG, PACS, MemberFactory

PACS_TEXT = (DEMO_PLANS / "pacs.yaml").read_text(encoding="utf-8")
EYE_TEXT = (DEMO_PLANS / "eye-care.yaml").read_text(encoding="utf-8")


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def upload_url() -> str:
    return reverse("plan-upload", kwargs={"org": HOME_ORG})


def replace_url() -> str:
    return reverse("plan-replace", kwargs={"org": HOME_ORG, "plan": PACS})


def post_file(client: Client, address: str, name: str, content: bytes) -> Any:
    return client.post(address, {"file": SimpleUploadedFile(name, content, content_type="application/yaml")})


def page(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def shown(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def line_of(text: str, fragment: str) -> int:
    return text[: text.index(fragment)].count("\n") + 1


# ---------------------------------------------------------------- pure


def test_decode_refuses_what_is_not_plan_text() -> None:
    assert decode("id: café".encode(), "a.yaml") == "id: café"
    assert decode(b"\xef\xbb\xbfid: x", "a.yaml") == "id: x"  # a byte-order mark is fine
    with pytest.raises(UploadRefused, match=r"^a\.yaml is not UTF-8 text \(byte 8 cannot be read\)"):
        decode("id: café".encode("latin-1"), "a.yaml")
    with pytest.raises(UploadRefused, match=r"^big\.yaml is 2\.0 MB: a plan file may be at most 2 MB$"):
        decode(b"#" * (MAX_BYTES + 1), "big.yaml")


def test_read_upload_takes_the_file_else_the_pasted_text() -> None:
    assert read_upload(SimpleUploadedFile("dir/p.yml", b"a: 1"), "ignored") == ("p.yml", "a: 1")
    assert read_upload(None, "a: 1\r\nb: 2") == ("pasted.yaml", "a: 1\nb: 2")
    with pytest.raises(UploadRefused, match="choose a plan file"):
        read_upload(None, "  \n")


# ---------------------------------------------------------------- pages


def test_the_site_reaches_the_upload_page() -> None:
    """`plans/upload/` must not be taken for a plan called "upload" by the plan pages."""
    assert resolve(f"/o/{HOME_ORG}/plans/upload/").url_name == "plan-upload"


def test_upload_page_warns_that_a_plan_of_the_same_id_is_replaced(member: MemberFactory) -> None:
    response = member("editor").get(upload_url())
    assert response.status_code == 200
    text = page(response)
    assert "that plan is <strong>replaced</strong> by the file" in text
    assert f"<code>{PACS}</code>" in text
    assert 'accept=".yaml,.yml' in text and '<textarea id="upload-text" name="text"' in text


def test_broken_plan_shows_every_problem_with_file_line_and_column(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    # Words are kept as written (and linted): only the wrong type is refused.
    broken = PACS_TEXT.replace("  rpo: 1 day\n", "  rpo: [banana]\n", 1).replace("  mtpd: 7 days\n", "  mtpd: 7\n", 1)
    response = post_file(client, replace_url(), "broken.yaml", broken.encode())
    assert response.status_code == 400
    text = page(response)
    assert 'role="alert"' in text and "The plan was not saved: 2 problems" in text
    rpo = f"broken.yaml:{line_of(broken, '  rpo: [banana]')}:3: functions[0].rpo: expected a duration such as 4h"
    assert rpo in text
    mtpd = f"broken.yaml:{line_of(broken, '  mtpd: 7')}:3: functions[0].mtpd: expected a duration such as 4h"
    assert mtpd in text
    assert editing.plan_data(pacs()) == before and pacs().status == PlanStatus.ISSUED


def test_yaml_syntax_error_and_empty_file(member: MemberFactory) -> None:
    client = member("editor")
    response = post_file(
        client, upload_url(), "syntax.yaml", b"apiVersion: contingency/v1\nkind: Plan\nid: [broken\ntitle: x\n"
    )
    assert (
        "syntax.yaml:4:6: (document): malformed YAML: while parsing a flow sequence expected ',' or ']', but got ':'"
        in page(response)
    )
    empty = post_file(client, upload_url(), "empty.yaml", b"")
    assert empty.status_code == 400
    assert "empty.yaml: (document): the file is empty: expected a plan document" in page(empty)
    nothing = client.post(upload_url(), {"text": ""})
    assert "choose a plan file, or paste the plan's YAML into the text box" in page(nothing)
    assert Plan.objects.count() == 2


def test_plan_of_another_organisation_is_refused(member: MemberFactory) -> None:
    response = post_file(member("editor"), upload_url(), "eye-care.yaml", EYE_TEXT.encode())
    assert response.status_code == 400
    assert (
        "eye-care.yaml: organisation.id: this plan belongs to organisation 'clearview-eyecare', "
        "not 'northwick-general'" in page(response)
    )
    assert Plan.objects.filter(organisation__slug=HOME_ORG).count() == 1


def test_not_utf8_and_too_big_are_refused(member: MemberFactory) -> None:
    client = member("editor")
    latin = post_file(client, upload_url(), "latin.yaml", PACS_TEXT.replace("Trust", "Trüst").encode("latin-1"))
    assert latin.status_code == 400
    assert "latin.yaml is not UTF-8 text" in page(latin)
    big = post_file(client, upload_url(), "big.yaml", PACS_TEXT.encode() + b"#" * MAX_BYTES)
    assert big.status_code == 400 and "a plan file may be at most 2 MB" in page(big)
    assert pacs().status == PlanStatus.ISSUED


def test_new_plan_is_created_with_lint_count(member: MemberFactory) -> None:
    copy = PACS_TEXT.replace(f"id: {PACS}\n", "id: pacs-copy\n", 1)
    response = post_file(member("editor"), upload_url(), "pacs-copy.yaml", copy.encode())
    assert response.status_code == 302
    (message,) = shown(response)
    assert message.startswith("Created plan pacs-copy from pacs-copy.yaml. The linter found")
    created = Plan.objects.get(organisation__slug=HOME_ORG, key="pacs-copy")
    assert created.status == PlanStatus.DRAFT and created.source == "pacs-copy.yaml"
    entry = AuditEntry.objects.get(object_type="plan", object_key="pacs-copy", verb="create")
    assert entry.actor_name.startswith("editor")


def test_same_id_replaces_the_plan_and_makes_it_a_draft(member: MemberFactory) -> None:
    changed = PACS_TEXT.replace("  rpo: 1 day\n", "  rpo: 2 days\n", 1)
    response = member("editor").post(upload_url(), {"text": changed})
    assert response.status_code == 302
    (message,) = shown(response)
    assert message.startswith(f"Replaced plan {PACS} from pasted.yaml: 1 part(s) changed; the plan is a draft.")
    assert editing.part_of(editing.plan_data(pacs()), "functions", "image-reporting")["rpo"] == "2 days"
    assert pacs().status == PlanStatus.DRAFT
    entry = AuditEntry.objects.get(object_key=f"{PACS}/functions/image-reporting")
    assert entry.before is not None and entry.after is not None


def test_replace_page_refuses_a_different_plan_id(member: MemberFactory) -> None:
    copy = PACS_TEXT.replace(f"id: {PACS}\n", "id: pacs-copy\n", 1)
    response = post_file(member("editor"), replace_url(), "copy.yaml", copy.encode())
    assert response.status_code == 400
    assert "copy.yaml: id: the plan id is 'pacs-bcdr'; a plan's id cannot be changed by an edit" in page(response)
    assert not Plan.objects.filter(key="pacs-copy").exists()


def test_download_is_canonical_yaml_and_round_trips(member: MemberFactory) -> None:
    viewer = member("viewer")
    response = viewer.get(reverse("plan-download", kwargs={"org": HOME_ORG, "plan": PACS}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{PACS}.yaml"'
    text = response.content.decode()
    assert text.startswith("apiVersion: contingency/v1\nkind: Plan\nid: pacs-bcdr\n")
    entries = AuditEntry.objects.count()
    again = post_file(member("editor"), replace_url(), f"{PACS}.yaml", text.encode())
    assert again.status_code == 302
    assert shown(again)[0].startswith(f"Plan {PACS} is unchanged: {PACS}.yaml holds the same plan.")
    assert AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


@pytest.mark.parametrize("role", ["viewer", "responder", "approver", "administrator"])
def test_only_editors_may_upload(member: MemberFactory, role: str) -> None:
    client = member(role)
    assert post_file(client, upload_url(), "p.yaml", PACS_TEXT.encode()).status_code == 403
    assert post_file(client, replace_url(), "p.yaml", PACS_TEXT.encode()).status_code == 403
    assert client.get(reverse("plan-download", kwargs={"org": HOME_ORG, "plan": PACS})).status_code == 200


def test_other_organisation_gets_404(member: MemberFactory) -> None:
    outsider = member("editor", organisation=OTHER_ORG)
    assert outsider.get(reverse("plan-download", kwargs={"org": HOME_ORG, "plan": PACS})).status_code == 404
    assert post_file(outsider, upload_url(), "p.yaml", PACS_TEXT.encode()).status_code == 404
    assert post_file(outsider, replace_url(), "p.yaml", PACS_TEXT.encode()).status_code == 404
