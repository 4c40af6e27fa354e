"""Supplier services: the assurance register of an organisation, and the vendor tickets of an incident with
their clocks. Writes are keyword-only, one transaction, audited; every change to a ticket rewrites its clocks'
breach rows (ClockDue) in the same transaction, so the worker's escalation can never miss a change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.core.models import AuditEntry, Organisation
from contingency.incidents.firing import note
from contingency.incidents.models import EventKind, Incident, State, touch
from contingency.incidents.snapshot import calendar_of
from contingency.packs import terms
from contingency.plans import models as plans
from contingency.plans.lint import SupplierAssurance
from contingency.plans.workflow import local_today, organisation_zone

from . import clocks, findings
from .models import Assurance, Clock, ClockDue, ClockEvent, DueState, HasPlan, Ticket

Actor = AbstractBaseUser | AnonymousUser | None
MAX_CONTACTS = 10
MAX_REASON = 2000
AUDIT_TYPE = "supplier-assurance"  # the audit log's entries of the register: its history (assurance_history)


class SupplierRefused(Refused):
    code = "suppliers.refused"


# ------------------------------------------------------------------------------------------ assurance


@dataclass(frozen=True)
class Row:
    """A supplier of the organisation's plans, with its assurance (None: none on file) and its findings."""

    key: str
    name: str
    plans: tuple[str, ...]
    assurance: Assurance | None
    state: findings.State
    findings: tuple[str, ...]


def facts_of(assurance: Assurance | None) -> findings.AssuranceFacts | None:
    if assurance is None:
        return None
    return findings.AssuranceFacts(assurance.has_plan, assurance.last_tested_on, assurance.review_on)


def plan_suppliers(organisation: Organisation) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Each supplier id in the organisation's plans: (its name in the first plan naming it, the plans' titles)."""
    named: dict[str, str] = {}
    titles: dict[str, list[str]] = defaultdict(list)
    for key, name, title in (
        plans.Supplier.objects.filter(plan__organisation=organisation)
        .order_by("plan__title", "position")
        .values_list("key", "name", "plan__title")
    ):
        named.setdefault(key, name)
        titles[key].append(title)
    return {key: (named[key], tuple(titles[key])) for key in sorted(named, key=lambda k: named[k].lower())}


def register(organisation: Organisation, on: date) -> list[Row]:
    """The organisation's plan suppliers and their assurance state on `on` (two queries)."""
    held = {row.supplier_key: row for row in Assurance.objects.filter(organisation=organisation)}
    rows = []
    for key, (name, titles) in plan_suppliers(organisation).items():
        assurance = held.get(key)
        facts = facts_of(assurance)
        rows.append(Row(key, name, titles, assurance, findings.state(facts, on), tuple(findings.findings(facts, on))))
    return rows


def assurance_facts(
    organisation: Organisation, keys: Iterable[str] | None = None
) -> dict[str, findings.AssuranceFacts]:
    """The assurance on file, by supplier id (of `keys` only, when given): one query."""
    rows = Assurance.objects.filter(organisation=organisation)
    if keys is not None:
        rows = rows.filter(supplier_key__in=list(keys))
    return {
        key: findings.AssuranceFacts(has_plan, tested, review)
        for key, has_plan, tested, review in rows.values_list("supplier_key", "has_plan", "last_tested_on", "review_on")
    }


def pack_terms(plan: plans.Plan, keys: Iterable[str]) -> list[terms.SupplierTerms]:
    """What a grab pack prints of the assurance on file for the suppliers `keys` of `plan` (one query):
    the contract's times as written, the escalation contacts in their order, and the day the record was
    last reviewed (written) on the organisation's calendar."""
    zone = organisation_zone(plan.organisation)
    rows = Assurance.objects.filter(organisation_id=plan.organisation_id, supplier_key__in=list(keys))
    return [
        terms.SupplierTerms(
            supplier=row.supplier_key,
            response=row.response_time,
            restore=row.restore_time,
            contacts=tuple(
                terms.Contact(str(c.get("name", "")), str(c.get("phone", "")))
                for c in row.contacts
                if isinstance(c, dict)
            ),
            reviewed_on=row.updated_at.astimezone(zone).date(),
        )
        for row in rows.order_by("supplier_key")
    ]


def assurance_history(organisation: Organisation) -> dict[str, tuple[findings.Version, ...]]:
    """Each supplier's assurance as it was written, oldest first, from the audit log (one query).

    Every write of the register goes through `record_assurance`, which audits the whole record after the
    change; so the entries are the record's history, and the compliance rule can judge a past date."""
    zone = organisation_zone(organisation)
    found: dict[str, list[findings.Version]] = defaultdict(list)
    for key, at, after in (
        AuditEntry.objects.filter(organisation=organisation, object_type=AUDIT_TYPE)
        .order_by("at", "id")
        .values_list("object_key", "at", "after")
    ):
        facts = _facts_written(after)
        if facts is not None:
            found[key].append(findings.Version(at.astimezone(zone).date(), facts))
    return {key: tuple(versions) for key, versions in found.items()}


