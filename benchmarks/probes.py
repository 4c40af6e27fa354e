"""Benchmark: how soon the probes open an incident for a complete outage, and how often one site fools them.

Simulates probe sites reporting on a system's checks, through the verdict rules the server runs on
every report (contingency.monitor.verdict: suspects, system_verdict, and the same "no news after
three intervals" rule as services.fresh). Each site reports every interval, at its own phase, a
little late at random (--jitter, a fraction of the interval), and now and then not at all (--loss:
a push that failed). Two experiments, each over --runs simulated runs:

  detection     a complete outage (every check of the system fails at every site) starts at a
                random moment; the delay is from then until the first report after which the
                verdict opens an incident, in probe intervals. Goal: at most 2 (with failAfter 2).
                Baseline, same run: one site alone with the same rules.
  false alarms  --hours of normal running per run in which single sites misbehave: one site loses
                the system (a partial failure, 1 to 30 intervals), one site loses its own network
                (every check fails there: a probe suspect), one site loses the system while the
                others' checks blip now and then, one check blips at one site for one interval,
                a site falls silent. Every report is decided; any incident opened is a
                false alarm. Goal: 0. Baseline, same run: the naive rule "any site failing for
                failAfter intervals opens an incident", counted over the same reports.

    .venv/bin/python benchmarks/probes.py [--runs 2000] [--sites 3] [--fail-after 2] [--hours 6]
        [--loss 0.02] [--jitter 0.1] [--seed 1] [--json]
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contingency.monitor.verdict import CheckRule, Run, Site, State, streak, suspects, system_verdict  # noqa: E402

INTERVAL = 60.0  # seconds; the figures are in intervals, so the value does not matter
NO_NEWS_AFTER = 3  # as contingency.monitor.services
SYSTEM_CHECKS = ("echo", "viewer")
OTHER_CHECKS = ("ris",)  # another system's check: what lets a probe's own network failure be told apart
KEEP = 12


@dataclass
class SiteState:
    name: str
    phase: float
    runs: dict[str, list[Run]] = field(default_factory=dict)
    last_report: float = -1e9

    def record(self, results: dict[str, bool]) -> None:
        for check, ok in results.items():
            self.runs.setdefault(check, []).insert(0, Run(ok, layer="" if ok else "connect"))
            del self.runs[check][KEEP:]


def rules(fail_after: int) -> list[CheckRule]:
    return [CheckRule(c, "PACS", c, fail_after, fail_after) for c in SYSTEM_CHECKS]


def decide(sites: list[SiteState], now: float, fail_after: int) -> State | None:
    """What the server decides after a report at `now`: the failure that opens an incident, if any."""
    views = [Site(s.name, now - s.last_report <= NO_NEWS_AFTER * INTERVAL, dict(s.runs)) for s in sites]
    suspect = suspects(views)
    mine = [Site(v.name, v.fresh, {k: r for k, r in v.runs.items() if k in SYSTEM_CHECKS}) for v in views]
    return system_verdict(rules(fail_after), mine, suspect).opens


def naive(sites: list[SiteState], fail_after: int) -> bool:
    """The baseline rule: any site whose check has failed failAfter times in a row raises the alarm."""
    return any(streak(s.runs.get(c, []), False) >= fail_after for s in sites for c in SYSTEM_CHECKS)


def reports(
    sites: list[SiteState], rng: random.Random, start: float, end: float, loss: float, jitter: float
) -> Iterator[tuple[float, SiteState]]:
    """Each site's reports between start and end, in time order (lost pushes left out)."""
    queue: list[tuple[float, int, SiteState]] = []
    for i, site in enumerate(sites):
        first = start + site.phase
        heapq.heappush(queue, (first + rng.uniform(0, jitter) * INTERVAL, i, site))
    scheduled = {site.name: start + site.phase for site in sites}
    while queue:
        at, i, site = heapq.heappop(queue)
        if at > end:
            continue
        scheduled[site.name] += INTERVAL
        heapq.heappush(queue, (scheduled[site.name] + rng.uniform(0, jitter) * INTERVAL, i, site))
        if rng.random() >= loss:
            yield at, site


def new_sites(n: int, rng: random.Random) -> list[SiteState]:
    return [SiteState(f"site-{i}", rng.uniform(0, INTERVAL)) for i in range(n)]


def detection(n_sites: int, rng: random.Random, fail_after: int, loss: float, jitter: float) -> float:
    """One run: intervals from the outage's start to the report that opens an incident."""
    sites = new_sites(n_sites, rng)
    warm = 5 * INTERVAL
    outage = warm + rng.uniform(0, INTERVAL)
    for at, site in reports(sites, rng, 0.0, 1e9, loss, jitter):
        down = at >= outage
        site.record(dict.fromkeys(SYSTEM_CHECKS, not down) | dict.fromkeys(OTHER_CHECKS, True))
        site.last_report = at
        if down and decide(sites, at, fail_after) is State.COMPLETE:
            return (at - outage) / INTERVAL
        if at - outage > 50 * INTERVAL:
            raise AssertionError("an outage was never detected")
    raise AssertionError("unreachable")


@dataclass
class Trouble:
    kind: str  # partial, partial-with-blips (the other sites blip meanwhile), network, blip, silent
    site: int
    start: float
    end: float


