"""Downtime record services: record, re-enter, spot-check, resolve, draw samples, allocate ID ranges.

Keyword-only, with `actor` and `via`; each is one transaction with its own audit entry, and refuses
with DowntimeError (nothing changed). Pages, the API and the command line call these and only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.core.models import Organisation
from contingency.incidents.firing import note
from contingency.incidents.models import EventKind, Incident, State
from contingency.incidents.services import Actor, incident_key
from contingency.incidents.snapshot import calendar_of, document_of
from contingency.lib.checkchars import CheckError, DowntimeId, make_id
from contingency.plans.spec.records import RecordKind

from . import checks, sampling
from .models import DowntimeRecord, IdRange, RecordState, SpotCheckDraw

RECORDABLE = (State.INVOKED, State.RESTORED, State.STOOD_DOWN)
LIMIT = 2000


class DowntimeError(Refused):
    """A downtime record change that was not made; `errors` holds every (field, message) when there are several."""

    code = "downtime.refused"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        kind: Kind | None = None,
        errors: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(message, field, kind=kind)
        self.errors = errors or []

    def problems(self) -> list[tuple[str | None, str]]:
        return list(self.errors) if self.errors else super().problems()


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


def _name(actor: Actor, via: str) -> str:
    return audit.actor_name(actor, via)


def record_key(record: DowntimeRecord) -> str:
    return f"{incident_key(record.incident)}/downtime/{record.number}"


def state_of(record: DowntimeRecord) -> dict[str, Any]:
    return {
        "state": record.state,
        "kind": record.kind_key,
        "values": record.values,
        "systemReference": record.system_reference,
        "discrepancy": record.discrepancy,
        "resolution": record.resolution,
    }


def _audit(record: DowntimeRecord, *, actor: Actor, via: str, verb: str, what: str, before: Any) -> None:
    audit.record(
        organisation=record.organisation,
        actor=actor,
        verb=verb,
        object_type="downtime-record",
        object_key=record_key(record),
        label=f"Downtime record {record.number} of #{record.incident.number} ({record.kind_key})",
        before=before,
        after=state_of(record),
        note=what,
        via=via,
    )


# ---------------------------------------------------------------- the kinds an incident can record


@dataclass(frozen=True)
class KindOf:
    """A record kind an incident offers: the lost function that keeps it, and the kind itself."""

    function_key: str
    function_name: str
    kind: RecordKind


def kinds_of(incident: Incident) -> list[KindOf]:
    """The record kinds of the functions the incident affects, in the plan's order (each kind once)."""
    document = document_of(incident)
    affected = set(incident.affected.values_list("key", flat=True))
    by_id = {k.id: k for k in document.record_kinds}
    found: dict[str, KindOf] = {}
    for fn in document.functions:
        if fn.id not in affected or fn.data_recovery is None:
            continue
        for key in fn.data_recovery.records:
            if key in by_id and key not in found:
                found[key] = KindOf(fn.id, fn.name, by_id[key])
    return list(found.values())


def kind_of(incident: Incident, key: str) -> KindOf:
    for found in kinds_of(incident):
        if found.kind.id == key:
            return found
    offered = ", ".join(k.kind.id for k in kinds_of(incident)) or "none: no lost function names record kinds"
    raise DowntimeError(f"incident #{incident.number} keeps no record kind {key!r} (it keeps {offered})", "kind")


def _known_id(organisation: Organisation) -> Any:
    ranges = list(IdRange.objects.filter(organisation=organisation))

    def known(found: DowntimeId) -> bool:
        return any(
            r.prefix == found.prefix and r.digits == found.digits and r.first <= found.number <= r.last for r in ranges
        )

    return known


def check_context(incident: Incident, kind: RecordKind, now: datetime) -> checks.Context:
    calendar = calendar_of(incident)
    return checks.context_for(
        document_of(incident),
        kind,
        calendar.zone,
        incident.began_at,
        incident.restored_at or now,
        _known_id(incident.organisation),
    )


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)


