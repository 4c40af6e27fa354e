"""What a supplier's assurance record says about it (pure: no database, no clock).

A supplier named in a plan has no assurance on file, or its record is stale (its review date has
passed, or its continuity arrangements were last tested more than STALE_MONTHS ago, or never), or
it is ok. The findings are the reasons, in words a board report can carry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from contingency.plans.workflow import add_months

STALE_MONTHS = 12

NO_ASSURANCE = "no assurance on file"
REVIEW_PASSED = "review date passed"
NOT_TESTED = f"not tested in {STALE_MONTHS} months"
NO_PLAN = "no continuity plan"


class State(StrEnum):
    MISSING = "missing"
    STALE = "stale"
    OK = "ok"


@dataclass(frozen=True)
class AssuranceFacts:
    """The parts of an assurance record the findings read."""

    has_plan: str  # "yes", "no" or "unknown"
    last_tested_on: date | None
    review_on: date | None


@dataclass(frozen=True)
class Version:
    """The record as it was written on a day (the organisation's calendar), from the audit log's entry."""

    since: date
    facts: AssuranceFacts


def as_of(current: AssuranceFacts | None, history: Sequence[Version] | None, on: date) -> AssuranceFacts | None:
    """The record as it stood at the end of `on`: the last version written by then (None: nothing was on
    file yet). With no history (a record not written through the register), the record as it is now, except
    that a test dated after `on` had not happened on `on`, and what test came before it is not known."""
    facts = current
    if history:
        kept = [version for version in history if version.since <= on]
        facts = kept[-1].facts if kept else None
    if facts is not None and facts.last_tested_on is not None and facts.last_tested_on > on:
        facts = replace(facts, last_tested_on=None)
    return facts


def findings(facts: AssuranceFacts | None, on: date, *, months: int = STALE_MONTHS) -> list[str]:
    """The problems with a supplier's assurance on `on` (tested within `months`); none when it is in order."""
    if facts is None:
        return [NO_ASSURANCE]
    found: list[str] = []
    if facts.has_plan == "no":
        found.append(NO_PLAN)
    if facts.review_on is not None and facts.review_on < on:
        found.append(REVIEW_PASSED)
    if facts.last_tested_on is None or add_months(facts.last_tested_on, months) < on:
        found.append(NOT_TESTED if months == STALE_MONTHS else f"not tested in {months} months")
    return found


def state(facts: AssuranceFacts | None, on: date) -> State:
    if facts is None:
        return State.MISSING
    return State.STALE if findings(facts, on) else State.OK