def troubles(n_sites: int, rng: random.Random, hours: float) -> list[Trouble]:
    """Single-site trouble, one at a time, spread over the run."""
    found, at, end = [], 2 * INTERVAL, hours * 3600
    while at < end:
        kind = rng.choice(["partial", "partial-with-blips", "network", "blip", "silent"])
        length = INTERVAL * (1 if kind == "blip" else rng.randint(1, 30))
        found.append(Trouble(kind, rng.randrange(n_sites), at, at + length))
        at += length + rng.uniform(2, 20) * INTERVAL  # sites are well between two troubles
    return found


def false_alarms(
    n_sites: int, rng: random.Random, fail_after: int, hours: float, loss: float, jitter: float
) -> tuple[int, int, int]:
    """One run: (incidents opened by the verdict rules, by the naive rule, troubles simulated)."""
    sites = new_sites(n_sites, rng)
    plan = troubles(n_sites, rng, hours)
    opened = naive_opened = 0
    naive_alarm = False
    blipped: dict[int, bool] = {}
    for at, site in reports(sites, rng, 0.0, hours * 3600, loss, jitter):
        index = sites.index(site)
        current = [t for t in plan if t.start <= at < t.end]
        trouble = current[0].kind if current and current[0].site == index else ""
        # Another site's check blips now and then (never twice running: that is a failure, not a blip).
        others_down = bool(current) and current[0].site != index and current[0].kind == "partial-with-blips"
        if others_down and not blipped.get(index) and rng.random() < 0.3:
            trouble = "blip"
        blipped[index] = trouble == "blip"
        if trouble == "silent":
            continue
        results = dict.fromkeys((*SYSTEM_CHECKS, *OTHER_CHECKS), True)
        if trouble in ("partial", "partial-with-blips"):
            results.update(dict.fromkeys(SYSTEM_CHECKS, False))
        elif trouble == "network":
            results = dict.fromkeys(results, False)
        elif trouble == "blip":
            results[rng.choice(SYSTEM_CHECKS)] = False
        site.record(results)
        site.last_report = at
        if decide(sites, at, fail_after) is not None:
            opened += 1
        alarm = naive(sites, fail_after)
        naive_opened += alarm and not naive_alarm  # a new alarm each time the naive rule starts failing
        naive_alarm = alarm
    return opened, naive_opened, len(plan)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--fail-after", type=int, default=2)
    parser.add_argument("--hours", type=float, default=6.0)
    parser.add_argument("--loss", type=float, default=0.02)
    parser.add_argument("--jitter", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.sites < 1 or args.fail_after < 1 or not 0 <= args.loss < 1 or not 0 <= args.jitter < 1:
        parser.error("--runs, --sites and --fail-after must be at least 1; --loss and --jitter from 0 to under 1")
    rng = random.Random(args.seed)
    started = time.perf_counter()
    delays = [detection(args.sites, rng, args.fail_after, args.loss, args.jitter) for _ in range(args.runs)]
    alone = [detection(1, rng, args.fail_after, args.loss, args.jitter) for _ in range(args.runs)]
    alarm_runs = max(1, args.runs // 10)
    counted = [
        false_alarms(args.sites, rng, args.fail_after, args.hours, args.loss, args.jitter) for _ in range(alarm_runs)
    ]
    elapsed = time.perf_counter() - started
    figures: dict[str, Any] = {
        "runs": args.runs,
        "sites": args.sites,
        "failAfter": args.fail_after,
        "loss": args.loss,
        "jitter": args.jitter,
        "detection": {
            "median": statistics.median(delays),
            "p95": percentile(delays, 0.95),
            "max": max(delays),
            "withinGoal": sum(d <= 2 for d in delays) / len(delays),
        },
        "detectionOneSite": {"median": statistics.median(alone), "p95": percentile(alone, 0.95), "max": max(alone)},
        "falseAlarms": {
            "runs": alarm_runs,
            "hoursEach": args.hours,
            "troubles": sum(c[2] for c in counted),
            "opened": sum(c[0] for c in counted),
            "naiveOpened": sum(c[1] for c in counted),
        },
        "seconds": round(elapsed, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    d, one, fa = figures["detection"], figures["detectionOneSite"], figures["falseAlarms"]
    print(
        f"probes: {args.sites} sites, failAfter {args.fail_after}, {args.loss:.0%} of pushes lost, jitter {args.jitter:.0%} of an interval"
    )
    print(
        "baseline: one site alone, same rules, same run (detection); the naive any-site rule over the same reports (false alarms)"
    )
    print(f"{'':22}{'median':>8}{'p95':>8}{'max':>8}   (probe intervals)")
    print(
        f"{'detection':22}{d['median']:8.2f}{d['p95']:8.2f}{d['max']:8.2f}   {d['withinGoal']:.1%} within the goal of 2; {args.runs} outages"
    )
    print(
        f"{'detection, one site':22}{one['median']:8.2f}{one['p95']:8.2f}{one['max']:8.2f}   ratio {d['median'] / one['median']:.2f}x at the median"
    )
    print(
        f"false alarms: {fa['opened']} incident(s) opened over {fa['troubles']} single-site troubles "
        f"({fa['runs']} runs of {args.hours:g}h); the naive rule: {fa['naiveOpened']} (goal 0)"
    )
    print(f"took {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
