"""Downtime IDs for printed forms: each numbered copy's forms get a block of a reserved range, never printed twice.

A record kind takes its IDs from the organisation's ranges whose `forms` name it (its id or its name,
in any case, hyphens or spaces alike, entries separated by ";" or ","); a range whose `forms` is blank
serves any kind, after the ranges that name it. The next block starts after the last one printed from
that range and every ID already used on a record: the organisation's row is locked while a block is chosen, so two workers building packs at
once never print the same ID. A kind with no range, or none with IDs left, gets no block: its forms are
numbered from the print itself (packs/build.py), and the form says so.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contingency.core import audit
from contingency.core.models import Organisation
from contingency.incidents.services import Actor
from contingency.lib.checkchars import CheckError, make_id, parse_id

from .models import DowntimeRecord, IdRange, PrintedBlock

PRINT = "print"


def normal(name: str) -> str:
    return re.sub(r"[\s_-]+", " ", name).strip().casefold()


def named_kinds(forms: str) -> set[str]:
    """The record kinds a range's `forms` text names (empty: any kind)."""
    return {normal(part) for part in re.split(r"[;,]", forms) if normal(part)}


def serves(forms: str, kind_key: str, kind_name: str) -> int:
    """2 when `forms` names the kind, 1 when it names no kind (any kind), 0 when it names others."""
    named = named_kinds(forms)
    if not named:
        return 1
    return 2 if normal(kind_key) in named or normal(kind_name) in named else 0


def codes(block: PrintedBlock) -> list[str]:
    """The block's IDs as printed on paper (CT-000123-H; the ledger reads them with or without hyphens)."""
    id_range = block.id_range
    return [make_id(id_range.prefix, n, id_range.digits).printed for n in range(block.first, block.last + 1)]


def _used_serials(id_range: IdRange) -> list[int]:
    """Serials of the range already on records (typed in without a printed form, or from an older form)."""
    found = []
    stored = DowntimeRecord.objects.filter(
        organisation_id=id_range.organisation_id, downtime_id__startswith=id_range.prefix
    )
    for code in stored.values_list("downtime_id", flat=True).iterator():
        try:
            parsed = parse_id(code)
        except CheckError:
            continue
        if parsed.prefix == id_range.prefix and parsed.digits == id_range.digits:
            found.append(parsed.number)
    return [n for n in found if id_range.first <= n <= id_range.last]


def _next_free(id_range: IdRange) -> int:
    """The first serial after every block printed and every ID already used on a record."""
    top = id_range.printed_blocks.aggregate(top=Max("last"))["top"]
    used = _used_serials(id_range)
    return max(id_range.first, (top if top is not None else id_range.first - 1) + 1, max(used, default=-1) + 1)


def reserve(
    *,
    organisation: Organisation,
    plan_key: str,
    issue: int | None,
    copy_number: int,
    kind_key: str,
    kind_name: str,
    count: int,
    actor: Actor,
    via: str,
    at: datetime | None = None,
) -> PrintedBlock | None:
    """Reserve up to `count` unprinted IDs for one copy's forms of one kind (fewer when the range is nearly
    used up); None when no range serves the kind or all are used. One transaction, audited."""
    if count < 1:
        raise ValueError("count must be at least 1")
    now = at or timezone.now()
    with transaction.atomic():
        Organisation.objects.select_for_update().get(pk=organisation.pk)
        ranges = [
            (rank, r)
            for r in IdRange.objects.filter(organisation=organisation).order_by("prefix", "first")
            if (rank := serves(r.forms, kind_key, kind_name))
        ]
        ranges.sort(key=lambda pair: -pair[0])  # the ranges that name the kind first (a stable sort)
        for _, id_range in ranges:
            start = _next_free(id_range)
            if start > id_range.last:
                continue
            block = PrintedBlock.objects.create(
                id_range=id_range,
                first=start,
                last=min(id_range.last, start + count - 1),
                plan_key=plan_key,
                issue=issue,
                copy_number=copy_number,
                kind_key=kind_key,
                printed_at=now,
                printed_by_name=audit.actor_name(actor, via)[:200],
            )
            printed = codes(block)
            audit.record(
                organisation=organisation,
                actor=actor,
                verb=PRINT,
                object_type="downtime-id-range",
                object_key=f"downtime-ids/{id_range.prefix}/{id_range.first}",
                label=str(id_range),
                after={
                    "first": printed[0],
                    "last": printed[-1],
                    "plan": plan_key,
                    "issue": issue,
                    "copy": copy_number,
                    "kind": kind_key,
                },
                note=f"{len(printed)} IDs printed on copy {copy_number}'s {kind_name} forms",
                via=via,
            )
            return block
    return None


def remaining(id_range: IdRange) -> int:
    """How many IDs of the range are left to print."""
    return max(0, id_range.last - _next_free(id_range) + 1)
