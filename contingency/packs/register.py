"""The print register (DSPT 7): what to pack, recording a print, and what the register says.

`source_of` picks what a pack shows (the latest issue, never an unissued draft); `build_print` builds
the files (slow: WeasyPrint; outside any transaction); `record_print` writes the register, the kept zip
and the audit entry in one transaction. `locations` and `print_facts` read the register back for the
pages and for lint.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Organisation
from contingency.downtime import printing
from contingency.plans.editing import Actor
from contingency.plans.lint import PrintedLocation, PrintFacts, location_of
from contingency.plans.models import CopyHolder, Plan, PlanIssue
from contingency.plans.spec import PlanDocument
from contingency.plans.store import export_plan
from contingency.plans.validate import load_text
from contingency.plans.workflow import organisation_zone

from . import terms
from .build import Pack, PlanSource, build_plan_pack, reserved_forms
from .models import DEFAULT_CONTACT_LIST_MONTHS, PackFile, PrintedCopy, PrintPolicy, PrintRecord
from .paperforms import RecordKind
from .render import CopySpec

MAX_MONTHS = 24


class PackError(Refused):
    """A pack cannot be made or recorded as asked (the domain's one refusal, see core/errors.py)."""

    code = "packs.refused"


def _user(actor: Actor) -> Any:
    return actor if actor is not None and actor.is_authenticated else None


# ---------------------------------------------------------------- what a pack shows


def latest_issue_row(plan: Plan) -> PlanIssue | None:
    return PlanIssue.objects.filter(plan=plan).order_by("-issue").first()


def source_of(plan: Plan, *, issue: int | None = None) -> PlanSource:
    """The plan as issued: the issue asked for, else the latest kept issue, else the working copy
    (a plan never issued here, at its stated issue). Last updated is when that issue was issued. With it,
    the contract terms on file now (packs/terms.py): a print shows the registers as they are when printed."""
    kept = PlanIssue.objects.filter(plan=plan, issue=issue).first() if issue is not None else latest_issue_row(plan)
    if issue is not None and kept is None:
        raise PackError(f"{plan.title} has no issue {issue}.", "issue")
    if kept is None:
        document = export_plan(plan)
        return PlanSource(document, plan.updated_at, terms.read(plan, document))
    document, _ = load_text(kept.text, f"{plan.key} issue {kept.issue}")
    return PlanSource(document, kept.issued_at, terms.read(plan, document))


def holder_copies(plan: Plan, numbers: Sequence[int] | None = None) -> list[CopySpec]:
    """The numbered copies asked for (every copy holder's when `numbers` is None), with holder and location."""
    rows = {h.copy_number: h for h in CopyHolder.objects.filter(plan=plan).select_related("holder")}
    wanted = sorted(rows) if numbers is None else list(dict.fromkeys(numbers))
    if unknown := [n for n in wanted if n not in rows]:
        known = ", ".join(str(n) for n in sorted(rows)) or "none"
        raise PackError(
            f"{plan.title} has no copy {', '.join(str(n) for n in unknown)} (its numbered copies: {known}).", "copies"
        )
    return [CopySpec(n, rows[n].holder.name, rows[n].location) for n in wanted]


@dataclass(frozen=True)
class BuiltPrint:
    plan: Plan
    source: PlanSource
    copies: tuple[CopySpec, ...]
    pack: Pack
    built_at: datetime


def build_print(
    plan: Plan,
    *,
    copies: Sequence[int] | None = None,
    issue: int | None = None,
    actor: Actor = None,
    via: str = "pack",
) -> BuiltPrint:
    """Build the pack of `plan` for printing for its numbered copies (all of them by default). Slow; its only
    writes are the downtime IDs reserved for each copy's forms (each in its own short transaction, before
    the build: a build that fails leaves them unused, never printed twice)."""
    if PlanIssue.objects.filter(plan=plan).first() is None:
        raise PackError(f"{plan.title} has never been issued here: issue it before printing copies for its holders.")
    chosen = holder_copies(plan, copies)
    if not chosen:
        raise PackError(f"{plan.title} has no registered copy holders to print for.", "copies")
    source = source_of(plan, issue=issue)
    built_at = timezone.now()

    def reserve(document: PlanDocument, kind: RecordKind, copy: CopySpec, rows: int) -> list[str] | None:
        assert copy.number is not None
        block = printing.reserve(
            organisation=plan.organisation,
            plan_key=plan.key,
            issue=document.document.issue,
            copy_number=copy.number,
            kind_key=kind.key,
            kind_name=kind.name,
            count=rows,
            actor=actor,
            via=via,
            at=built_at,
        )
        return printing.codes(block) if block is not None else None

    forms = reserved_forms(built_at, reserve)
    zone = organisation_zone(plan.organisation)
    pack = build_plan_pack(source, copies=chosen, built_at=built_at, zone=zone, forms=forms)
    return BuiltPrint(plan, source, tuple(chosen), pack, built_at)


# ---------------------------------------------------------------- recording


def record_print(*, built: BuiltPrint, actor: Actor, via: str, note: str = "") -> PrintRecord:
    """Record a built pack in the print register, keep its zip, and audit it: one transaction."""
    with transaction.atomic():
        return write_record(built, actor=actor, via=via, note=note)


def write_record(built: BuiltPrint, *, actor: Actor, via: str, note: str) -> PrintRecord:
    """The writes of record_print, for a caller already inside a transaction (the worker)."""
    plan, document = built.plan, built.source.document
    user = _user(actor)
    record = PrintRecord.objects.create(
        organisation=plan.organisation,
        plan=plan,
        plan_key=plan.key,
        plan_title=document.title,
        issue=document.document.issue or 0,  # 0: printed before its first issue
        plan_updated_at=built.source.last_updated,
        content_hash=built.pack.manifest.get("contentHash", ""),
        built_at=built.built_at,
        built_by=user,
        built_by_name=audit.actor_name(actor, via),
        via=via[:32],
        manifest=built.pack.manifest,
        note=note,
    )
    PrintedCopy.objects.bulk_create(
        PrintedCopy(record=record, copy_number=c.number, holder_name=c.holder or "", location=c.location or "")
        for c in built.copies
        if c.number is not None
    )
    data = built.pack.zip_bytes()
    PackFile.objects.create(record=record, name=f"{built.pack.name}.zip", data=data, size=len(data))
    numbers = [c.number for c in built.copies]
    audit.record(
        organisation=plan.organisation,
        actor=actor,
        verb="print",
        object_type="plan",
        object_key=plan.key,
        label=plan.title,
        after={"issue": record.issue, "copies": numbers, "contentHash": record.content_hash},
        note=note or f"grab pack printed for copies {', '.join(str(n) for n in numbers)}",
        via=via,
    )
    return record


def record_printed_elsewhere(
    *, plan: Plan, issue: int, copies: Sequence[int], printed_at: datetime, actor: Actor, via: str, note: str
) -> PrintRecord:
    """Record a pack printed outside Contingency (a paper register kept before it, say): no files are kept."""
    if not 1 <= issue <= plan.issue:
        raise PackError(f"{plan.title} has no issue {issue}.", "issue")
    chosen = holder_copies(plan, copies)
    with transaction.atomic():
        record = PrintRecord.objects.create(
            organisation=plan.organisation,
            plan=plan,
            plan_key=plan.key,
            plan_title=plan.title,
            issue=issue,
            plan_updated_at=printed_at,
            content_hash="",
            built_at=printed_at,
            built_by=_user(actor),
            built_by_name=audit.actor_name(actor, via),
            via=via[:32],
            note=note,
        )
        PrintedCopy.objects.bulk_create(
            PrintedCopy(record=record, copy_number=c.number, holder_name=c.holder or "", location=c.location or "")
            for c in chosen
            if c.number is not None
        )
        audit.record(
            organisation=plan.organisation,
            actor=actor,
            verb="print",
            object_type="plan",
            object_key=plan.key,
            label=plan.title,
            after={"issue": issue, "copies": [c.number for c in chosen], "printedAt": printed_at.isoformat()},
            note=note or "printed outside Contingency",
            via=via,
        )
    return record


def contact_list_months(organisation: Organisation) -> int:
    policy = PrintPolicy.objects.filter(organisation=organisation).first()
    return policy.contact_list_months if policy else DEFAULT_CONTACT_LIST_MONTHS


def set_print_period(*, organisation: Organisation, months: int, actor: Actor, via: str) -> PrintPolicy:
    """Set how often the organisation reprints its contact lists (1 to 24 months), audited."""
    if not 1 <= months <= MAX_MONTHS:
        raise PackError(f"The period is a number of months from 1 to {MAX_MONTHS}.", "months")
    with transaction.atomic():
        policy, _ = PrintPolicy.objects.select_for_update().get_or_create(organisation=organisation)
        before = policy.contact_list_months
        policy.contact_list_months = months
        policy.save(update_fields=["contact_list_months"])
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type="print-policy",
            object_key=organisation.slug,
            label=f"print policy of {organisation.name}",
            before={"contactListMonths": before},
            after={"contactListMonths": months},
            via=via,
        )
    return policy


