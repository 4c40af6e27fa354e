"""Writing contract KPIs and their relaxations: keyword-only, one transaction, each change audited."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from contingency.compliance import files
from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.incidents.models import Incident
from contingency.packs import terms
from contingency.plans.models import Plan

from .models import (
    CapacityReview,
    ClockUnit,
    ContractKpi,
    KpiRelaxation,
    ProviderStatus,
    RelaxationFile,
    SubContractor,
)

Actor = AbstractBaseUser | AnonymousUser | None
MAX_LINE = 200
MAX_NOTE = 4000
MAX_CLOCK = 999


class CommissioningRefused(Refused):
    code = "commissioning.refused"


def _line(value: str, field: str, what: str, *, required: bool = True) -> str:
    value = " ".join(value.split())
    if required and not value:
        raise CommissioningRefused(f"Enter {what}.", field)
    if len(value) > MAX_LINE:
        raise CommissioningRefused(f"Keep {what} under {MAX_LINE} characters.", field)
    return value


def _kpi_state(kpi: ContractKpi) -> dict[str, Any]:
    return {
        "what": kpi.what,
        "target": kpi.target,
        "clock": f"{kpi.clock_value} {kpi.clock_unit}",
        "clockFrom": kpi.clock_from,
        "commissioner": kpi.commissioner,
    }


def _kpi_fields(
    what: str, target: str, clock_value: int, clock_unit: str, clock_from: str, commissioner: str
) -> dict[str, Any]:
    if clock_unit not in ClockUnit.values:
        raise CommissioningRefused(
            "Choose how the clock counts: minutes, hours, calendar or working days, weeks.", "clock_unit"
        )
    if not 1 <= clock_value <= MAX_CLOCK:
        raise CommissioningRefused(f"The clock is a whole number from 1 to {MAX_CLOCK}.", "clock_value")
    return {
        "what": _line(what, "what", "what the KPI measures"),
        "target": _line(target, "target", "the target as the contract writes it"),
        "clock_value": clock_value,
        "clock_unit": clock_unit,
        "clock_from": _line(clock_from, "clock_from", "what starts the clock", required=False),
        "commissioner": _line(commissioner, "commissioner", "the commissioner's name"),
    }


def _audit_kpi(kpi: ContractKpi, actor: Actor, via: str, verb: str, before: Any, after: Any) -> None:
    audit.record(
        organisation=kpi.organisation,
        actor=actor,
        verb=verb,
        object_type="contract-kpi",
        object_key=f"{kpi.plan.key}/{kpi.pk}",
        label=f"{kpi.what}: {kpi.target}",
        before=before,
        after=after,
        via=via,
    )


def add_kpi(
    *,
    plan: Plan,
    what: str,
    target: str,
    clock_value: int,
    clock_unit: str,
    clock_from: str = "",
    commissioner: str,
    actor: Actor,
    via: str,
) -> ContractKpi:
    """Record a contract KPI the commissioner holds the plan's service to."""
    fields = _kpi_fields(what, target, clock_value, clock_unit, clock_from, commissioner)
    with transaction.atomic():
        kpi = ContractKpi.objects.create(organisation=plan.organisation, plan=plan, created_at=timezone.now(), **fields)
        _audit_kpi(kpi, actor, via, audit.Verb.CREATE, None, _kpi_state(kpi))
    return kpi


def change_kpi(
    *,
    kpi: ContractKpi,
    what: str,
    target: str,
    clock_value: int,
    clock_unit: str,
    clock_from: str = "",
    commissioner: str,
    actor: Actor,
    via: str,
) -> ContractKpi:
    """Change a KPI's words or clock; relaxations already asked keep the words they were asked with."""
    fields = _kpi_fields(what, target, clock_value, clock_unit, clock_from, commissioner)
    with transaction.atomic():
        kpi = ContractKpi.objects.select_for_update().select_related("organisation", "plan").get(pk=kpi.pk)
        before = _kpi_state(kpi)
        for name, value in fields.items():
            setattr(kpi, name, value)
        if _kpi_state(kpi) == before:
            raise CommissioningRefused("Nothing changed: the KPI is as it was.")
        kpi.save()
        _audit_kpi(kpi, actor, via, audit.Verb.CHANGE, before, _kpi_state(kpi))
    return kpi


def remove_kpi(*, kpi: ContractKpi, actor: Actor, via: str) -> None:
    """Remove a KPI from the plan; its relaxations stay in their incidents' logs, with its words."""
    with transaction.atomic():
        kpi = ContractKpi.objects.select_for_update().select_related("organisation", "plan").get(pk=kpi.pk)
        before = _kpi_state(kpi)
        _audit_kpi(kpi, actor, via, audit.Verb.DELETE, before, None)
        kpi.delete()


# ------------------------------------------------------------------------------------------ relaxations


def _relaxation_state(row: KpiRelaxation) -> dict[str, Any]:
    return {
        "kpi": row.kpi_words,
        "commissioner": row.commissioner,
        "askedOf": row.asked_of,
        "askedAt": row.asked_at.isoformat(),
        "agreedBy": row.agreed_by,
        "agreedAt": row.agreed_at.isoformat() if row.agreed_at else None,
        "from": row.relaxed_from.isoformat(),
        "to": row.relaxed_to.isoformat(),
        "note": row.note,
        "file": row.file_name,
        "sha256": row.sha256,
    }


