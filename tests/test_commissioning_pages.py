"""Contract KPIs and their relaxation during an incident: KPIs recorded per plan by editors, the KPIs an
outage touches, a relaxation asked and agreed through the page (audited, evidence kept), carried to the
board briefing and the review; members of other organisations see nothing, viewers change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from contingency.commissioning import services
from contingency.commissioning.models import ContractKpi, KpiRelaxation, RelaxationFile
from contingency.core.models import AuditEntry
from contingency.incidents import reports
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident
from contingency.plans.models import Plan
from tests.web import EYE, HOME_ORG, OTHER_ORG, MemberFactory

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
THU = datetime(2026, 11, 5, 10, 0, tzinfo=LONDON)
KPIS = f"/o/{OTHER_ORG}/plans/{EYE}/kpis/"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(THU, tick=False) as traveller:
        yield traveller


def eye_plan() -> Plan:
    return Plan.objects.get(organisation__slug=OTHER_ORG, key=EYE)


def triage_kpi() -> ContractKpi:
    return services.add_kpi(
        plan=eye_plan(),
        what="Urgent referrals triaged",
        target="95% of urgent referrals",
        clock_value=5,
        clock_unit="working days",
        clock_from="receipt of the referral",
        commissioner="Larkfield Integrated Care Board",
        actor=None,
        via="test",
    )


def outage(clock: time_machine.Traveller, *, hours: int = 28) -> Incident:
    """The referral platform down from Thursday 10:00, restored `hours` later."""
    reported = incidents.report(plan=eye_plan(), subject="system:referral-platform", actor=None, via="test")
    invoked = incidents.invoke(incident=reported, actor=None, via="test")
    clock.shift(timedelta(hours=hours))
    return incidents.restore(incident=invoked, actor=None, via="test")


def kpi_form(**changes: Any) -> dict[str, Any]:
    values = {
        "what": "Routine referrals booked",
        "target": "90% booked",
        "clock_value": "10",
        "clock_unit": "days",
        "clock_from": "triage",
        "commissioner": "Larkfield Integrated Care Board",
    }
    values.update(changes)
    return values


def ask_form(kpi: ContractKpi, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kpi": str(kpi.pk),
        "asked_of": "Dana Whitlock, contract manager",
        "asked_at": "2026-11-06T14:00",
        "relaxed_from": "2026-11-05T10:00",
        "relaxed_to": "2026-11-13T14:00",
        "agreed_by": "",
        "agreed_at": "",
        "note": "Asked by e-mail after the platform came back.",
        "file": SimpleUploadedFile("request.txt", b"Please relax the triage KPI.\n", content_type="text/plain"),
    }
    values.update(changes)
    return values


# ------------------------------------------------------------------------------------------ a plan's KPIs


def test_an_editor_adds_changes_and_removes_a_kpi_through_the_page(member: MemberFactory) -> None:
    editor = member("editor", organisation=OTHER_ORG)
    response = editor.post(f"{KPIS}add/", kpi_form())
    assert response.status_code == 302
    kpi = ContractKpi.objects.get(plan=eye_plan())
    assert (kpi.target, kpi.clock_value, kpi.clock_unit) == ("90% booked", 10, "days")
    page = editor.get(KPIS).content.decode()
    assert "Routine referrals booked" in page and "within 10 calendar days of triage" in page
    assert (
        editor.post(
            f"{KPIS}{kpi.pk}/", {f"kpi-{kpi.pk}-{k}": v for k, v in kpi_form(target="92% booked").items()}
        ).status_code
        == 302
    )
    kpi.refresh_from_db()
    assert kpi.target == "92% booked"
    assert editor.post(f"{KPIS}{kpi.pk}/remove/").status_code == 302
    assert not ContractKpi.objects.exists()
    verbs = list(AuditEntry.objects.filter(object_type="contract-kpi").order_by("pk").values_list("verb", flat=True))
    assert verbs == ["create", "change", "delete"]


def test_a_bad_kpi_is_refused_beside_its_field_and_nothing_kept(member: MemberFactory) -> None:
    response = member("editor", organisation=OTHER_ORG).post(f"{KPIS}add/", kpi_form(target=" ", clock_value="0"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Enter the target as the contract writes it." in html
    assert not ContractKpi.objects.exists() and not AuditEntry.objects.filter(object_type="contract-kpi").exists()


# ------------------------------------------------------------------------------------------ relaxations


def test_a_relaxation_asked_and_agreed_through_the_page(member: MemberFactory, clock: time_machine.Traveller) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    page_url = f"/o/{OTHER_ORG}/incidents/{incident.number}/kpis/"
    responder = member("responder", organisation=OTHER_ORG)
    page = responder.get(page_url).content.decode()
    assert "Urgent referrals triaged: 95% of urgent referrals" in page
    assert "Thu 5 Nov 10:00 to Fri 13 Nov 2026 14:00" in page  # the outage plus five working days
    clock.shift(timedelta(hours=2))
    response = responder.post(f"{page_url}ask/", ask_form(kpi))
    assert response.status_code == 302, response.content.decode()
    row = KpiRelaxation.objects.get(incident=incident)
    assert row.agreed_at is None and row.agreed_by == "" and row.asked_of == "Dana Whitlock, contract manager"
    assert row.relaxed_to == datetime(2026, 11, 13, 14, 0, tzinfo=LONDON)
    assert bytes(RelaxationFile.objects.get(relaxation=row).data) == b"Please relax the triage KPI.\n"
    assert "not yet agreed" in responder.get(page_url).content.decode()

    agree = {f"agree-{row.pk}-agreed_by": "Dana Whitlock", f"agree-{row.pk}-agreed_at": "2026-11-06T15:30"}
    agree[f"agree-{row.pk}-note"] = "Agreed by e-mail."
    assert responder.post(f"{page_url}{row.pk}/agree/", agree).status_code == 302
    row.refresh_from_db()
    assert row.agreed_by == "Dana Whitlock" and row.agreed_at == datetime(2026, 11, 6, 15, 30, tzinfo=LONDON)
    assert row.note.endswith("Agreed by e-mail.")
    entries = AuditEntry.objects.filter(object_type="kpi-relaxation").order_by("pk")
    assert [(e.verb, e.note) for e in entries] == [("create", "asked"), ("change", "agreed")]
    download = responder.get(f"{page_url}{row.pk}/file/")
    assert download["Content-Disposition"] == 'attachment; filename="request.txt"'


def test_an_agreement_needs_who_and_when_and_a_window_in_order(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    page_url = f"/o/{OTHER_ORG}/incidents/{incident.number}/kpis/"
    responder = member("responder", organisation=OTHER_ORG)
    response = responder.post(f"{page_url}ask/", ask_form(kpi, agreed_by="Dana Whitlock"))
    assert response.status_code == 400 and "An agreement needs both who agreed and when." in response.content.decode()
    response = responder.post(f"{page_url}ask/", ask_form(kpi, relaxed_to="2026-11-04T10:00"))
    assert response.status_code == 400 and "The relaxed window must end after it starts." in response.content.decode()
    big = SimpleUploadedFile("request.exe", b"MZ\x90\x00", content_type="application/octet-stream")
    response = responder.post(f"{page_url}ask/", ask_form(kpi, file=big))
    assert response.status_code == 400 and "not a kind of file kept as evidence" in response.content.decode()
    assert not KpiRelaxation.objects.exists() and not AuditEntry.objects.filter(object_type="kpi-relaxation").exists()


def test_a_kpi_relaxation_carried_to_the_review_and_the_briefing(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    clock.shift(timedelta(hours=1))
    services.ask_relaxation(
        incident=incident,
        kpi=kpi,
        asked_of="Dana Whitlock",
        asked_at=THU + timedelta(hours=29),
        relaxed_from=THU,
        relaxed_to=datetime(2026, 11, 13, 14, 0, tzinfo=LONDON),
        agreed_by="Dana Whitlock",
        agreed_at=THU + timedelta(hours=29),
        note="Agreed on the phone; e-mail to follow.",
        actor=None,
        via="test",
    )
    incident.refresh_from_db()
    text = reports.briefing(incident, THU + timedelta(hours=30))
    assert "KPIs relaxed: 1 of 1 relaxation agreed" in text
    assert "Urgent referrals triaged: 95% of urgent referrals, within 5 working days of receipt of the referral" in text
    assert "agreed by Dana Whitlock" in text
    review = member("viewer", organisation=OTHER_ORG).get(f"/o/{OTHER_ORG}/incidents/{incident.number}/review/")
    html = review.content.decode()
    assert review.status_code == 200 and "KPIs relaxed" in html and "agreed by Dana Whitlock" in html


def test_a_relaxation_not_yet_agreed_is_work_outstanding(clock: time_machine.Traveller) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    services.ask_relaxation(
        incident=incident,
        kpi=kpi,
        asked_of="Dana Whitlock",
        asked_at=THU + timedelta(hours=28),
        relaxed_from=THU,
        relaxed_to=THU + timedelta(days=8),
        actor=None,
        via="test",
    )
    from contingency.incidents.outstanding import open_work

    work = [w for w in open_work(incident, THU + timedelta(hours=29)) if w.title == "KPIs relaxed"]
    assert len(work) == 1 and work[0].count == 1 and "0 of 1 relaxation agreed" in work[0].summary


# ------------------------------------------------------------------------------------------ who may


def test_pages_need_log_in_and_show_only_the_users_organisation(
    member: MemberFactory, clock: time_machine.Traveller
) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    page_url = f"/o/{OTHER_ORG}/incidents/{incident.number}/kpis/"
    for url in (KPIS, page_url):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    outsider = member("editor", organisation=HOME_ORG)
    assert outsider.get(KPIS).status_code == 404
    assert outsider.get(page_url).status_code == 404
    assert outsider.post(f"{KPIS}add/", kpi_form()).status_code == 404
    assert outsider.post(f"{page_url}ask/", ask_form(kpi)).status_code == 404
    assert ContractKpi.objects.count() == 1 and not KpiRelaxation.objects.exists()


def test_a_viewer_reads_but_changes_nothing(member: MemberFactory, clock: time_machine.Traveller) -> None:
    kpi = triage_kpi()
    incident = outage(clock)
    page_url = f"/o/{OTHER_ORG}/incidents/{incident.number}/kpis/"
    viewer = member("viewer", organisation=OTHER_ORG)
    page = viewer.get(KPIS).content.decode()
    assert "Urgent referrals triaged" in page and "Add the KPI" not in page
    assert "Record the relaxation" not in viewer.get(page_url).content.decode()
    assert viewer.post(f"{KPIS}add/", kpi_form()).status_code == 403
    assert viewer.get(f"{KPIS}{kpi.pk}/").status_code == 403
    assert viewer.post(f"{KPIS}{kpi.pk}/remove/").status_code == 403
    assert viewer.post(f"{page_url}ask/", ask_form(kpi)).status_code == 403
    assert member("responder", organisation=OTHER_ORG).post(f"{KPIS}add/", kpi_form()).status_code == 403
    assert ContractKpi.objects.count() == 1 and not KpiRelaxation.objects.exists()


def test_agreed_relaxations_go_into_the_compliance_evidence_pack(clock: time_machine.Traveller) -> None:
    import csv
    import io
    import zipfile

    from contingency.compliance import evidencepack
    from contingency.core.models import Organisation

    kpi = triage_kpi()
    incident = outage(clock)
    services.ask_relaxation(
        incident=incident,
        kpi=kpi,
        asked_of="Dana Whitlock",
        asked_at=THU + timedelta(hours=28),
        relaxed_from=THU,
        relaxed_to=THU + timedelta(days=8),
        agreed_by="Dana Whitlock",
        agreed_at=THU + timedelta(hours=28),
        file_name="agreed.txt",
        data=b"Agreed.\n",
        actor=None,
        via="test",
    )
    organisation = Organisation.objects.get(slug=OTHER_ORG)
    name, data = evidencepack.build(
        organisation=organisation,
        assessments=[],
        on=THU.date() + timedelta(days=1),
        built_at=THU,
        built_by="test",
        with_pdf=False,
    )
    archive = zipfile.ZipFile(io.BytesIO(data))
    folder = name.removesuffix(".zip")
    table = list(csv.DictReader(io.StringIO(archive.read(f"{folder}/evidence/kpi-relaxations.csv").decode())))
    assert [(r["agreed by"], r["agreed at"]) for r in table] == [("Dana Whitlock", "2026-11-06 14:00")]
    assert archive.read(f"{folder}/{table[0]['file']}") == b"Agreed.\n"
    _, before = evidencepack.build(
        organisation=organisation, assessments=[], on=THU.date(), built_at=THU, built_by="test", with_pdf=False
    )
    assert not any("kpi-relaxations" in n for n in zipfile.ZipFile(io.BytesIO(before)).namelist())