def _facts_written(after: Any) -> findings.AssuranceFacts | None:
    """The findings' part of an audited record (`_assurance_dict`); None when the entry does not hold one."""
    if not isinstance(after, dict):
        return None
    try:
        tested, review = after.get("lastTestedOn"), after.get("reviewOn")
        return findings.AssuranceFacts(
            str(after.get("hasPlan") or HasPlan.UNKNOWN),
            date.fromisoformat(tested) if tested else None,
            date.fromisoformat(review) if review else None,
        )
    except (TypeError, ValueError):
        return None


def lint_facts(
    held: Mapping[str, findings.AssuranceFacts], keys: Iterable[str], on: date
) -> tuple[SupplierAssurance, ...]:
    """What the register says on `on` of each supplier id in `keys`, as the plan linter takes it
    (`Options.suppliers`): the same findings as the Suppliers page."""
    return tuple(
        SupplierAssurance(key, held.get(key) is None, tuple(findings.findings(held.get(key), on))) for key in keys
    )


def supplier_name(organisation: Organisation, key: str) -> str:
    found = plan_suppliers(organisation).get(key)
    if found is None:
        raise SupplierRefused(f"No supplier {key!r} in this organisation's plans.", kind=Kind.NOT_FOUND)
    return found[0]


def _contacts(contacts: list[dict[str, str]]) -> list[dict[str, str]]:
    kept = []
    for index, contact in enumerate(contacts):
        name, phone = contact.get("name", "").strip(), contact.get("phone", "").strip()
        if not name and not phone:
            continue
        if not name:
            raise SupplierRefused(f"Escalation contact {index + 1}: give the name for {phone}.", "contacts")
        kept.append({"name": name[:200], "phone": phone[:40]})
    if len(kept) > MAX_CONTACTS:
        raise SupplierRefused(f"At most {MAX_CONTACTS} escalation contacts.", "contacts")
    return kept


def _assurance_dict(row: Assurance) -> dict[str, Any]:
    return {
        "hasPlan": row.has_plan,
        "lastTestedOn": row.last_tested_on.isoformat() if row.last_tested_on else None,
        "responseTime": row.response_time,
        "restoreTime": row.restore_time,
        "contacts": row.contacts,
        "reviewOn": row.review_on.isoformat() if row.review_on else None,
        "note": row.note,
    }


def record_assurance(
    *,
    organisation: Organisation,
    supplier_key: str,
    has_plan: str,
    last_tested_on: date | None,
    response_time: str,
    restore_time: str,
    contacts: list[dict[str, str]],
    review_on: date | None,
    note: str = "",
    actor: Actor,
    via: str,
) -> Assurance:
    """Record or update a supplier's assurance; contract times are kept as written."""
    name = supplier_name(organisation, supplier_key)
    if has_plan not in HasPlan.values:
        raise SupplierRefused("Say whether the supplier has a continuity plan: yes, no or unknown.", "has_plan")
    today = local_today(organisation)
    if last_tested_on is not None and last_tested_on > today:
        raise SupplierRefused("The last test cannot be on a day still to come.", "last_tested_on")
    for field, text in (("response_time", response_time), ("restore_time", restore_time)):
        if len(text.strip()) > 200:
            raise SupplierRefused("At most 200 characters.", field)
    if len(note) > MAX_REASON:
        raise SupplierRefused(f"The note may have at most {MAX_REASON} characters.", "note")
    kept = _contacts(contacts)
    with transaction.atomic():
        row = Assurance.objects.select_for_update().filter(organisation=organisation, supplier_key=supplier_key).first()
        before = _assurance_dict(row) if row is not None else None
        row = row or Assurance(organisation=organisation, supplier_key=supplier_key)
        row.has_plan, row.last_tested_on, row.review_on = has_plan, last_tested_on, review_on
        row.response_time, row.restore_time = " ".join(response_time.split()), " ".join(restore_time.split())
        row.contacts, row.note = kept, note
        row.updated_at, row.updated_by_name = timezone.now(), audit.actor_name(actor, via)
        row.save()
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE if before else audit.Verb.CREATE,
            object_type=AUDIT_TYPE,
            object_key=supplier_key,
            label=name,
            before=before,
            after=_assurance_dict(row),
            via=via,
        )
    return row


# ------------------------------------------------------------------------------------------ tickets


def _locked_incident(incident: Incident) -> None:
    """Lock the incident's row first, as every change to an incident does (incidents.models.touch)."""
    list(Incident.objects.select_for_update().filter(pk=incident.pk).values_list("pk", flat=True))


