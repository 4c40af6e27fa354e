"""Mapping a Word document's blocks to plan data by their labels (pure; no database).

What the document says is placed where the plan format has a field for it, as written (a
recovery time of "1-4 hours" stays words, see spec/written.py); nothing is invented. What has no
field, or a value the field cannot hold, is kept as a `Leftover` with its place in the document.
The few values the format requires and the document did not give are `Filled` and listed, so the
lead sees each one. `settle.settle` then validates the data, moving any value the validator refuses to the
leftovers, so a draft always validates.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contingency.lib.durations import Duration, DurationError, Unit
from contingency.lib.hrefs import is_email

from ..spec.plan import API_VERSION
from ..spec.types import ID_PATTERN
from . import labels as L
from .source import Heading, Paragraph, Row, Source, Table

NOT_STATED = "Not stated in the document"
_ID = re.compile(ID_PATTERN)
_PHONE = re.compile(r"(?:(ext|extension|x)\.?\s*)?([0-9+][0-9 ()#*+-]{1,30})", re.IGNORECASE)
_PHONE_LABEL = re.compile(r"^(?:tel|telephone|phone|mob|mobile|m|t|office|bleep|pager)\s*[:.]?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Leftover:
    """Text the draft could not place, with where it is in the document and why it was not placed."""

    location: str
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.text} ({self.reason})"


@dataclass(frozen=True)
class Filled:
    """A value the format requires that the document did not give: what was put there instead."""

    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.value} ({self.reason})"


@dataclass
class Draft:
    data: dict[str, Any]
    leftovers: list[Leftover] = field(default_factory=list)
    filled: list[Filled] = field(default_factory=list)
    placed: Counter[str] = field(default_factory=Counter)
    origins: dict[int, str] = field(default_factory=dict)  # id() of a placed mapping -> its location


@dataclass(frozen=True)
class Column:
    key: str | None
    label: str


def _location(table: Table, row: int | None = None, label: str | None = None) -> str:
    where = f"table {table.number}"
    if row is not None:
        where += f", row {row}"
    if label:
        where += f", column '{label}'"
    return where


class _Mapper:
    def __init__(self, source: Source, today: date) -> None:
        self.source = source
        self.today = today
        self.ids: set[str] = set()
        self.leftovers: list[tuple[int, int, Leftover]] = []  # (block, row) for document order
        self.filled: list[Filled] = []
        self.origins: dict[int, str] = {}
        self.document: dict[str, Any] = {}
        self.title: str | None = None
        self.text: dict[str, Any] = {"aim": [], "objectives": [], "scope": [], "audience": []}
        self.people: list[dict[str, Any]] = []
        self.by_name: dict[str, dict[str, Any]] = {}
        self.functions: list[dict[str, Any]] = []
        self.risks: list[dict[str, Any]] = []
        self.changes: list[dict[str, Any]] = []
        self.procedures: dict[int, dict[str, Any]] = {}  # by the block index of the heading that names it
        self.deputies: list[tuple[dict[str, Any], str, str]] = []
        self.block = 0

    # ------------------------------------------------------------ helpers

    def keep(self, location: str, text: str, reason: str, row: int = 0) -> None:
        if text.strip():
            self.leftovers.append((self.block, row, Leftover(location, text.replace("\n", " / "), reason)))

    def new_id(self, text: str, fallback: str) -> str:
        base = L.slug(text, fallback)
        if not base[0].isalnum():
            base = f"{fallback}-{base}".strip("-")
        candidate, n = base, 1
        while candidate in self.ids:
            n += 1
            candidate = f"{base}-{n}"
        self.ids.add(candidate)
        return candidate

    def who(self, text: str) -> str | None:
        """A person's id when the contacts name them, else the name as written; None if it would read as an id."""
        found = self.by_name.get(text.casefold())
        if found:
            return str(found["id"])
        return None if _ID.match(text) else text

    def person_id(self, text: str) -> str | None:
        found = self.by_name.get(text.casefold())
        return str(found["id"]) if found else None

    # ------------------------------------------------------------ tables

    def classify(self, table: Table) -> tuple[str, int] | None:
        """(kind, index of the header row) for a table with a header row; ("document"/"function", -1) for labels."""
        best: tuple[int, str, int] | None = None
        for index, row in enumerate(table.rows[:3]):
            if row.across or row.empty:
                continue
            for kind, synonyms, required, wanted in _GRID_KINDS:
                keys = {L.match(cell, synonyms) for cell in row.grid} - {None}
                if required <= keys and keys & wanted and (best is None or len(keys) > best[0]):
                    best = (len(keys), kind, index)
            break  # only the first row with text can be a header
        pairs = [row.cells for row in table.rows if len(row.cells) >= 2]
        function_labels = [L.match(cells[0], L.FUNCTION) for cells in pairs]
        document_labels = [L.match(cells[0], L.DOCUMENT) for cells in pairs]
        labelled = None
        if "name" in function_labels and sum(1 for k in function_labels if k) >= 2:
            labelled = (sum(1 for k in function_labels if k), "function")
        elif sum(1 for k in document_labels if k) >= 2:
            labelled = (sum(1 for k in document_labels if k), "document")
        if labelled and (best is None or labelled[0] > best[0]):
            return labelled[1], -1
        return (best[1], best[2]) if best else None

    def columns(self, row: Row, synonyms: dict[str, tuple[str, ...]]) -> list[Column]:
        return [Column(L.match(cell, synonyms), cell) for cell in row.grid]

    def records(
        self, table: Table, header: int, synonyms: dict[str, tuple[str, ...]]
    ) -> list[tuple[int, list[tuple[Column, str]]]]:
        """Each row under the header as (row number, [(column, text)]); a sub-heading row spanning the table is kept."""
        columns = self.columns(table.rows[header], synonyms)
        for number, row in enumerate(table.rows[:header], start=1):
            self.keep(_location(table, number), " | ".join(row.cells), "a row above the table's header", number)
        found = []
        for number, row in enumerate(table.rows[header + 1 :], start=header + 2):
            if row.empty:
                continue
            if row.across:
                self.keep(_location(table, number), row.cells[0], "a sub-heading inside the table", number)
                continue
            # A cell merged across columns is read once, under its first column.
            once = [(columns[i], text) for i, text in enumerate(row.grid[: len(columns)]) if row.starts_cell(i)]
            found.append((number, once))
        return found

    def contacts(self, table: Table, header: int) -> None:
        for number, values in self.records(table, header, L.CONTACT):
            name = next((text for column, text in values if column.key == "name" and text), "")
            where = _location(table, number)
            if not name:
                self.keep(where, " | ".join(text for _, text in values), "a contact row with no name", number)
                continue
            person = self.by_name.get(name.casefold())
            if person is None:
                person = {"id": self.new_id(name, "person"), "name": name}
                self.people.append(person)
                self.by_name[name.casefold()] = person
                self.origins[id(person)] = where
            for column, text in values:
                if not text or column.key == "name":
                    continue
                cell = _location(table, number, column.label)
                if column.key in ("jobTitle", "employer"):
                    if person.setdefault(column.key, text) != text:
                        self.keep(cell, text, f"{name} is given another {column.label.lower()} elsewhere", number)
                elif column.key == "email":
                    if is_email(text) and "email" not in person:
                        person["email"] = text
                    else:
                        self.keep(cell, text, "not one plain e-mail address", number)
                elif column.key in _PHONE_KINDS:
                    phones = _phones(text, column.key)
                    if phones is None:
                        self.keep(cell, text, "not a phone number the plan format can hold", number)
                    else:
                        person.setdefault("phones", []).extend(p for p in phones if p not in person.get("phones", []))
                elif column.key == "deputy":
                    self.deputies.append((person, text, cell))
                else:
                    self.keep(cell, f"{column.label}: {text}", "no field for this column", number)

    def functions_grid(self, table: Table, header: int) -> None:
        for number, values in self.records(table, header, L.FUNCTION):
            self.function(table, [(c.key, c.label, t, number) for c, t in values])

    def functions_labelled(self, table: Table) -> None:
        pairs: list[tuple[str | None, str, str, int]] = []
        for number, row in enumerate(table.rows, start=1):
            if row.empty:
                continue
            if len(row.cells) < 2:
                reason = "a note across the table" if row.across else "a row with a label but no value"
                self.keep(_location(table, number), row.cells[0], reason, number)
                continue
            pairs.append((L.match(row.cells[0], L.FUNCTION), row.cells[0], row.cells[1], number))
            for extra in row.cells[2:]:
                self.keep(_location(table, number), extra, "a third cell beside a label and its value", number)
        self.function(table, pairs)

    def function(self, table: Table, pairs: list[tuple[str | None, str, str, int]]) -> None:
        name = next((text for key, _, text, _ in pairs if key == "name" and text), "")
        if not name:
            for _, label, text, number in pairs:
                self.keep(_location(table, number), f"{label}: {text}", "no critical function is named here", number)
            return
        item: dict[str, Any] = {"id": self.new_id(name, "function"), "name": name}
        self.origins[id(item)] = _location(table, pairs[0][3])
        for key, label, text, number in pairs:
            where = _location(table, number, label if key is None or key != "name" else None)
            if not text or (key == "name" and text == name):
                continue
            if key == "rto":
                item.setdefault("rto", []).append({"scenario": label, "duration": text})
            elif key in ("description", "rpo", "mtpd", "likelihood") and key not in item:
                item[key] = text
            elif key in ("owner", "deputy") and key not in item:
                who = self.who(text)
                if who is None:
                    self.keep(
                        where, text, "reads as an id that names nobody in the plan: write the name in full", number
                    )
                else:
                    item[key] = who
            else:
                why = "given twice for this function" if key else "no field of a critical function for this"
                self.keep(where, f"{label}: {text}", why, number)
        self.functions.append(item)

    def risks_grid(self, table: Table, header: int) -> None:
        for number, values in self.records(table, header, L.RISK):
            title = next((text for column, text in values if column.key == "title" and text), "")
            if not title:
                row_text = " | ".join(text for _, text in values)
                self.keep(_location(table, number), row_text, "a risk row with no risk named", number)
                continue
            item: dict[str, Any] = {"id": self.new_id(title, "risk"), "title": title}
            self.origins[id(item)] = _location(table, number)
            for column, text in values:
                where = _location(table, number, column.label)
                if not text or (column.key == "title" and text == title):
                    continue
                if column.key == "likelihood" and "likelihood" not in item:
                    item["likelihood"] = text
                elif column.key == "consequence" and L.is_level_word(text) and "consequence" not in item:
                    item["consequence"] = text
                elif column.key == "consequence" and "impact" not in item:
                    item["impact"] = text  # a description of the impact, not a level
                elif column.key == "rating":
                    item.setdefault("stated", {})["rating"] = text
                elif column.key == "mitigation" and "response" not in item:
                    item["response"] = {"summary": text}
                elif column.key == "causes":
                    item.setdefault("causes", []).append(text)
                elif column.key == "owner" and (owner := self.person_id(text)):
                    item["owner"] = owner
                elif column.key == "owner":
                    self.keep(where, text, "a risk's owner must be a person in the plan's contacts", number)
                else:
                    why = "given twice for this risk" if column.key else "no field of a risk for this"
                    self.keep(where, f"{column.label}: {text}", why, number)
            self.risks.append(item)

    def changes_grid(self, table: Table, header: int) -> None:
        for number, values in self.records(table, header, L.CHANGE):
            got = {column.key: text for column, text in reversed(values) if column.key}
            row_text = " | ".join(text for _, text in values)
            where = _location(table, number)
            issue, day = L.parse_issue(got.get("issue", "")), L.parse_date(got.get("date", ""))
            summary = got.get("summary", "")
            if issue is None or day is None or not summary:
                missing = [
                    what
                    for what, ok in (("a whole issue number", issue), ("a date", day), ("a summary", summary))
                    if not ok
                ]
                self.keep(where, row_text, f"a change needs {' and '.join(missing)}", number)
                continue
            record: dict[str, Any] = {"issue": issue, "date": day.isoformat(), "summary": summary}
            self.origins[id(record)] = where
            if author := got.get("author"):
                if found := self.person_id(author):
                    record["author"] = found
                else:
                    label = next(c.label for c, _ in values if c.key == "author")
                    self.keep(
                        _location(table, number, label), author, "the author is not a person in the contacts", number
                    )
            for column, text in values:
                if column.key is None and text:
                    self.keep(_location(table, number, column.label), text, "no field of a change for this", number)
            self.changes.append(record)

    def document_labelled(self, table: Table) -> None:
        for number, row in enumerate(table.rows, start=1):
            cells = list(row.cells)
            if row.empty:
                continue
            # "Version | 1.0 | Date | 01/02/2025": pairs side by side.
            pairs = (
                [(cells[i], cells[i + 1]) for i in range(0, len(cells), 2)]
                if len(cells) >= 4 and len(cells) % 2 == 0 and L.match(cells[2], L.DOCUMENT)
                else [(cells[0], cells[1] if len(cells) > 1 else "")]
            )
            if len(pairs) == 1:
                for extra in cells[2:]:
                    self.keep(_location(table, number), extra, "a third cell beside a label and its value", number)
            for label, text in pairs:
                self.document_value(table, number, label, text)

    def document_value(self, table: Table, number: int, label: str, text: str) -> None:
        key = L.match(label, L.DOCUMENT)
        where = _location(table, number, label)
        if not text:
            if label and key is None:
                self.keep(where, label, "a label with no value", number)
            return
        if key is None or (key in self.document) or (key == "title" and self.title):
            self.keep(
                where,
                f"{label}: {text}",
                "no field of document control for this" if key is None else "given twice",
                number,
            )
            return
        value: Any = text
        if key == "title":
            self.title = text
            return
        if key == "issue":
            value = L.parse_issue(text)
            reason = "not a whole issue number (1, 2, 3...)"
        elif key in ("issueDate", "reviewDate", "approvalDate"):
            day = L.parse_date(text)
            value = day.isoformat() if day else None
            reason = "not a date the draft can read (write it as 12/03/2025 or 12 March 2025)"
        elif key == "reviewInterval":
            value = text if _is_duration(text) else None
            reason = "not a duration such as 12 months"
        elif key in ("owner", "originator", "approvedBy"):
            value = self.who(text)
            reason = "reads as an id that names nobody in the plan: write the name in full"
        if value is None:
            self.keep(where, text, reason, number)
        else:
            self.document[key] = value

    # ------------------------------------------------------------ headings and paragraphs

    def paragraph(self, paragraph: Paragraph, stack: list[tuple[int, Heading]]) -> None:
        where = f"paragraph {paragraph.number}"
        if not stack:
            self.keep(f"{where}, before the first heading", paragraph.text, "no heading says what it is")
            return
        index, heading = stack[-1]
        where += f", under heading '{heading.text}'"
        section = next((k for k, synonyms in L.SECTION.items() if L.is_one_of(heading.text, synonyms)), None)
        if section == "aim":
            self.text["aim"].append(paragraph.text)
            return
        if section is not None:
            self.text[section].append(paragraph.text)
            return
        when = "in-hours" if L.is_one_of(heading.text, L.IN_HOURS) else None
        when = "out-of-hours" if L.is_one_of(heading.text, L.OUT_OF_HOURS) else when
        named = when is not None or L.is_one_of(heading.text, L.PROCEDURE) or "procedure" in heading.text.casefold()
        if paragraph.list_level is None or not (named or paragraph.numbered):
            reason = "a paragraph, not a step of a numbered list" if named else "no field of the plan for this"
            self.keep(where, paragraph.text, reason)
            return
        # "In hours" and "Out of hours" under one heading are the two times of day of one procedure.
        owner_index, title = index, _unnumbered(heading.text)
        if (when or L.is_one_of(heading.text, L.PROCEDURE)) and len(stack) > 1:
            owner_index, parent = stack[-2]
            title = _unnumbered(parent.text) if when else f"{_unnumbered(parent.text)}: {title}"
        procedure = self.procedures.get(owner_index)
        if procedure is None:
            procedure = {"id": self.new_id(title, "procedure"), "title": title, "steps": []}
            lowered = title.casefold()
            if "failover" in lowered:
                procedure["phase"] = "failover"
            elif "restor" in lowered or "recover" in lowered:
                procedure["phase"] = "restoration"
            self.procedures[owner_index] = procedure
            self.origins[id(procedure)] = f"paragraph {paragraph.number}, under heading '{heading.text}'"
        step: dict[str, Any] = {"text": paragraph.text}
        if when:
            step["when"] = when
        procedure["steps"].append(step)


