"""`contingency downtime reconcile --org ORG INCIDENT`: the incident's records through the service, the run kept;
exit 0 clean, 1 with something to put right, 2 for bad input (nothing written), 3 when the archive failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import Role
from contingency.downtime.models import ReconciliationRun

from .reconcile_support import as_logged, log_records, records_of, scenario_incident
from .support.orthanc import WINDOW_START, LoadedArchive
from .web import HOME_ORG, make_user

pytestmark = pytest.mark.usefixtures("demo_plans")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["downtime", "reconcile", *args])
    return result.exit_code, result.stdout, result.stderr


def test_an_incident_reconciled_from_the_command_line_is_kept(archive_configured: LoadedArchive) -> None:
    incident = scenario_incident()
    log_records(incident, archive_configured.scenario)
    lead = make_user("pacs-lead", HOME_ORG, Role.RESPONDER)
    code, out, err = cli("--org", HOME_ORG, str(incident.number), "--as", lead.username)
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].startswith(
        f"run 1 of incident #{incident.number}: 502 looked for, window 2026-03-02T07:00:00+00:00"
    )
    assert lines[1:] == [
        "  present and complete: 488",
        "  missing from the archive: 7",
        "  instance count differs: 3",
        "  identity mismatch (needs a correction): 4",
        "  in the archive but not logged: 5",
        "19 to put right: see the run's report",
    ]
    run = ReconciliationRun.objects.get(incident=incident)
    assert (run.run_by_name, run.via, run.outcomes.count()) == ("pacs-lead", "command line", 502)


def test_a_clean_incident_exits_0(archive_configured: LoadedArchive) -> None:
    end = WINDOW_START + timedelta(hours=2)
    incident = scenario_incident(WINDOW_START, end)
    records_of(incident, as_logged(archive_configured.scenario.loaded, WINDOW_START, end))
    code, out, err = cli("--org", HOME_ORG, str(incident.number))
    assert code == 0, err
    assert out.endswith("  in the archive but not logged: 0\nclean\n")


def test_the_archive_failing_exits_3_and_the_run_is_kept_as_failed(
    archive_configured: LoadedArchive, monkeypatch: pytest.MonkeyPatch
) -> None:
    incident = scenario_incident()
    log_records(incident, archive_configured.scenario, limit=3)
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "NOT-THE-PACS")
    code, out, err = cli("--org", HOME_ORG, str(incident.number))
    assert code == 3 and out == ""
    assert "error: The archive refused the association: Called AE title not recognised" in err
    assert f"run 1 of incident #{incident.number} is recorded as failed" in err
    run = ReconciliationRun.objects.get(incident=incident)
    assert run.status == "failed" and not run.outcomes.exists()


@pytest.mark.usefixtures("archive_unconfigured")
def test_bad_input_exits_2_and_writes_nothing() -> None:
    incident = scenario_incident()
    number = str(incident.number)
    code, _, err = cli("--org", HOME_ORG, number)
    assert code == 2 and "error: CONTINGENCY_ARCHIVE_HOST: no imaging archive is configured" in err
    code, _, err = cli("--org", HOME_ORG)
    assert code == 2 and "error: --org: give the organisation and the incident: --org ORG INCIDENT" in err
    code, _, err = cli("--org", HOME_ORG, number, "--csv", "log.csv")
    assert code == 2 and "not both" in err
    code, _, err = cli("--org", HOME_ORG, number, "--from", "2026-03-02T07:00")
    assert code == 2 and "error: --from: an incident's run covers its downtime" in err
    code, _, err = cli("--org", HOME_ORG, "999")
    assert code == 2 and f"{HOME_ORG} has no incident #999" in err
    code, _, err = cli("--org", HOME_ORG, number, "--as", "nobody")
    assert code == 2 and "error: --as: 'nobody' is not a member" in err
    assert not ReconciliationRun.objects.exists()
