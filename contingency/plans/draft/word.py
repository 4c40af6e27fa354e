"""Reading a .docx file into plain blocks (source.Source), refusing what is not a readable Word document.

The file is checked before python-docx opens it: its size, that it is a zip (an old .doc is not),
and the total size and count of what the zip holds, so a small file that unpacks to gigabytes (a
zip bomb) is refused before anything is unpacked. The XML parser python-docx uses resolves no
entities. A document with more blocks or cells than any plan has is refused rather than read on,
so memory and time stay bounded.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from .source import Block, Heading, Paragraph, Properties, Row, Source, Table

MAX_BYTES = 10 * 1024 * 1024  # Word files of real plans, images included, are well under this
MAX_UNPACKED = 64 * 1024 * 1024
MAX_MEMBERS = 2_000
MAX_BLOCKS = 10_000  # a 100-page plan has a few thousand
MAX_CELLS = 20_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97-2003 (.doc) and other old Office files
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^list\s+(number|bullet|paragraph)(?:\s*(\d))?$", re.IGNORECASE)
_TYPED_NUMBER = re.compile(r"^\s*(?:(\d{1,3})[.)]|([a-z])\)|\(([a-z])\))\s+(?=\S)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class DocumentRefused(Exception):
    """The file is not a Word document that can be read; the message names the file and says why."""


def check_container(raw: bytes, name: str) -> None:
    """Refuse, before unpacking anything, a file that is too big, not a .docx, or unpacks too big."""
    if len(raw) > MAX_BYTES:
        raise DocumentRefused(
            f"{name} is {len(raw) / 1024 / 1024:.1f} MB: a Word document may be at most {MAX_BYTES // 1024 // 1024} MB"
        )
    if raw.startswith(_OLE_MAGIC):
        raise DocumentRefused(
            f"{name} is an old Word 97-2003 (.doc) file: open it in Word and save it as a Word document (.docx)"
        )
    if not raw.startswith(b"PK"):
        raise DocumentRefused(f"{name} is not a Word document (.docx): choose the plan's .docx file")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentRefused(f"{name} is damaged: it cannot be opened as a Word document") from None
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
        raise DocumentRefused(f"{name} unpacks to more than {MAX_UNPACKED // 1024 // 1024} MB: it is not read")
    if "word/document.xml" not in {m.filename for m in members}:
        raise DocumentRefused(f"{name} is not a Word document (.docx): it holds no document text")


def read_docx(raw: bytes, name: str) -> Source:
    """The blocks of a .docx in document order; DocumentRefused when it cannot be read."""
    check_container(raw, name)
    import docx  # imported here: only this path needs it, and the CLI starts faster without it

    try:
        document = docx.Document(io.BytesIO(raw))
        return Source(name=name, blocks=tuple(_blocks(document, name)), properties=_properties(document))
    except DocumentRefused:
        raise
    except Exception as exc:  # python-docx raises many kinds (KeyError, ValueError, lxml errors) on damage
        raise DocumentRefused(
            f"{name} is damaged: it cannot be read as a Word document ({type(exc).__name__})"
        ) from None


def clean(text: str) -> str:
    """Text as it reads: control characters dropped, runs of spaces and tabs made one space."""
    text = _CONTROL.sub("", text.replace("\r", "\n"))
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _blocks(document: Any, name: str) -> list[Block]:
    from docx.table import Table as DocxTable

    formats = _list_formats(document)
    # Style names by id, read once: python-docx looks a paragraph's style up among all styles each time.
    styles = {str(style.style_id): str(style.name or "") for style in document.styles}
    found: list[Block] = []
    paragraphs = tables = cells = 0
    for item in document.iter_inner_content():
        if len(found) >= MAX_BLOCKS:
            raise DocumentRefused(f"{name} has more than {MAX_BLOCKS} paragraphs and tables: it is not read")
        if isinstance(item, DocxTable):
            tables += 1
            rows = _rows(item)
            cells += sum(len(row.grid) for row in rows)
            if cells > MAX_CELLS:
                raise DocumentRefused(f"{name} has more than {MAX_CELLS} table cells: it is not read")
            found.append(Table(tables, tuple(rows)))
            continue
        paragraphs += 1
        block = _paragraph(item, paragraphs, formats, styles)
        if block is not None:
            found.append(block)
    return found


def _paragraph(
    paragraph: Any, number: int, formats: dict[tuple[str, str], str], styles: dict[str, str]
) -> Block | None:
    p = paragraph._p
    text = clean(_text(p)).replace("\n", " ")
    if not text:
        return None
    style = styles.get(str(p.style), "") if p.style else ""
    if style.lower() == "title":
        return Heading(text, 0, number)
    if match := _HEADING_STYLE.match(style.strip()):
        return Heading(text, int(match.group(1)), number)
    properties = p.pPr
    outline = properties.find(f"{_W}outlineLvl") if properties is not None else None
    level_text = str(outline.get(f"{_W}val")) if outline is not None else ""
    if level_text.isdigit() and int(level_text) < 9:
        return Heading(text, int(level_text) + 1, number)
    num = properties.find(f"{_W}numPr") if properties is not None else None
    if num is not None:
        ilvl, num_id = num.find(f"{_W}ilvl"), num.find(f"{_W}numId")
        level_value = str(ilvl.get(f"{_W}val")) if ilvl is not None else "0"
        level = int(level_value) if level_value.isdigit() else 0
        if num_id is not None and str(num_id.get(f"{_W}val")) != "0":
            numbered = formats.get((str(num_id.get(f"{_W}val")), str(level)), "decimal") != "bullet"
            return Paragraph(text, number, level, numbered)
    if match := _LIST_STYLE.match(style.strip()):
        level = int(match.group(2)) - 1 if match.group(2) else 0
        return Paragraph(text, number, level, match.group(1).lower() == "number")
    if match := _TYPED_NUMBER.match(text):  # "1. Ring the helpdesk" typed by hand
        return Paragraph(text[match.end() :], number, 0 if match.group(1) else 1, True)
    return Paragraph(text, number)


_RUNS = {f"{_W}r"}
_HOLDERS = {f"{_W}hyperlink", f"{_W}ins", f"{_W}smartTag", f"{_W}fldSimple"}  # runs inside these are text too
_T, _TAB, _BREAKS = f"{_W}t", f"{_W}tab", {f"{_W}br", f"{_W}cr"}


def _text(p: Any) -> str:
    """A paragraph's text as Word shows it, read from its runs directly (python-docx's .text runs an
    XPath query per paragraph and run, which makes a long document slow to read)."""
    parts: list[str] = []
    for child in p.iterchildren():
        runs = [child] if child.tag in _RUNS else child.iterchildren(f"{_W}r") if child.tag in _HOLDERS else []
        for run in runs:
            for item in run.iterchildren():
                if item.tag == _T:
                    parts.append(item.text or "")
                elif item.tag == _TAB:
                    parts.append("\t")
                elif item.tag in _BREAKS:
                    parts.append("\n")
    return "".join(parts)


def _list_formats(document: Any) -> dict[tuple[str, str], str]:
    """(numId, level) -> number format ("decimal", "bullet", ...) from the document's numbering part."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract: dict[str, dict[str, str]] = {}
    for node in numbering.findall(f"{_W}abstractNum"):
        levels = {
            str(lvl.get(f"{_W}ilvl")): str(fmt.get(f"{_W}val"))
            for lvl in node.findall(f"{_W}lvl")
            if (fmt := lvl.find(f"{_W}numFmt")) is not None
        }
        abstract[str(node.get(f"{_W}abstractNumId"))] = levels
    formats: dict[tuple[str, str], str] = {}
    for num in numbering.findall(f"{_W}num"):
        ref = num.find(f"{_W}abstractNumId")
        if ref is not None:
            for level, fmt in abstract.get(str(ref.get(f"{_W}val")), {}).items():
                formats[(str(num.get(f"{_W}numId")), level)] = fmt
    return formats


def _rows(table: Any) -> list[Row]:
    rows: list[Row] = []
    for row in table.rows:
        grid: list[str] = []
        cells: list[str] = []
        starts: list[bool] = []
        last: Any = None
        for cell in row.cells:
            starts.append(cell._tc is not last)  # a cell merged across columns is given once per column
            if starts[-1]:
                cells.append(clean("\n".join(_text(p) for p in cell._tc.iterchildren(f"{_W}p"))))
            grid.append(cells[-1])
            last = cell._tc
        rows.append(Row(tuple(cells), tuple(grid), () if all(starts) else tuple(starts)))
    return rows


def _properties(document: Any) -> Properties:
    # Only the title: the author and dates are often a template's (python-docx's own template says
    # "python-docx", 2013), so they are no evidence of who owns the plan or when it was issued.
    return Properties(title=clean(document.core_properties.title or "").replace("\n", " "))
