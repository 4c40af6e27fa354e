"""The exercise programme: for each plan and kind of exercise, when it was last done and when it is next due (pure).

Cadence by default (NHS EPRR core standards): a communications test every 6 months, a table-top exercise every 12,
a live exercise every 36; a real activation of the plan with a completed review counts as the live exercise. Never done: due now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from contingency.plans.workflow import add_months

from .models import CADENCE_MONTHS, Kind


@dataclass(frozen=True)
class Row:
    plan_key: str
    plan_title: str
    kind: str
    kind_label: str
    months: int
    last: date | None
    due: date | None  # None: never done, so due now
    overdue: bool


def programme(
    plans: Iterable[tuple[str, str]],
    done: Iterable[tuple[str, str, date]],
    today: date,
    cadence: Mapping[str, int] = CADENCE_MONTHS,
    own: Mapping[tuple[str, str], int | None] | None = None,
) -> list[Row]:
    """`plans` as (key, title); `done` as (plan key, kind, day): each plan's rows in the order communications,
    table-top, live. `own` is the organisation's cadence by (plan key, kind), plan key "" for every plan; a
    None there means the kind is not required, and the plan has no row for it."""
    own = own or {}
    last: dict[tuple[str, str], date] = {}
    for key, kind, day in done:
        if (key, kind) not in last or last[(key, kind)] < day:
            last[(key, kind)] = day
    rows = []
    for key, title in plans:
        for kind in Kind:
            # The plan's own setting, else the organisation's for every plan, else the default.
            mine = (key, kind.value)
            chosen = own[mine] if mine in own else own.get(("", kind.value), cadence[kind])
            if chosen is None:
                continue
            months = chosen
            seen = last.get((key, kind.value))
            due = add_months(seen, months) if seen else None
            rows.append(Row(key, title, kind.value, kind.label, months, seen, due, due is None or due < today))
    return rows
