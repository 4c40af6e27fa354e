"""Word documents built with python-docx the way real continuity plans are laid out, for the draft tests.

`pacs_plan()` is a fictional PACS plan: a title, a document control table of labels and values,
a record of changes, a contact table, a critical function as a two-column label table with a
merged cell, a functions table with a header row, a risk table scored in words, and headed
numbered lists for in hours and out of hours. Some of it the draft cannot place, on purpose.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import docx
from docx.document import Document


def table(document: Document, rows: Sequence[Sequence[str]]) -> None:
    """A table with these rows; a row shorter than the widest is padded with empty cells."""
    width = max(len(row) for row in rows)
    grid = document.add_table(rows=len(rows), cols=width)
    grid.style = "Table Grid"
    for row, texts in zip(grid.rows, rows, strict=True):
        for cell, text in zip(row.cells, texts, strict=False):  # row by row: table.cell() reads the whole table
            cell.text = text


def numbered(document: Document, *items: str, level: int = 0) -> None:
    for item in items:
        document.add_paragraph(item, style="List Number" if level == 0 else "List Number 2")


def to_bytes(document: Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pacs_plan() -> bytes:
    document = docx.Document()
    document.add_paragraph("PACS Business Continuity Plan", style="Title")
    document.add_paragraph("OFFICIAL - for internal use")  # before any heading: kept as text
    table(
        document,
        [
            ["Document reference", "BCP-RAD-004"],
            ["Version", "3"],
            ["Date of issue", "14/03/2025"],
            ["Next review date", "14 March 2026"],
            ["Plan owner", "Head of Radiology"],
            ["Author", "Alex Morgan"],
            ["Approved by", "Digital Governance Group"],
            ["Colour of the folder", "Blue"],  # no field: kept
        ],
    )
    document.add_heading("Record of changes", level=1)
    table(
        document,
        [
            ["Version", "Date", "Author", "Change"],
            ["2", "01/02/2024", "Alex Morgan", "Annual review"],
            ["2.1", "10/06/2024", "Sam Lee", "New helpdesk number"],  # not a whole issue: kept
            ["3", "14/03/2025", "Sam Lee", "Out-of-hours steps added"],
        ],
    )
    document.add_heading("1. Purpose", level=1)
    document.add_paragraph("To keep diagnostic imaging available when PACS fails.")
    document.add_heading("2. Scope", level=1)
    document.add_paragraph("All radiology sites", style="List Bullet")
    document.add_paragraph("Emergency department image viewing", style="List Bullet")
    document.add_heading("3. Contacts", level=1)
    table(
        document,
        [
            ["Name", "Role", "Phone", "Mobile", "E-mail"],
            ["Alex Morgan", "PACS manager", "01632 960001", "07700 900101", "alex.morgan@example.org"],
            ["Sam Lee", "Senior radiographer", "Ext 4321", "07700 900102", "sam.lee@example.org"],
            ["Jo Patel", "Head of Radiology", "01632 960003", "ask switchboard", "jo.patel at example"],
        ],
    )
    document.add_heading("4. Critical functions", level=1)
    table(
        document,
        [
            ["Critical function", "Image reporting"],
            ["Description", "Radiologists report images within agreed times"],
            ["Responsibility", "Jo Patel"],
            ["Deputy", "Alex Morgan"],
            ["Recovery timeframe", "1-4 hours"],
            ["Maximum tolerable period of disruption", "24 hours"],
            ["Workaround", "Report from the modality console"],  # no field of a function: kept
            ["Notes", "Reviewed with the clinical lead"],  # a label no synonym knows: kept
        ],
    )
    grid = document.tables[-1]
    merged = grid.cell(6, 0).merge(grid.cell(6, 1))  # a merged row: a note across the table
    merged.text = "See appendix B for modality consoles"
    document.add_paragraph("")
    table(
        document,
        [
            ["Critical function", "Responsibility", "Deputy", "Recovery timeframe"],
            ["Image viewing on wards", "Head of Radiology", "Sam Lee", "4 hours"],
            ["Image transfer to other trusts", "PACS manager", "", "if prolonged"],
        ],
    )
    document.add_heading("5. Risks", level=1)
    table(
        document,
        [
            ["Risk", "Likelihood", "Impact", "Score", "Mitigation"],
            ["PACS server hardware failure", "Unlikely", "Major", "8", "Second server at the other site"],
            ["Network outage between sites", "Possible", "Moderate", "Medium", "Dual network links"],
        ],
    )
    document.add_heading("6. Response to PACS failure", level=1)
    document.add_heading("In hours", level=2)
    numbered(document, "Confirm PACS is down with a second workstation", "Ring the PACS manager")
    document.add_paragraph("Tell the wards", style="List Number 2")
    document.add_heading("Out of hours", level=2)
    document.add_paragraph("The on-call radiographer leads.")  # a paragraph, not a step: kept
    numbered(document, "Ring the on-call PACS engineer", "Print urgent reports")
    document.add_heading("7. Appendix", level=1)
    document.add_paragraph("Floor plans are held in the department office.")
    return to_bytes(document)
