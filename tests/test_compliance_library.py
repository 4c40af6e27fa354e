"""Framework libraries in CISO Assistant's format: the shipped ones read, export and import round trip, and bad
library files refused with their file, line and field, nothing kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile

from contingency.cli import main
from contingency.compliance import library
from contingency.compliance.library import LibraryInvalid, builtin, dump, parse
from contingency.compliance.models import ImportedLibrary
from contingency.core.models import AuditEntry
from tests.web import HOME_ORG, MemberFactory

ORG = HOME_ORG

CUSTOM = """\
urn: urn:example:bcm:library:supplier-checks
locale: en
ref_id: SUP
name: Supplier checks
description: Our own checklist.
version: 2
objects:
  framework:
    urn: urn:example:bcm:framework:supplier-checks
    ref_id: SUP
    name: Supplier checks
    requirement_nodes:
    - urn: urn:example:bcm:req_node:supplier-checks:1
      assessable: false
      depth: 1
      ref_id: '1'
      name: Suppliers
    - urn: urn:example:bcm:req_node:supplier-checks:1.1
      assessable: true
      depth: 2
      parent_urn: urn:example:bcm:req_node:supplier-checks:1
      ref_id: '1.1'
      name: Continuity statement from each supplier
      contingency_evidence:
      - rule: manual
        months: 12
    - urn: urn:example:bcm:req_node:supplier-checks:1.2
      assessable: true
      depth: 2
      parent_urn: urn:example:bcm:req_node:supplier-checks:1
      ref_id: '1.2'
      name: Plans in date
      contingency_evidence:
      - rule: plan-in-date
