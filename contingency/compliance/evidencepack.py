"""The evidence pack for a date: one ZIP with a report of every framework's statuses (HTML and PDF) and the
manual evidence files in force on that date, each under its framework and requirement.

The report is self-contained (inline style, no request to anywhere) and lists, for each requirement, the
computed evidence with its dates and the manual evidence with who attested it, when, its expiry and the
file's SHA-256 and place in the ZIP, so a reader can check each file against the report.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import date, datetime

from django.template.loader import render_to_string

from contingency.core.models import Organisation
from contingency.packs.render import pdf

from .models import ManualEvidence
from .services import Assessment


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-")[:60] or "requirement"


def file_path(framework_key: str, ref: str, evidence: ManualEvidence) -> str:
    return f"evidence/{framework_key}/{_slug(ref)}/{evidence.pk}-{evidence.file_name}"


def build(
    *,
    organisation: Organisation,
    assessments: Sequence[Assessment],
    on: date,
    built_at: datetime,
    built_by: str,
    with_pdf: bool = True,
) -> tuple[str, bytes]:
    """(file name, ZIP bytes) of the evidence pack."""
    in_force = {m.pk for a in assessments for _, s in a.rows if s is not None for m in s.manual}
    rows = {
        e.pk: e
        for e in ManualEvidence.objects.filter(organisation=organisation, pk__in=in_force).select_related("file")
    }
    paths: dict[int, str] = {}
    for assessment in assessments:
        for requirement, status in assessment.rows:
            for item in status.manual if status is not None else ():
                if item.pk in rows and item.pk not in paths:
                    paths[item.pk] = file_path(
                        assessment.framework.key, requirement.ref_id or requirement.name, rows[item.pk]
                    )
    context = {
        "organisation": organisation,
        "assessments": assessments,
        "on": on,
        "built_at": built_at,
        "built_by": built_by,
        "paths": paths,
        "hashes": {pk: rows[pk].sha256 for pk in paths},
    }
    html = render_to_string("web/compliance/report.html", context)
    name = f"evidence-{organisation.slug}-{on.isoformat()}"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}/report.html", html)
        if with_pdf:
            archive.writestr(f"{name}/report.pdf", pdf(html))
        for pk, path in sorted(paths.items()):
            archive.writestr(f"{name}/{path}", bytes(rows[pk].file.data))
        # The KPI relaxations agreed with commissioners (contingency.commissioning), as a CSV and their files.
        from contingency.commissioning.evidence import pack_entries

        for path, data in pack_entries(organisation, on):
            archive.writestr(f"{name}/{path}", data)
    return f"{name}.zip", out.getvalue()