def duplicates(
    incident: Incident, kind: str, columns: Mapping[str, Any], exclude: int | None = None
) -> list[tuple[str, str]]:
    """(field column, message) for each identifier already used: a downtime ID anywhere in the organisation,
    an accession number, study UID or reference in the same kind of this incident."""
    found: list[tuple[str, str]] = []
    records = DowntimeRecord.objects.filter(organisation_id=incident.organisation_id).select_related("incident")
    if exclude is not None:
        records = records.exclude(pk=exclude)
    if code := columns.get("downtime_id"):
        other = records.filter(downtime_id=code).first()
        if other is not None:
            found.append(
                (
                    "downtime_id",
                    f"downtime ID {code} is already used by record {other.number} of incident #{other.incident.number}",
                )
            )
    for column, words in (
        ("accession_number", "accession number"),
        ("study_uid", "study UID"),
        ("reference", "reference"),
    ):
        value = columns.get(column)
        if not value:
            continue
        other = records.filter(incident=incident, kind_key=kind, **{column: value}).first()
        if other is not None:
            found.append((column, f"{words} {value} is already recorded as record {other.number} of this kind"))
    return found


def _field_of(kind: RecordKind, column: str) -> str:
    for spec in kind.fields:
        if checks.COLUMNS.get(spec.type) == column:
            return spec.name
    return column


# ---------------------------------------------------------------- recording


def record(
    *,
    incident: Incident,
    kind: str,
    values: Mapping[str, Any],
    actor: Actor,
    via: str = "web",
    client_key: str = "",
    at: datetime | None = None,
) -> DowntimeRecord:
    """Record one thing done by hand during the downtime; a repeated `client_key` returns the first record."""
    now = at or timezone.now()
    client_key = client_key.strip()[:64]
    with transaction.atomic():
        incident = _locked(incident)
        if client_key:
            again = DowntimeRecord.objects.filter(organisation=incident.organisation, client_key=client_key).first()
            if again is not None:
                return again
        if incident.state not in RECORDABLE:
            raise DowntimeError(
                f"incident #{incident.number} is {incident.state}: records are kept once the plan is invoked"
            )
        found = kind_of(incident, kind)
        checked = checks.check_values(check_context(incident, found.kind, now), values)
        errors = list(checked.errors)
        errors += [(_field_of(found.kind, c), m) for c, m in duplicates(incident, kind, checked.columns)]
        if errors:
            raise DowntimeError(errors[0][1], errors[0][0], errors=errors)
        created = _create(incident, found, checked, actor=actor, via=via, client_key=client_key, now=now)
        _audit(created, actor=actor, via=via, verb=audit.Verb.CREATE, what="recorded", before=None)
    return created