def _unnumbered(heading: str) -> str:
    """A heading without its section number ("6.2 Response" -> "Response"): the number is the document's layout."""
    return re.sub(r"^\d+(?:\.\d+)*\.?\s+(?=\S)", "", heading)


def _is_duration(text: str) -> bool:
    try:
        Duration.parse(text)
    except DurationError:
        return False
    return True


_PHONE_KINDS = {"landline", "mobile", "extension", "bleep", "pager", "outOfHours"}


def _phones(text: str, kind: str) -> list[dict[str, str]] | None:
    """The numbers in a cell ("01632 960001 / 07700 900123", "Ext 4321"), or None if any piece is not a number."""
    found = []
    for piece in re.split(r"\s*(?:/|;|,|\n|\bor\b)\s*", text):
        if not piece:
            continue
        bare = _PHONE_LABEL.sub("", piece)
        match = _PHONE.fullmatch(bare)
        if not match:
            return None
        number = match.group(2).strip()
        phone = {"kind": "extension" if match.group(1) else kind, "number": number}
        if kind == "outOfHours":
            # Which kind of line it is follows from UK numbering; when it is answered is the column's.
            phone = {"kind": "mobile" if re.match(r"(07|\+447)", number) else "landline", "number": number}
            phone["when"] = "out-of-hours"
        found.append(phone)
    return found or None


