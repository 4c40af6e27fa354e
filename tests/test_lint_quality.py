"""The linter on the test plans with planted defects (tests/plans): recall and precision.

The goal of issue 13: at least 90% of planted defects found, at most 10% of findings false. The
plans are fictional but written as real plans are, each with near misses the rules must not report.
"""

from __future__ import annotations

import pytest

from benchmarks.lint_quality import main, manifests, score, total
from contingency.plans.lint import RULES

SCORES = {m.name.removesuffix(".defects.yaml"): m for m in manifests()}


def test_four_services_are_covered() -> None:
    assert {"pathology", "pharmacy", "gp-practice", "ambulance-control"} <= set(SCORES)


@pytest.mark.parametrize("name", sorted(SCORES))
def test_manifest_names_real_rules_and_enough_defects(name: str) -> None:
    result = score(SCORES[name])
    assert len(result.defects) >= 8
    for defect in result.defects:
        assert defect.rules <= set(RULES), defect


def test_recall_and_precision_meet_the_goal() -> None:
    scores = [score(m) for m in SCORES.values()]
    every = total(scores)
    assert every.recall >= 0.9, [(d.what, d.rules) for s in scores for d in s.missed]
    assert every.precision >= 0.9, [(f.rule, f.path, f.message) for s in scores for f in s.false_alarms]


def test_the_script_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--show"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("| plan ")
    assert "| total " in out
