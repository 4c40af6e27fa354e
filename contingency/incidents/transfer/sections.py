"""The kinds of incident data an export carries, one section each, and how a row becomes JSON and back.

A section names a table, the parent each row belongs to (the incident, or a row of another section),
the fields copied as they are, the references to rows of other sections (written as their origin
keys), how a row is adjusted when written here, and the fields that, with the parent, identify a row (so a row the import would add, and that already exists
here, is a conflict rather than a duplicate). Incidents register theirs below; later apps
(notifications, downtime records, exercises) register their own when they load, so an export carries every kind
of incident data the install has, and an import refuses a section it does not know.

A field added to a section after files were first written is `optional`: a file may leave it out (an
older export), and it is then empty. Times are written as ISO 8601 with their offset, days as ISO
dates, durations as ISO 8601 durations ("-P3DT00H00M00S").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import models
from django.utils.duration import duration_iso_string

from contingency.core.models import Organisation

from ..models import (
    AffectedFunction,
    DueAction,
    Handover,
    Incident,
    InformTarget,
    Review,
    ReviewAction,
    Task,
    TimelineEntry,
)

# A row's origin key elsewhere, given its table and primary key here (None when it has none).
OriginOf = Callable[[type[models.Model], int], str | None]


@dataclass(frozen=True)
class Section:
    name: str
    model: type[models.Model]
    parent: tuple[str, str]  # (foreign key field, section of its target); ("", "") for the incident itself
    fields: tuple[str, ...]
    refs: dict[str, str] = field(default_factory=dict)  # optional foreign key field -> section of its target
    natural: tuple[str, ...] | None = None  # with the parent, identifies a row (() = one per parent)
    # Fields that, when not empty, no two rows of the organisation share (a downtime ID is used once).
    unique_in_organisation: tuple[str, ...] = ()
    # Adjusts the values of a row written here on import (values, origin, created): e.g. an unsent
    # message is not sent again, and acknowledgement codes are made anew.
    on_import: Callable[[dict[str, Any], str, bool], dict[str, Any]] | None = None
    # Fills in what a row added here takes from this install rather than from the file (a number of the
    # organisation's own, the plan of the same key here), given the organisation imported into.
    on_add: Callable[[dict[str, Any], Organisation], dict[str, Any]] | None = None
    # Fields added after files were first written (each nullable): a file may leave them out, and they are
    # then empty; a row's digest leaves them out while empty, so the row of an older file and the same
    # row exported since are one row, not a change.
    optional: tuple[str, ...] = ()
    rows: Callable[[Incident], models.QuerySet[Any]] | None = None  # the incident's rows, in a stable order

    def rows_of(self, incident: Incident) -> models.QuerySet[Any]:
        if self.rows is not None:
            return self.rows(incident)
        if self.parent[1] == "incident":
            return self.model._default_manager.filter(**{self.parent[0]: incident}).order_by("pk")
        raise ValueError(f"section {self.name} needs `rows`")

    def model_field(self, name: str) -> models.Field[Any, Any]:
        found = self.model._meta.get_field(name)
        assert isinstance(found, models.Field)
        return found


_SECTIONS: dict[str, Section] = {}


ORIGIN = "originKey"  # a row's own origin key, in the file


def register(section: Section) -> None:
    """Add a section (after those it refers to); registering the same name again replaces it."""
    names = [*(n for n in (section.parent[0],) if n), *section.refs, *section.fields]
    written = [_camel(name) for name in names]
    clash = sorted({n for n in written if written.count(n) > 1 or n == ORIGIN})
    if clash:
        raise ValueError(f"section {section.name}: {clash} would be written twice")
    for name in section.optional:
        if name not in section.fields or not section.model_field(name).null:
            raise ValueError(f"section {section.name}: optional field {name} must be a field that may be empty")
    _SECTIONS[section.name] = section


def sections() -> list[Section]:
    """Every section, parents before children."""
    return list(_SECTIONS.values())


def section(name: str) -> Section | None:
    return _SECTIONS.get(name)


def section_of(model: type[models.Model]) -> Section:
    for candidate in _SECTIONS.values():
        if candidate.model is model:
            return candidate
    raise LookupError(f"no section for {model.__name__}")


# ---------------------------------------------------------------- rows as JSON


def value_out(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return duration_iso_string(value)
    return value


def row_out(sec: Section, row: models.Model, origin_of: OriginOf) -> dict[str, Any]:
    """A row as the export writes it: its origin, its parent's and referenced rows' origins, its fields."""
    data: dict[str, Any] = {ORIGIN: origin_of(sec.model, int(row.pk))}
    if sec.parent[0]:
        parent_id = getattr(row, f"{sec.parent[0]}_id")
        data[_camel(sec.parent[0])] = origin_of(_target(sec, sec.parent[0]), int(parent_id))
    for name in sorted(sec.refs):
        target_id = getattr(row, f"{name}_id")
        data[_camel(name)] = None if target_id is None else origin_of(_target(sec, name), int(target_id))
    for name in sec.fields:
        data[_camel(name)] = value_out(getattr(row, name))
    return data


def digest(sec: Section, data: dict[str, Any]) -> str:
    """A row's fingerprint: everything but its own origin and its empty optional fields, canonically."""
    empty_optional = {_camel(name) for name in sec.optional if data.get(_camel(name)) is None}
    body = {key: value for key, value in data.items() if key != ORIGIN and key not in empty_optional}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _target(sec: Section, name: str) -> type[models.Model]:
    related = sec.model_field(name).related_model
    assert isinstance(related, type) and issubclass(related, models.Model)
    return related


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def json_name(name: str) -> str:
    return _camel(name)