def length(ticket: Ticket, clock: str) -> clocks.Length | None:
    """The clock's contract length, counted on the organisation's working calendar where it says working time."""
    return clocks.contract_length(
        ticket.written(clock), calendar=calendar_of(ticket.incident), started_at=ticket.logged_at
    )


def reading(ticket: Ticket, clock: str, events: list[ClockEvent], now: datetime) -> clocks.Reading:
    mine = [(e.at, clocks.Event(e.kind)) for e in events if e.clock == clock]
    return clocks.read(started_at=ticket.logged_at, length=length(ticket, clock), events=mine, now=now)


def _reschedule(ticket: Ticket, now: datetime) -> None:
    """Rewrite both clocks' breach rows from the ticket's events (inside the change's transaction)."""
    events = list(ClockEvent.objects.filter(ticket=ticket))
    for clock in Clock.values:
        found = reading(ticket, clock, events, now)
        due_at = found.breach_at if found.running is clocks.Running.RUNNING or found.breached else None
        row, made = ClockDue.objects.get_or_create(ticket=ticket, clock=clock, defaults={"due_at": due_at})
        if not made and row.state == DueState.PENDING and row.due_at != due_at:
            ClockDue.objects.filter(pk=row.pk, state=DueState.PENDING).update(due_at=due_at)


def log_ticket(
    *,
    incident: Incident,
    supplier_key: str,
    reference: str,
    logged_at: datetime,
    rca_due_on: date | None,
    actor: Actor,
    via: str,
) -> Ticket:
    """Log a call with a supplier in an incident; its clocks take the contract's times from the assurance."""
    organisation = incident.organisation
    name = supplier_name(organisation, supplier_key)
    reference = " ".join(reference.split())
    if not reference:
        raise SupplierRefused("Enter the vendor's ticket reference.", "reference")
    if len(reference) > 200:
        raise SupplierRefused("At most 200 characters.", "reference")
    now = timezone.now()
    if logged_at > now:
        raise SupplierRefused("A call cannot be logged at a time still to come.", "logged_at")
    assurance = Assurance.objects.filter(organisation=organisation, supplier_key=supplier_key).first()
    with transaction.atomic():
        _locked_incident(incident)
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(
                    incident=incident,
                    supplier_key=supplier_key,
                    supplier_name=name,
                    reference=reference,
                    logged_at=logged_at,
                    response_time=assurance.response_time if assurance else "",
                    restore_time=assurance.restore_time if assurance else "",
                    rca_due_on=rca_due_on,
                    logged_by_name=audit.actor_name(actor, via),
                )
        except IntegrityError:
            raise SupplierRefused(f"Ticket {reference} of {name} is already logged here.", "reference") from None
        _reschedule(ticket, now)
        ended = Incident.objects.filter(pk=incident.pk).values_list("state", "restored_at", "stood_down_at").get()
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="supplier-ticket",
            object_key=f"{incident.number}/{ticket.pk}",
            label=f"{name} {reference}",
            after={
                "supplier": supplier_key,
                "reference": reference,
                "loggedAt": logged_at.isoformat(),
                "responseTime": ticket.response_time,
                "restoreTime": ticket.restore_time,
                "rcaDueOn": rca_due_on.isoformat() if rca_due_on else None,
            },
            via=via,
        )
        if (moment := _ended_at(*ended)) is not None:  # logged after the service came back: nothing to run
            _stop_running(incident, [ticket], moment, "service already restored when the ticket was logged", now)
        touch(incident.pk)
    return ticket


def clock_event(
    *, ticket: Ticket, clock: str, kind: str, at: datetime, reason: str, actor: Actor, via: str
) -> ClockEvent:
    """Pause, resume or stop one of a ticket's clocks at `at` (a pause or resume needs its reason)."""
    if clock not in Clock.values:
        raise SupplierRefused("Choose the response or the restore clock.", "clock")
    try:
        event = clocks.Event(kind)
    except ValueError:
        raise SupplierRefused("Choose pause, resume or stop.", "kind") from None
    reason = reason.strip()
    if event is not clocks.Event.STOPPED and not reason:
        raise SupplierRefused(f"Say why the clock is {event.value}.", "reason")
    if len(reason) > MAX_REASON:
        raise SupplierRefused(f"At most {MAX_REASON} characters.", "reason")
    now = timezone.now()
    if at > now:
        raise SupplierRefused("The time cannot be still to come.", "at")
    if at < ticket.logged_at:
        raise SupplierRefused("The time cannot be before the call was logged.", "at")
    incident = ticket.incident
    with transaction.atomic():
        _locked_incident(incident)
        events = list(ClockEvent.objects.filter(ticket=ticket, clock=clock))
        if events and at < max(e.at for e in events):
            raise SupplierRefused("The time cannot be before the clock's last change.", "at")
        current = reading(ticket, clock, events, at).running
        if not clocks.allowed(current, event):
            raise SupplierRefused(f"The {clock} clock is {current.value}: it cannot be {event.value}.", "kind")
        row = ClockEvent.objects.create(
            ticket=ticket, clock=clock, kind=event.value, at=at, reason=reason, by_name=audit.actor_name(actor, via)
        )
        _reschedule(ticket, now)
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="supplier-ticket",
            object_key=f"{incident.number}/{ticket.pk}",
            label=f"{ticket.supplier_name} {ticket.reference}",
            after={"clock": clock, "event": event.value, "at": at.isoformat(), "reason": reason},
            note=f"{clock} clock {event.value}",
            via=via,
        )
        touch(incident.pk)
    return row


