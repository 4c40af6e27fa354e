"""Expected studies from a CSV typed up from the paper log: every bad row located, nothing returned unless all good."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contingency.downtime.archive.csvinput import CsvError, read_expected

LONDON = ZoneInfo("Europe/London")


def test_a_good_file(tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text(
        "Record ID,Accession Number,Patient ID,Expected Instances,Done At\n"
        "DT-0001,NWG1,RX1,3,2026-03-02T08:15\n"
        "\n"
        "DT-0002,NWG2,RX2,,2026-03-02T09:00+00:00\n",
        encoding="utf-8-sig",
    )
    studies = read_expected(path, zone=LONDON)
    assert [(s.record_id, s.expected_instances, s.source) for s in studies] == [
        ("DT-0001", 3, "log.csv:2"),
        ("DT-0002", None, "log.csv:4"),
    ]
    assert studies[0].done_at is not None and studies[0].done_at.tzinfo == LONDON


def test_every_bad_row_is_located(tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text(
        "record_id,accession_number,patient_id,expected_instances,done_at\n"
        "DT-1,NWG1,RX1,three,2026-03-02T08:15\n"
        "DT-1,NWG2,RX2,1,yesterday\n"
        ',,=HYPERLINK("x"),1,\n'
    )
    with pytest.raises(CsvError) as caught:
        read_expected(path, zone=LONDON)
    assert caught.value.problems == [
        "log.csv:2:4: expected_instances: 'three' is not a whole number",
        "log.csv:3:1: record_id: 'DT-1' is also on row 2",
        "log.csv:3:5: done_at: 'yesterday' is not a date and time such as 2026-03-02T08:15",
        "log.csv:4:1: record_id: empty",
        "log.csv:4:3: patient_id: '=HYPERLINK(\"x\")' looks like a spreadsheet formula, not a value",
        "log.csv:4:2: accession_number: empty; an accession number or a study UID is needed to find the study",
    ]


def test_wrong_columns_and_wrong_encoding(tmp_path: Path):
    path = tmp_path / "log.csv"
    path.write_text("id,when\nDT-1,today\n")
    with pytest.raises(CsvError) as caught:
        read_expected(path, zone=LONDON)
    assert caught.value.problems == [
        "log.csv:1:1: id: unknown column",
        "log.csv:1:2: when: unknown column",
        "log.csv:1: record_id: the column is missing",
        "log.csv:1: accession_number: give accession_number or study_uid (or both)",
    ]
    path.write_bytes("record_id,accession_number\nDT-1,Gr\xfcn\n".encode("latin-1"))
    with pytest.raises(CsvError, match=r"log.csv: not UTF-8 text \(byte 34\)"):
        read_expected(path, zone=LONDON)