"""


def test_the_shipped_frameworks_are_read_with_their_clauses() -> None:
    frameworks = {f.key: f for f in builtin()}
    assert set(frameworks) == {"iso-22301-2019", "nhs-eprr-bc", "dspt-continuity"}
    iso = frameworks["iso-22301-2019"]
    headings = [r.ref_id for r in iso.requirements if not r.assessable]
    assert headings == ["4", "5", "6", "7", "8", "9", "10"]
    assert {"8.2", "8.5", "9.3", "10.1"} <= {r.ref_id for r in iso.assessable}
    assert all(r.rules for r in iso.assessable)  # every requirement says what evidence it takes


def test_export_and_import_round_trip() -> None:
    for framework in builtin():
        again = parse(dump(framework), "exported.yaml", builtin=True)
        assert again == framework
    custom = parse(CUSTOM, "custom.yaml")
    assert parse(dump(custom), "again.yaml") == custom
    assert custom.key == "supplier-checks" and len(custom.assessable) == 2


def bad(text: str) -> list[str]:
    with pytest.raises(LibraryInvalid) as raised:
        parse(text, "bad.yaml")
    return raised.value.messages


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("      - rule: plan-in-date\n", "      - rule: plan-in-data\n"),
            "bad.yaml:34:9: objects.framework.requirement_nodes[2].contingency_evidence[0].rule: unknown rule 'plan-in-data'",
        ),
        (
            ("        months: 12\n", "        months: many\n"),
            "requirement_nodes[1].contingency_evidence[0].months: months must be a whole number",
        ),
        (
            ("urn: urn:example:bcm:library:supplier-checks\n", "urn: not a urn\n"),
            "bad.yaml:1:1: urn: urn 'not a urn' is not a URN",
        ),
        (
            (
                "      assessable: true\n      depth: 2\n      parent_urn: urn:example:bcm:req_node:supplier-checks:1\n      ref_id: '1.2'",
                "      assessable: yes please\n      depth: 2\n      parent_urn: urn:example:bcm:req_node:supplier-checks:1\n      ref_id: '1.2'",
            ),
            "requirement_nodes[2].assessable: assessable must be true or false",
        ),
        (
            (
                "    - urn: urn:example:bcm:req_node:supplier-checks:1.2\n",
                "    - urn: urn:example:bcm:req_node:supplier-checks:1.1\n",
            ),
            "is used by an earlier node",
        ),
        (
            (
                "      parent_urn: urn:example:bcm:req_node:supplier-checks:1\n      ref_id: '1.1'",
                "      parent_urn: urn:example:bcm:req_node:supplier-checks:9\n      ref_id: '1.1'",
            ),
            "parent_urn 'urn:example:bcm:req_node:supplier-checks:9' is not an earlier node",
        ),
        (("name: Supplier checks\ndescription", "description"), "name: name is required"),
    ],
)
def test_bad_library_files_are_refused_with_file_line_and_field(change: tuple[str, str], expected: str) -> None:
    assert change[0] in CUSTOM
    messages = bad(CUSTOM.replace(*change))
    assert any(expected in message for message in messages), messages


def test_hostile_and_empty_files_are_refused() -> None:
    assert any("aliases" in m or "anchors" in m for m in bad("a: &x [1]\nb: *x\n"))
    assert any("malformed YAML" in m for m in bad("urn: [unclosed\n"))
    assert any("a library must be a mapping" in m for m in bad("- just a list\n"))
    assert any("nested more than" in m for m in bad("a: " + "[" * 50 + "]" * 50 + "\n"))
    assert any(
        "requirement_nodes must be a list" in m
        for m in bad(CUSTOM.split("    requirement_nodes:")[0] + "    requirement_nodes: 3\n")
    )
    no_assessable = CUSTOM.replace("assessable: true", "assessable: false")
    assert any("no requirement is assessable" in m for m in bad(no_assessable))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.django_db
def test_the_command_line_exports_and_imports(demo_plans: list[Any], tmp_path: Path) -> None:
    code, out, _ = run("compliance", "export", "--org", ORG, "--framework", "nhs-eprr-bc")
    assert code == 0 and parse(out, "out.yaml", builtin=True) == next(f for f in builtin() if f.key == "nhs-eprr-bc")
    source = tmp_path / "supplier-checks.yaml"
    source.write_text(CUSTOM, encoding="utf-8")
    code, out, err = run("compliance", "import", str(source), "--org", ORG)
    assert code == 0, err
    assert "Imported Supplier checks as supplier-checks" in out
    assert AuditEntry.objects.filter(object_type="compliance-library", verb="create").count() == 1
    target = tmp_path / "again.yaml"
    code, _, _ = run("compliance", "export", "--org", ORG, "--framework", "supplier-checks", "--output", str(target))
    assert code == 0 and parse(target.read_text(), "again.yaml") == parse(CUSTOM, "x.yaml")
    code, out, _ = run("compliance", "status", "--org", ORG, "--on", "2026-12-01")
    assert code == 0 and "Supplier checks on 2026-12-01: 1 met, 0 partly met, 1 not met" in out


@pytest.mark.django_db
def test_the_command_line_refuses_bad_libraries_and_keeps_nothing(demo_plans: list[Any], tmp_path: Path) -> None:
    source = tmp_path / "bad.yaml"
    source.write_text(CUSTOM.replace("rule: plan-in-date", "rule: whatever"), encoding="utf-8")
    code, _, err = run("compliance", "import", str(source), "--org", ORG)
    assert code == 2
    assert (
        "error: FILE: bad.yaml:34:9: objects.framework.requirement_nodes[2].contingency_evidence[0].rule: unknown rule 'whatever'"
        in err
    )
    shipped = tmp_path / "iso.yaml"
    shipped.write_text(dump(builtin()[0]), encoding="utf-8")
    code, _, err = run("compliance", "import", str(shipped), "--org", ORG)
    assert code == 2 and "is a framework shipped with Contingency" in err
    reserved = tmp_path / "pack.yaml"
    reserved.write_text(CUSTOM.replace("library:supplier-checks", "library:pack"), encoding="utf-8")
    code, _, err = run("compliance", "import", str(reserved), "--org", ORG)
    assert code == 2 and "may not end in 'pack'" in err
    assert run("compliance", "export", "--org", ORG, "--framework", "nope")[2].startswith(
        "error: --framework: No framework 'nope'"
    )
    assert not ImportedLibrary.objects.exists()
    assert not AuditEntry.objects.filter(object_type="compliance-library").exists()


@pytest.mark.django_db
def test_editors_import_a_library_on_the_page_and_anyone_downloads_it(
    member: MemberFactory, demo_plans: list[Any]
) -> None:
    base = f"/o/{ORG}/compliance/"
    upload = SimpleUploadedFile("supplier-checks.yaml", CUSTOM.encode())
    response = member("editor").post(f"{base}import/", {"file": upload}, follow=True)
    assert "Framework imported: Supplier checks." in response.content.decode()
    again = SimpleUploadedFile(
        "supplier-checks.yaml", CUSTOM.replace("name: Supplier checks\ndesc", "name: Supplier checks v2\ndesc").encode()
    )
    member("administrator").post(f"{base}import/", {"file": again})
    assert ImportedLibrary.objects.get().name == "Supplier checks v2"  # the same urn replaces the earlier import
    exported = member("viewer").get(f"{base}supplier-checks/library.yaml")
    assert exported.status_code == 200 and "urn:example:bcm:library:supplier-checks" in exported.content.decode()
    broken = SimpleUploadedFile("broken.yaml", b"urn: [unclosed\n")
    page = member("editor").post(f"{base}import/", {"file": broken}, follow=True).content.decode()
    assert "broken.yaml:" in page and "malformed YAML" in page
    assert ImportedLibrary.objects.count() == 1


def test_the_library_format_keys_match_ciso_assistant() -> None:
    data = library.to_data(builtin()[0])
    assert {"urn", "ref_id", "name", "objects"} <= set(data)
    node = data["objects"]["framework"]["requirement_nodes"][1]
    assert {"urn", "ref_id", "name", "depth", "assessable", "parent_urn"} <= set(node)
