"""What the probes' results mean, per check, per component and for a system (pure: plain data in and out).

The rules (ADR 0019):

- A site is **usable** when it is reporting (it has news) and is not a suspect probe.
- A **probe suspect** is the one site, if exactly one, whose latest round failed every check it ran
  (at least two), while another reporting site passed at least one of those checks: its own network
  is at fault, not the systems. Its results are set aside. Two or more sites failing everything is
  not a probe's problem: it is an outage.
- A check is **complete** when it fails at every usable site, **partial** when it fails at some,
  **degraded** when it passes but slowly or with a certificate near expiry, **up** otherwise. With no
  usable site it is **no news** (nobody reported it) or **probe suspect** (only suspects did). A site
  that has stopped reporting is never taken as "all well": it is simply not counted, and flagged.
- A component and a system take the worst state of their checks (complete, partial, no news, degraded,
  then up); a system otherwise up while a suspect probe checks it is **probe suspect**.
- A failure **holds** for n intervals when a site's last n results of that check all failed. A
  complete failure holds for n when every usable site's latest result fails and at least two sites
  (the only one, with one site) have seen it n times in a row: a site that is down alone for hours
  and a blip at the others cannot add up to an outage, and the outage is not held back by the site
  that happened to report last. A partial failure holds as long as its longest-failing site. An
  incident opens when a complete failure (or a partial one, if the plan says `openOn: partial`) has
  held for the check's `failAfter`.
- **Recovered** means every check passed at every usable site for its last `recoverAfter` results.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class State(StrEnum):
    UP = "up"
    DEGRADED = "degraded"
    PARTIAL = "partial"
    COMPLETE = "complete"
    PROBE_SUSPECT = "probe-suspect"
    NO_NEWS = "no-news"


SEVERITY = {
    State.UP: 0,
    State.PROBE_SUSPECT: 1,
    State.DEGRADED: 2,
    State.NO_NEWS: 3,
    State.PARTIAL: 4,
    State.COMPLETE: 5,
}
WORDS = {
    State.UP: "up",
    State.DEGRADED: "degraded",
    State.PARTIAL: "partial failure",
    State.COMPLETE: "complete failure",
    State.PROBE_SUSPECT: "probe suspect",
    State.NO_NEWS: "no news",
}
FAILING = (State.COMPLETE, State.PARTIAL)


@dataclass(frozen=True)
class Run:
    """One result of one check at one site."""

    ok: bool
    degraded: bool = False
    layer: str = ""
    detail: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class Site:
    """A site's probe: whether it is reporting, and its recent runs of each check, newest first."""

    name: str
    fresh: bool
    runs: Mapping[str, Sequence[Run]]

    def latest(self) -> dict[str, Run]:
        return {check: runs[0] for check, runs in self.runs.items() if runs}


@dataclass(frozen=True)
class CheckRule:
    id: str
    component: str
    label: str
    fail_after: int | None
    recover_after: int


@dataclass(frozen=True)
class CheckVerdict:
    check: str
    component: str
    label: str
    state: State
    failing: tuple[tuple[str, str], ...]  # (site, what failed there), for the sites where it fails now
    passing: tuple[str, ...]
    held: int  # intervals the failure has held (complete: at two sites at least; partial: the longest)
    up_for: int  # intervals it has passed in a row at every usable site
    opens: State | None  # COMPLETE or PARTIAL when the failure has held for failAfter


@dataclass(frozen=True)
class ComponentVerdict:
    name: str
    state: State
    checks: tuple[CheckVerdict, ...]


@dataclass(frozen=True)
class SystemVerdict:
    state: State
    components: tuple[ComponentVerdict, ...]
    failing_sites: tuple[str, ...]
    silent_sites: tuple[str, ...]
    suspect_sites: tuple[str, ...]
    opens: State | None  # the failure that has held long enough to open an incident
    recovered: bool  # every check up at every usable site for its recoverAfter
    summary: str

    @property
    def failing(self) -> bool:
        return self.state in FAILING


def worst(states: Iterable[State]) -> State:
    return max(states, key=SEVERITY.__getitem__, default=State.NO_NEWS)


def streak(runs: Sequence[Run], ok: bool) -> int:
    """How many of the newest runs in a row passed (ok) or failed (not ok)."""
    count = 0
    for run in runs:
        if run.ok != ok:
            break
        count += 1
    return count


def suspects(sites: Sequence[Site]) -> frozenset[str]:
    """The one reporting site that fails everything it checks while another passes some of it (if any)."""
    reporting = [site for site in sites if site.fresh]
    latest = {site.name: site.latest() for site in reporting}
    failing_all = [name for name, runs in latest.items() if len(runs) >= 2 and not any(r.ok for r in runs.values())]
    if len(failing_all) != 1:
        return frozenset()
    suspect = failing_all[0]
    confirmed = any(
        run.ok
        for name, runs in latest.items()
        if name != suspect
        for check, run in runs.items()
        if check in latest[suspect]
    )
    return frozenset({suspect}) if confirmed else frozenset()


