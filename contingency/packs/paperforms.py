"""Paper downtime forms: a log sheet per record kind, a pre-allocated downtime ID on each row.

The generator takes plain descriptions - a record kind (its name, its fields in the order the bulk
upload reads them, the system its records must reach afterwards) and the downtime IDs to print - so
it does not depend on where those come from. Until the plan format has record kinds and downtime-ID
ranges (the downtime-data issue), `fallback_kinds` makes one log per critical function from the plan
and `fallback_ids` numbers rows from the print record; see docs/guide/grab-pack.md.

Each row carries its ID in print and as a QR code (segno, inline SVG; a full QR code, never Micro QR,
which phones read poorly). A copy that is not numbered (an uncontrolled copy) gets rows with a blank
ID: IDs are reserved for one copy only, and an uncontrolled copy could be printed any number of times.
"""

from __future__ import annotations

from collections.abc import Container, Mapping, Sequence
from dataclasses import dataclass

import segno

from contingency.plans.spec import PlanDocument
from contingency.plans.spec.records import FieldType

_WIDE = {FieldType.TEXT, FieldType.REFERENCE, FieldType.STUDY_UID}

ROWS_PER_PAGE = 7
DEFAULT_ROWS = 14  # rows (records) per kind in each numbered copy, when the plan does not say


@dataclass(frozen=True)
class FormField:
    key: str  # the column the bulk upload reads
    label: str  # what the person filling it in reads
    wide: bool = False


@dataclass(frozen=True)
class RecordKind:
    """One kind of record kept by hand during downtime, e.g. "Examination done during PACS downtime"."""

    key: str
    name: str
    fields: tuple[FormField, ...]  # in the order the bulk upload reads them
    system: str  # the system each record must reach afterwards
    function: str = ""  # the function's name, for the heading
    id_key: str = "downtimeId"  # the field the pre-printed ID goes in


@dataclass(frozen=True)
class FormRow:
    downtime_id: str  # "" on an uncontrolled copy: the person writes one in
    qr: str  # inline SVG of the ID's QR code ("" when there is no ID)


@dataclass(frozen=True)
class FormPage:
    kind: RecordKind
    number: int  # page of this kind's log, from 1
    of: int
    rows: tuple[FormRow, ...]
    reserved: bool = False  # the IDs are a block of a reserved range (else numbered from this print)


ID_FIELD = FormField("downtimeId", "Downtime ID")


def qr_svg(value: str) -> str:
    """The QR code of `value` as an inline SVG element, sized by CSS."""
    code = segno.make(value, error="m", micro=False)
    return str(code.svg_inline(scale=1, border=2, omitsize=True, title=f"QR code of {value}", svgclass="qr"))


def plan_kinds(document: PlanDocument) -> list[RecordKind]:
    """The plan's own record kinds (`recordKinds`), columns in the plan's field order - the order its bulk
    upload template lists them - with the downtime-ID field first (added when the kind has none).
    A plan that names no record kinds gets `fallback_kinds`."""
    if not document.record_kinds:
        return fallback_kinds(document)
    systems = {s.id: s.name for s in document.systems}
    users: dict[str, list[str]] = {}
    for function in document.functions:
        for key in function.data_recovery.records if function.data_recovery else []:
            users.setdefault(key, []).append(function.name)
    kinds = []
    for kind in document.record_kinds:
        id_field = kind.of_type(FieldType.DOWNTIME_ID)
        fields = [FormField(f.name, f.shown, wide=f.type in _WIDE) for f in kind.fields if f is not id_field]
        first = FormField(id_field.name, id_field.shown) if id_field else FormField("downtime-id", "Downtime ID")
        kinds.append(
            RecordKind(
                key=kind.id,
                name=kind.name,
                fields=(first, *fields),
                system=systems.get(kind.system, kind.system),
                function="; ".join(users.get(kind.id, [])),
                id_key=first.key,
            )
        )
    return kinds


def fallback_kinds(document: PlanDocument) -> list[RecordKind]:
    """One downtime log per critical function, until the plan names its record kinds.

    The system a record must reach is the first system the function depends on (or the function itself).
    """
    systems = {s.id: s.name for s in document.systems}
    kinds = []
    for function in document.functions:
        target = next((systems[ref] for ref in function.depends_on if ref in systems), function.name)
        kinds.append(
            RecordKind(
                key=function.id,
                name=f"Downtime log: {function.name}",
                fields=(
                    ID_FIELD,
                    FormField("occurredAt", "Date and time"),
                    FormField("reference", "Patient or reference (e.g. NHS number)", wide=True),
                    FormField("what", "What was done", wide=True),
                    FormField("by", "Done by"),
                    FormField("reentered", f"Re-entered into {target}: reference, by, date", wide=True),
                ),
                system=target,
                function=function.name,
            )
        )
    return kinds


def fallback_ids(kinds: Sequence[RecordKind], *, prefix: str, rows: int = DEFAULT_ROWS) -> dict[str, list[str]]:
    """IDs unique to one print of one copy: `<prefix>-<kind number>-<row>` (e.g. R12C3-1-07)."""
    return {kind.key: [f"{prefix}-{k}-{n:02d}" for n in range(1, rows + 1)] for k, kind in enumerate(kinds, start=1)}


def form_pages(
    kinds: Sequence[RecordKind],
    ids: Mapping[str, Sequence[str]] | None,
    *,
    blank_rows: int = ROWS_PER_PAGE,
    per_page: int = ROWS_PER_PAGE,
    reserved: Container[str] = (),
) -> list[FormPage]:
    """The pages of every kind's log: each ID on its own row, `per_page` rows a page.

    With `ids` None (an uncontrolled copy) each kind gets `blank_rows` rows with no ID printed.
    A kind with no IDs in `ids` gets none: its log is left out rather than printed without IDs.
    """
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    pages: list[FormPage] = []
    for kind in kinds:
        if ids is None:
            rows = [FormRow("", "") for _ in range(blank_rows)]
        else:
            values = list(ids.get(kind.key, ()))
            if len(set(values)) != len(values):
                raise ValueError(f"record kind {kind.key}: a downtime ID is given twice")
            rows = [FormRow(value, qr_svg(value)) for value in values]
        chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
        for number, chunk in enumerate(chunks, start=1):
            pages.append(FormPage(kind, number, len(chunks), tuple(chunk), kind.key in reserved))
    return pages
