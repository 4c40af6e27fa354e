"""The compliance pages: statuses for any member, manual evidence recorded by editors and administrators
(audited, bad files refused with nothing kept), met until the evidence expires, and the evidence pack."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from contingency.compliance import services
from contingency.compliance.library import builtin
from contingency.compliance.models import EvidenceFile, ManualEvidence
from contingency.core.models import AuditEntry, Organisation
from contingency.incidents import services as incidents
from contingency.incidents.review import save_review
from contingency.plans.models import Plan
from tests.web import HOME_ORG, OTHER_ORG, PACS, MemberFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
BASE = f"/o/{HOME_ORG}/compliance/"
EPRR = "nhs-eprr-bc"
POLICY = "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-01"
LIVE = "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-07"
PDF = b"%PDF-1.4\n% a tiny test file\n"


def form(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "requirement": POLICY,
        "title": "Business continuity policy, approved by the board",
        "attested_on": "2026-11-02",
        "expires_on": "",
        "note": "",
        "file": SimpleUploadedFile("policy.pdf", PDF, content_type="application/pdf"),
    }
    values.update(changes)
    return values


def status_of(urn: str, on: date) -> str:
    organisation = Organisation.objects.get(slug=HOME_ORG)
    framework = services.framework(organisation, EPRR)
    from contingency.compliance.facts import gather

    assessment = services.assess(framework, gather(organisation), on)
    found = next(s for r, s in assessment.rows if r.urn == urn)
    assert found is not None
    return found.status.value


def test_any_member_sees_every_framework_with_its_statuses(member: MemberFactory, demo_plans: list[Any]) -> None:
    response = member("viewer").get(f"{BASE}?on=2026-12-01")
    assert response.status_code == 200
    html = response.content.decode()
    for framework in builtin():
        assert framework.name in html
    assert "Record evidence" not in html and "Import a framework" not in html
    page = member("viewer").get(f"{BASE}{EPRR}/?on=2026-12-01").content.decode()
    assert "BC-03 Business impact analysis reviewed every year" in page
    assert "partly met" in page and "not met" in page


def test_the_demo_is_partly_met(demo_plans: list[Any]) -> None:
    # The demo's plans are issued and in date, but nothing has been exercised or attested yet.
    on = date(2026, 12, 1)
    assert status_of("urn:contingency:bcm:req_node:nhs-eprr-bc:bc-03", on) == "met"  # BIA reviewed this year
    assert status_of(LIVE, on) == "not-met"
    organisation = Organisation.objects.get(slug=HOME_ORG)
    tally = services.assess_all(organisation, on)
    assert all(a.tally.met and a.tally.not_met for a in tally)


def test_only_editors_and_administrators_record_evidence(member: MemberFactory, demo_plans: list[Any]) -> None:
    for role in ("viewer", "responder", "approver"):
        client = member(role)
        assert client.get(f"{BASE}{EPRR}/record/").status_code == 403
        assert client.post(f"{BASE}{EPRR}/record/", form()).status_code == 403
        assert client.post(f"{BASE}import/", {}).status_code == 403
    assert not ManualEvidence.objects.exists()
    for role in ("editor", "administrator"):
        assert member(role).get(f"{BASE}{EPRR}/record/?requirement={POLICY}").status_code == 200


def test_another_organisations_member_sees_nothing(member: MemberFactory, demo_plans: list[Any]) -> None:
    outsider = member("editor", organisation=OTHER_ORG)
    assert outsider.get(BASE).status_code == 404
    assert outsider.get(f"{BASE}{EPRR}/").status_code == 404
    assert outsider.post(f"{BASE}{EPRR}/record/", form()).status_code == 404
    assert not ManualEvidence.objects.exists()


def test_recorded_evidence_meets_the_requirement_until_it_expires(member: MemberFactory, demo_plans: list[Any]) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        assert status_of(POLICY, date(2026, 11, 2)) == "not-met"
        editor = member("editor")
        response = editor.post(f"{BASE}{EPRR}/record/", form(expires_on="2027-11-02"))
        assert response.status_code == 302, response.content.decode()[:3000]
        assert status_of(POLICY, date(2026, 11, 2)) == "met"
        page = editor.get(f"{BASE}{EPRR}/").content.decode()
        assert "Business continuity policy, approved by the board" in page and "expires 2 Nov 2027" in page
    evidence = ManualEvidence.objects.get()
    assert evidence.attested_by_name.startswith("editor") and evidence.size == len(PDF)
    entry = AuditEntry.objects.get(object_type="compliance-evidence")
    assert entry.verb == "create" and entry.after is not None
    assert entry.after["expiresOn"] == "2027-11-02"
    with time_machine.travel(datetime(2027, 11, 1, 12, 0, tzinfo=LONDON), tick=False):
        assert status_of(POLICY, date(2027, 11, 1)) == "met"
    with time_machine.travel(datetime(2027, 11, 2, 12, 0, tzinfo=LONDON), tick=False):
        assert status_of(POLICY, date(2027, 11, 2)) == "not-met"
        page = member("viewer").get(f"{BASE}{EPRR}/").content.decode()
        assert "Expired or not yet in force" in page


def test_evidence_lasts_the_requirements_usual_period_by_default(member: MemberFactory, demo_plans: list[Any]) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        comms = "urn:contingency:bcm:req_node:nhs-eprr-bc:bc-05"  # a communications test every 6 months
        assert member("administrator").post(f"{BASE}{EPRR}/record/", form(requirement=comms)).status_code == 302
    assert ManualEvidence.objects.get().expires_on == date(2027, 5, 2)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("policy.exe", b"MZ\x90\x00", "is not a kind of file kept as evidence"),
        ("policy.pdf", b"<html><script>alert(1)</script>", "does not look like a .pdf file"),
        ("notes.txt", b"\xff\xfe\x00bad", "is not UTF-8 text"),
        ("empty.pdf", b"", "is empty"),
        ("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "at most 5 MB"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(
    member: MemberFactory, demo_plans: list[Any], name: str, content: bytes, message: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        upload = SimpleUploadedFile(name, content)
        response = member("editor").post(f"{BASE}{EPRR}/record/", form(file=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ManualEvidence.objects.exists() and not EvidenceFile.objects.exists()
    assert not AuditEntry.objects.filter(object_type="compliance-evidence").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"attested_on": "2026-12-25"}, "a day still to come"),
        ({"expires_on": "2026-11-01"}, "must expire after"),
        ({"expires_on": "2040-01-01"}, "at most 10 years"),
        ({"requirement": "urn:contingency:bcm:req_node:nhs-eprr-bc:bc"}, "Select a valid choice"),
        ({"title": ""}, "Say what the evidence is"),
    ],
)
def test_bad_details_are_refused_beside_their_field(
    member: MemberFactory, demo_plans: list[Any], changes: dict[str, str], message: str
) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 10, 0, tzinfo=LONDON), tick=False):
        response = member("editor").post(f"{BASE}{EPRR}/record/", form(**changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ManualEvidence.objects.exists()


def _record(on: date = date(2026, 11, 2)) -> ManualEvidence:
    organisation = Organisation.objects.get(slug=HOME_ORG)
    with time_machine.travel(datetime(on.year, on.month, on.day, 10, 0, tzinfo=LONDON), tick=False):
        return services.record_evidence(
            organisation=organisation,
            framework_key=EPRR,
            requirement_urn=POLICY,
            title="Policy",
            note="",
            attested_on=on,
            expires_on=None,
            file_name="policy.pdf",
            data=PDF,
            actor=None,
            via="test",
        )


def test_members_download_evidence_files_of_their_own_organisation_only(
    member: MemberFactory, demo_plans: list[Any]
) -> None:
    evidence = _record()
    response = member("viewer").get(f"{BASE}evidence/{evidence.pk}/")
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="policy.pdf"'
    assert (
        member("viewer", organisation=OTHER_ORG).get(f"/o/{OTHER_ORG}/compliance/evidence/{evidence.pk}/").status_code
        == 404
    )


def test_the_evidence_pack_holds_the_report_and_the_files_in_force(
    member: MemberFactory, demo_plans: list[Any]
) -> None:
    evidence = _record()
    response = member("viewer").get(f"{BASE}pack/?on=2026-12-01")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        folder = f"evidence-{HOME_ORG}-2026-12-01/"
        assert f"{folder}report.html" in names and f"{folder}report.pdf" in names
        kept = [n for n in names if n.endswith(f"{evidence.pk}-policy.pdf")]
        assert kept and archive.read(kept[0]) == PDF
        report = archive.read(f"{folder}report.html").decode()
        assert 'BC-01 A board-approved continuity policy: <span class="status">met</span>' in report
        assert evidence.sha256 in report
        assert archive.read(f"{folder}report.pdf").startswith(b"%PDF-")
    before = member("viewer").get(f"{BASE}pack/?on=2026-10-01")
    with zipfile.ZipFile(io.BytesIO(before.content)) as archive:
        assert not [n for n in archive.namelist() if "/evidence/" in n]  # not yet attested on that date


def test_a_real_incident_reviewed_counts_as_the_live_exercise(demo_plans: list[Any]) -> None:
    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    assert status_of(LIVE, timezone.localdate()) == "not-met"
    found = incidents.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    found = incidents.invoke(incident=found, actor=None, via="test")
    found = incidents.restore(incident=found, actor=None, via="test")
    save_review(
        incident=found,
        actor=None,
        whys=["The database failed over"],
        root_cause="A witness inside the data centre",
        went_well="CDs went with patients",
        went_badly="",
        lessons="Move the witness",
        complete=True,
        via="test",
    )
    assert status_of(LIVE, timezone.localdate()) == "met"


def test_viewers_cannot_import_and_anonymous_visitors_are_sent_to_sign_in(demo_plans: list[Any]) -> None:
    response = Client().get(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_demo_evidence_leaves_northwick_partly_met_and_loads_once(demo_plans: list[Any]) -> None:
    from contingency.compliance import demo

    assert demo.load() == 3 and demo.load() == 0
    organisation = Organisation.objects.get(slug=HOME_ORG)
    today = timezone.localdate()
    assert status_of(POLICY, today) == "met"
    for assessment in services.assess_all(organisation, today):
        assert assessment.tally.met and (assessment.tally.partly or assessment.tally.not_met)
