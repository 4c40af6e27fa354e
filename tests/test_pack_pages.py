"""The grab pack on the pages: downloads for any member, printing for copy holders for editors, and the
print register's locations on the plan page and the dashboard."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contingency.core.models import AuditEntry
from contingency.packs import register
from contingency.packs.build import Pack, PlanSource
from contingency.packs.models import JobReason, PackJob, PrintRecord
from contingency.plans.models import Plan
from contingency.plans.store import export_plan
from tests.web import HOME_ORG, PACS, MemberFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
PLAN_URL = f"/o/{HOME_ORG}/plans/{PACS}/"


@pytest.fixture
def pacs(demo_plans: list[Any]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def printed(plan: Plan, copies: list[int], at: datetime, issue: int | None = None) -> PrintRecord:
    """A print in the register, as the worker records it (small files in place of the PDFs)."""
    pack = Pack("pacs-bcdr-issue-3-grab-pack", {"pacs-bcdr-copy-1.html": b"<p>copy</p>"})
    pack.manifest = {"contentHash": "c" * 64, "files": [{"name": "pacs-bcdr-copy-1.html"}]}
    built = register.BuiltPrint(
        plan, PlanSource(export_plan(plan), plan.updated_at), tuple(register.holder_copies(plan, copies)), pack, at
    )
    record = register.record_print(built=built, actor=None, via="test")
    if issue is not None:
        PrintRecord.objects.filter(pk=record.pk).update(issue=issue)
    return record


def test_a_viewer_downloads_the_single_html_file_of_the_plan(member: MemberFactory, pacs: Plan) -> None:
    response = member("viewer").get(f"{PLAN_URL}pack/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pacs-bcdr.html"'
    html = response.content.decode()
    assert "Uncontrolled copy" in html and "NGH-RAD-BCP-004" in html and 'href="tel:' in html
    assert not PrintRecord.objects.exists()  # an uncontrolled download is not a print


def test_unknown_format_is_refused(member: MemberFactory, pacs: Plan) -> None:
    assert member("viewer").get(f"{PLAN_URL}pack/?format=docx").status_code == 400
    assert member("viewer").get(f"/o/{HOME_ORG}/pack/?format=pdf").status_code == 400


def test_the_dashboard_downloads_every_plan_in_one_html_file(member: MemberFactory, pacs: Plan) -> None:
    response = member("viewer").get(f"/o/{HOME_ORG}/pack/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert pacs.title in response.content.decode()


def test_the_zip_has_the_pdf_forms_and_manifest(member: MemberFactory, pacs: Plan) -> None:
    response = member("viewer").get(f"{PLAN_URL}pack/?format=zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(n.split("/", 1)[1] for n in archive.namelist())
    assert names == ["manifest.json", "pacs-bcdr-downtime-forms.pdf", "pacs-bcdr.html", "pacs-bcdr.pdf"]


def test_the_plan_page_shows_each_location_and_its_pack(member: MemberFactory, pacs: Plan) -> None:
    printed(pacs, [1, 2], datetime(2026, 10, 1, 9, 0, tzinfo=LONDON))
    printed(pacs, [3], datetime(2026, 5, 1, 9, 0, tzinfo=LONDON), issue=2)
    page = member("viewer").get(PLAN_URL).content.decode()
    assert 'id="register"' in page
    assert "out of date: holds issue 2" in page and "current (issue 3)" in page and "no pack printed" in page
    assert "1 Oct 2026" in page and "1 May 2026" in page
    assert "PRN001" in page  # and lint says so, with the register's facts
    assert "Print for copy holders" not in page  # viewers cannot print
    assert "print-download" not in page and "/prints/" not in page


def test_an_editor_queues_a_print_for_chosen_copies(member: MemberFactory, pacs: Plan) -> None:
    editor = member("editor")
    page = editor.get(PLAN_URL).content.decode()
    assert "Print for copy holders" in page
    response = editor.post(f"{PLAN_URL}pack/print/", {"copy": ["1", "3"]})
    assert response.status_code == 302 and response["Location"].endswith("#register")
    job = PackJob.objects.get(plan=pacs)
    assert (job.reason, job.copies, job.issue) == (JobReason.REQUEST, [1, 3], 3)
    assert AuditEntry.objects.filter(verb="request-print", object_key=PACS).exists()
    page = editor.get(PLAN_URL).content.decode()
    assert "is being printed for copies 1, 3" in page and "Being printed: issue 3 (copies 1, 3)" in page


def test_a_bad_copy_is_refused_with_a_message_and_nothing_queued(member: MemberFactory, pacs: Plan) -> None:
    editor = member("editor")
    for data, message in (({"copy": ["x"]}, "Choose copies by their numbers."), ({"copy": ["42"]}, "has no copy 42")):
        response = editor.post(f"{PLAN_URL}pack/print/", data, follow=True)
        assert message in response.content.decode()
    assert not PackJob.objects.exists()


def test_an_editor_downloads_a_recorded_print(member: MemberFactory, pacs: Plan) -> None:
    record = printed(pacs, [1], datetime(2026, 10, 1, 9, 0, tzinfo=LONDON))
    editor = member("editor")
    assert f"/prints/{record.pk}/" in editor.get(PLAN_URL).content.decode()
    response = editor.get(f"{PLAN_URL}prints/{record.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert editor.get(f"{PLAN_URL}prints/{record.pk + 1000}/").status_code == 404


def test_the_dashboard_shows_locations_out_of_date(member: MemberFactory, pacs: Plan) -> None:
    printed(pacs, [3], datetime(2026, 5, 1, 9, 0, tzinfo=LONDON), issue=2)
    page = member("viewer").get(f"/o/{HOME_ORG}/").content.decode()
    assert "Grab packs" in page and f"/o/{HOME_ORG}/pack/" in page
    assert "Downtime grab pack, main X-ray control room" in page and "out of date: holds issue 2" in page
    assert "Contact lists are reprinted every 3 months" in page


def test_a_holders_link_that_was_altered_is_refused(client: Any, pacs: Plan) -> None:
    from contingency.packs.links import make_token

    record = printed(pacs, [1], datetime(2026, 10, 1, 9, 0, tzinfo=LONDON))
    token = make_token(record_id=record.pk, copy_number=1)
    assert client.get(f"/o/{HOME_ORG}/packs/{token}/").status_code == 200
    assert client.get(f"/o/{HOME_ORG}/packs/{token[:-2]}xx/").status_code == 400
    other = make_token(record_id=record.pk, copy_number=2)  # a copy this print was not made for
    assert client.get(f"/o/{HOME_ORG}/packs/{other}/").status_code == 400
    assert client.get(f"/o/clearview-eyecare/packs/{token}/").status_code == 400  # another organisation


def test_the_organisation_zip_has_one_pdf_of_every_plan_and_each_plans_files(member: MemberFactory, pacs: Plan) -> None:
    import json

    from pypdf import PdfReader

    response = member("viewer").get(f"/o/{HOME_ORG}/pack/?format=zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        files = {n.split("/", 1)[1]: archive.read(n) for n in archive.namelist()}
    assert sorted(files) == [
        "manifest.json",
        f"{HOME_ORG}.html",
        f"{HOME_ORG}.pdf",
        "pacs-bcdr/pacs-bcdr-downtime-forms.pdf",
        "pacs-bcdr/pacs-bcdr.html",
        "pacs-bcdr/pacs-bcdr.pdf",
    ]
    manifest = json.loads(files["manifest.json"])
    assert manifest["scope"] == "organisation" and [p["plan"] for p in manifest["plans"]] == [PACS]
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(files[f"{HOME_ORG}.pdf"])).pages]
    assert all("NGH-RAD-BCP-004" in text and "Uncontrolled copy" in text for text in pages)