def _audit_relaxation(row: KpiRelaxation, actor: Actor, via: str, verb: str, before: Any, what: str) -> None:
    audit.record(
        organisation=row.organisation,
        actor=actor,
        verb=verb,
        object_type="kpi-relaxation",
        object_key=f"incident-{row.incident.number}/{row.pk}",
        label=f"#{row.incident.number}: {row.kpi_words}",
        before=before,
        after=_relaxation_state(row),
        note=what,
        via=via,
    )


def _checked_file(file_name: str, data: bytes | None) -> tuple[str, str] | None:
    if data is None:
        return None
    try:
        return files.check(file_name, data)
    except files.FileRefused as refused:
        raise CommissioningRefused(str(refused), "file") from None


def _attach(row: KpiRelaxation, checked: tuple[str, str] | None, data: bytes | None) -> None:
    if checked is None or data is None:
        return
    row.file_name, row.content_type = checked
    row.size, row.sha256 = len(data), hashlib.sha256(data).hexdigest()
    RelaxationFile.objects.update_or_create(relaxation=row, defaults={"data": data})


def _agreement(
    agreed_by: str, agreed_at: datetime | None, asked_at: datetime, now: datetime
) -> tuple[str, datetime | None]:
    agreed_by = _line(agreed_by, "agreed_by", "who agreed", required=False)
    if bool(agreed_by) != (agreed_at is not None):
        field = "agreed_at" if agreed_by else "agreed_by"
        raise CommissioningRefused("An agreement needs both who agreed and when.", field)
    if agreed_at is not None:
        if agreed_at > now:
            raise CommissioningRefused("The agreement cannot be in the future.", "agreed_at")
        if agreed_at < asked_at:
            raise CommissioningRefused("The agreement cannot come before it was asked for.", "agreed_at")
    return agreed_by, agreed_at


def ask_relaxation(
    *,
    incident: Incident,
    kpi: ContractKpi,
    asked_of: str,
    asked_at: datetime,
    relaxed_from: datetime,
    relaxed_to: datetime,
    agreed_by: str = "",
    agreed_at: datetime | None = None,
    note: str = "",
    file_name: str = "",
    data: bytes | None = None,
    actor: Actor,
    via: str,
    at: datetime | None = None,
) -> KpiRelaxation:
    """Log that the commissioner was asked to relax a KPI for a window (and, when known, who agreed it)."""
    now = at or timezone.now()
    if kpi.plan_id != incident.plan_id:
        raise CommissioningRefused("Choose a KPI of this incident's plan.", "kpi", kind=Kind.INVALID)
    asked_of = _line(asked_of, "asked_of", "who at the commissioner was asked")
    if asked_at > now:
        raise CommissioningRefused("The request cannot be in the future.", "asked_at")
    if relaxed_to <= relaxed_from:
        raise CommissioningRefused("The relaxed window must end after it starts.", "relaxed_to")
    agreed_by, agreed_at = _agreement(agreed_by, agreed_at, asked_at, now)
    if len(note) > MAX_NOTE:
        raise CommissioningRefused(f"Keep the note under {MAX_NOTE} characters.", "note")
    checked = _checked_file(file_name, data)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().select_related("organisation").get(pk=incident.pk)
        if incident.invoked_at is None:
            raise CommissioningRefused(f"Incident #{incident.number} was not invoked: no KPI clock was stopped.")
        row = KpiRelaxation.objects.create(
            organisation=incident.organisation,
            incident=incident,
            kpi=kpi,
            kpi_words=f"{kpi.what}: {kpi.target}, {kpi.clock_words}"[:500],
            commissioner=kpi.commissioner,
            asked_of=asked_of,
            asked_at=asked_at,
            agreed_by=agreed_by,
            agreed_at=agreed_at,
            relaxed_from=relaxed_from,
            relaxed_to=relaxed_to,
            note=note.strip(),
            recorded_by=audit.actor_name(actor, via),
        )
        _attach(row, checked, data)
        row.save()
        _audit_relaxation(row, actor, via, audit.Verb.CREATE, None, "asked" + (" and agreed" if agreed_at else ""))
    return row


