"""`contingency probe` bad input (exit 2, nothing sent), an unreachable server (exit 1), and `contingency probes`."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import AuditEntry
from contingency.monitor.models import ProbeSite

from .web import HOME_ORG

TOKEN = "ctp_abcdefghijkl_" + "a" * 43


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


BASE = ["probe", "--site", "main-xray", "--server", "http://127.0.0.1:9", "--org", HOME_ORG, "--once"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (["--token", "secret"], "error: --token: not a probe token"),
        (["--token", TOKEN, "--route", "pacs:104"], "error: --route: 'pacs:104' is not HOST:PORT=HOST:PORT"),
        (["--token", TOKEN, "--route", "pacs:104=10.0.0.1:70000"], "error: --route:"),
        (["--token", TOKEN, "--ca-file", "/nonexistent/ca.pem"], "error: --ca-file: cannot read certificates"),
    ],
)
def test_bad_input_exits_2(change: list[str], error: str) -> None:
    code, _, err = run(*BASE, *change)
    assert code == 2 and err.startswith(error), err


def test_bad_server_and_organisation_exit_2() -> None:
    args = ["probe", "--site", "x", "--token", TOKEN, "--once"]
    code, _, err = run(*args, "--server", "ftp://x", "--org", HOME_ORG)
    assert code == 2 and err.startswith("error: --server:")
    code, _, err = run(*args, "--server", "http://127.0.0.1:9", "--org", "Not An Id")
    assert code == 2 and err.startswith("error: --org:")


def test_an_unreachable_server_exits_1_and_says_so() -> None:
    code, _, err = run(*BASE, env={"CONTINGENCY_PROBE_TOKEN": TOKEN})
    assert code == 1 and err.startswith("error: cannot reach the server at http://127.0.0.1:9")


def test_probes_add_site_prints_the_token_once_then_lists_and_revokes(demo_plans: list[object]) -> None:
    code, out, _ = run("probes", "add-site", "--org", HOME_ORG, "theatres")
    assert code == 0, out
    token = out.splitlines()[-1]
    site = ProbeSite.objects.get(name="theatres")
    assert token.startswith(f"ctp_{site.key_id}_")
    code, out, _ = run("probes", "sites", "--org", HOME_ORG)
    assert out == "theatres: NO NEWS; last report never; 0 report(s); 0 refused\n"
    code, _, err = run("probes", "add-site", "--org", HOME_ORG, "theatres")
    assert code == 2 and "there is already a probe site 'theatres'" in err
    assert run("probes", "revoke", "--org", HOME_ORG, "theatres")[:2] == (0, "Revoked the token of theatres.\n")
    code, _, err = run("probes", "revoke", "--org", HOME_ORG, "theatres")
    assert code == 2 and err.startswith("error: NAME: no active probe site 'theatres'")
    assert AuditEntry.objects.filter(object_type="probe-site").count() == 2
    code, _, err = run("probes", "sites", "--org", "nowhere")
    assert code == 2 and err.startswith("error: --org: no organisation 'nowhere'")
