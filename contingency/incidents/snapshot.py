"""An incident's plan as it was at the report, and the organisation's calendar.

A snapshot never changes once written, so its parsed document is cached by incident id
(parsing costs milliseconds; the incident list and the worker read many).
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from threading import Lock
from typing import Any

from contingency.lib.calendar import WorkingCalendar, from_organisation
from contingency.plans.guidance import Resolver
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.types import STORED

from .models import Incident

_CACHE: OrderedDict[tuple[int, str], PlanDocument] = OrderedDict()
_LOCK = Lock()
_SIZE = 512


def snapshot_of(document: PlanDocument) -> dict[str, Any]:
    return document.model_dump(mode="json", by_alias=True, exclude_none=True)


def document_of(incident: Incident) -> PlanDocument:
    """The plan the incident runs on."""
    if incident.pk is None:
        return PlanDocument.model_validate(incident.snapshot, context=STORED)
    key = (incident.pk, incident.reported_at.isoformat())
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    document = PlanDocument.model_validate(incident.snapshot, context=STORED)
    with _LOCK:
        _CACHE[key] = document
        while len(_CACHE) > _SIZE:
            _CACHE.popitem(last=False)
    return document


def calendar_of(incident: Incident) -> WorkingCalendar:
    return from_organisation(incident.organisation)


def resolver_for(incident: Incident, at: datetime) -> Resolver:
    """Names and numbers as they are answered at `at`."""
    calendar = calendar_of(incident)
    return Resolver(document_of(incident), calendar.local(at), calendar.is_in_hours(at))
