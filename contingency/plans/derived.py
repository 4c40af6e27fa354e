"""What is derived from one PlanDocument - its dependency graph, its index of ids, its lint findings,
its JSON form - computed at most once per document object and shared by every caller.

A document never changes once built (plans are edited by building a new one), so what is derived
from it can be kept with it. `derived(document)` finds the Derived of a document object that is
still alive, or starts one; the read models (plans.readmodel for plans in the database, and
incidents.snapshot for the plan an incident runs on) keep theirs, so every page, service and
API call reading the same plan revision shares one graph, one index and one set of findings.
`graph_of(document)` and `ids_of(document)` are what code holding only a document calls.
"""

from __future__ import annotations

import weakref
from datetime import date
from threading import Lock
from typing import Any

from .graph import Graph, build_graph
from .lint import Finding, Options, lint
from .spec import PlanDocument
from .validate import Entry, index
from .yamlform import to_yaml

_LINT_DAYS = 2  # findings kept per document: today's, and yesterday's for the pages still open at midnight


class Derived:
    """The views of one document, each built when first asked for.

    Two threads asking at once may both build a view; both results are equal and either is kept.
    """

    __slots__ = ("__weakref__", "_findings", "_graph", "_ids", "_lock", "_snapshot", "_text", "document")

    def __init__(self, document: PlanDocument) -> None:
        self.document = document
        self._graph: Graph | None = None
        self._ids: dict[str, Entry] | None = None
        self._snapshot: dict[str, Any] | None = None
        self._text: str | None = None
        self._findings: dict[date, list[Finding]] = {}
        self._lock = Lock()

    @property
    def graph(self) -> Graph:
        """The dependency graph (plans.graph)."""
        if self._graph is None:
            self._graph = build_graph(self.document)
        return self._graph

    @property
    def ids(self) -> dict[str, Entry]:
        """Every id of the plan with its kind, path and part (validate.index)."""
        if self._ids is None:
            self._ids = index(self.document)[0]
        return self._ids

    @property
    def snapshot(self) -> dict[str, Any]:
        """The document as JSON-ready data, as an incident stores it. Shared: never change it."""
        if self._snapshot is None:
            self._snapshot = self.document.model_dump(mode="json", by_alias=True, exclude_none=True)
        return self._snapshot

    @property
    def text(self) -> str:
        """The document as canonical YAML (yamlform.to_yaml): what an export, a download and a pack's
        content hash are made of. The emitter is pure Python (tens of ms a plan), and pages ask often."""
        if self._text is None:
            self._text = to_yaml(self.document)
        return self._text

    def findings(self, today: date) -> list[Finding]:
        """The lint findings on `today` (some rules depend on the date, e.g. a review overdue)."""
        with self._lock:
            found = self._findings.get(today)
        if found is None:
            found = lint(self.document, Options(today=today))
            with self._lock:
                self._findings[today] = found
                for day in sorted(self._findings)[:-_LINT_DAYS]:
                    del self._findings[day]
        return found


_BY_ID: weakref.WeakValueDictionary[int, Derived] = weakref.WeakValueDictionary()
_REGISTER = Lock()


def derived(document: PlanDocument) -> Derived:
    """The Derived of this document object: the one already made while it lives, else a new one.

    Keyed by the object's identity (a Derived holds its document, so an id cannot be reused while
    the entry lives); whoever wants the views kept beyond this call keeps the Derived.
    """
    with _REGISTER:
        found = _BY_ID.get(id(document))
        if found is not None and found.document is document:
            return found
        made = Derived(document)
        _BY_ID[id(document)] = made
        return made


def graph_of(document: PlanDocument) -> Graph:
    return derived(document).graph


def ids_of(document: PlanDocument) -> dict[str, Entry]:
    return derived(document).ids
