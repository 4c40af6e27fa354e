"""`contingency incident ...` and `contingency worker --once`: the operator's command line for incidents."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import AuditEntry
from contingency.incidents.models import DueAction, Incident, Task, TimelineEntry

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
ORG = "northwick-general"
FRIDAY = datetime(2027, 5, 28, 16, 45, tzinfo=LONDON)
REPORT = ("incident", "report", "--org", ORG, "--plan", "pacs-bcdr", "--subject", "system:pacs")
YES = ("--yes", "several-patients", "--yes", "several-pcs")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def counts() -> tuple[int, ...]:
    return (
        Incident.objects.count(),
        Task.objects.count(),
        TimelineEntry.objects.count(),
        DueAction.objects.filter(state="fired").count(),
        AuditEntry.objects.count(),
    )


@pytest.fixture
def clock(demo_plans):
    with time_machine.travel(FRIDAY, tick=False) as traveller:
        yield traveller


def test_report_invoke_show_list_restore_stand_down(clock) -> None:
    code, out, err = run(*REPORT, *YES, "--began", "2027-05-28 16:40")
    assert code == 0, err
    assert out.startswith("reported incident #1: Meridian PACS failure\nassessment: complete failure\n")
    incident = Incident.objects.get()
    assert incident.began_at == datetime(2027, 5, 28, 16, 40, tzinfo=LONDON)
    assert incident.reported_by_name == "command line"
    code, out, err = run("incident", "invoke", "--org", ORG, "1")
    assert code == 0, err
    assert out.startswith("invoked incident #1: Meridian PACS failure")
    incident.refresh_from_db()
    assert incident.state == "invoked" and incident.invoked_by_name == "command line"
    code, out, _ = run("incident", "list", "--org", ORG)
    assert code == 0
    assert out.splitlines()[0] == "1. #1 Meridian PACS failure [invoked]"
    assert "next trigger: Diagnostic image viewing and reporting: after 4h at Fri 28 May 2027 20:40" in out
    code, out, _ = run("incident", "show", "--org", ORG, "1")
    assert code == 0
    assert "state: invoked (complete)" in out
    assert "service lost: Fri 28 May 2027 16:40" in out
    assert "  - Fri 28 May 2027 20:40: Diagnostic image viewing and reporting: after 4h" in out
    assert "  - Fri 28 May 2027 20:45: TP2 - conference call and board briefing (1st)" in out
    assert "[trigger] Trigger point: TP1 - information-gathering meeting." in out
    clock.move_to(datetime(2027, 5, 28, 21, 0, tzinfo=LONDON))
    code, out, _ = run("worker", "--once", "--name", "cli-test")
    # Out of hours at 17:00, the 4h rule, TP2's first call; nothing to send (no channel is configured), and
    # the waits for TP1's calls ended, so those call-outs moved on to the fall-backs.
    assert code == 0 and out.startswith("fired 3 action(s), sent 0 message(s), moved on "), out
    assert set(DueAction.objects.filter(fired_by="cli-test").values_list("key", flat=True)) == {
        "routing",
        "image-reporting#0",
        "tp2",
    }
    code, out, err = run("incident", "restore", "--org", ORG, "1", "--at", "2027-05-28 20:55")
    assert code == 0, err
    assert out == "restored incident #1 at Fri 28 May 2027 20:55\n"
    code, out, err = run("incident", "stand-down", "--org", ORG, "1", "--reason", "All images re-sent.")
    assert (code, out) == (0, "stood down incident #1\n"), err
    incident.refresh_from_db()
    assert incident.state == "stood-down" and incident.closed_note == "All images re-sent."
    assert run("incident", "list", "--org", ORG)[1] == f"No open incidents in {ORG}.\n"
    assert "#1 Meridian PACS failure [stood-down]" in run("incident", "list", "--org", ORG, "--all")[1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("incident", "list", "--org", "nowhere"), "error: --org: there is no organisation 'nowhere'"),
        (("incident", "show", "--org", ORG, "9"), f"error: NUMBER: {ORG} has no incident #9"),
        (
            ("incident", "report", "--org", ORG, "--plan", "nope", "--subject", "system:pacs"),
            f"error: --plan: {ORG} has no plan 'nope'",
        ),
        ((*REPORT[:-1], "system:nope"), "error: --subject: there is no system 'nope' in this plan"),
        ((*REPORT, "--yes", "bogus"), "error: --yes/--no: no check 'bogus' for this failure"),
        (
            (*REPORT, "--yes", "several-pcs", "--no", "several-pcs"),
            "error: --yes/--no: check 'several-pcs' is given both as holding and as not holding",
        ),
        ((*REPORT, "--began", "yesterday"), "error: --began: 'yesterday' is not a time"),
        ((*REPORT, "--began", "2027-05-29 09:00"), "error: --began: the service cannot be lost in the future"),
        ((*REPORT, "--began", "2027-03-28 01:30"), "error: --began: 2027-03-28 01:30 does not exist in Europe/London"),
        (("incident", "invoke", "--org", ORG, "1", "--risk", "nope"), "error: --risk: there is no risk 'nope'"),
        (("incident", "restore", "--org", ORG, "1"), "error: incident: incident #1 is reported"),
        (("incident", "stand-down", "--org", ORG, "1"), "error: incident: incident #1 is reported"),
        (("worker", "--once", "--name", " "), "error: --name: must not be empty"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(clock, args, message) -> None:
    assert run(*REPORT, *YES)[0] == 0
    before = counts()
    code, out, err = run(*args)
    assert code == 2, (out, err)
    assert err.startswith(message), err
    assert err.count("\n") == 1 and out == ""
    assert counts() == before


def test_restore_refusals_leave_the_incident_running(clock) -> None:
    run(*REPORT, *YES)
    run("incident", "invoke", "--org", ORG, "1")
    before = counts()
    code, _, err = run("incident", "restore", "--org", ORG, "1", "--at", "2027-05-28 10:00")
    assert code == 2 and err == "error: --at: the service cannot be restored before it was lost\n"
    code, _, err = run("incident", "invoke", "--org", ORG, "1")
    assert code == 2 and err.startswith("error: incident: incident #1 is invoked")
    assert counts() == before and Incident.objects.get().state == "invoked"


def test_worker_poll_out_of_range_is_refused() -> None:
    code, _, err = run("worker", "--poll", "0")
    assert code == 2 and "'--poll': 0.0 is not in the range 0.05<=x<=3600" in err


def test_worker_needs_a_migrated_database(monkeypatch) -> None:
    import contingency.cli.server as server
    from contingency.cli.common import _fail

    def unmigrated() -> None:
        _fail(["the database is not set up or needs migrating: run `contingency migrate` first"])

    monkeypatch.setattr(server, "_require_migrated", unmigrated)
    code, out, err = run("worker", "--once")
    assert code == 2 and out == "" and "contingency migrate" in err
