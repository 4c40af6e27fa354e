"""Importing an export file: new incidents get numbers here, rows are found again by their origin.

One transaction for the whole file, one audit entry per incident created or changed. A row is found
by its origin key (ImportedRow), so importing the same file twice is a no-op: nothing is written,
not even an audit entry. A later export of the same incident updates what the laptop changed since
and adds what it added - unless the same row was also changed here since the import, or a row the
file adds already exists here (the same trigger point fired on both sides): then nothing at all is
imported and every such conflict is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.core.models import Organisation
from contingency.plans.models import Plan

from ..models import EventKind, ImportedRow, Incident, TimelineEntry, touch
from ..services import Actor, _name, incident_key
from .bundle import Bundle, IncidentIn, RowIn
from .sections import OriginOf, Section, digest, json_name, row_out, section_of, sections


class TransferRefused(Refused):
    """Nothing was imported; `conflicts` says why (conflicts with what happened here, or the wrong place)."""

    code = "incident.import-refused"

    def __init__(self, conflicts: list[str]):
        super().__init__("; ".join(conflicts), kind=Kind.CONFLICT)
        self.conflicts = conflicts

    def problems(self) -> list[tuple[str | None, str]]:
        return [(None, conflict) for conflict in self.conflicts]


@dataclass
class Imported:
    """What one incident's import did."""

    origin: str
    number_there: int
    number: int = 0  # its number here
    created: bool = False
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)


@dataclass
class _Run:
    """The state of importing one incident: which rows are where, and what is still to do."""

    incoming: IncidentIn
    incident: Incident | None
    mapped: dict[str, ImportedRow]
    outcome: Imported
    here: dict[str, int] = field(default_factory=dict)  # origin -> primary key here
    touched: list[tuple[Section, RowIn, models.Model]] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


def import_bundle(
    *, bundle: Bundle, organisation: Organisation, actor: Actor, via: str, source: str = ""
) -> list[Imported]:
    """Import every incident of the file into `organisation`, all or nothing; raise TransferRefused."""
    if bundle.organisation != organisation.slug:
        raise TransferRefused(
            [f"the file holds incidents of {bundle.organisation!r}, not {organisation.slug!r}: import it there"]
        )
    try:
        return _import(bundle, organisation, actor=actor, via=via, source=source)
    except IntegrityError as exc:
        raise TransferRefused([f"the file holds rows that clash with each other or with rows here: {exc}"]) from None


def _import(bundle: Bundle, organisation: Organisation, *, actor: Actor, via: str, source: str) -> list[Imported]:
    now = timezone.now()
    results: list[Imported] = []
    conflicts: list[str] = []
    with transaction.atomic():
        # Numbers are given in turn: hold the organisation so two imports cannot take the same one.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        for incoming in bundle.incidents:
            run = _start(incoming, organisation)
            conflicts += run.conflicts
            if run.conflicts:
                continue
            _rows(run, organisation, now)
            conflicts += run.conflicts
            if not run.conflicts and run.outcome.changed:
                _finish(run, now, actor=actor, via=via, source=source or _describe(bundle))
            results.append(run.outcome)
        if conflicts:
            raise TransferRefused(conflicts)
    # Pages that show these incidents follow their version: after the transaction, as it did not lock them first.
    changed = [result.origin for result in results if result.changed]
    touch(*Incident.objects.filter(uid__in=changed).values_list("pk", flat=True))
    return results


def _describe(bundle: Bundle) -> str:
    where = bundle.source.get("site") or "another install"
    return f"{where}, exported {bundle.exported_at}"


def _start(incoming: IncidentIn, organisation: Organisation) -> _Run:
    incident = Incident.objects.filter(uid=incoming.origin).first()
    outcome = Imported(incoming.origin, incoming.number)
    mapped = {row.origin: row for row in ImportedRow.objects.filter(incident=incident)} if incident else {}
    run = _Run(incoming, incident, mapped, outcome)
    if incident is not None and incident.organisation_id != organisation.pk:
        run.conflicts.append(f"incident #{incoming.number} there is already here, in another organisation")
    if incident is not None and not mapped:
        run.conflicts.append(f"incident #{incoming.number} there was made here, not imported: it is not replaced")
    if incident is not None:
        outcome.number = incident.number
        run.here = {origin: row.object_id for origin, row in mapped.items()}
    return run


def _rows(run: _Run, organisation: Organisation, now: datetime) -> None:
    check = _origins_here(run, {})
    for sec in sections():
        for row in run.incoming.rows.get(sec.name, []):
            found = run.mapped.get(row.origin)
            if found is None:
                _add(run, sec, row, organisation)
            elif found.source_digest == digest(sec, row.raw):
                run.outcome.unchanged += 1
            else:
                _update(run, sec, row, found, check)
    if run.conflicts:
        return
    for sec, row, obj in run.touched:
        changed = [name for name in sec.refs if _link(run, sec, row, name, obj)]
        if changed:
            obj.save(update_fields=changed)