def record_rca(*, ticket: Ticket, received_on: date, actor: Actor, via: str) -> Ticket:
    """Record that the supplier's root-cause report was received."""
    if received_on > local_today(ticket.incident.organisation):
        raise SupplierRefused("The report cannot be received on a day still to come.", "received_on")
    incident = ticket.incident
    with transaction.atomic():
        _locked_incident(incident)
        before = ticket.rca_received_on
        Ticket.objects.filter(pk=ticket.pk).update(rca_received_on=received_on)
        ticket.rca_received_on = received_on
        audit.record(
            organisation=incident.organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="supplier-ticket",
            object_key=f"{incident.number}/{ticket.pk}",
            label=f"{ticket.supplier_name} {ticket.reference}",
            before={"rcaReceivedOn": before.isoformat() if before else None},
            after={"rcaReceivedOn": received_on.isoformat()},
            via=via,
        )
        touch(incident.pk)
    return ticket


# ------------------------------------------------------------------------------------------ restoration

ENDED = (State.RESTORED, State.STOOD_DOWN, State.NOT_A_FAILURE)


def _ended_at(state: str, restored_at: datetime | None, stood_down_at: datetime | None) -> datetime | None:
    """When the incident's service came back (its restoration, else its stand-down); None while it runs."""
    if state not in ENDED:
        return None
    return restored_at or stood_down_at


def _stop_running(incident: Incident, tickets: list[Ticket], moment: datetime, reason: str, now: datetime) -> int:
    """Stop each clock of these tickets not stopped yet at `moment` (or its last change, if later): one event row
    and one audit entry per ticket, one timeline entry for them all; how many clocks were stopped."""
    stopped: list[str] = []
    count = 0
    for ticket in tickets:
        ticket.incident = incident
        events = list(ClockEvent.objects.filter(ticket=ticket))
        changed: list[dict[str, str]] = []
        for clock in (Clock.RESTORE, Clock.RESPONSE):
            mine = [e for e in events if e.clock == clock]
            at = max([moment, ticket.logged_at, *(e.at for e in mine)])
            if reading(ticket, clock, mine, at).running is clocks.Running.STOPPED:
                continue
            ClockEvent.objects.create(
                ticket=ticket, clock=clock, kind=clocks.Event.STOPPED.value, at=at, reason=reason, by_name="restoration"
            )
            changed.append({"clock": clock, "event": "stopped", "at": at.isoformat(), "reason": reason})
        if not changed:
            continue
        count += len(changed)
        _reschedule(ticket, now)
        audit.record(
            organisation=incident.organisation,
            actor=None,
            verb=audit.Verb.CHANGE,
            object_type="supplier-ticket",
            object_key=f"{incident.number}/{ticket.pk}",
            label=f"{ticket.supplier_name} {ticket.reference}",
            after={"stopped": changed},
            note=f"{' and '.join(c['clock'] for c in changed)} clock(s) stopped: {reason}",
            via="restoration",
        )
        stopped.append(f"{ticket.supplier_name} {ticket.reference} ({' and '.join(c['clock'] for c in changed)})")
    if stopped:
        note(
            incident,
            EventKind.UPDATE,
            f"Supplier clocks stopped ({reason}): {'; '.join(stopped)}.",
            at=now,
            actor="restoration",
        )
    return count


def stop_on_restoration(*, incident: Incident, now: datetime) -> int:
    """The service is back (restored, or the incident stood down): stop every supplier clock still running or
    paused, at the restoration's moment. Runs inside the incident change's transaction (its row is locked);
    a second call finds nothing left to stop. How many clocks it stopped."""
    moment = _ended_at(incident.state, incident.restored_at, incident.stood_down_at)
    if moment is None:
        return 0
    tickets = list(Ticket.objects.filter(incident=incident))
    if not tickets:
        return 0
    reason = "service restored" if incident.restored_at else "incident stood down"
    return _stop_running(incident, tickets, moment, reason, now)
