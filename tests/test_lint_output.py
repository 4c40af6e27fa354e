"""Lint output formats and exit codes, through the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from contingency.cli import main
from contingency.plans import yamlio
from tests.builders import minimal_plan


def write(tmp_path: Path, data: dict[str, object], name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yamlio.dump(data))
    return path


def lint(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["plan", "lint", "--today", "2026-06-01", *args])
    return result.exit_code, result.stdout


def defective() -> dict[str, Any]:
    data = minimal_plan()
    data["functions"][0].pop("deputy")  # FN002, an error
    data["document"]["holders"][0].pop("acknowledgedIssue")  # DOC004, a warning
    return data


def test_clean_plan_exits_zero(tmp_path: Path) -> None:
    code, out = lint(str(write(tmp_path, minimal_plan())))
    assert code == 0
    assert out == "0 finding(s): 0 error(s), 0 warning(s), 0 info\n"


def test_text_report_locates_each_finding(tmp_path: Path) -> None:
    path = write(tmp_path, defective())
    code, out = lint(str(path))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"{path}:")
    assert any(" error FN002 function-without-deputy: Imaging has no deputy [functions[0]]" in line for line in lines)
    assert any(" warning DOC004 copy-not-acknowledged: " in line for line in lines)
    assert lines[-1] == "2 finding(s): 1 error(s), 1 warning(s), 0 info"


def test_warnings_alone_exit_zero(tmp_path: Path) -> None:
    data = minimal_plan()
    data["document"]["holders"][0].pop("acknowledgedIssue")
    code, _ = lint(str(write(tmp_path, data)))
    assert code == 0


def test_json_report(tmp_path: Path) -> None:
    path = write(tmp_path, defective())
    code, out = lint("--format", "json", str(path))
    assert code == 1
    report = json.loads(out)
    assert report["summary"] == {"error": 1, "warning": 1}
    fn002 = next(f for f in report["findings"] if f["rule"] == "FN002")
    assert fn002["file"] == str(path) and fn002["path"] == "functions[0]" and fn002["line"] > 1


def test_sarif_report(tmp_path: Path) -> None:
    path = write(tmp_path, defective())
    code, out = lint("--format", "sarif", str(path))
    assert code == 1
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    run = sarif["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert len(rules) >= 20 and all(r["fullDescription"]["text"] for r in rules)
    result = next(r for r in run["results"] if r["ruleId"] == "FN002")
    assert result["level"] == "error"
    assert rules[result["ruleIndex"]]["id"] == "FN002"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] > 1 and region["startColumn"] >= 1


def test_directory_of_plans_and_output_file(tmp_path: Path) -> None:
    write(tmp_path, minimal_plan(), "a.yaml")
    write(tmp_path, {**defective(), "id": "other-plan"}, "b.yml")
    report = tmp_path / "report.json"
    code, out = lint("--format", "json", "--output", str(report), str(tmp_path))
    assert code == 1 and out == ""
    assert {f["file"] for f in json.loads(report.read_text())["findings"]} == {str(tmp_path / "b.yml")}


def test_rules_catalogue_markdown_is_current() -> None:
    result = CliRunner().invoke(main, ["plan", "rules", "--format", "markdown"])
    docs = Path(__file__).resolve().parent.parent / "docs" / "lint-rules.md"
    assert result.stdout == docs.read_text(), "run `make schema` and commit docs/lint-rules.md"


def test_severity_counts_lists_every_severity() -> None:
    from contingency.plans.lint import Finding, Severity, severity_counts

    found = [Finding("DOC001", Severity.ERROR, "m", ()), Finding("CON001", Severity.ERROR, "m", ())]
    assert severity_counts(found) == {Severity.ERROR: 2, Severity.WARNING: 0, Severity.INFO: 0}
    assert list(severity_counts([])) == list(Severity)