def _add(run: _Run, sec: Section, row: RowIn, organisation: Organisation) -> None:
    values = _fields(sec, row, created=True)
    if sec.name == "incident":
        values |= {
            "organisation": organisation,
            "number": (Incident.objects.filter(organisation=organisation).aggregate(n=Max("number"))["n"] or 0) + 1,
            "plan": Plan.objects.filter(organisation=organisation, key=values["plan_key"]).first(),
            "uid": run.incoming.origin,
        }
    else:
        parent_id = run.here.get(str(row.values[sec.parent[0]]))
        if parent_id is None:  # its parent was refused: that conflict is already named
            return
        values[f"{sec.parent[0]}_id"] = parent_id
        if _has_field(sec.model, "organisation"):
            values["organisation"] = organisation  # a row that also names its organisation: the one imported into
        if sec.on_add is not None:
            values = sec.on_add(values, organisation)
        if not _unique_here(run, sec, values, organisation, exclude=None):
            return
        if sec.natural is not None and not run.outcome.created:
            clash = {f"{sec.parent[0]}_id": parent_id, **{name: values[name] for name in sec.natural}}
            if sec.model._default_manager.filter(**clash).exists():
                what = ", ".join(f"{name} {values[name]!r}" for name in sec.natural) or "one already"
                run.conflicts.append(
                    f"incident #{run.outcome.number}: a {sec.name} row ({what}) was made here after the import, "
                    "and the laptop made one too"
                )
                return
    obj = sec.model._default_manager.create(**values)
    run.here[row.origin] = int(obj.pk)
    run.touched.append((sec, row, obj))
    run.outcome.added += 1
    if isinstance(obj, Incident):
        run.incident = obj
        run.outcome.number, run.outcome.created = obj.number, True


def _update(run: _Run, sec: Section, row: RowIn, found: ImportedRow, check: OriginOf) -> None:
    obj = sec.model._default_manager.filter(pk=found.object_id).first()
    if obj is None or digest(sec, row_out(sec, obj, check)) != found.local_digest:
        run.conflicts.append(
            f"incident #{run.outcome.number}: a {sec.name} row ({row.origin}) was changed on the laptop and "
            f"also here since it was imported on {found.imported_at:%d %b %Y %H:%M}"
        )
        return
    values = _fields(sec, row, created=False)
    if not _unique_here(run, sec, values, getattr(obj, "organisation", None), exclude=int(obj.pk)):
        return
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save()
    run.touched.append((sec, row, obj))
    run.outcome.updated += 1


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.concrete_fields)


def _unique_here(run: _Run, sec: Section, values: dict[str, Any], organisation: Any, *, exclude: int | None) -> bool:
    """Whether the row's organisation-wide unique values (a downtime ID) are free here; names the clash if not."""
    for name in sec.unique_in_organisation:
        value = values.get(name)
        if not value or organisation is None:
            continue
        taken = sec.model._default_manager.filter(organisation=organisation, **{name: value}).exclude(pk=exclude)
        other = taken.select_related("incident").first()
        if other is not None:
            where = getattr(getattr(other, "incident", None), "number", "?")
            run.conflicts.append(
                f"incident #{run.outcome.number_there} there: its {sec.name} row with {json_name(name)} {value!r} "
                f"clashes with one already recorded here (incident #{where})"
            )
            return False
    return True


def _fields(sec: Section, row: RowIn, *, created: bool) -> dict[str, Any]:
    values = {name: row.values[name] for name in sec.fields}
    return sec.on_import(values, row.origin, created) if sec.on_import else values


def _link(run: _Run, sec: Section, row: RowIn, name: str, obj: models.Model) -> bool:
    origin = row.values.get(name)
    target = run.here.get(str(origin)) if origin is not None else None
    if getattr(obj, f"{name}_id") == target:
        return False
    setattr(obj, f"{name}_id", target)
    return True


def _origins_here(run: _Run, added: dict[tuple[str, int], str]) -> OriginOf:
    """Origins of this incident's rows here: imported (and `added`) rows by their origin, rows made here
    as local ones, so a row's digest here can be compared with the one recorded at its import."""
    back = {(row.section, row.object_id): origin for origin, row in run.mapped.items()} | added

    def origin_of(model: type[models.Model], pk: int) -> str:
        if model is Incident:
            return run.incoming.origin
        name = section_of(model).name
        return back.get((name, pk)) or f"local:{name}:{pk}"

    return origin_of


def _finish(run: _Run, now: datetime, *, actor: Actor, via: str, source: str) -> None:
    """Record each touched row's origin and digests, a timeline note and the audit entry."""
    incident = run.incident
    assert incident is not None
    final = _origins_here(run, {(sec.name, int(obj.pk)): row.origin for sec, row, obj in run.touched})
    for sec, row, obj in run.touched:
        obj.refresh_from_db()
        ImportedRow.objects.update_or_create(
            origin=row.origin,
            defaults={
                "incident": incident,
                "section": sec.name,
                "object_id": int(obj.pk),
                "source_digest": digest(sec, row.raw),
                "local_digest": digest(sec, row_out(sec, obj, final)),
                "imported_at": now,
            },
        )
    outcome = run.outcome
    words = "Imported" if outcome.created else "Updated"
    text = (
        f"{words} from a laptop copy ({source}; incident #{outcome.number_there} there): "
        f"{outcome.added} row(s) added, {outcome.updated} updated."
    )
    TimelineEntry.objects.create(
        incident=incident, at=now, kind=EventKind.UPDATE, text=text, actor_name=_name(actor, via)
    )
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=audit.Verb.CREATE if outcome.created else audit.Verb.CHANGE,
        object_type="incident",
        object_key=incident_key(incident),
        label=f"#{incident.number} {incident.title}",
        after={"origin": outcome.origin, "added": outcome.added, "updated": outcome.updated, "state": incident.state},
        note=text,
        via=via,
    )