# ---------------------------------------------------------------- reading the register


@dataclass(frozen=True)
class LocationState:
    """A place copies of a plan are kept, and the last pack printed for it."""

    location: str
    copies: tuple[int, ...]
    holders: tuple[str, ...]
    last_printed: datetime | None
    issue: int | None  # of the last pack printed for it
    current: int

    @property
    def state(self) -> str:
        if self.issue is None:
            return "none"
        return "out-of-date" if self.issue < self.current else "current"

    @property
    def label(self) -> str:
        """In words, never by colour alone."""
        if self.issue is None:
            return "no pack printed"
        if self.issue < self.current:
            return f"out of date: holds issue {self.issue}"
        return f"current (issue {self.issue})"


def _last_by_location(plan: Plan) -> dict[str, tuple[datetime, int]]:
    """Each location's last print: (when, issue), from the register."""
    rows = (
        PrintedCopy.objects.filter(record__plan=plan)
        .order_by("record__built_at", "record_id")
        .values_list("copy_number", "location", "record__built_at", "record__issue")
    )
    found: dict[str, tuple[datetime, int]] = {}
    for number, location, at, issue in rows:
        found[location_of(number, location)] = (at, issue)  # later prints overwrite earlier ones
    return found


def locations(plan: Plan) -> list[LocationState]:
    """The plan's copy holders' locations, each with the last pack printed for it."""
    current = plan.issue
    last = _last_by_location(plan)
    places: dict[str, tuple[list[int], list[str]]] = {}
    for holder in CopyHolder.objects.filter(plan=plan).select_related("holder").order_by("position"):
        numbers, names = places.setdefault(location_of(holder.copy_number, holder.location), ([], []))
        numbers.append(holder.copy_number)
        names.append(holder.holder.name)
    states = []
    for place, (numbers, names) in places.items():
        at, issue = last.get(place, (None, None))
        states.append(LocationState(place, tuple(numbers), tuple(names), at, issue, current))
    return states