# ---------------------------------------------------------------- the incident's own sections


def _by_task(incident: Incident) -> models.QuerySet[Any]:
    return InformTarget.objects.filter(task__incident=incident).order_by("pk")


def _review(incident: Incident) -> models.QuerySet[Any]:
    return Review.objects.filter(incident=incident).order_by("pk")


def _review_actions(incident: Incident) -> models.QuerySet[Any]:
    return ReviewAction.objects.filter(review__incident=incident).order_by("pk")


def _due_actions(incident: Incident) -> models.QuerySet[Any]:
    # Review reminders name their action by this install's id, and are this install's to send.
    return DueAction.objects.filter(incident=incident).exclude(kind="review").order_by("pk")


def _incident_itself(incident: Incident) -> models.QuerySet[Any]:
    return Incident.objects.filter(pk=incident.pk)


INCIDENT_FIELDS = (
    "plan_key",
    "plan_title",
    "plan_issue",
    "snapshot",
    "title",
    "subject",
    "subject_name",
    "area",
    "description",
    "state",
    "assessment",
    "answers",
    "risk_key",
    "risk_title",
    "response",
    "severity",
    "severity_band",
    "began_at",
    "reported_at",
    "reported_by_name",
    "invoked_at",
    "invoked_by_name",
    "restored_at",
    "restored_by_name",
    "stood_down_at",
    "stood_down_by_name",
    "closed_note",
    "procedures",
    "routing",
    "as_if",
    "clock_shift",
)

# `as_if` and `clock_shift` (an exercise's moment and scenario clock) came later: an older file has neither.
register(
    Section("incident", Incident, ("", ""), INCIDENT_FIELDS, rows=_incident_itself, optional=("as_if", "clock_shift"))
)
register(
    Section(
        "affected",
        AffectedFunction,
        ("incident", "incident"),
        ("position", "key", "name", "chain", "degraded", "rto", "rto_due_at", "mtpd", "mtpd_due_at", "impact"),
        natural=("key",),
    )
)
register(
    Section(
        "tasks",
        Task,
        ("incident", "incident"),
        (
            "key",
            "position",
            "source",
            "origin",
            "step_key",
            "text",
            "kind",
            "when",
            "who_key",
            "who_name",
            "note",
            "due_at",
            "state",
            "outcome",
            "created_at",
            "started_at",
            "finished_at",
            "finished_by_name",
        ),
        refs={"replaced_by": "tasks"},
        natural=("key",),
    )
)
register(
    Section(
        "targets",
        InformTarget,
        ("task", "tasks"),
        ("position", "key", "name", "contact", "told_at", "told_by_name", "how"),
        natural=("key",),
        rows=_by_task,
    )
)
register(Section("timeline", TimelineEntry, ("incident", "incident"), ("at", "kind", "text", "actor_name", "audience")))
register(
    Section(
        "dueActions",
        DueAction,
        ("incident", "incident"),
        (
            "kind",
            "key",
            "sequence",
            "name",
            "due_at",
            "state",
            "fired_at",
            "fired_by",
            "note",
            "attempts",
            "retry_at",
            "last_error",
        ),
        natural=("kind", "key", "sequence"),
        rows=_due_actions,
    )
)
register(Section("handovers", Handover, ("incident", "incident"), ("at", "from_name", "to_name", "note", "report")))
register(
    Section(
        "review",
        Review,
        ("incident", "incident"),
        ("whys", "root_cause", "went_well", "went_badly", "lessons", "completed_at"),
        natural=(),
        rows=_review,
    )
)
register(
    Section(
        "reviewActions",
        ReviewAction,
        ("review", "review"),
        ("text", "owner", "due_on", "done_at", "done_note"),
        rows=_review_actions,
    )
)
