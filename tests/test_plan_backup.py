"""Plans as code as a backup: `plan export DIR` writes <organisation>/<plan>.yaml, and importing the tree brings
back every plan.

Two organisations with the same plan id used to export to one file, and the import then reported
success with one plan missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import Organisation
from contingency.plans import yamlio
from contingency.plans.models import Plan
from tests.builders import minimal_plan

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def two_organisations(tmp_path: Path) -> dict[str, str]:
    """`test-plan` in two organisations, with different titles; each plan's exported text by organisation."""
    source = tmp_path / "source"
    source.mkdir()
    for org, title in (("north", "North plan"), ("south", "South plan")):
        data = minimal_plan(title=title, organisation={"id": org, "name": org.title()})
        (source / f"{org}.yaml").write_text(yamlio.dump(data), encoding="utf-8")
    code, _, err = run("plan", "import", str(source))
    assert code == 0, err
    return {org: run("plan", "export", "-", "--organisation", org)[1] for org in ("north", "south")}


def test_export_writes_a_folder_per_organisation_and_import_brings_back_every_plan(
    tmp_path: Path, two_organisations: dict[str, str]
) -> None:
    backup = tmp_path / "backups" / "tonight"  # neither folder exists yet
    code, _, err = run("plan", "export", str(backup))
    assert code == 0, err
    assert sorted(p.relative_to(backup).as_posix() for p in backup.rglob("*.yaml")) == [
        "north/test-plan.yaml",
        "south/test-plan.yaml",
    ]
    for org, text in two_organisations.items():
        assert (backup / org / "test-plan.yaml").read_text(encoding="utf-8") == text
    Plan.objects.all().delete()
    code, out, err = run("plan", "import", str(backup))
    assert code == 0, err
    assert out.endswith("2 plan(s) imported.\n")
    assert sorted(Plan.objects.values_list("organisation__slug", "title")) == [
        ("north", "North plan"),
        ("south", "South plan"),
    ]
    for org, text in two_organisations.items():
        assert run("plan", "export", "-", "--organisation", org)[1] == text


def test_export_never_overwrites_without_force(tmp_path: Path, two_organisations: dict[str, str]) -> None:
    backup = tmp_path / "backup"
    assert run("plan", "export", str(backup))[0] == 0
    north = backup / "north" / "test-plan.yaml"
    north.write_text("kept", encoding="utf-8")
    code, _, err = run("plan", "export", str(backup))
    assert code == 2
    assert err.splitlines() == [
        f"{north}: already exists: export to an empty directory, or give --force to overwrite",
        f"{backup / 'south' / 'test-plan.yaml'}: already exists: export to an empty directory, or give --force to overwrite",
        "2 problem(s); nothing was written.",
    ]
    assert north.read_text(encoding="utf-8") == "kept"
    assert run("plan", "export", str(backup), "--force")[0] == 0
    assert north.read_text(encoding="utf-8") == two_organisations["north"]
    assert not list(backup.rglob(".*.partial"))


def test_one_plan_to_a_file_is_not_overwritten_either(tmp_path: Path, two_organisations: dict[str, str]) -> None:
    out = tmp_path / "north.yaml"
    assert run("plan", "export", str(out), "--organisation", "north")[0] == 0
    assert out.read_text(encoding="utf-8") == two_organisations["north"]
    code, _, err = run("plan", "export", str(out), "--organisation", "north")
    assert code == 2 and err.startswith(f"{out}: already exists")
    assert run("plan", "export", str(out), "--organisation", "north", "--force")[0] == 0


def test_two_plans_of_the_same_id_need_a_directory(tmp_path: Path, two_organisations: dict[str, str]) -> None:
    code, _, err = run("plan", "export", str(tmp_path / "one.yaml"), "--plan", "test-plan")
    assert code == 2
    assert "2 plans to export: name a directory, or choose one with --plan" in err
    assert Organisation.objects.count() == 2
