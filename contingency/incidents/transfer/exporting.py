"""Writing an organisation's incidents as an export file (read-only: nothing here changes)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models

from contingency.core.models import Organisation

from ..models import Incident
from .bundle import FORMAT, VERSION
from .sections import ORIGIN, OriginOf, row_out, section_of, sections


def origins_of(incident: Incident) -> OriginOf:
    """Each row's origin key as this install names it: the incident's uid, the section, the row's id."""
    uid = str(incident.uid)

    def origin_of(model: type[models.Model], pk: int) -> str:
        if model is Incident:
            return uid
        return f"{uid}/{section_of(model).name}/{pk}"

    return origin_of


def incident_out(incident: Incident) -> dict[str, Any]:
    origin_of = origins_of(incident)
    return {
        ORIGIN: str(incident.uid),
        "number": incident.number,
        "sections": {sec.name: [row_out(sec, row, origin_of) for row in sec.rows_of(incident)] for sec in sections()},
    }


def export_incidents(
    *, organisation: Organisation, incidents: Iterable[Incident], now: datetime, source: dict[str, Any]
) -> dict[str, Any]:
    """The export of these incidents of `organisation`, as a JSON-ready object."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "organisation": organisation.slug,
        "exportedAt": now.isoformat(),
        "source": source,
        "incidents": [incident_out(incident) for incident in incidents],
    }
