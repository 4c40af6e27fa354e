"""The figures of a communications test, over plain facts about its call-outs and messages (pure).

A person counts once however many call-outs reached them: their fastest acknowledgement (from the
call-out being made to the acknowledgement) is the one that counts. A role's time to first
acknowledgement is the fastest of anyone called in that role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WITHIN = (timedelta(minutes=15), timedelta(minutes=60))
NO_ROLE = "no role given"


@dataclass(frozen=True)
class CalloutFact:
    person: str  # the recipient's key in the plan
    name: str
    role: str
    made_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class MessageFact:
    name: str
    channel: str
    address: str
    failed: bool
    error: str = ""


@dataclass(frozen=True)
class Share:
    within: timedelta
    acknowledged: int
    people: int

    @property
    def percent(self) -> int:
        return round(100 * self.acknowledged / self.people) if self.people else 0

    @property
    def minutes(self) -> int:
        return int(self.within.total_seconds() // 60)


@dataclass(frozen=True)
class RoleTime:
    role: str
    people: int
    first: timedelta | None  # None: nobody in this role acknowledged

    @property
    def first_words(self) -> str:
        return "nobody acknowledged" if self.first is None else words(self.first)


@dataclass(frozen=True)
class Failure:
    name: str
    channel: str
    address: str
    error: str


@dataclass(frozen=True)
class Figures:
    people: int
    acknowledged: int
    shares: tuple[Share, ...]
    roles: tuple[RoleTime, ...]
    failures: tuple[Failure, ...]


def words(delay: timedelta) -> str:
    """A delay in whole minutes (seconds under one), as a person reads it."""
    seconds = int(delay.total_seconds())
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{minutes // 60} hours {minutes % 60} minutes"


def _delay(c: CalloutFact) -> timedelta | None:
    return None if c.acknowledged_at is None else max(c.acknowledged_at - c.made_at, timedelta(0))


def figures(callouts: list[CalloutFact], messages: list[MessageFact]) -> Figures:
    """Shares acknowledged within 15 and 60 minutes, each role's first acknowledgement, and what failed."""
    fastest: dict[str, timedelta | None] = {}
    for c in callouts:
        delay = _delay(c)
        known = fastest.get(c.person)
        fastest[c.person] = delay if known is None else (known if delay is None else min(known, delay))
    shares = tuple(
        Share(limit, sum(1 for d in fastest.values() if d is not None and d <= limit), len(fastest)) for limit in WITHIN
    )
    by_role: dict[str, dict[str, timedelta | None]] = {}
    for c in callouts:
        by_role.setdefault(c.role.strip() or NO_ROLE, {})[c.person] = fastest[c.person]
    roles = tuple(
        RoleTime(role, len(people), min((d for d in people.values() if d is not None), default=None))
        for role, people in sorted(by_role.items())
    )
    failures: dict[tuple[str, str], Failure] = {}
    for m in messages:
        if m.failed and m.address:
            failures.setdefault((m.channel, m.address), Failure(m.name, m.channel, m.address, m.error))
    return Figures(
        people=len(fastest),
        acknowledged=sum(1 for d in fastest.values() if d is not None),
        shares=shares,
        roles=roles,
        failures=tuple(failures.values()),
    )
