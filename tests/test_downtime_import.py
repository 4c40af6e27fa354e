"""Bulk upload of downtime records from CSV and XLSX: the whole file or nothing, every bad row located."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import Workbook

from contingency.downtime import importing
from contingency.downtime import services as downtime
from contingency.downtime.models import DowntimeRecord
from contingency.incidents.models import EventKind, Incident
from contingency.incidents.snapshot import calendar_of

from .downtime_support import dtid, exam, id_range, nhs, pacs_incident, wall

pytestmark = pytest.mark.usefixtures("demo_plans")
COLUMNS = ["downtime-id", "hospital-number", "nhs-number", "accession-number", "done-at", "modality", "images"]


def csv_of(rows: list[list[str]], header: list[str] = COLUMNS) -> bytes:
    return "\n".join(",".join(cells) for cells in [header, *rows]).encode()


def rows_for(incident: Incident, numbers: range) -> list[list[str]]:
    return [[str(exam(incident, n).get(c, "")) for c in COLUMNS] for n in numbers]


def refused(incident: Incident, name: str, data: bytes, kind: str | None = "examination") -> list[str]:
    before = DowntimeRecord.objects.count()
    with pytest.raises(importing.ImportRefused) as raised:
        importing.import_file(incident=incident, name=name, data=data, kind=kind, actor=None)
    assert DowntimeRecord.objects.count() == before
    return [str(p) for p in raised.value.located]


@pytest.fixture
def incident() -> Incident:
    found = pacs_incident(hours_ago=8)
    id_range()
    return found


def test_a_good_csv_is_imported_whole(incident: Incident) -> None:
    made = importing.import_file(
        incident=incident, name="log.csv", data=csv_of(rows_for(incident, range(1, 21))), kind="examination", actor=None
    )
    assert [r.number for r in made] == list(range(1, 21))
    assert DowntimeRecord.objects.filter(incident=incident, recorded_via="upload: log.csv").count() == 20
    assert incident.timeline.filter(kind=EventKind.DOWNTIME, text__startswith="20 downtime record(s) imported").exists()


def test_labels_as_headings_and_a_kind_column(incident: Incident) -> None:
    header = ["Kind", "Downtime id", "Hospital number", "Accession number", "Examined at", "Modality"]
    row = exam(incident, 1)
    data = csv_of(
        [["examination", row["downtime-id"], row["hospital-number"], row["accession-number"], row["done-at"], "MR"]],
        header,
    )
    [made] = importing.import_file(incident=incident, name="mixed.csv", data=data, actor=None)
    assert made.kind_key == "examination" and made.modality == "MR"


def test_every_bad_row_is_reported_with_file_row_and_column(incident: Incident) -> None:
    downtime.record(incident=incident, kind="examination", values=exam(incident, 50), actor=None)
    rows = rows_for(incident, range(1, 6))
    rows[0][2] = nhs(1)[:-1] + str((int(nhs(1)[-1]) + 1) % 10)  # row 2: bad check digit
    rows[1][0] = "CT-005000-X"  # row 3: mistyped (or unknown) ID
    rows[2][3] = rows[1][3]  # row 4: the accession number of row 3
    rows[3][0] = dtid(50)  # row 5: an ID already used in the database
    rows[4][4] = wall(incident, incident.began_at - timedelta(days=1))  # row 6: before the downtime
    found = refused(incident, "log.csv", csv_of(rows))
    assert (
        found[0]
        == "log.csv:2:3: nhs-number: '"
        + rows[0][2]
        + "' is not a valid NHS number: its check digit does not match (a digit mistyped, or two swapped?)"
    )
    assert found[1].startswith("log.csv:3:1: downtime-id: 'CT-005000-X' is not a valid downtime ID")
    assert found[2] == "log.csv:4:4: accession-number: accession number ACC5002 is also in row 3"
    assert found[3].startswith(
        f"log.csv:5:1: downtime-id: downtime ID {dtid(50).replace('-', '')} is already used by record 1"
    )
    assert found[4].startswith("log.csv:6:5: done-at: ") and "is outside the downtime" in found[4]
    assert len(found) == 5


def test_an_unknown_id_and_a_duplicate_in_the_database(incident: Incident) -> None:
    downtime.record(incident=incident, kind="examination", values=exam(incident, 9), actor=None)
    rows = rows_for(incident, range(1, 3))
    rows[0][0] = dtid(5000)
    rows[1][3] = "ACC5009"
    found = refused(incident, "log.csv", csv_of(rows))
    assert "is not in any range of downtime IDs" in found[0] and found[0].startswith("log.csv:2:1: downtime-id:")
    assert found[1] == "log.csv:3:4: accession-number: accession number ACC5009 is already recorded as record 1"


def test_wrong_columns(incident: Incident) -> None:
    header = ["downtime-id", "hospital-number", "accesion-number", "done-at", "modality", "downtime-id"]
    found = refused(incident, "log.csv", csv_of([["x"] * 6], header))
    assert any(
        p.startswith("log.csv:1:3: columns: unknown column 'accesion-number': the columns are downtime-id")
        for p in found
    )
    assert "log.csv:1:6: columns: column 'downtime-id' repeats column 1" in found
    assert "log.csv:1:0: columns: no column 'accession-number': Examination done during downtime requires it" in found
    assert refused(incident, "log.csv", csv_of([["x"] * 5], COLUMNS[:5]), kind=None) == [
        "log.csv:1:0: kind: say which kind of record the file holds, or add a 'kind' column"
    ]


def test_wrong_encoding_is_located(incident: Incident) -> None:
    data = csv_of(rows_for(incident, range(1, 3))) + "\nCT,H1,é".encode("latin-1")
    assert refused(incident, "log.csv", data) == [
        "log.csv:4:7: encoding: is not UTF-8 text: save the file as CSV UTF-8"
    ]


def test_too_big_too_many_rows_and_not_a_spreadsheet(incident: Incident, monkeypatch: pytest.MonkeyPatch) -> None:
    assert refused(incident, "log.csv", b"x" * (importing.MAX_BYTES + 1)) == [
        "log.csv:0:0: file: is 10.0 MB: upload at most 10 MB"
    ]
    monkeypatch.setattr(importing, "MAX_ROWS", 3)
    assert refused(incident, "log.csv", csv_of(rows_for(incident, range(1, 6)))) == [
        "log.csv:5:0: file: has more than 3 records: split it into smaller files"
    ]
    assert refused(incident, "log.pdf", b"%PDF") == ["log.pdf:0:0: file: is neither a .csv nor an .xlsx file"]
    assert refused(incident, "log.xlsx", b"not a zip")[0].startswith("log.xlsx:0:0: file: is not an XLSX workbook")


def xlsx(rows: list[list[Any]], header: list[str] = COLUMNS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_with_real_dates_and_numbers(incident: Incident) -> None:
    local = incident.began_at.astimezone(calendar_of(incident).zone)
    rows: list[list[Any]] = []
    for n in range(1, 4):
        row = exam(incident, n)
        moment = (local + timedelta(minutes=10 * n)).replace(tzinfo=None, second=0, microsecond=0)
        rows.append(
            [
                row["downtime-id"],
                row["hospital-number"],
                int(row["nhs-number"]),
                row["accession-number"],
                moment,
                "CT",
                120,
            ]
        )
    made = importing.import_file(incident=incident, name="log.xlsx", data=xlsx(rows), kind="examination", actor=None)
    assert [r.expected_instances for r in made] == [120, 120, 120]
    assert made[0].nhs_number == nhs(1)


def test_formulas_are_refused(incident: Incident) -> None:
    rows: list[list[Any]] = [[dtid(1), "H1", nhs(1), "ACC1", wall(incident, incident.began_at), "CT", "=10*12"]]
    assert refused(incident, "log.xlsx", xlsx(rows)) == ["log.xlsx:2:7: cell: holds a formula: paste the values only"]
    found = refused(
        incident, "log.csv", csv_of([[dtid(1), "H1", nhs(1), "ACC1", wall(incident, incident.began_at), "CT", "=1+1"]])
    )
    assert "log.csv:2:7: images: holds a formula: paste the values only" in found


def test_an_upload_over_the_api_is_refused_whole_or_imported(incident: Incident, api_as: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_as("responder")
    url = f"/api/v1/organisations/{incident.organisation.slug}/incidents/{incident.number}/downtime/import"
    rows = rows_for(incident, range(1, 4))
    rows[2][2] = "123"
    bad = client.post(url, {"file": SimpleUploadedFile("log.csv", csv_of(rows)), "kind": "examination"})
    assert bad.status_code == 422
    assert [e["message"] for e in bad.json()["errors"]] == [
        "log.csv:4:3: nhs-number: '123' is not an NHS number: expected 10 digits, e.g. 943 476 5919"
    ]
    assert DowntimeRecord.objects.filter(incident=incident).count() == 0
    good = client.post(url, {"file": SimpleUploadedFile("log.csv", csv_of(rows[:2])), "kind": "examination"})
    assert good.status_code == 201 and good.json() == {"imported": 2, "first": 1, "last": 2}
    assert api_as("viewer").post(url, {"file": SimpleUploadedFile("log.csv", csv_of(rows[:2]))}).status_code == 403
