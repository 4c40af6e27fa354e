"""A draft plan from a Word document: read, mapped by labels, the rest kept as text with its place, validated."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner

from contingency.cli import main
from contingency.plans.draft import labels as L
from contingency.plans.draft import word
from contingency.plans.draft.mapping import NOT_STATED, Draft, map_source
from contingency.plans.draft.settle import settle
from contingency.plans.draft.source import Heading, Paragraph, Row, Source, Table
from contingency.plans.draft.word import DocumentRefused, read_docx
from contingency.plans.spec.written import AsWritten
from contingency.plans.validate import load_text

from .word_docs import numbered, pacs_plan, table, to_bytes

TODAY = date(2026, 12, 3)


@cache
def pacs_bytes() -> bytes:
    return pacs_plan()


def draft_of(raw: bytes, name: str = "plan.docx") -> Draft:
    return map_source(read_docx(raw, name), organisation_id="northwick-general", organisation_name="N", today=TODAY)


@cache
def pacs() -> Draft:
    return draft_of(pacs_bytes(), "pacs.docx")


def kept(found: Draft) -> dict[str, str]:
    """Leftovers by location: the text and why."""
    return {leftover.location: f"{leftover.text} ({leftover.reason})" for leftover in found.leftovers}


# ---------------------------------------------------------------- labels


def test_labels_match_synonyms_brackets_and_longer_labels() -> None:
    assert L.match("Recovery timeframe (RTO)", L.FUNCTION) == "rto"
    assert L.match("Responsibility:", L.FUNCTION) == "owner"
    assert L.match("Maximum Tolerable Period of Disruption", L.FUNCTION) == "mtpd"
    assert L.match("Telephone number (office)", L.CONTACT) == "landline"
    assert L.match("Colour", L.FUNCTION) is None
    assert L.is_one_of("4.2 Out of hours", L.OUT_OF_HOURS)
    assert not L.is_one_of("Out of hours contacts", L.OUT_OF_HOURS)


def test_dates_and_issues_are_read_the_british_way_and_never_guessed() -> None:
    assert L.parse_date("03/04/2025") == date(2025, 4, 3)
    assert L.parse_date("1st March 2025") == date(2025, 3, 1)
    assert L.parse_date("2025-03-01") == date(2025, 3, 1)
    assert L.parse_date("March 2025") is None
    assert [L.parse_issue(t) for t in ("3", "Issue 4", "v2", "2.0", "1.1", "draft", "0")] == [
        3,
        4,
        2,
        2,
        None,
        None,
        None,
    ]


# ---------------------------------------------------------------- reading


def test_reading_gives_headings_lists_and_tables_in_order() -> None:
    blocks = read_docx(pacs_bytes(), "pacs.docx").blocks
    assert blocks[0] == Heading("PACS Business Continuity Plan", 0, 1)
    steps = [b for b in blocks if isinstance(b, Paragraph) and b.numbered]
    assert [(s.text, s.list_level) for s in steps[:3]] == [
        ("Confirm PACS is down with a second workstation", 0),
        ("Ring the PACS manager", 0),
        ("Tell the wards", 1),
    ]
    tables = [b for b in blocks if isinstance(b, Table)]
    assert [t.number for t in tables] == [1, 2, 3, 4, 5, 6]
    merged = tables[3].rows[6]
    assert merged.across and merged.cells == ("See appendix B for modality consoles",)


def test_a_cell_merged_down_repeats_and_one_merged_across_is_read_once() -> None:
    document = docx.Document()
    table(
        document,
        [
            ["Team", "Name", "Phone"],
            ["Radiology", "Alex Morgan", "01632 960001"],
            ["", "Sam Lee", "01632 960002"],
            ["Out of hours: ring switchboard", "", ""],
        ],
    )
    grid = document.tables[0]
    grid.cell(1, 0).merge(grid.cell(2, 0))
    grid.cell(3, 0).merge(grid.cell(3, 2))
    rows = next(b for b in read_docx(to_bytes(document), "t.docx").blocks if isinstance(b, Table)).rows
    assert rows[2].grid[0] == "Radiology"
    assert rows[3] == Row(
        ("Out of hours: ring switchboard",), ("Out of hours: ring switchboard",) * 3, (True, False, False)
    )
    found = draft_of(to_bytes(document))
    assert [(p["name"], p.get("employer")) for p in found.data["people"]] == [
        ("Alex Morgan", "Radiology"),
        ("Sam Lee", "Radiology"),
    ]
    assert kept(found) == {"table 1, row 4": "Out of hours: ring switchboard (a sub-heading inside the table)"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Plan\nnot a Word file", r"^bad\.docx is not a Word document \(\.docx\)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, r"^bad\.docx is an old Word 97-2003 \(\.doc\) file"),
        (b"PK\x03\x04 damaged beyond repair", r"^bad\.docx is damaged"),
        (b"", r"^bad\.docx is not a Word document"),
    ],
)
def test_what_is_not_a_word_document_is_refused_naming_the_file(raw: bytes, expected: str) -> None:
    with pytest.raises(DocumentRefused, match=expected):
        read_docx(raw, "bad.docx")


def test_a_zip_without_a_document_a_truncated_one_and_a_huge_one_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    other = io.BytesIO()
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(DocumentRefused, match="holds no document text"):
        read_docx(other.getvalue(), "x.docx")
    with pytest.raises(DocumentRefused, match=r"^cut\.docx is damaged"):
        read_docx(pacs_bytes()[: len(pacs_bytes()) // 2], "cut.docx")
    with pytest.raises(DocumentRefused, match=r"^big\.docx is 10\.0 MB: a Word document may be at most 10 MB"):
        read_docx(b"PK" + b"\0" * word.MAX_BYTES, "big.docx")
    monkeypatch.setattr(word, "MAX_UNPACKED", 10_000)  # a small file that unpacks big: never unpacked
    with pytest.raises(DocumentRefused, match="unpacks to more than"):
        read_docx(pacs_bytes(), "bomb.docx")


def test_a_document_with_more_blocks_than_any_plan_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(word, "MAX_BLOCKS", 5)
    with pytest.raises(DocumentRefused, match="more than 5 paragraphs and tables"):
        read_docx(pacs_bytes(), "long.docx")


# ---------------------------------------------------------------- mapping


def test_document_control_and_record_of_changes_are_placed() -> None:
    data = pacs().data
    assert data["title"] == "PACS Business Continuity Plan"
    assert data["id"] == "pacs-business-continuity-plan"
    control = data["document"]
    assert {k: control[k] for k in ("number", "issue", "issueDate", "reviewDate", "owner", "originator")} == {
        "number": "BCP-RAD-004",
        "issue": 3,
        "issueDate": "2025-03-14",
        "reviewDate": "2026-03-14",
        "owner": "Head of Radiology",  # a post, kept as written
        "originator": "alex-morgan",  # a person of the contact table, by id
    }
    assert control["changes"] == [
        {"issue": 2, "date": "2024-02-01", "summary": "Annual review", "author": "alex-morgan"},
        {"issue": 3, "date": "2025-03-14", "summary": "Out-of-hours steps added", "author": "sam-lee"},
    ]
    assert pacs().filled == []


def test_contacts_become_people_with_typed_phones() -> None:
    people = {p["id"]: p for p in pacs().data["people"]}
    assert people["sam-lee"] == {
        "id": "sam-lee",
        "name": "Sam Lee",
        "jobTitle": "Senior radiographer",
        "phones": [{"kind": "extension", "number": "4321"}, {"kind": "mobile", "number": "07700 900102"}],
        "email": "sam.lee@example.org",
    }
    assert "email" not in people["jo-patel"]


def test_functions_from_label_tables_and_header_rows_keep_values_as_written() -> None:
    functions = {f["id"]: f for f in pacs().data["functions"]}
    assert functions["image-reporting"] == {
        "id": "image-reporting",
        "name": "Image reporting",
        "description": "Radiologists report images within agreed times",
        "owner": "jo-patel",
        "deputy": "alex-morgan",
        "rto": [{"scenario": "Recovery timeframe", "duration": "1-4 hours"}],
        "mtpd": "24 hours",
    }
    assert functions["image-viewing-on-wards"]["owner"] == "Head of Radiology"
    assert functions["image-transfer-to-other-trusts"]["rto"][0]["duration"] == "if prolonged"
    assert "deputy" not in functions["image-transfer-to-other-trusts"]  # an empty cell: nothing invented


def test_risks_scored_in_words_keep_the_words() -> None:
    risks = pacs().data["risks"]
    assert risks[1] == {
        "id": "network-outage-between-sites",
        "title": "Network outage between sites",
        "likelihood": "Possible",
        "consequence": "Moderate",
        "stated": {"rating": "Medium"},
        "response": {"summary": "Dual network links"},
    }


def test_headed_numbered_lists_become_one_procedure_with_in_and_out_of_hours_steps() -> None:
    (procedure,) = pacs().data["procedures"]
    assert procedure["title"] == "Response to PACS failure"
    assert [(s["text"], s.get("when")) for s in procedure["steps"]] == [
        ("Confirm PACS is down with a second workstation", "in-hours"),
        ("Ring the PACS manager", "in-hours"),
        ("Tell the wards", "in-hours"),
        ("Ring the on-call PACS engineer", "out-of-hours"),
        ("Print urgent reports", "out-of-hours"),
    ]
    assert pacs().data["scope"] == ["All radiology sites", "Emergency department image viewing"]
    assert pacs().data["aim"] == "To keep diagnostic imaging available when PACS fails."


def test_what_cannot_be_placed_is_kept_as_text_with_its_place_in_document_order() -> None:
    assert kept(pacs()) == {
        "paragraph 2, before the first heading": "OFFICIAL - for internal use (no heading says what it is)",
        "table 1, row 8, column 'Colour of the folder'": "Colour of the folder: Blue (no field of document control for this)",
        "table 2, row 3": "2.1 | 10/06/2024 | Sam Lee | New helpdesk number (a change needs a whole issue number)",
        "table 3, row 4, column 'Mobile'": "ask switchboard (not a phone number the plan format can hold)",
        "table 3, row 4, column 'E-mail'": "jo.patel at example (not one plain e-mail address)",
        "table 4, row 7": "See appendix B for modality consoles (a note across the table)",
        "table 4, row 8, column 'Notes'": "Notes: Reviewed with the clinical lead (no field of a critical function for this)",
        "paragraph 19, under heading 'Out of hours'": "The on-call radiographer leads. (a paragraph, not a step of a numbered list)",
        "paragraph 23, under heading '7. Appendix'": "Floor plans are held in the department office. (no field of the plan for this)",
    }


def test_the_draft_validates_with_words_kept_as_written() -> None:
    found = draft_of(pacs_bytes())
    document = settle(found)
    assert document.functions[0].rto[0].duration == AsWritten("1-4 hours")
    assert document.risks[0].likelihood == AsWritten("Unlikely")


def test_a_document_with_no_control_table_gets_each_required_value_filled_and_listed() -> None:
    document = docx.Document()
    document.add_heading("Procedure", level=1)
    numbered(document, "Ring the helpdesk")
    found = draft_of(to_bytes(document), "Eye clinic plan.docx")
    assert found.data["title"] == "Eye clinic plan"
    assert {f.field: f.value for f in found.filled} == {
        "title": "Eye clinic plan",
        "document.issueDate": "2026-12-03",
        "document.reviewDate": "2027-12-03",
        "document.owner": NOT_STATED,
    }
    assert settle(found).procedures[0].steps[0].text == "Ring the helpdesk"


def test_other_layouts_real_plans_use() -> None:
    document = docx.Document()
    table(document, [["Version", "Issue 2", "Date", "1st April 2025"], ["Owner", "Eye clinic manager", "Ref", "EC-7"]])
    document.add_heading("Objectives", level=1)
    numbered(document, "Keep urgent referrals moving", "Tell GPs within a day")
    document.add_heading("Contact list", level=1)
    table(
        document,
        [
            ["Contact name", "Job title", "Out of hours", "Bleep"],
            ["Ali Khan", "Clinic lead", "07700 900201", "1234"],
        ],
    )
    document.add_heading("Loss of the referral system", level=1)
    document.add_heading("Actions", level=2)
    document.add_paragraph("Use the paper referral form", style="List Bullet")
    found = draft_of(to_bytes(document), "eye.docx")
    control = found.data["document"]
    assert (control["issue"], control["issueDate"], control["owner"], control["number"]) == (
        2,
        "2025-04-01",
        "Eye clinic manager",
        "EC-7",
    )
    assert found.data["objectives"] == ["Keep urgent referrals moving", "Tell GPs within a day"]
    assert found.data["people"][0]["phones"] == [
        {"kind": "mobile", "number": "07700 900201", "when": "out-of-hours"},
        {"kind": "bleep", "number": "1234"},
    ]
    assert found.data["procedures"] == [
        {
            "id": "loss-of-the-referral-system-actions",
            "title": "Loss of the referral system: Actions",
            "steps": [{"text": "Use the paper referral form"}],
        }
    ]
    assert found.leftovers == []
    settle(found)


def test_a_heading_with_nothing_under_it_and_a_third_cell_are_kept() -> None:
    document = docx.Document()
    document.add_heading("Appendix C: floor plan", level=1)  # an image follows in a real plan
    document.add_heading("Critical functions", level=1)
    table(document, [["Critical function", "Triage"], ["Recovery timeframe", "2 hours", "agreed with the ICB"]])
    found = draft_of(to_bytes(document))
    assert found.data["functions"][0]["rto"] == [{"scenario": "Recovery timeframe", "duration": "2 hours"}]
    assert kept(found) == {
        "paragraph 1": "Appendix C: floor plan (a heading with no text or table under it)",
        "table 1, row 2": "agreed with the ICB (a third cell beside a label and its value)",
    }


def test_a_value_the_validator_refuses_is_moved_to_the_leftovers() -> None:
    source = Source(
        "r.docx",
        (
            Table(
                1,
                (
                    Row(("Risk", "Likelihood", "Impact"), ("Risk", "Likelihood", "Impact")),
                    Row(("Fire", "7", "3"), ("Fire", "7", "3")),
                    Row(("Flood", "3", "3"), ("Flood", "3", "3")),  # equal neighbours are two values
                ),
            ),
        ),
    )
    found = map_source(source, organisation_id="o", organisation_name="O", today=TODAY)
    document = settle(found)
    assert document.risks[0].likelihood is None and document.risks[0].consequence == 3
    assert (document.risks[1].likelihood, document.risks[1].consequence) == (3, 3)
    assert [str(x) for x in found.leftovers] == ["table 1, row 2: likelihood: 7 (a score is from 1 to 5, got 7)"]


# ---------------------------------------------------------------- command line


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_command_writes_valid_yaml_and_prints_the_report(tmp_path: Path) -> None:
    path = tmp_path / "pacs.docx"
    path.write_bytes(pacs_bytes())
    code, out, err = run("plan", "draft", str(path), "--organisation", "northwick-general", "--today", "2026-12-03")
    assert code == 0, err
    assert out.startswith("# Draft plan made from pacs.docx")
    assert "#   - table 3, row 4, column 'Mobile': ask switchboard" in out
    assert load_text(out)[0].id == "pacs-business-continuity-plan"
    assert "Kept as text, not placed (9)" in err
    assert "What to complete (the linter's findings):" in err
    assert "error FN002 function-without-deputy" in err
    target = tmp_path / "draft.yaml"
    code, out, err = run("plan", "draft", str(path), "-o", str(target))
    assert (code, out) == (0, "")
    assert load_text(target.read_text())[0].organisation.id == "organisation"
    assert "organisation.id: organisation (no --organisation given" in err
    assert f"{target}:" in err  # lint findings located in the written file


def test_the_command_refuses_a_bad_file_naming_it_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "minutes.docx"
    bad.write_bytes(b"PK\x03\x04 not really")
    target = tmp_path / "out.yaml"
    code, _, err = run("plan", "draft", str(bad), "-o", str(target))
    assert code == 2
    assert err.startswith("minutes.docx is damaged: it cannot be opened as a Word document\n")
    assert not target.exists()
    code, _, err = run("plan", "draft", str(tmp_path / "missing.docx"))
    assert code == 2 and "missing.docx" in err


def with_document_xml(raw: bytes, change: Callable[[str], str]) -> bytes:
    """The same .docx with its document.xml changed."""
    source = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = change(data.decode()).encode()
            target.writestr(item, data)
    return out.getvalue()


def test_an_entity_bomb_inside_the_document_is_refused_not_expanded() -> None:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))

    def bomb(xml: str) -> str:
        body = xml.split("?>", 1)[1].lstrip()
        head = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE w:document [<!ENTITY l0 "lol">{entities}]>'
        return head + body.replace("PACS Business Continuity Plan", "&l9;", 1)

    with pytest.raises(DocumentRefused, match=r"^bomb\.docx is damaged"):
        read_docx(with_document_xml(pacs_bytes(), bomb), "bomb.docx")