def print_facts(plan: Plan) -> PrintFacts:
    """The register's facts about a plan, for lint (dates on the organisation's calendar)."""
    zone = organisation_zone(plan.organisation)
    last = _last_by_location(plan)
    latest = PrintRecord.objects.filter(plan=plan).order_by("-built_at").values_list("built_at", flat=True).first()
    return PrintFacts(
        locations=tuple(
            PrintedLocation(place, issue, timezone.localtime(at, zone).date()) for place, (at, issue) in last.items()
        ),
        last_printed=timezone.localtime(latest, zone).date() if latest else None,
        contact_list_months=contact_list_months(plan.organisation),
    )


def print_facts_by_plan(plans: Sequence[Plan]) -> dict[int, PrintFacts]:
    return {plan.pk: print_facts(plan) for plan in plans}


def recent_prints(plan: Plan, limit: int = 10) -> list[PrintRecord]:
    """The plan's latest prints, newest first, with their copies (and never their files)."""
    return list(PrintRecord.objects.filter(plan=plan).prefetch_related("copies").order_by("-built_at", "-id")[:limit])


def queued(plan: Plan) -> list[Any]:
    """Prints of the plan waiting for (or being built by) a worker."""
    from .models import JobState, PackJob

    return list(
        PackJob.objects.filter(plan=plan, state__in=(JobState.PENDING, JobState.RUNNING)).order_by("created_at")
    )


# ---------------------------------------------------------------- lint with the register's facts

PRINT_RULES = ("PRN001", "PRN002", "PRN003")


def version(organisation: Organisation) -> tuple[int, int, int]:
    """What the register says of an organisation, as a cache key: it moves on with every print and the period."""
    got = PrintRecord.objects.filter(organisation=organisation).aggregate(n=Count("id"), last=Max("id"))
    return (got["n"], got["last"] or 0, contact_list_months(organisation))