_GRID_KINDS: tuple[tuple[str, dict[str, tuple[str, ...]], set[str], set[str]], ...] = (
    ("changes", L.CHANGE, {"summary"}, {"issue", "date"}),
    ("risks", L.RISK, {"title"}, {"likelihood", "consequence", "rating", "mitigation"}),
    ("functions", L.FUNCTION, {"name"}, {"owner", "deputy", "rto", "rpo", "mtpd"}),
    (
        "contacts",
        L.CONTACT,
        {"name"},
        {"landline", "mobile", "extension", "bleep", "pager", "email", "jobTitle", "outOfHours"},
    ),
)


def map_source(source: Source, *, organisation_id: str, organisation_name: str, today: date) -> Draft:
    """The plan data a document gives, with what it could not place and what had to be filled."""
    m = _Mapper(source, today)
    kinds: dict[int, tuple[str, int] | None] = {}
    # Contacts first, wherever they are, so owners, authors and deputies elsewhere can be matched to people.
    for index, block in enumerate(source.blocks):
        if isinstance(block, Table):
            kinds[index] = m.classify(block)
            if kinds[index] and kinds[index][0] == "contacts":  # type: ignore[index]
                m.block = index
                m.contacts(block, kinds[index][1])  # type: ignore[index]
    for person, text, where in m.deputies:
        deputy = m.who(text)
        if deputy is None or deputy == person["id"]:
            m.keep(where, text, "a deputy must be another person, by name")
        else:
            person["deputy"] = deputy
    stack: list[tuple[int, Heading]] = []
    title_heading: str | None = None
    for index, block in enumerate(source.blocks):
        m.block = index
        if isinstance(block, Heading):
            if block.level == 0 and title_heading is None:
                title_heading = block.text
                continue
            while stack and stack[-1][1].level >= block.level:
                stack.pop()
            stack.append((index, block))
            following = source.blocks[index + 1] if index + 1 < len(source.blocks) else None
            if following is None or (isinstance(following, Heading) and following.level <= block.level):
                # Nothing the draft could read follows (an image, say): the heading is all there is to keep.
                m.keep(f"paragraph {block.number}", block.text, "a heading with no text or table under it")
        elif isinstance(block, Paragraph):
            m.paragraph(block, stack)
        else:
            kind = kinds.get(index)
            if kind is None:
                for number, row in enumerate(block.rows, start=1):
                    reason = "a table the draft does not recognise: no header or labels it knows"
                    m.keep(_location(block, number), " | ".join(row.cells), reason, number)
            elif kind[0] == "functions":
                m.functions_grid(block, kind[1]) if kind[1] >= 0 else m.functions_labelled(block)
            elif kind[0] == "function":
                m.functions_labelled(block)
            elif kind[0] == "document":
                m.document_labelled(block)
            elif kind[0] == "risks":
                m.risks_grid(block, kind[1])
            elif kind[0] == "changes":
                m.changes_grid(block, kind[1])
    return _assemble(m, organisation_id, organisation_name, title_heading)


