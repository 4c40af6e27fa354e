"""How well the linter finds the defects planted in the test plans (tests/plans), and how often it cries wolf.

Each plan `tests/plans/<name>.yaml` has a manifest `<name>.defects.yaml` listing its planted defects:
where (`at`, a dotted path or a list of them) and which rules may report it (`rules`). A finding is true when its rule is
one of a defect's rules and its path is that defect's path or inside it; every other finding is a false
alarm. Recall is the share of planted defects found; precision the share of findings that are true.

    .venv/bin/python benchmarks/lint_quality.py          # the table
    .venv/bin/python benchmarks/lint_quality.py --show   # and every missed defect and false alarm
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from contingency.plans.lint import Finding, Options, lint  # noqa: E402
from contingency.plans.validate import load_text  # noqa: E402

PLANS = ROOT / "tests" / "plans"
TODAY = date(2026, 6, 1)  # the plans' review dates are written against this day


@dataclass(frozen=True)
class Defect:
    at: tuple[tuple[str, ...], ...]  # one defect may show in several places (a person needed by three steps)
    rules: frozenset[str]
    what: str

    def found_by(self, finding: Finding) -> bool:
        path = tuple(str(part) for part in finding.path)
        return finding.rule in self.rules and any(path[: len(at)] == at for at in self.at)


@dataclass(frozen=True)
class Score:
    plan: str
    defects: list[Defect]
    findings: list[Finding]

    @property
    def missed(self) -> list[Defect]:
        return [d for d in self.defects if not any(d.found_by(f) for f in self.findings)]

    @property
    def false_alarms(self) -> list[Finding]:
        return [f for f in self.findings if not any(d.found_by(f) for d in self.defects)]


def _places(at: str | list[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(str(place).split(".")) for place in ([at] if isinstance(at, str) else at))


def manifests() -> list[Path]:
    return sorted(PLANS.glob("*.defects.yaml"))


def score(manifest: Path) -> Score:
    data: dict[str, Any] = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    plan_file = manifest.parent / data["plan"]
    plan, _ = load_text(plan_file.read_text(encoding="utf-8"), str(plan_file))
    defects = [Defect(_places(d["at"]), frozenset(d["rules"]), str(d["what"])) for d in data["defects"]]
    return Score(plan_file.stem, defects, lint(plan, Options(today=TODAY)))


@dataclass(frozen=True)
class Counts:
    plan: str
    planted: int
    found: int
    findings: int
    false: int

    @property
    def recall(self) -> float:
        return ratio(self.found, self.planted)

    @property
    def precision(self) -> float:
        return ratio(self.findings - self.false, self.findings)


def counts(s: Score) -> Counts:
    return Counts(s.plan, len(s.defects), len(s.defects) - len(s.missed), len(s.findings), len(s.false_alarms))


def total(scores: list[Score]) -> Counts:
    """The plans' counts summed (each finding is matched only against its own plan's defects)."""
    each = [counts(s) for s in scores]
    return Counts(
        "total",
        sum(c.planted for c in each),
        sum(c.found for c in each),
        sum(c.findings for c in each),
        sum(c.false for c in each),
    )


def ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def table(scores: list[Score]) -> str:
    rows = [("plan", "planted", "found", "findings", "false", "recall", "precision")]
    for c in [*map(counts, scores), total(scores)]:
        rows.append(
            (
                c.plan,
                str(c.planted),
                str(c.found),
                str(c.findings),
                str(c.false),
                f"{c.recall:.0%}",
                f"{c.precision:.0%}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--show", action="store_true", help="list every missed defect and false alarm")
    args = parser.parse_args(argv)
    scores = [score(m) for m in manifests()]
    print(table(scores))
    if args.show:
        for s in scores:
            for d in s.missed:
                print(f"missed  {s.plan}: {'/'.join(sorted(d.rules))} at {'.'.join(d.at[0])}: {d.what}")
            for f in s.false_alarms:
                print(f"false   {s.plan}: {f.rule} at {'.'.join(map(str, f.path))}: {f.message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
