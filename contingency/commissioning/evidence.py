"""The KPI relaxations an evidence pack carries: every relaxation agreed on or before the pack's date, as one
CSV (who was asked, who agreed, when, the window, the file's SHA-256) and the evidence files beside it."""

from __future__ import annotations

import csv
import io
from datetime import date

from contingency.core.models import Organisation
from contingency.lib.calendar import from_organisation

from .models import KpiRelaxation, RelaxationFile

FOLDER = "evidence/kpi-relaxations"
COLUMNS = (
    "incident",
    "kpi",
    "commissioner",
    "asked of",
    "asked at",
    "agreed by",
    "agreed at",
    "relaxed from",
    "relaxed to",
    "note",
    "file",
    "sha256",
)


def pack_entries(organisation: Organisation, on: date) -> list[tuple[str, bytes]]:
    """(path in the pack, bytes): the CSV and each file; nothing when no relaxation was agreed by `on`."""
    calendar = from_organisation(organisation)
    rows = [
        row
        for row in KpiRelaxation.objects.filter(organisation=organisation, agreed_at__isnull=False)
        .select_related("incident")
        .order_by("agreed_at", "pk")
        if row.agreed_at is not None and calendar.local(row.agreed_at).date() <= on
    ]
    if not rows:
        return []

    def when(value: object) -> str:
        return calendar.local(value).strftime("%Y-%m-%d %H:%M") if value is not None else ""  # type: ignore[arg-type]

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COLUMNS)
    entries: list[tuple[str, bytes]] = []
    files = {f.relaxation_id: bytes(f.data) for f in RelaxationFile.objects.filter(relaxation__in=rows)}
    for row in rows:
        path = f"{FOLDER}/{row.pk}-{row.file_name}" if row.pk in files else ""
        writer.writerow(
            (
                f"#{row.incident.number} {row.incident.title}",
                row.kpi_words,
                row.commissioner,
                row.asked_of,
                when(row.asked_at),
                row.agreed_by,
                when(row.agreed_at),
                when(row.relaxed_from),
                when(row.relaxed_to),
                row.note,
                path,
                row.sha256,
            )
        )
        if path:
            entries.append((path, files[row.pk]))
    return [(f"{FOLDER}.csv", text.getvalue().encode("utf-8")), *entries]
