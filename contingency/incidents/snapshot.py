"""An incident's plan as it was at the report, and the organisation's calendar.

A snapshot never changes once written, so its parsed document, with what is derived from it (the
dependency graph, the index of ids: plans.derived), is cached by the incident's id and token (a
random value set at the report, so an id reused after a rollback cannot meet an old entry).
Parsing costs milliseconds; the pages, the worker and the services read the same incidents over
and over. `remember` seeds the cache with the plan's own document when an incident is reported.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime
from threading import Lock
from typing import Any

from contingency.lib.calendar import WorkingCalendar, from_organisation
from contingency.plans.derived import Derived, derived
from contingency.plans.guidance import Resolver
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.types import STORED

from .models import Incident

_CACHE: OrderedDict[tuple[int, str], Derived] = OrderedDict()
_LOCK = Lock()
_SIZE = 512


def snapshot_of(document: PlanDocument) -> dict[str, Any]:
    return derived(document).snapshot


def _key(incident: Incident) -> tuple[int, str]:
    return (incident.pk, incident.token)


def remember(incident: Incident, view: Derived) -> None:
    """Keep `view` as the incident's plan: the document its snapshot was just written from."""
    with _LOCK:
        _CACHE[_key(incident)] = view
        while len(_CACHE) > _SIZE:
            _CACHE.popitem(last=False)


def view_of(incident: Incident) -> Derived:
    """The plan the incident runs on, with its graph and index."""
    if incident.pk is None:
        return derived(PlanDocument.model_validate(incident.snapshot, context=STORED))
    key = _key(incident)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    made = derived(PlanDocument.model_validate(incident.snapshot, context=STORED))
    remember(incident, made)
    return made


def document_of(incident: Incident) -> PlanDocument:
    """The plan the incident runs on."""
    return view_of(incident).document


def calendar_of(incident: Incident) -> WorkingCalendar:
    return from_organisation(incident.organisation)


def resolver_for(incident: Incident, at: datetime) -> Resolver:
    """Names and numbers as they are answered at `at` (at the exercise's "as if" moment, for one run as if then)."""
    calendar = calendar_of(incident)
    moment = incident.as_if or at
    return Resolver(document_of(incident), calendar.local(moment), calendar.is_in_hours(moment))
