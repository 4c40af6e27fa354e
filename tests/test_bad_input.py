"""Bad input: every problem reported at once, with file, line, column and path; exit 2; nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from contingency.cli import main

BASE = """\
apiVersion: contingency/v1
kind: Plan
id: pacs
title: PACS plan
organisation:
  id: trust
  name: Trust
document:
  number: RAD-1
  issue: 1
  issueDate: 2026-01-05
  reviewDate: 2027-01-05
  owner: olive
people:
  - id: olive
    name: Olive Owner
    phones:
      - kind: mobile
        number: 07700 900001
roles:
  - id: pacs-team
    name: PACS team
functions:
  - id: imaging
    name: Imaging
    owner: olive
    mtpd: 2 days
"""


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


# A procedure whose out-of-hours step is done instead of its in-hours step (lines 28-38).
STEPS = """\
procedures:
  - id: respond
    title: Respond
    steps:
      - id: call-in-hours
        text: Ring the PACS team
        when: in-hours
      - id: call-out-of-hours
        text: Ring the on-call manager
        when: out-of-hours
        insteadOf: call-in-hours
"""


def steps(old: str, new: str, *, more: str = "") -> str:
    assert old in STEPS, old
    return BASE + STEPS.replace(old, new, 1) + more


# (case, file text, the exact messages expected, in order)
CASES: list[tuple[str, str, list[str]]] = [
    (
        "malformed",
        edit("  name: Trust\n", "  name: [Trust\n"),
        ["plan.yaml:8:9: (document): malformed YAML: while parsing a flow sequence expected ',' or ']', but got ':'"],
    ),
    ("empty", "", ["plan.yaml: (document): the file is empty: expected a plan document"]),
    (
        "issue-too-large",
        edit("  issue: 1\n", "  issue: 100000000000000000000\n"),
        ["plan.yaml:10:3: document.issue: must be at most 2147483647, got 100000000000000000000"],
    ),
    (
        "two-documents",
        BASE + "---\nkind: Plan\n",
        ["plan.yaml:29:1: (document): one plan per file: found a second document"],
    ),
    (
        "duplicate-key",
        edit("title: PACS plan\n", "title: PACS plan\ntitle: Again\n"),
        ["plan.yaml:5:1: (document): duplicate key 'title' (first at line 4)"],
    ),
    (
        "no-api-version",
        edit("apiVersion: contingency/v1\n", ""),
        ["plan.yaml:1:1: (document): missing apiVersion: start the file with 'apiVersion: contingency/v1'"],
    ),
    (
        "wrong-api-version",
        edit("contingency/v1", "contingency/v9"),
        ["plan.yaml:1:1: apiVersion: apiVersion 'contingency/v9' is not supported: this version reads contingency/v1"],
    ),
    ("wrong-kind", edit("kind: Plan", "kind: Runbook"), ["plan.yaml:2:1: kind: kind must be 'Plan', got 'Runbook'"]),
    (
        "not-a-mapping",
        "- just\n- a list\n",
        ["plan.yaml:1:1: (document): expected a plan (a mapping of fields), got a list"],
    ),
    (
        "unknown-field",
        edit("    name: Olive Owner\n", "    name: Olive Owner\n    nmae: Olive\n"),
        ["plan.yaml:17:5: people[0].nmae: unknown field 'nmae' (did you mean 'name'?)"],
    ),
    (
        "wrong-type",
        edit("  issue: 1\n", "  issue: three\n"),
        ["plan.yaml:10:3: document.issue: expected a whole number, got 'three'"],
    ),
    (
        # Words ("two days") are kept as written and linted (ASW002); a duration of the wrong type is refused.
        "bad-duration",
        edit("mtpd: 2 days", "mtpd: [2 days]"),
        ["plan.yaml:27:5: functions[0].mtpd: expected a duration such as 4h or 5 working days, got ['2 days']"],
    ),
    (
        "bad-hours",
        edit("  name: Trust\n", "  name: Trust\n  workingHours: Mon-Fri 8am-5pm\n"),
        [
            "plan.yaml:8:3: organisation.workingHours: 'Mon-Fri 8am-5pm' is not service hours (expected 24/7 or e.g. Mon-Fri 08:00-17:00)"
        ],
    ),
    (
        "bad-time-zone",
        edit("  name: Trust\n", "  name: Trust\n  timezone: Europe/Londn\n"),
        ["plan.yaml:8:3: organisation.timezone: 'Europe/Londn' is not a time zone name (e.g. Europe/London)"],
    ),
    (
        "control-character",
        edit("title: PACS plan", 'title: "PACS\\0plan"'),
        ["plan.yaml:4:1: title: text contains the control character U+0000"],
    ),
    (
        "bad-enum",
        edit("      - kind: mobile", "      - kind: carrier-pigeon"),
        [
            "plan.yaml:18:9: people[0].phones[0].kind: 'carrier-pigeon' is not allowed here: expected 'mobile', 'landline', 'extension', 'bleep', 'pager', 'switchboard' or 'helpdesk'"
        ],
    ),
    (
        "bad-date",
        edit("reviewDate: 2027-01-05", "reviewDate: 2027-13-05"),
        ["plan.yaml:12:3: document.reviewDate: expected a date as YYYY-MM-DD, got '2027-13-05'"],
    ),
    (
        "bad-phone",
        edit("number: 07700 900001", "number: ring reception"),
        [
            "plan.yaml:19:9: people[0].phones[0].number: 'ring reception' is not a phone number (digits, spaces and + ( ) - # *)"
        ],
    ),
    (
        "bad-id",
        edit("  - id: pacs-team", "  - id: PACS Team"),
        [
            "plan.yaml:21:5: roles[0].id: 'PACS Team' is not a readable id: use lower-case letters, digits and hyphens (e.g. pacs-team)"
        ],
    ),
    (
        "out-of-range",
        edit("    mtpd: 2 days\n", "    mtpd: 2 days\n    likelihood: 6\n"),
        ["plan.yaml:28:5: functions[0].likelihood: a score is from 1 to 5, got 6"],
    ),
    ("missing-field", edit("    name: Imaging\n", ""), ["plan.yaml:24:5: functions[0]: missing required field 'name'"]),
    (
        "dangling-ref",
        edit("    owner: olive\n", "    owner: olvie\n"),
        [
            "plan.yaml:26:5: functions[0].owner: 'olvie' names no person or role or supplier in this plan (did you mean 'olive'?)"
        ],
    ),
    (
        "wrong-kind-ref",
        edit("    name: PACS team\n", "    name: PACS team\n    members: [pacs-team]\n"),
        ["plan.yaml:23:15: roles[0].members[0]: 'pacs-team' is a role, but a person is needed here"],
    ),
    (
        "duplicate-id",
        edit("  - id: pacs-team", "  - id: olive"),
        ["plan.yaml:21:5: roles[0].id: duplicate id 'olive': already used by the person at people[0]"],
    ),
    (
        "trigger-timing",
        # A recurring trigger with no interval is kept ("on an agreed basis", ASW003); a timing its kind
        # does not take is contradictory in the file itself, and refused.
        BASE + "triggers:\n  - id: tp2\n    name: Daily call\n    kind: at-invocation\n    every: 1 day\n",
        ["plan.yaml:29:5: triggers[0]: a trigger of kind at-invocation takes no every"],
    ),
    (
        "instead-of-dangling",
        steps("insteadOf: call-in-hours", "insteadOf: call-in-hour"),
        [
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: 'call-in-hour' names no step of procedure 'respond' (did you mean 'call-in-hours'?)"
        ],
    ),
    (
        "instead-of-same-time",
        steps("        when: out-of-hours\n", "        when: in-hours\n"),
        [
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: 'call-in-hours' is an in-hours step too: insteadOf must name an out-of-hours step"
        ],
    ),
    (
        "instead-of-on-an-always-step",
        steps("        when: out-of-hours\n", ""),
        [
            "plan.yaml:37:9: procedures[0].steps[1].insteadOf: a step done at any time (when: always) has no counterpart: set when to in-hours or out-of-hours, or remove insteadOf"
        ],
    ),
    (
        "instead-of-an-always-step",
        steps("        when: in-hours\n", ""),
        [
            "plan.yaml:37:9: procedures[0].steps[1].insteadOf: 'call-in-hours' is done at any time (when: always): insteadOf must name an in-hours step"
        ],
    ),
    (
        "instead-of-itself",
        steps("insteadOf: call-in-hours", "insteadOf: call-out-of-hours"),
        [
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: a step cannot be done instead of itself: name the in-hours step it replaces"
        ],
    ),
    (
        "instead-of-another-procedure",
        steps(
            "insteadOf: call-in-hours",
            "insteadOf: restore-in-hours",
            more="  - id: restore\n    title: Restore\n    steps:\n"
            "      - id: restore-in-hours\n        text: Tell the wards\n        when: in-hours\n",
        ),
        [
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: 'restore-in-hours' is a step of procedure 'restore': insteadOf must name a step of this procedure"
        ],
    ),
    (
        "instead-of-a-person",
        steps("insteadOf: call-in-hours", "insteadOf: olive"),
        [
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: 'olive' is a person, but an in-hours step of this procedure is needed here"
        ],
    ),
    (
        "instead-of-beside-structural-problems",
        steps("insteadOf: call-in-hours", "insteadOf: call-in-hour").replace("  issue: 1\n", "  issue: three\n"),
        [
            "plan.yaml:10:3: document.issue: expected a whole number, got 'three'",
            "plan.yaml:38:9: procedures[0].steps[1].insteadOf: 'call-in-hour' names no step of procedure 'respond' (did you mean 'call-in-hours'?)",
        ],
    ),
    (
        "several-at-once",
        edit("  issue: 1\n", "  issue: three\n")
        .replace("mtpd: 2 days", "mtpd: [soon]")
        .replace("    name: PACS team\n", "    name: PACS team\n    members: [olive, nobody]\n"),
        [
            "plan.yaml:10:3: document.issue: expected a whole number, got 'three'",
            "plan.yaml:23:22: roles[0].members[1]: 'nobody' names no person in this plan",
            "plan.yaml:28:5: functions[0].mtpd: expected a duration such as 4h or 5 working days, got ['soon']",
        ],
    ),
]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


@pytest.mark.parametrize(("case", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_plan_file(tmp_path: Path, case: str, text: str, expected: list[str]) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    code, err = run("plan", "validate", str(path))
    assert code == 2
    lines = err.replace(str(tmp_path) + "/", "").splitlines()
    assert lines == [*expected, f"{len(expected)} problem(s); nothing was written."]