def _assemble(m: _Mapper, organisation_id: str, organisation_name: str, title_heading: str | None) -> Draft:
    filled: list[Filled] = []
    title = m.title or title_heading or m.source.properties.title
    if not title:
        title = re.sub(r"\.docx$", "", m.source.name, flags=re.IGNORECASE).strip() or "Draft plan"
        filled.append(Filled("title", title, "the document has no title: taken from the file's name"))
    document = dict(m.document)
    if m.changes:
        document["changes"] = sorted(m.changes, key=lambda c: (c["issue"], c["date"]))
    if "issueDate" not in document:
        latest = max((c["date"] for c in m.changes), default=None)
        document["issueDate"] = latest or m.today.isoformat()
        why = "the date of the latest change recorded" if latest else "the day the draft was made"
        filled.append(Filled("document.issueDate", document["issueDate"], f"no issue date in the document: {why}"))
    if "reviewDate" not in document:
        issued = date.fromisoformat(document["issueDate"])
        interval = Duration.parse(document.get("reviewInterval", "12 months"))
        months = interval.value if interval.unit is Unit.MONTHS else 12
        review = _plus_months(issued, months)
        document["reviewDate"] = review.isoformat()
        filled.append(
            Filled(
                "document.reviewDate",
                document["reviewDate"],
                f"no review date in the document: the issue date plus {months} months",
            )
        )
    if "owner" not in document:
        document["owner"] = NOT_STATED
        filled.append(Filled("document.owner", NOT_STATED, "the document names no owner of the plan"))
    data: dict[str, Any] = {
        "apiVersion": API_VERSION,
        "kind": "Plan",
        "id": L.slug(title, "draft-plan"),
        "title": title,
        "organisation": {"id": organisation_id, "name": organisation_name},
        "document": _document_order(document),
    }
    if m.text["aim"]:
        data["aim"] = "\n\n".join(m.text["aim"])
    for name in ("objectives", "audience", "scope"):
        if m.text[name]:
            data[name] = list(m.text[name])
    for name, items in (
        ("people", m.people),
        ("functions", m.functions),
        ("risks", m.risks),
        ("procedures", list(m.procedures.values())),
    ):
        if items:
            data[name] = items
    placed = Counter({name: len(data.get(name, [])) for name in ("people", "functions", "risks", "procedures")})
    placed["changes"] = len(document.get("changes", []))
    leftovers = [leftover for _, _, leftover in sorted(m.leftovers, key=lambda item: (item[0], item[1]))]
    return Draft(data, leftovers, filled, placed, m.origins)


_DOCUMENT_ORDER = ("number", "issue", "issueDate", "reviewDate", "reviewInterval", "originator", "owner")


def _document_order(document: dict[str, Any]) -> dict[str, Any]:
    return {**{k: document[k] for k in _DOCUMENT_ORDER if k in document}, **document}


def _plus_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has 28 days
