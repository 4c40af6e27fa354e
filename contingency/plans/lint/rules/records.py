"""Downtime records: the kinds of record kept by hand, their identifiers and their spot checks.

A record kind's system that is not in the plan is not a lint finding: `system` is a reference,
and the validator refuses a reference that names nothing (docs/decisions/0013).
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.records import RECORD_IDENTIFIERS, FieldType
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


@rule(
    "DRC001",
    "data-recovery-without-record-kinds",
    Severity.WARNING,
    "A function recovers data but names no kind of record kept by hand",
)
def no_record_kinds(ctx: Context) -> Found:
    """A data-recovery method ("re-key the manual referral log") is only provable when the plan says
    what is written down during downtime: name the record kinds in `dataRecovery.records`, so the
    shift can log them and nobody can miss one at re-entry. Say `nothingByHand: true` when nothing is."""
    for i, fn in enumerate(ctx.plan.functions):
        recovery = fn.data_recovery
        if recovery is not None and not recovery.records and not recovery.nothing_by_hand:
            yield (
                ("functions", i, "dataRecovery"),
                f"{fn.name}: say which records are kept by hand during downtime (records), or nothingByHand: true",
            )


@rule(
    "DRC002",
    "record-kind-without-identifier",
    Severity.ERROR,
    "A record kind has no identifier",
)
def no_identifier(ctx: Context) -> Found:
    """A record with no NHS number, hospital number, accession number, study UID, downtime ID or
    reference cannot be matched to anything in the system it must reach, so it can never be proved
    re-entered."""
    for i, kind in enumerate(ctx.plan.record_kinds):
        if not kind.identifiers:
            yield ("recordKinds", i, "fields"), f"{kind.name} has no identifier field"


@rule(
    "DRC003",
    "record-kind-without-record-identifier",
    Severity.WARNING,
    "A record kind has no required identifier of the record itself",
)
def no_record_identifier(ctx: Context) -> Found:
    """A patient's NHS number identifies the patient, not the examination: two records of one patient
    look alike. Without a required downtime ID, accession number, study UID or reference a duplicate
    cannot be refused and a record cannot be told from its neighbour at re-entry."""
    for i, kind in enumerate(ctx.plan.record_kinds):
        if not kind.identifiers:
            continue  # DRC002 says it
        if not any(f.type in RECORD_IDENTIFIERS and f.required for f in kind.fields):
            yield (
                ("recordKinds", i, "fields"),
                f"{kind.name}: no required downtime ID, accession number, study UID or reference",
            )


@rule("DRC004", "record-kind-unused", Severity.WARNING, "A record kind is named by no function")
def unused(ctx: Context) -> Found:
    """Records are kept for a function's data recovery; a kind no function names is never offered to
    the shift during an incident."""
    named = {key for fn in ctx.plan.functions if fn.data_recovery for key in fn.data_recovery.records}
    for i, kind in enumerate(ctx.plan.record_kinds):
        if kind.id not in named:
            yield ("recordKinds", i), f"{kind.name} is named by no function's dataRecovery.records"


@rule("DRC005", "record-kind-without-time", Severity.WARNING, "A record kind has no time field")
def no_time(ctx: Context) -> Found:
    """Without the time each record was made, a record dated outside the downtime cannot be caught,
    spot checks fall on the day the record was typed rather than the day of the work, and the
    imaging archive cannot be queried over the right window."""
    for i, kind in enumerate(ctx.plan.record_kinds):
        if kind.of_type(FieldType.TIME) is None:
            yield ("recordKinds", i, "fields"), f"{kind.name} has no time field"


@rule(
    "DRC006",
    "records-but-nothing-by-hand",
    Severity.ERROR,
    "A function says nothing is kept by hand, yet names record kinds",
)
def contradiction(ctx: Context) -> Found:
    """`nothingByHand: true` and a list of record kinds contradict each other; one of them is wrong."""
    for i, fn in enumerate(ctx.plan.functions):
        recovery = fn.data_recovery
        if recovery is not None and recovery.nothing_by_hand and recovery.records:
            yield (
                ("functions", i, "dataRecovery", "nothingByHand"),
                f"{fn.name} says nothing is kept by hand but names {len(recovery.records)} record kind(s)",
            )


@rule("DRC007", "no-spot-checks", Severity.WARNING, "A record kind is never spot-checked")
def never_checked(ctx: Context) -> Found:
    """A share of 0% with at least 0 records a day means no re-entered record is ever checked by a
    second person, so a mistyped NHS number or a missed study is found only by the patient."""
    for i, kind in enumerate(ctx.plan.record_kinds):
        if kind.verification.share == 0 and kind.verification.at_least == 0:
            yield ("recordKinds", i, "verification"), f"{kind.name}: no re-entered record is ever spot-checked"