def _create(
    incident: Incident,
    found: KindOf,
    checked: checks.Checked,
    *,
    actor: Actor,
    via: str,
    client_key: str,
    now: datetime,
    number: int | None = None,
) -> DowntimeRecord:
    if number is None:
        number = (DowntimeRecord.objects.filter(incident=incident).aggregate(n=Max("number"))["n"] or 0) + 1
    row = DowntimeRecord(
        organisation=incident.organisation,
        incident=incident,
        number=number,
        function_key=found.function_key,
        kind_key=found.kind.id,
        system_key=found.kind.system,
        values=checked.values,
        client_key=client_key,
        recorded_at=now,
        recorded_by=_user(actor),
        recorded_by_name=_name(actor, via),
        recorded_via=via,
        day=day_of(incident, checked.columns.get("occurred_at"), now),
        **checked.columns,
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        # Another request took the same identifier between our check and our write.
        raise DowntimeError(
            "a record with the same downtime ID or identifier was saved meanwhile: check and try again",
            kind=Kind.CONFLICT,
        ) from None
    return row


# ---------------------------------------------------------------- re-entry, spot checks, resolution


def _locked_record(record: DowntimeRecord) -> DowntimeRecord:
    return (
        DowntimeRecord.objects.select_for_update()
        .select_related("incident__organisation", "organisation")
        .get(pk=record.pk)
    )


def day_of(incident: Incident, occurred_at: datetime | None, recorded_at: datetime) -> date:
    """The day a record counts for in spot checks: when it was done, else when it was recorded (local)."""
    return calendar_of(incident).local(occurred_at or recorded_at).date()


def reenter(
    *, record: DowntimeRecord, system_reference: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> DowntimeRecord:
    """The record has been typed into its system: who, when, and the system's own reference for it."""
    now = at or timezone.now()
    reference = system_reference.strip()
    if not reference:
        raise DowntimeError(
            "give the system's own reference for the record (e.g. the RIS or platform number)", "system_reference"
        )
    if len(reference) > 200:
        raise DowntimeError("keep the system's reference under 200 characters", "system_reference")
    with transaction.atomic():
        record = _locked_record(record)
        if record.state != RecordState.RECORDED:
            raise DowntimeError(f"record {record.number} is already {record.state}")
        before = state_of(record)
        record.state = RecordState.REENTERED
        record.reentered_at = now
        record.reentered_by = _user(actor)
        record.reentered_by_name = _name(actor, via)
        record.system_reference = reference
        record.save()
        _audit(record, actor=actor, via=via, verb=audit.Verb.CHANGE, what="re-entered", before=before)
        # Once every record of the kind made that day is re-entered, the day's sample is drawn.
        same_day = DowntimeRecord.objects.filter(incident=record.incident, kind_key=record.kind_key, day=record.day)
        if not same_day.filter(state=RecordState.RECORDED).exists():
            _draw(
                record.incident,
                record.kind_key,
                record.day,
                actor=actor,
                via=via,
                now=now,
                reason="every record of the day re-entered",
            )
    return record


def spot_check(
    *,
    record: DowntimeRecord,
    matches: bool,
    actor: Actor,
    reason: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> DowntimeRecord:
    """A second person checked a sampled record against the system: it matches (verified) or not (why)."""
    now = at or timezone.now()
    reason = reason.strip()
    if not matches and not reason:
        raise DowntimeError("say what does not match (e.g. the NHS number differs)", "reason")
    if len(reason) > LIMIT:
        raise DowntimeError(f"keep this under {LIMIT:,} characters", "reason")
    with transaction.atomic():
        record = _locked_record(record)
        if record.state != RecordState.REENTERED:
            raise DowntimeError(f"record {record.number} is {record.state}: only a re-entered record is spot-checked")
        if record.sampled_in_id is None:
            raise DowntimeError(f"record {record.number} is not in the spot-check sample: draw the sample first")
        user = _user(actor)
        if (
            user is None
            or (record.reentered_by_id is not None and record.reentered_by_id == user.pk)
            or record.reentered_by_name == _name(actor, via)
        ):
            raise DowntimeError(
                f"a second person checks record {record.number}: not the person who re-entered it ({record.reentered_by_name})"
            )
        before = state_of(record)
        record.state = RecordState.VERIFIED if matches else RecordState.DISCREPANCY
        record.checked_at = now
        record.checked_by = user
        record.checked_by_name = _name(actor, via)
        record.discrepancy = "" if matches else reason
        record.save()
        _audit(
            record,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            what="verified" if matches else "discrepancy",
            before=before,
        )
        if not matches:
            incident = record.incident
            note(
                incident,
                EventKind.DOWNTIME,
                f"Spot check failed on downtime record {record.number} ({record.kind_key}): {reason}",
                at=now,
                actor=_name(actor, via),
            )
            _draw(
                incident,
                record.kind_key,
                record.day,
                actor=actor,
                via=via,
                now=now,
                reason=f"a check of record {record.number} failed",
            )
    return record


def resolve(
    *, record: DowntimeRecord, resolution: str, actor: Actor, via: str = "web", at: datetime | None = None
) -> DowntimeRecord:
    """A discrepancy put right in the system: how."""
    now = at or timezone.now()
    resolution = resolution.strip()
    if not resolution:
        raise DowntimeError("say how the discrepancy was put right", "resolution")
    if len(resolution) > LIMIT:
        raise DowntimeError(f"keep this under {LIMIT:,} characters", "resolution")
    with transaction.atomic():
        record = _locked_record(record)
        if record.state != RecordState.DISCREPANCY:
            raise DowntimeError(f"record {record.number} is {record.state}: only a discrepancy is resolved")
        before = state_of(record)
        record.state = RecordState.RESOLVED
        record.resolved_at = now
        record.resolved_by_name = _name(actor, via)
        record.resolution = resolution
        record.save()
        _audit(record, actor=actor, via=via, verb=audit.Verb.CHANGE, what="resolved", before=before)
    return record


# ---------------------------------------------------------------- spot-check draws


def draw_spot_checks(
    *, incident: Incident, actor: Actor, via: str = "web", at: datetime | None = None
) -> list[SpotCheckDraw]:
    """Draw (or top up) the sample of every kind and day with re-entered records, as the plan's rule says."""
    now = at or timezone.now()
    with transaction.atomic():
        incident = _locked(incident)
        rows = DowntimeRecord.objects.filter(incident=incident).exclude(state=RecordState.RECORDED)
        groups = set(rows.values_list("kind_key", "day"))
        made = [
            d
            for kind, day in sorted(groups)
            if (d := _draw(incident, kind, day, actor=actor, via=via, now=now, reason="drawn on request"))
        ]
    return made


def _draw(
    incident: Incident, kind_key: str, day: date, *, actor: Actor, via: str, now: datetime, reason: str
) -> SpotCheckDraw | None:
    """Top the (kind, day) sample up to the rule's target; None when nothing more is needed."""
    kind = next((k for k in document_of(incident).record_kinds if k.id == kind_key), None)
    if kind is None:
        return None
    rule = kind.verification
    records = list(DowntimeRecord.objects.filter(incident=incident, kind_key=kind_key, day=day))
    population = [r for r in records if r.state != RecordState.RECORDED]
    failed = any(r.state in (RecordState.DISCREPANCY, RecordState.RESOLVED) for r in records)
    share = sampling.share_in_force(rule.share, rule.widen_to, failed)
    size = sampling.target(len(population), share, rule.at_least)
    previous = SpotCheckDraw.objects.filter(incident=incident, kind_key=kind_key, day=day).order_by("drawn_at", "id")
    seed = previous[0].seed if previous else sampling.new_seed()
    already = {str(r.number) for r in population if r.sampled_in_id is not None}
    picks = sampling.draw((str(r.number) for r in population), already, seed, size)
    if not picks:
        return None
    made = SpotCheckDraw.objects.create(
        incident=incident,
        kind_key=kind_key,
        day=day,
        seed=seed,
        share=share,
        at_least=rule.at_least,
        population=sorted(int(r.number) for r in population),
        target=size,
        drawn=[int(p) for p in picks],
        reason=reason,
        drawn_at=now,
        drawn_by_name=_name(actor, via),
    )
    DowntimeRecord.objects.filter(incident=incident, number__in=[int(p) for p in picks]).update(sampled_in=made)
    note(
        incident,
        EventKind.DOWNTIME,
        f"Spot checks drawn for {kind.name} on {day:%a %d %b}: records {', '.join(picks)} "
        f"({size} of {len(population)} at {share}%, seed {seed}; {reason}).",
        at=now,
        actor=_name(actor, via),
    )
    audit.record(
        organisation=incident.organisation,
        actor=actor,
        verb=audit.Verb.CREATE,
        object_type="spot-check-draw",
        object_key=f"{incident_key(incident)}/downtime/draw/{made.pk}",
        label=f"Spot checks of {kind.name} on {day}",
        after={"seed": seed, "share": share, "population": made.population, "drawn": made.drawn, "reason": reason},
        via=via,
    )
    return made


# ---------------------------------------------------------------- downtime ID ranges


def allocate_range(
    *,
    organisation: Organisation,
    prefix: str,
    first: int,
    last: int,
    digits: int,
    allocated_to: str,
    actor: Actor,
    forms: str = "",
    note_text: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> IdRange:
    """Reserve downtime IDs prefix+first .. prefix+last for a site or department; ranges never overlap."""
    now = at or timezone.now()
    prefix = prefix.strip().upper()
    allocated_to = allocated_to.strip()
    try:
        make_id(prefix, first, digits)
        make_id(prefix, last, digits)
    except CheckError as bad:
        raise DowntimeError(str(bad), "prefix" if "prefix" in str(bad) else "last") from None
    if first > last:
        raise DowntimeError("the first number must not be after the last", "first")
    if not allocated_to:
        raise DowntimeError("say which site or department the IDs are for", "allocated_to")
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        clash = (
            IdRange.objects.filter(organisation=organisation, prefix=prefix)
            .filter(Q(first__lte=last) & Q(last__gte=first))
            .first()
        )
        if clash is not None:
            raise DowntimeError(f"overlaps the range {clash} already allocated", "first")
        made = IdRange.objects.create(
            organisation=organisation,
            prefix=prefix,
            first=first,
            last=last,
            digits=digits,
            allocated_to=allocated_to[:200],
            forms=forms.strip()[:200],
            note=note_text.strip()[:LIMIT],
            created_at=now,
            created_by_name=_name(actor, via),
        )
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="downtime-id-range",
            object_key=f"downtime-ids/{prefix}/{first}",
            label=str(made),
            after={
                "prefix": prefix,
                "first": first,
                "last": last,
                "digits": digits,
                "allocatedTo": made.allocated_to,
                "forms": made.forms,
            },
            via=via,
        )
    return made


def ids_of(id_range: IdRange, *, limit: int = 10_000) -> list[DowntimeId]:
    """The IDs of a range in order (at most `limit`), for printing onto forms."""
    return [
        make_id(id_range.prefix, n, id_range.digits)
        for n in range(id_range.first, min(id_range.last, id_range.first + limit - 1) + 1)
    ]
