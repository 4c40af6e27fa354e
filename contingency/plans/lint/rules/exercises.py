"""The exercise programme (NHS EPRR, ISO 22301 8.5): exercises of the plan overdue, or never done.

These rules read `options.exercises`, the plan's rows of the exercise programme as the exercises app
computes them (its cadence: the plan's own, the organisation's, or the EPRR default), passed in by
whoever lints a stored plan. Linting files, with no programme to hand, they find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]
WHERE: Path = ("monitoring",)  # where a plan says how it is tested and exercised


@rule("EXR001", "exercise-overdue", Severity.WARNING, "An exercise of the plan is overdue")
def exercise_overdue(ctx: Context) -> Found:
    """The plan's last exercise of a kind (a communications test, a table-top or a live exercise) was
    longer ago than the programme's cadence (by default the NHS EPRR core standards: every 6, 12 and 36
    months; a real activation with a completed review counts as the live exercise). Run one from the
    Exercises page; recording it clears the finding. The cadence is set there too."""
    for row in ctx.options.exercises or ():
        if row.overdue and row.last is not None and row.due is not None:
            yield (
                WHERE,
                f"{row.label} overdue since {row.due:%d %B %Y} (every {row.months} months; "
                f"last done {row.last:%d %B %Y})",
            )


@rule("EXR002", "exercise-never-done", Severity.WARNING, "A kind of exercise the programme asks for was never done")
def exercise_never_done(ctx: Context) -> Found:
    """The programme asks for this kind of exercise of the plan, and none has been recorded: nobody
    knows whether the call trees, the numbers or the procedures work. It is due now. A kind the
    organisation marked "not required" for the plan is not reported."""
    for row in ctx.options.exercises or ():
        if row.overdue and row.last is None:
            yield WHERE, f"{row.label} never done (due every {row.months} months)"
