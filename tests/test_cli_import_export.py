"""`contingency plan import` and `export` through the database: lossless, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import Organisation
from contingency.plans import yamlio
from contingency.plans.models import Plan
from tests.builders import minimal_plan
from tests.conftest import DEMO_PLANS

# These tests are about importing into a database that has no plans yet.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_db")]


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(directory: Path, name: str, data: dict[str, object] | str) -> Path:
    path = directory / name
    path.write_text(data if isinstance(data, str) else yamlio.dump(data), encoding="utf-8")
    return path


def test_demo_plans_import_and_export_back_identically(tmp_path: Path) -> None:
    code, out, err = run("plan", "import", str(DEMO_PLANS))
    assert code == 0, err
    assert out.endswith("2 plan(s) imported.\n")
    code, _, err = run("plan", "export", str(tmp_path))
    assert code == 0, err
    for original in sorted(DEMO_PLANS.glob("*.yaml")):
        data = yamlio.parse(original.read_text())[0]
        exported = tmp_path / data["organisation"]["id"] / f"{data['id']}.yaml"
        assert exported.read_text() == original.read_text(), original.name


def test_export_one_plan_to_standard_output() -> None:
    run("plan", "import", str(DEMO_PLANS / "pacs.yaml"))
    code, out, _ = run("plan", "export", "-", "--plan", "pacs-bcdr")
    assert code == 0
    assert out == (DEMO_PLANS / "pacs.yaml").read_text()


def test_import_is_all_or_nothing(tmp_path: Path) -> None:
    write(tmp_path, "a-good.yaml", minimal_plan())
    write(tmp_path, "b-bad.yaml", minimal_plan(id="second", title=""))
    code, out, err = run("plan", "import", str(tmp_path))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{tmp_path}/b-bad.yaml:4:1: title: must not be empty",
        "1 problem(s); nothing was written.",
    ]
    assert Plan.objects.count() == 0 and Organisation.objects.count() == 0


def test_failed_reimport_leaves_the_stored_plan_unchanged(tmp_path: Path) -> None:
    good = write(tmp_path, "plan.yaml", minimal_plan())
    assert run("plan", "import", str(good))[0] == 0
    before = run("plan", "export", "-")[1]
    write(tmp_path, "plan.yaml", minimal_plan(title="Changed", people=[]))  # dangling owner
    code, _, err = run("plan", "import", str(good))
    assert code == 2 and "names no person" in err
    assert run("plan", "export", "-")[1] == before


def test_same_plan_in_two_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "one.yaml", minimal_plan())
    write(tmp_path, "two.yaml", minimal_plan())
    code, _, err = run("plan", "import", str(tmp_path))
    assert code == 2
    assert f"{tmp_path}/two.yaml:3:1: id: plan 'test-plan' of 'test-org' is also defined in {tmp_path}/one.yaml" in err
    assert Plan.objects.count() == 0


def test_reimport_replaces_the_plan(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.yaml", minimal_plan())
    run("plan", "import", str(path))
    pk = Plan.objects.get().pk
    write(tmp_path, "plan.yaml", minimal_plan(title="Second issue"))
    assert run("plan", "import", str(path))[0] == 0
    plan = Plan.objects.get()
    assert (plan.pk, plan.title) == (pk, "Second issue")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "export", "-", "--plan", "nope"), "-: no plan with id 'nope'"),
        (("plan", "export", "-"), "-: there are no plans to export"),
        (("plan", "import", "does-not-exist.yaml"), "does-not-exist.yaml: (document): no such file or directory"),
    ],
)
def test_bad_arguments(args: tuple[str, ...], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert err.splitlines()[0] == message


def test_export_many_plans_needs_a_directory(tmp_path: Path) -> None:
    run("plan", "import", str(DEMO_PLANS))
    code, _, err = run("plan", "export", str(tmp_path / "one-file.yaml"))
    assert code == 2
    assert "2 plans to export: name a directory, or choose one with --plan" in err


def test_empty_directory_and_unreadable_encoding(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"title: \xff\xfe\n")
    code, _, err = run("plan", "validate", str(empty), str(binary))
    assert code == 2
    assert err.splitlines()[:2] == [
        f"{empty}: (document): no plan files (*.yaml, *.yml) here",
        f"{binary}: (document): not UTF-8 text (byte 7)",
    ]


def test_cli_usage_errors_exit_2(tmp_path: Path) -> None:
    path = write(tmp_path, "plan.yaml", minimal_plan())
    for args in (
        ["plan", "lint", "--format", "xml", str(path)],
        ["plan", "lint", "--today", "2026-31-01", str(path)],
        ["plan", "lint", "--max-responsibilities", "0", str(path)],
        ["plan", "validate"],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, args
        assert "Error:" in result.stderr


def test_demo_command_loads_plans_and_user() -> None:
    code, out, err = run("demo")
    assert code == 0, err
    assert "Demo data loaded: 2 plan(s)." in out and "demo-admin" in out
    assert "Demo exercise 1: communications test, finished." in out
    assert set(Plan.objects.values_list("key", flat=True)) == {"pacs-bcdr", "eye-care-data"}


def test_two_files_describing_one_organisation_differently(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", minimal_plan())
    write(tmp_path, "b.yaml", minimal_plan(id="other", organisation={"id": "test-org", "name": "Renamed"}))
    code, _, err = run("plan", "import", str(tmp_path))
    assert code == 2
    assert "Traceback" not in err and "test-org" in err
    assert err.splitlines()[-1] == "1 problem(s); nothing was written."
    assert Plan.objects.count() == 0
