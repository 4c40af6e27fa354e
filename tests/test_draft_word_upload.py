"""Starting a draft plan from a Word document on the web: a new draft in the user's organisation, audited, and
the report shown on the plan; a bad file or a member who may not create plans changes nothing."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contingency.core.models import AuditEntry
from contingency.plans.models import Plan, PlanStatus

from .web import HOME_ORG, OTHER_ORG, MemberFactory
from .word_docs import pacs_plan

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KEY = "pacs-business-continuity-plan"


@cache
def pacs_bytes() -> bytes:
    return pacs_plan()


def word_url() -> str:
    return reverse("plan-from-word", kwargs={"org": HOME_ORG})


def post(client: Client, name: str, content: bytes) -> Any:
    return client.post(word_url(), {"file": SimpleUploadedFile(name, content, content_type=DOCX)})


def shown(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def state() -> tuple[list[tuple[str, str]], int]:
    return list(Plan.objects.order_by("pk").values_list("organisation__slug", "key")), AuditEntry.objects.count()


def test_the_upload_page_offers_to_start_from_a_word_document(member: MemberFactory) -> None:
    page = member("editor").get(reverse("plan-upload", kwargs={"org": HOME_ORG})).content.decode()
    assert f'href="{word_url()}">Start from a Word document</a>' in page
    response = member("editor").get(word_url())
    assert response.status_code == 200
    assert 'type="file" id="word-file" name="file" required accept=".docx' in response.content.decode()


def test_an_editor_starts_a_draft_in_their_organisation_and_sees_the_report(member: MemberFactory) -> None:
    editor = member("editor")
    response = post(editor, "PACS plan.docx", pacs_bytes())
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=KEY)
    assert response.status_code == 302
    assert response["Location"] == reverse("plan", kwargs={"org": HOME_ORG, "plan": KEY})
    assert plan.status == PlanStatus.DRAFT and plan.title == "PACS Business Continuity Plan"
    messages = shown(response)
    assert messages[0].startswith(
        f"Started draft plan {KEY} from PACS plan.docx: placed 3 people, 3 critical functions, 2 risks, "
        "1 procedure, 2 change records. The linter found"
    )
    assert (
        "Kept as text: table 3, row 4, column 'Mobile': ask switchboard (not a phone number the plan format can hold)"
        in messages
    )
    assert messages[1].startswith("9 passage(s) of PACS plan.docx could not be placed")
    entry = AuditEntry.objects.get(verb="draft-from-word", object_key=KEY)
    assert entry.organisation.slug == HOME_ORG and entry.actor_name.startswith("editor")
    after = entry.after or {}
    assert after["source"] == "PACS plan.docx"
    assert len(after["keptAsText"]) == 9
    assert AuditEntry.objects.filter(verb="create", object_type="plan", object_key=KEY).exists()
    page = html.unescape(editor.get(response["Location"]).content.decode())
    assert "Kept as text: paragraph 19, under heading 'Out of hours': The on-call radiographer leads." in page
    assert "Checks on this plan" in page
    history = reverse("history", kwargs={"org": HOME_ORG, "object_type": "plan", "key": KEY})
    listed = html.unescape(editor.get(history).content.decode())
    assert "started from the Word document PACS plan.docx" in listed
    assert "table 3, row 4, column 'Mobile': ask switchboard" in listed  # every passage, kept in the history


def test_a_second_upload_makes_another_draft_and_never_replaces_a_plan(member: MemberFactory) -> None:
    editor = member("editor")
    post(editor, "pacs.docx", pacs_bytes())
    first = Plan.objects.get(organisation__slug=HOME_ORG, key=KEY)
    response = post(editor, "pacs.docx", pacs_bytes())
    assert response["Location"].endswith(f"/plans/{KEY}-draft/")
    again = Plan.objects.get(pk=first.pk)
    assert (again.key, again.updated_at) == (first.key, first.updated_at)


@pytest.mark.parametrize("role", ["viewer", "responder", "approver", "administrator"])
def test_members_who_may_not_create_plans_are_refused_and_nothing_changes(member: MemberFactory, role: str) -> None:
    client = member(role)
    before = state()
    assert post(client, "pacs.docx", pacs_bytes()).status_code == 403
    assert state() == before


def test_an_outsider_cannot_start_a_draft_in_another_organisation(member: MemberFactory) -> None:
    outsider = member("editor", organisation=OTHER_ORG)
    before = state()
    assert post(outsider, "pacs.docx", pacs_bytes()).status_code == 404
    assert state() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"just some notes", "notes.txt is not a Word document (.docx): choose the plan's .docx file"),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "old.doc is an old Word 97-2003 (.doc) file"),
        ("broken.docx", b"PK\x03\x04 broken", "broken.docx is damaged: it cannot be opened as a Word document"),
    ],
)
def test_a_bad_file_is_refused_with_its_name_and_nothing_changes(
    member: MemberFactory, name: str, content: bytes, expected: str
) -> None:
    editor = member("editor")
    before = state()
    response = post(editor, name, content)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert expected in page
    assert "No draft was made: 1 problem" in page and "Nothing has been changed." in page
    assert state() == before


def test_a_post_without_a_file_asks_for_one(member: MemberFactory) -> None:
    response = member("editor").post(word_url(), {})
    assert response.status_code == 400
    assert "choose the plan&#x27;s Word document (.docx)" in response.content.decode()
