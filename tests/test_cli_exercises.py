"""`contingency exercise ...`: exercises from the command line, acting as a named member."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner

from contingency.cli import main
from contingency.core.models import AuditEntry, Role
from contingency.exercises.models import ClockAdvance, Exercise, Inject
from contingency.incidents.models import Incident, TimelineEntry

from .web import HOME_ORG, OTHER_ORG, PACS, make_user

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
STARTED = datetime(2027, 3, 10, 12, 0, tzinfo=LONDON)  # a Wednesday
LEAD = "cli-lead"
START = (
    "exercise", "start", "--org", HOME_ORG, "--plan", PACS, "--kind", "table-top", "--subject", "system:pacs",
)  # fmt: skip


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def counts() -> dict[str, int]:
    models = (Exercise, Inject, ClockAdvance, Incident, TimelineEntry, AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


@pytest.fixture
def clock(demo_plans: list[object]) -> Iterator[time_machine.Traveller]:
    make_user(LEAD, HOME_ORG, Role.RESPONDER)
    make_user("cli-viewer", HOME_ORG, Role.VIEWER)
    make_user("cli-outsider", OTHER_ORG, Role.RESPONDER)
    with time_machine.travel(STARTED, tick=False) as traveller:
        yield traveller


def test_start_inject_release_advance_show_finish(clock: time_machine.Traveller) -> None:
    code, out, err = run(*START, "--as-if", "2027-03-14 02:00", "--as", LEAD)
    assert code == 0, err
    assert out.startswith("started exercise 1: table-top exercise of ")
    assert out.endswith(f"incident: #{Incident.objects.get().number}\n")
    exercise = Exercise.objects.get()
    assert exercise.started_by_name == LEAD and exercise.as_if == datetime(2027, 3, 14, 2, 0, tzinfo=LONDON)
    code, out, err = run("exercise", "inject", "--org", HOME_ORG, "1", "--title", "Failover fails",
                         "--text", "The standby does not come up.", "--minutes", "90", "--as", LEAD)  # fmt: skip
    assert code == 0, err
    assert out == "inject 1 added to exercise 1: Failover fails\n"
    clock.shift(600)
    code, out, err = run("exercise", "release", "--org", HOME_ORG, "1", "--advance", "--as", LEAD)
    assert code == 0, err
    assert out == (
        "inject 1 released: Failover fails\n"
        "clock advanced by 1 hour 20 minutes, to Sun 14 Mar 2027 03:30 (scenario time)\n"
    )
    code, out, err = run("exercise", "advance", "--org", HOME_ORG, "1", "--minutes", "60",
                         "--reason", "Skip to the call", "--as", LEAD)  # fmt: skip
    assert code == 0, err
    assert out == "clock advanced by 1 hour, to Sun 14 Mar 2027 04:30 (scenario time)\n"
    code, out, err = run("exercise", "show", "--org", HOME_ORG, "1")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Exercise 1: table-top exercise of ") and lines[0].endswith("(pacs-bcdr) [running]")
    assert "started: Wed 10 Mar 2027 12:00 by cli-lead (as if Sun 14 Mar 2027 02:00)" in lines
    assert "scenario time: Sun 14 Mar 2027 04:30" in lines
    assert "  1. Failover fails (+90 min) [released Wed 10 Mar 2027 12:10]" in lines
    assert (
        "  Wed 10 Mar 2027 12:10: by 1 hour, to Sun 14 Mar 2027 04:30 (scenario time): Skip to the call (cli-lead)"
        in lines
    )
    code, out, err = run("exercise", "list", "--org", HOME_ORG)
    assert code == 0, err
    assert out.splitlines()[0].endswith("[running], started Wed 10 Mar 2027 12:00")
    assert "  pacs-bcdr table-top exercise: every 12 months; last never; due now OVERDUE" in out
    code, out, err = run("exercise", "finish", "--org", HOME_ORG, "1", "--outcome", "Everyone reached.", "--as", LEAD)
    assert code == 0, err
    assert out.startswith("finished exercise 1")
    notes = AuditEntry.objects.filter(object_type="exercise").order_by("at", "id").values_list("note", "actor_name")
    assert [n for n, _ in notes] == [
        "started",
        "inject 1 added",
        "inject 1 released; clock advanced by 1 hour 20 minutes",
        "clock advanced by 1 hour",
        "finished",
    ]
    assert {a for _, a in notes} == {LEAD}
    code, out, err = run("exercise", "finish", "--org", HOME_ORG, "1", "--outcome", "Again", "--as", LEAD)
    assert code == 2 and err == "error: NUMBER: exercise 1 has already finished\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((*START, "--as", "nobody"), "error: --as: 'nobody' is not a member of northwick-general\n"),
        ((*START, "--as", "cli-outsider"), "error: --as: 'cli-outsider' is not a member of northwick-general\n"),
        (
            (*START, "--as", "cli-viewer"),
            "error: --as: cli-viewer cannot run exercises: it needs the respond permission in "
            "Northwick General Hospital NHS Foundation Trust\n",
        ),
        (START, "Missing option '--as'"),
        (
            (
                "exercise",
                "start",
                "--org",
                "nowhere",
                "--plan",
                PACS,
                "--kind",
                "live",
                "--subject",
                "system:pacs",
                "--as",
                LEAD,
            ),
            "error: --org: there is no organisation 'nowhere'\n",
        ),
        (
            (
                "exercise",
                "start",
                "--org",
                HOME_ORG,
                "--plan",
                "nope",
                "--kind",
                "live",
                "--subject",
                "system:pacs",
                "--as",
                LEAD,
            ),
            "error: --plan: northwick-general has no plan 'nope'\n",
        ),
        (
            (*START[:7], "fire-drill", *START[8:], "--as", LEAD),
            "error: --kind: an exercise is one of: communications, table-top, live\n",
        ),
        ((*START, "--as-if", "Sunday", "--as", LEAD), "error: --as-if: 'Sunday' is not a time: give YYYY-MM-DD HH:MM"),
        ((*START[:-1], "system:nothing", "--as", LEAD), "error: --subject: "),
        (("exercise", "show", "--org", HOME_ORG, "7"), "error: NUMBER: northwick-general has no exercise 7\n"),
        (
            ("exercise", "inject", "--org", HOME_ORG, "1", "--title", " ", "--text", "x", "--as", LEAD),
            "error: --title: give the inject a title\n",
        ),
        (
            (
                "exercise",
                "inject",
                "--org",
                HOME_ORG,
                "1",
                "--title",
                "x",
                "--text",
                "y",
                "--minutes",
                "-5",
                "--as",
                LEAD,
            ),
            "error: --minutes: the minutes after the start are from 0 to 10,080\n",
        ),
        (
            ("exercise", "advance", "--org", HOME_ORG, "1", "--minutes", "0", "--reason", "x", "--as", LEAD),
            "error: --minutes: the clock only moves forward",
        ),
        (
            ("exercise", "advance", "--org", HOME_ORG, "1", "--minutes", "soon", "--reason", "x", "--as", LEAD),
            "Invalid value for '--minutes'",
        ),
        (
            ("exercise", "advance", "--org", HOME_ORG, "1", "--minutes", "30", "--reason", " ", "--as", LEAD),
            "error: --reason: say why the clock moves on",
        ),
        (
            ("exercise", "release", "--org", HOME_ORG, "1", "--as", LEAD),
            "error: NUMBER: exercise 1 has no injects left to release\n",
        ),
        (
            ("exercise", "finish", "--org", HOME_ORG, "1", "--outcome", "", "--as", LEAD),
            "error: --outcome: say what the exercise showed\n",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    clock: time_machine.Traveller, args: tuple[str, ...], message: str
) -> None:
    assert run(*START, "--as", LEAD)[0] == 0
    before = counts()
    code, _, err = run(*args)
    assert code == 2, err
    assert message in err
    assert counts() == before


def test_release_moves_the_clock_unless_told_not_to(clock: time_machine.Traveller) -> None:
    assert run(*START, "--as", LEAD)[0] == 0
    for title in ("First", "Second"):
        add = ("exercise", "inject", "--org", HOME_ORG, "1", "--title", title, "--text", "x", "--minutes", "60")
        assert run(*add, "--as", LEAD)[0] == 0
    code, out, err = run("exercise", "release", "--org", HOME_ORG, "1", "--no-advance", "--as", LEAD)
    assert (code, out) == (0, "inject 1 released: First\n"), err
    code, out, err = run("exercise", "release", "--org", HOME_ORG, "1", "--as", LEAD)
    assert code == 0, err
    assert out == "inject 2 released: Second\nclock advanced by 1 hour, to Wed 10 Mar 2027 13:00 (scenario time)\n"
