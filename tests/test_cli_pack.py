"""`contingency pack ...` and `contingency worker --once --only packs`: the operator's command line for packs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.packs import jobs
from contingency.packs.models import PrintPolicy, PrintRecord
from contingency.plans.models import Plan

pytestmark = pytest.mark.django_db
ORG = "northwick-general"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--org", "nope"), "error: --org: no organisation 'nope'"),
        (
            ("--org", ORG, "--plan", "nope"),
            "error: --plan: Northwick General Hospital NHS Foundation Trust has no plan 'nope'",
        ),
        (
            ("--org", ORG, "--plan", "pacs-bcdr", "--copies", "1"),
            "error: --copies: numbered copies are printed with --record",
        ),
        (("--org", ORG, "--record", "--copies", "1"), "error: --copies: give exactly one --plan with --copies"),
        (
            ("--org", ORG, "--plan", "pacs-bcdr", "--record", "--copies", "1,x"),
            "error: --copies: 'x' is not a copy number",
        ),
        (
            ("--org", ORG, "--plan", "pacs-bcdr", "--record", "--copies", "9"),
            "error: --copies: PACS business continuity",
        ),
    ],
)
def test_bad_input_exits_2_and_records_nothing(demo_plans: Any, args: tuple[str, ...], message: str) -> None:
    code, _, err = run("pack", "build", *args)
    assert code == 2 and err.startswith(message), err
    assert not PrintRecord.objects.exists()


def test_an_existing_output_is_never_overwritten(demo_plans: Any, tmp_path: Path) -> None:
    target = tmp_path / "pack.zip"
    target.write_bytes(b"keep")
    code, _, err = run("pack", "build", "--org", ORG, "--plan", "pacs-bcdr", "--output", str(target))
    assert code == 2 and "already exists" in err and target.read_bytes() == b"keep"


def test_an_uncontrolled_zip_records_nothing(demo_plans: Any, tmp_path: Path) -> None:
    target = tmp_path / "out" / "eye.zip"
    code, out, err = run(
        "pack", "build", "--org", "clearview-eyecare", "--plan", "eye-care-data", "--output", str(target)
    )
    assert code == 0, err
    assert out.strip() == str(target)
    with zipfile.ZipFile(target) as archive:
        names = sorted(n.split("/", 1)[1] for n in archive.namelist())
        manifest = json.loads(archive.read(next(n for n in archive.namelist() if n.endswith("manifest.json"))))
    assert names == ["eye-care-data-downtime-forms.pdf", "eye-care-data.html", "eye-care-data.pdf", "manifest.json"]
    assert manifest["copies"] == [] and manifest["plan"] == "eye-care-data"
    assert not PrintRecord.objects.exists()


def test_record_prints_numbered_copies_into_a_directory(demo_plans: Any, tmp_path: Path) -> None:
    target = tmp_path / "printed"
    code, out, err = run(
        "pack", "build", "--org", ORG, "--plan", "pacs-bcdr", "--record", "--copies", "2", "--output", str(target)
    )
    assert code == 0, err
    assert sorted(p.name for p in target.iterdir()) == [
        "manifest.json",
        "pacs-bcdr-copy-2-downtime-forms.pdf",
        "pacs-bcdr-copy-2.html",
        "pacs-bcdr-copy-2.pdf",
    ]
    record = PrintRecord.objects.get()
    assert (
        out.splitlines()[-1]
        == f"recorded: PACS business continuity and disaster recovery plan issue 3, copies 2 (register #{record.pk})"
    )
    assert record.via == "command line" and list(record.copies.values_list("copy_number", flat=True)) == [2]
    code, out, _ = run("pack", "register", "--org", ORG)
    assert code == 0
    assert "  Radiology services manager's office (copy 2): last printed " in out and ": current (issue 3)" in out
    assert "  IT service desk (copy 4): last printed never: no pack printed" in out


def test_the_reprint_period(demo_plans: Any) -> None:
    code, _, err = run("pack", "period", "--org", ORG, "--months", "0")
    assert code == 2 and err.startswith("error: --months: The period is a number of months from 1 to 24.")
    code, out, _ = run("pack", "period", "--org", ORG, "--months", "6")
    assert code == 0 and out.strip().endswith("reprints its contact lists every 6 month(s).")
    assert PrintPolicy.objects.get(organisation__slug=ORG).contact_list_months == 6


def test_worker_once_builds_queued_packs(demo_plans: Any) -> None:
    pacs = Plan.objects.get(organisation__slug=ORG, key="pacs-bcdr")
    jobs.request_print(plan=pacs, copies=[5], actor=None, via="test")
    code, out, err = run("worker", "--once", "--only", "packs")
    assert code == 0, err
    expected = (
        "fired 0 action(s), sent 0 message(s), moved on 0 call-out(s), built 1 pack(s), published 0 status page(s)"
    )
    assert out.strip() == expected
    record = PrintRecord.objects.get()
    assert list(record.copies.values_list("location", flat=True)) == ["Emergency planning and resilience office"]
    with zipfile.ZipFile(io.BytesIO(bytes(record.archive.data))) as archive:
        assert any(n.endswith("pacs-bcdr-copy-5.pdf") for n in archive.namelist())
