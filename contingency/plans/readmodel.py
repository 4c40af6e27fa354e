"""The read model of plans in the database: a plan's document and what is derived from it, built
once per plan revision and reused by every page, API call and service that reads the plan.

Rebuilding a plan from its tables costs tens of queries and milliseconds per plan; the pages
read the same plans over and over. `view(plan)` returns the plan's Derived (plans.derived) for
the revision the caller's row carries: `Plan.revision` changes with every write, and the caller
reads the row per request, so a view is never stale, and several processes each keep their own
cache without telling each other anything. The key is (pk, revision): the revision is random, so
a primary key reused after a rollback (SQLite in tests) cannot meet an old entry.

A view is built from the plan's row read afresh, and cached only when the revision was the same
before and after the rows were read, so a document read half before and half after a concurrent
import is used once and never kept.
"""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock

from .derived import Derived, derived
from .models import Plan
from .store import export_plan

CACHE_SIZE = 512  # plans kept per process; a dashboard of 200 plans fits, with room to spare

_CACHE: OrderedDict[tuple[int, str], Derived] = OrderedDict()
_LOCK = Lock()
_BUILDING: dict[tuple[int, str], Lock] = {}


def view(plan: Plan) -> Derived:
    """The document (and graph, ids, lint findings) of `plan` at the revision its row carries."""
    key = (plan.pk, plan.revision)
    with _LOCK:
        found = _CACHE.get(key)
        if found is not None:
            _CACHE.move_to_end(key)
            return found
        building = _BUILDING.setdefault(key, Lock())
    # One thread builds a revision; the others asking for it at the same moment wait for it.
    with building:
        with _LOCK:
            found = _CACHE.get(key)
        if found is not None:
            return found
        try:
            # The whole row, read afresh: the caller's may hold only the columns its page shows.
            fresh = Plan.objects.select_related("organisation").get(pk=plan.pk)
            made = derived(export_plan(fresh))
            still = Plan.objects.filter(pk=plan.pk).values_list("revision", flat=True).first()
            with _LOCK:
                if still == fresh.revision:
                    _CACHE[(plan.pk, fresh.revision)] = made
                    while len(_CACHE) > CACHE_SIZE:
                        _CACHE.popitem(last=False)
        finally:
            with _LOCK:
                _BUILDING.pop(key, None)
        return made


def forget() -> None:
    """Empty this process's cache (for tests and benchmarks that measure a cold start)."""
    with _LOCK:
        _CACHE.clear()


def cached(plan: Plan) -> bool:
    """Whether this process holds the view of the plan's current revision."""
    with _LOCK:
        return (plan.pk, plan.revision) in _CACHE


def warm(limit: int = CACHE_SIZE, *, close: bool = True) -> int:
    """Build the views of the plans (up to `limit`), so the first dashboard after a start is quick.

    Run in a thread of a web process as it starts (contingency serve), which closes its own database
    connection at the end (`close`); returns how many it built.
    """
    from django.db import connection

    built = 0
    try:
        for plan in Plan.objects.select_related("organisation").order_by("organisation_id", "key")[:limit]:
            view(plan)
            built += 1
    finally:
        if close:
            connection.close()
    return built
