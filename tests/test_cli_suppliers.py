"""`contingency supplier ...` and `contingency kpi ...`: suppliers and contract KPIs from the command line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from contingency.cli import main
from contingency.commissioning import demo as commissioning_demo
from contingency.commissioning.models import ContractKpi, KpiRelaxation
from contingency.core.models import AuditEntry, Role
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident
from contingency.plans.models import Plan
from contingency.suppliers import demo as suppliers_demo
from contingency.suppliers import services as suppliers
from contingency.suppliers.models import ClockEvent, Ticket

from .web import EYE, HOME_ORG, OTHER_ORG, PACS, make_user

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = datetime(2027, 6, 2, 10, 0, tzinfo=LONDON)  # a Wednesday, in British Summer Time
LEAD = "cli-lead"
EYE_LEAD = "cli-eye-lead"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def counts() -> dict[str, int]:
    models = (Ticket, ClockEvent, KpiRelaxation, ContractKpi, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def invoked(org: str, key: str, subject: str) -> Incident:
    plan = Plan.objects.get(organisation__slug=org, key=key)
    reported = incidents.report(plan=plan, subject=subject, actor=None, via="test")
    return incidents.invoke(incident=reported, actor=None, via="test")


@pytest.fixture
def clock(demo_plans: list[object]) -> Iterator[time_machine.Traveller]:
    make_user(LEAD, HOME_ORG, Role.RESPONDER)
    make_user(EYE_LEAD, OTHER_ORG, Role.RESPONDER)
    make_user("cli-viewer", HOME_ORG, Role.VIEWER)
    make_user("cli-eye-viewer", OTHER_ORG, Role.VIEWER)
    with time_machine.travel(NOW, tick=False) as traveller:
        suppliers_demo.load()
        commissioning_demo.load()
        yield traveller


@pytest.fixture
def ticket(clock: time_machine.Traveller) -> Ticket:
    incident = invoked(HOME_ORG, PACS, "system:pacs")
    made = suppliers.log_ticket(
        incident=incident,
        supplier_key=suppliers_demo.SUPPLIER,
        reference="MER-1001",
        logged_at=NOW - timedelta(minutes=10),
        rca_due_on=None,
        actor=None,
        via="test",
    )
    clock.shift(5 * 60)
    return made


# ------------------------------------------------------------------------------------------ suppliers


def test_supplier_list_is_the_register_with_findings(clock: time_machine.Traveller) -> None:
    code, out, err = run("supplier", "list", "--org", HOME_ORG)
    assert code == 0, err
    lines = out.splitlines()
    meridian = next(line for line in lines if line.startswith("Meridian"))
    assert "(meridian) [ok]" in meridian
    assert "  response: 30 minutes; restore: 8h" in lines
    assert any(line.startswith("  - ") for line in lines)  # the suppliers with nothing on file have findings


def test_supplier_tickets_show_each_clock(ticket: Ticket) -> None:
    number = str(ticket.incident.number)
    code, out, err = run("supplier", "tickets", "--org", HOME_ORG, number)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"ticket {ticket.pk}: Meridian Imaging Systems Ltd MER-1001, logged Wed 02 Jun 2027 09:50"
    assert lines[1] == "  response (30 minutes): running, 15 minutes elapsed; breaches Wed 02 Jun 2027 10:20"
    assert lines[2].startswith("  restore (8h): running, 15 minutes elapsed; breaches ")


def test_pause_resume_stop_a_clock(ticket: Ticket) -> None:
    base = ("supplier", "clock", "--org", HOME_ORG, str(ticket.pk))
    code, out, err = run(*base, "pause", "--clock", "response", "--reason", "Waiting on our network team",
                         "--as", LEAD)  # fmt: skip
    assert code == 0, err
    assert out == "the response clock of Meridian Imaging Systems Ltd MER-1001 is paused\n"
    event = ClockEvent.objects.get()
    assert (event.kind, event.by_name, event.reason) == ("paused", LEAD, "Waiting on our network team")
    assert AuditEntry.objects.filter(object_type="supplier-ticket", actor_name=LEAD).exists()
    code, out, err = run("supplier", "tickets", "--org", HOME_ORG, str(ticket.incident.number))
    assert "  response (30 minutes): paused, 15 minutes elapsed; no breach time" in out.splitlines()
    code, _, err = run(*base, "resume", "--clock", "response", "--reason", "Network back", "--as", LEAD)
    assert code == 0, err
    code, out, err = run(*base, "stop", "--as", LEAD)
    assert code == 0, err
    assert out == "the restore clock of Meridian Imaging Systems Ltd MER-1001 is stopped\n"
    assert list(ClockEvent.objects.values_list("kind", flat=True)) == ["paused", "resumed", "stopped"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("pause", "--clock", "response"), "--reason"),  # a pause needs its reason
        (("resume", "--reason", "x"), "ACTION"),  # the restore clock is running, not paused
        (("halt",), "ACTION"),
        (("stop", "--clock", "lunch"), "--clock"),
        (("stop", "--at", "2027-06-02 12:00"), "--at"),  # still to come
        (("stop", "--at", "yesterday"), "--at"),
        (("stop", "--at", "2027-06-02 09:00"), "--at"),  # before the call was logged
    ],
)
def test_bad_clock_changes_exit_2_and_write_nothing(ticket: Ticket, extra: tuple[str, ...], field: str) -> None:
    before = counts()
    code, out, err = run("supplier", "clock", "--org", HOME_ORG, str(ticket.pk), *extra, "--as", LEAD)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {field}: ")
    assert counts() == before


def test_unknown_ticket_organisation_and_incident(ticket: Ticket) -> None:
    code, _, err = run("supplier", "clock", "--org", OTHER_ORG, str(ticket.pk), "stop", "--as", EYE_LEAD)
    assert code == 2 and err.startswith("error: TICKET_ID: clearview-eyecare has no supplier ticket")
    code, _, err = run("supplier", "list", "--org", "nowhere")
    assert code == 2 and err.startswith("error: --org: ")
    code, _, err = run("supplier", "tickets", "--org", HOME_ORG, "999")
    assert code == 2 and err == f"error: INCIDENT: {HOME_ORG} has no incident #999\n"


def test_a_member_without_respond_is_refused(ticket: Ticket) -> None:
    before = counts()
    code, _, err = run("supplier", "clock", "--org", HOME_ORG, str(ticket.pk), "stop", "--as", "cli-viewer")
    assert code == 2 and err.startswith("error: --as: cli-viewer cannot change supplier clocks: it needs the respond")
    code, _, err = run("supplier", "clock", "--org", HOME_ORG, str(ticket.pk), "stop", "--as", EYE_LEAD)
    assert code == 2 and err == f"error: --as: '{EYE_LEAD}' is not a member of {HOME_ORG}\n"
    assert counts() == before


# ------------------------------------------------------------------------------------------ KPIs


def test_kpi_list_incident_ask_agree(clock: time_machine.Traveller) -> None:
    code, out, err = run("kpi", "list", "--org", OTHER_ORG, "--plan", EYE)
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == len(commissioning_demo.DEMO_KPIS)
    triage = ContractKpi.objects.get(what="Urgent referrals triaged")
    assert (
        f"KPI {triage.pk}: Urgent referrals triaged: 95% of urgent referrals, within 1 working day of receipt of the referral (NHS Northwick and Dale Integrated Care Board)"
        in lines
    )
    incident = invoked(OTHER_ORG, EYE, "system:referral-platform")
    number = str(incident.number)
    clock.shift(3600)
    code, out, err = run("kpi", "incident", "--org", OTHER_ORG, number)
    assert code == 0, err
    assert out.startswith("outage: began Wed 02 Jun 2027 10:00, ongoing\nKPIs in scope:\n")
    assert f"  KPI {triage.pk}: Urgent referrals triaged" in out and "[not asked]" in out
    code, out, err = run("kpi", "ask", "--org", OTHER_ORG, number, "--kpi", str(triage.pk),
                         "--asked-of", "Priya Shah (contracts)", "--from", "2027-06-02 10:00",
                         "--to", "2027-06-04 17:00", "--as", EYE_LEAD)  # fmt: skip
    assert code == 0, err
    row = KpiRelaxation.objects.get()
    assert out == f"relaxation {row.pk} logged in incident #{number}: {row.kpi_words}\n"
    assert (row.recorded_by, row.asked_at, row.agreed) == (EYE_LEAD, NOW + timedelta(hours=1), False)
    clock.shift(600)
    code, out, err = run("kpi", "agree", "--org", OTHER_ORG, number, str(row.pk),
                         "--agreed-by", "Tom Reyes (ICB)", "--as", EYE_LEAD)  # fmt: skip
    assert code == 0, err
    assert out == f"relaxation {row.pk} agreed by Tom Reyes (ICB): {row.kpi_words}\n"
    row.refresh_from_db()
    assert row.agreed_by == "Tom Reyes (ICB)" and row.agreed_at == NOW + timedelta(hours=1, minutes=10)
    assert AuditEntry.objects.filter(object_type="kpi-relaxation", actor_name=EYE_LEAD).count() == 2
    code, out, err = run("kpi", "incident", "--org", OTHER_ORG, number)
    assert f"  relaxation {row.pk}: " in out and "agreed by Tom Reyes (ICB)" in out


@pytest.fixture
def asked(clock: time_machine.Traveller) -> KpiRelaxation:
    incident = invoked(OTHER_ORG, EYE, "system:referral-platform")
    clock.shift(3600)
    code, _, err = run("kpi", "ask", "--org", OTHER_ORG, str(incident.number), "--kpi",
                       str(ContractKpi.objects.order_by("pk").values_list("pk", flat=True)[0]),
                       "--asked-of", "Priya Shah", "--from", "2027-06-02 10:00", "--to", "2027-06-03 10:00",
                       "--as", EYE_LEAD)  # fmt: skip
    assert code == 0, err
    return KpiRelaxation.objects.get()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        (("--kpi", "99999"), "--kpi"),
        (("--kpi", "KPI", "--from", "2027-06-03 10:00", "--to", "2027-06-02 10:00"), "--to"),
        (("--kpi", "KPI", "--from", "tomorrow"), "--from"),
        (("--kpi", "KPI", "--asked-at", "2027-06-09 10:00"), "--asked-at"),
        (("--kpi", "KPI", "--agreed-by", "Tom Reyes"), "--agreed-at"),
        (("--kpi", "KPI", "--asked-of", " "), "--asked-of"),
    ],
)
def test_bad_asks_exit_2_and_write_nothing(asked: KpiRelaxation, extra: tuple[str, ...], field: str) -> None:
    defaults = {"--asked-of": "Priya Shah", "--from": "2027-06-02 10:00", "--to": "2027-06-03 10:00"}
    given = [str(asked.kpi_id) if word == "KPI" else word for word in extra]
    for option, value in defaults.items():
        if option not in given:
            given += [option, value]
    before = counts()
    number = str(asked.incident.number)
    code, out, err = run("kpi", "ask", "--org", OTHER_ORG, number, *given, "--as", EYE_LEAD)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {field}: ")
    assert counts() == before


def test_bad_agreements_exit_2_and_write_nothing(asked: KpiRelaxation) -> None:
    number = str(asked.incident.number)
    before = counts()
    for extra, field in (
        (("999", "--agreed-by", "Tom"), "RELAXATION_ID"),
        ((str(asked.pk), "--agreed-by", " "), "--agreed-by"),
        ((str(asked.pk), "--agreed-by", "Tom", "--agreed-at", "2027-06-01 09:00"), "--agreed-at"),
    ):
        code, out, err = run("kpi", "agree", "--org", OTHER_ORG, number, *extra, "--as", EYE_LEAD)
        assert code == 2 and out == "", err
        assert err.startswith(f"error: {field}: "), err
    assert counts() == before


def test_kpi_writes_refuse_a_member_without_respond(asked: KpiRelaxation) -> None:
    number = str(asked.incident.number)
    before = counts()
    code, _, err = run("kpi", "agree", "--org", OTHER_ORG, number, str(asked.pk), "--agreed-by", "Tom",
                       "--as", "cli-eye-viewer")  # fmt: skip
    assert code == 2 and err.startswith("error: --as: cli-eye-viewer cannot record KPI relaxations")
    code, _, err = run("kpi", "ask", "--org", OTHER_ORG, number, "--kpi", str(asked.kpi_id), "--asked-of", "P",
                       "--from", "2027-06-02 10:00", "--to", "2027-06-03 10:00", "--as", "cli-eye-viewer")  # fmt: skip
    assert code == 2 and err.startswith("error: --as: cli-eye-viewer cannot ask for KPI relaxations")
    assert counts() == before
    code, _, err = run("kpi", "list", "--org", OTHER_ORG, "--plan", "nope")
    assert code == 2 and err == f"error: --plan: {OTHER_ORG} has no plan 'nope'\n"
