"""`plan lint` judges dates as of today where the plan's organisation is, not where the command runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import time_machine
from click.testing import CliRunner

from contingency.cli import main
from contingency.plans import yamlio
from tests.builders import minimal_plan


def lint_review(tmp_path: Path, zone: str) -> list[str]:
    plan = minimal_plan(organisation={"id": "test-org", "name": "Test", "timezone": zone})
    plan["document"]["reviewDate"] = "2027-01-04"
    path = tmp_path / "plan.yaml"
    path.write_text(yamlio.dump(plan), encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "lint", str(path)])
    return [line for line in result.stdout.splitlines() if "DOC001" in line]


@pytest.mark.parametrize(
    ("now", "zone", "overdue"),
    [
        ("2027-01-04 12:00:00+00:00", "Pacific/Auckland", True),  # already 5 January in Auckland
        ("2027-01-04 12:00:00+00:00", "Europe/London", False),
        ("2027-01-05 02:00:00+00:00", "America/New_York", False),  # still 4 January in New York
        ("2027-01-05 02:00:00+00:00", "Europe/London", True),
    ],
)
def test_review_is_overdue_by_the_organisations_calendar(tmp_path: Path, now: str, zone: str, overdue: bool) -> None:
    with time_machine.travel(now, tick=False):
        found = lint_review(tmp_path, zone)
    assert bool(found) is overdue
    if overdue:
        assert found[0].endswith("review was due on 04 January 2027, 1 day(s) ago [document.reviewDate]")