def agree_relaxation(
    *,
    relaxation: KpiRelaxation,
    agreed_by: str,
    agreed_at: datetime,
    relaxed_from: datetime | None = None,
    relaxed_to: datetime | None = None,
    note: str = "",
    file_name: str = "",
    data: bytes | None = None,
    actor: Actor,
    via: str,
    at: datetime | None = None,
) -> KpiRelaxation:
    """Record who at the commissioner agreed the relaxation and when (and the window agreed, if it differs)."""
    now = at or timezone.now()
    if len(note) > MAX_NOTE:
        raise CommissioningRefused(f"Keep the note under {MAX_NOTE} characters.", "note")
    checked = _checked_file(file_name, data)
    with transaction.atomic():
        row = KpiRelaxation.objects.select_for_update().select_related("organisation", "incident").get(pk=relaxation.pk)
        if row.agreed_at is not None:
            raise CommissioningRefused(f"Already agreed by {row.agreed_by}.")
        agreed_by, agreed = _agreement(agreed_by, agreed_at, row.asked_at, now)
        if not agreed_by:
            raise CommissioningRefused("Enter who agreed.", "agreed_by")
        before = _relaxation_state(row)
        row.agreed_by, row.agreed_at = agreed_by, agreed
        row.relaxed_from = relaxed_from or row.relaxed_from
        row.relaxed_to = relaxed_to or row.relaxed_to
        if row.relaxed_to <= row.relaxed_from:
            raise CommissioningRefused("The relaxed window must end after it starts.", "relaxed_to")
        if note.strip():
            row.note = (row.note + "\n" if row.note else "") + note.strip()
        _attach(row, checked, data)
        row.save()
        _audit_relaxation(row, actor, via, audit.Verb.CHANGE, before, "agreed")
    return row


# ------------------------------------------------------------------------------------------ sub-contractors


def _audit_provider(row: SubContractor, actor: Actor, via: str, verb: str, before: Any, after: Any, what: str) -> None:
    audit.record(
        organisation=row.organisation,
        actor=actor,
        verb=verb,
        object_type="subcontractor",
        object_key=f"{row.plan.key}/{row.pk}",
        label=row.provider,
        before=before,
        after=after,
        note=what,
        via=via,
    )


def add_provider(*, plan: Plan, provider: str, capacity_per_week: int, actor: Actor, via: str) -> SubContractor:
    """Register a sub-contracted provider and its weekly capacity."""
    provider = _line(provider, "provider", "the provider's name")
    if not 0 <= capacity_per_week <= 100000:
        raise CommissioningRefused("The capacity is a whole number of appointments a week.", "capacity_per_week")
    with transaction.atomic():
        row = SubContractor.objects.create(
            organisation=plan.organisation,
            plan=plan,
            provider=provider,
            capacity_per_week=capacity_per_week,
            changed_at=timezone.now(),
        )
        after = {"provider": provider, "capacityPerWeek": capacity_per_week, "status": row.status}
        _audit_provider(row, actor, via, audit.Verb.CREATE, None, after, "added")
    return row


def withdraw_provider(*, provider: SubContractor, actor: Actor, via: str, at: datetime | None = None) -> CapacityReview:
    """Mark the provider withdrawn and open a capacity review, the commissioner still to be informed."""
    now = at or timezone.now()
    with transaction.atomic():
        row = SubContractor.objects.select_for_update().select_related("organisation", "plan").get(pk=provider.pk)
        if row.status == ProviderStatus.WITHDRAWN:
            raise CommissioningRefused(f"{row.provider} has already withdrawn.")
        row.status, row.changed_at = ProviderStatus.WITHDRAWN, now
        row.save(update_fields=["status", "changed_at"])
        left = sum(
            SubContractor.objects.filter(plan=row.plan, status=ProviderStatus.ACTIVE).values_list(
                "capacity_per_week", flat=True
            )
        )
        review = CapacityReview.objects.create(
            organisation=row.organisation,
            plan=row.plan,
            provider=row,
            opened_at=now,
            capacity_lost=row.capacity_per_week,
            capacity_left=left,
        )
        _audit_provider(
            row,
            actor,
            via,
            audit.Verb.CHANGE,
            {"status": ProviderStatus.ACTIVE},
            {"status": row.status, "capacityLost": row.capacity_per_week, "capacityLeft": left},
            "withdrawn; capacity review opened, commissioner to be informed",
        )
    return review


def commissioner_informed(
    *, review: CapacityReview, informed_by: str, actor: Actor, via: str, at: datetime | None = None
) -> CapacityReview:
    """Record that the commissioner was told of the capacity lost."""
    now = at or timezone.now()
    informed_by = _line(informed_by, "informed_by", "who told the commissioner")
    with transaction.atomic():
        row = (
            CapacityReview.objects.select_for_update()
            .select_related("provider__organisation", "provider__plan")
            .get(pk=review.pk)
        )
        if row.commissioner_informed_at is not None:
            raise CommissioningRefused(f"The commissioner was already informed by {row.informed_by}.")
        row.commissioner_informed_at, row.informed_by = now, informed_by
        row.save(update_fields=["commissioner_informed_at", "informed_by"])
        _audit_provider(
            row.provider,
            actor,
            via,
            audit.Verb.CHANGE,
            {"commissionerInformed": False},
            {"commissionerInformed": True, "by": informed_by},
            "capacity review: commissioner informed",
        )
    return row


def pack_terms(plan: Plan) -> list[terms.KpiTerms]:
    """The contract KPIs of `plan` as a grab pack prints them, in a fixed order (one query)."""
    return [
        terms.KpiTerms(what=k.what, target=k.target, clock=k.clock_words, commissioner=k.commissioner)
        for k in ContractKpi.objects.filter(plan=plan).order_by("what", "id")
    ]