def check_verdict(rule: CheckRule, sites: Sequence[Site], suspect: frozenset[str], open_on: str) -> CheckVerdict:
    reporting = [site for site in sites if site.fresh and site.runs.get(rule.id)]
    usable = [site for site in reporting if site.name not in suspect]
    empty = CheckVerdict(rule.id, rule.component, rule.label, State.NO_NEWS, (), (), 0, 0, None)
    if not usable:
        return empty if not reporting else replace(empty, state=State.PROBE_SUSPECT)
    runs = {site.name: site.runs[rule.id] for site in usable}
    failing = [(name, r) for name, r in runs.items() if not r[0].ok]
    passing = tuple(name for name, r in runs.items() if r[0].ok)
    if failing and not passing:
        state = State.COMPLETE
        streaks = sorted((streak(r, False) for r in runs.values()), reverse=True)
        held = streaks[1] if len(streaks) > 1 else streaks[0]  # two sites have seen it this often in a row
    elif failing:
        state = State.PARTIAL
        held = max(streak(r, False) for _, r in failing)
    else:
        state = State.DEGRADED if any(r[0].degraded for r in runs.values()) else State.UP
        held = 0
    up_for = 0 if failing else min(streak(r, True) for r in runs.values())
    counts = state is State.COMPLETE or (state is State.PARTIAL and open_on == State.PARTIAL.value)
    opens = state if counts and rule.fail_after is not None and held >= rule.fail_after else None
    where = tuple((name, _what(r[0])) for name, r in failing)
    return CheckVerdict(rule.id, rule.component, rule.label, state, where, passing, held, up_for, opens)


def _what(run: Run) -> str:
    return run.detail or run.layer or "failed"


def system_verdict(
    rules: Sequence[CheckRule], sites: Sequence[Site], suspect: frozenset[str], *, open_on: str = "complete"
) -> SystemVerdict:
    """The verdict on one system from its checks' rules and every site's recent runs."""
    checks = [check_verdict(rule, sites, suspect, open_on) for rule in rules]
    components: dict[str, list[CheckVerdict]] = {}
    for verdict in checks:
        components.setdefault(verdict.component, []).append(verdict)
    parts = tuple(
        ComponentVerdict(name, worst(v.state for v in found), tuple(found)) for name, found in components.items()
    )
    state = worst(part.state for part in parts)
    mine = {rule.id for rule in rules}
    watching_suspects = tuple(sorted(s.name for s in sites if s.name in suspect and mine & set(s.runs)))
    if state is State.UP and watching_suspects:
        state = State.PROBE_SUSPECT
    opened = [v.opens for v in checks if v.opens is not None]
    opens = State.COMPLETE if State.COMPLETE in opened else (State.PARTIAL if opened else None)
    recovered = bool(checks) and all(
        v.state in (State.UP, State.DEGRADED) and v.up_for >= _rule(rules, v.check).recover_after for v in checks
    )
    failing_sites = tuple(sorted({site for v in checks for site, _ in v.failing}))
    silent = tuple(sorted(s.name for s in sites if not s.fresh))
    return SystemVerdict(
        state,
        parts,
        failing_sites,
        silent,
        watching_suspects,
        opens,
        recovered,
        summary(state, checks, silent, watching_suspects),
    )


def _rule(rules: Sequence[CheckRule], check: str) -> CheckRule:
    return next(rule for rule in rules if rule.id == check)


def summary(state: State, checks: Sequence[CheckVerdict], silent: Sequence[str], suspect: Sequence[str]) -> str:
    """One or two sentences a person reads on the system's page and in the incident."""
    sentences: list[str] = []
    for verdict in checks:
        if verdict.state is State.COMPLETE:
            causes = sorted({what for _, what in verdict.failing})
            sentences.append(f"{verdict.label} fails at every site ({'; '.join(causes)})")
        elif verdict.state is State.PARTIAL:
            where = ", ".join(f"{site} ({what})" for site, what in verdict.failing)
            sentences.append(f"{verdict.label} fails at {where}; passes at {', '.join(verdict.passing)}")
    if not sentences:
        sentences.append(
            {
                State.NO_NEWS: "No probe is reporting these checks",
                State.DEGRADED: "Up, but degraded (slow or a certificate near expiry)",
            }.get(state, "Up at every reporting site")
        )
    if suspect:
        sentences.append(f"set aside: {', '.join(suspect)} fails everything it checks (probe suspect: its own network)")
    if silent:
        sentences.append(f"no news from {', '.join(silent)}")
    return "; ".join(sentences) + "."


def answers(
    confirm: Sequence[tuple[str, str]], chosen: Sequence[tuple[str, str]], verdict: SystemVerdict
) -> dict[str, bool]:
    """The confirm-it-is-down checks the probes answer: `confirm` is the plan's (key, ifNot) for the
    system, `chosen` its probes' (check, holds). Without a choice, a check whose "no" means a partial
    failure is answered by whether every site fails ("several PCs" = several sites)."""
    known = {key for key, _ in confirm}
    pairs = list(chosen) or [(key, "every-site") for key, if_not in confirm if if_not == "partial-failure"]
    failing = verdict.state in FAILING
    every = verdict.state is State.COMPLETE
    return {key: (every if holds == "every-site" else failing) for key, holds in pairs if key in known}


def began(sites: Sequence[Site], checks: Iterable[str], suspect: frozenset[str]) -> datetime | None:
    """When the current failure of these checks began: the oldest run of any usable site's failing streak."""
    times = [
        run.at
        for site in sites
        if site.fresh and site.name not in suspect
        for check in checks
        for run in site.runs.get(check, ())[: streak(site.runs.get(check, ()), False)]
        if run.at is not None
    ]
    return min(times, default=None)
