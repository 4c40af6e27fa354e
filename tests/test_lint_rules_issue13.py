"""The rules added for issue 13: each triggered by a one-defect plan, and the near misses that must not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builders import minimal_plan
from tests.test_lint_rules import Mutation, findings, fn, respond

LIMS: dict[str, Any] = {
    "id": "lims",
    "name": "WinPath Enterprise",
    "backup": {"every": "1h", "offsite": True, "encrypted": True},
}
COURIER = {
    "id": "courier",
    "name": "Northgate Couriers Ltd",
    "aliases": ["Northgate Couriers"],
    "helpdesk": {"phones": [{"kind": "helpdesk", "number": "01632 960555"}], "hours": "Mon-Fri 08:00-18:00"},
}


def step(text: str, **more: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["suppliers"] = [COURIER]
        respond(plan)["steps"].append({"text": text, "kind": "call", "who": "owner", **more})

    return mutate


def with_lims(**changes: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["systems"] = [{**LIMS, **changes}]
        fn(plan)["dependsOn"] = ["lims"]

    return mutate


def describe(text: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        with_lims()(plan)
        fn(plan)["description"] = text

    return mutate


ISSUE_13: dict[str, tuple[Mutation, set[str]]] = {
    "NAM001": (describe("Results are validated on WinPath Labs before release"), set()),
    "NAM002": (
        lambda p: p["people"].append(
            {"id": "olive2", "name": "Dr O Owner", "phones": [{"kind": "mobile", "number": "07700 900001"}]}
        ),
        {"CON006"},
    ),
    "PHN001": (step("Ring the courier desk on 01632 960999"), set()),
    "PHN002": (step("Ring Northgate Couriers on 01632 960555", when="out-of-hours"), set()),
    "KEY001": (lambda p: p["people"][1].update(name="TBC"), set()),
    "KEY002": (
        lambda p: (
            p["people"].append({"id": "cover", "name": "Carl Cover"}),
            p["people"][0].update(deputy="cover"),
        ),
        set(),
    ),
    "KEY003": (
        lambda p: (
            p.update(roles=[{"id": "lab", "name": "Laboratory", "kind": "department"}]),
            respond(p)["steps"].append(
                {"text": "Tell the laboratory", "kind": "inform", "who": "owner", "targets": ["lab"]}
            ),
        ),
        {"CON002"},
    ),
    "DUR001": (
        lambda p: (
            fn(p).pop("mtpd"),
            fn(p).update(durationRules=[{"after": "1 day", "action": "Divert work", "owner": "owner"}]),
        ),
        {"FN007"},
    ),
    "DUR002": (lambda p: fn(p).update(description="The service is restored within 3 days"), set()),
    "DUR003": (
        lambda p: p.update(
            escalation=[{"level": 1, "name": "Gold", "when": "If not restored after 5 days", "invokesPlan": True}]
        ),
        set(),
    ),
    "DUR004": (
        lambda p: fn(p).update(impact=[{"after": "0h", "level": "low"}, {"after": "1 day", "level": "severe"}]),
        set(),
    ),
    "DUR005": (
        lambda p: (with_lims(backup={**LIMS["backup"], "restoreTime": "8h"})(p),),
        set(),
    ),
    "RSK005": (
        lambda p: p.update(
            risks=[
                {
                    "id": "r1",
                    "title": "Analyser failure",
                    "causes": ["Hardware fault"],
                    "likelihood": 1,
                    "consequence": 2,
                    "impact": "This is a high risk to turnaround times",
                    "owner": "owner",
                    "recognise": ["Analyser shows an error"],
                    "response": {"procedure": "respond"},
                }
            ]
        ),
        set(),
    ),
    "AUD001": (lambda p: p.pop("monitoring", None), set()),
    "AUD002": (lambda p: (with_lims()(p), fn(p).pop("rpo")), set()),
    "AUD003": (lambda p: (ISSUE_13["RSK005"][0](p), p["risks"][0].pop("impact"), p["risks"][0].pop("owner")), set()),
    "AUD004": (lambda p: fn(p).update(durationRules=[{"after": "1 day", "action": "Divert work"}]), set()),
    "AUD005": (lambda p: p.update(escalation=[{"level": 1, "name": "Gold", "who": ["owner"]}]), set()),
}


def clean_plan() -> dict[str, Any]:
    return minimal_plan()


@pytest.mark.parametrize("rule_id", sorted(ISSUE_13))
def test_rule_triggers(rule_id: str) -> None:
    mutate, also = ISSUE_13[rule_id]
    data = clean_plan()
    mutate(data)
    found = findings(data)
    assert {f.rule for f in found} == {rule_id, *also}, [f.message for f in found]


def test_clean_plan_with_a_system_is_clean() -> None:
    data = clean_plan()
    with_lims()(data)
    assert findings(data) == []


# Near misses.


@pytest.mark.parametrize(
    "text",
    [
        "Results are validated on WinPath Enterprise before release",
        "Results are validated on WinPath before release",  # a short form is the same name
        "Log in to WinPath and check the worklist",
        "The WinPath server room is locked at night",
    ],
)
def test_system_named_as_in_directory_or_shortened_is_fine(text: str) -> None:
    data = clean_plan()
    describe(text)(data)
    assert findings(data) == []


def test_a_name_that_is_another_entry_is_not_another_name() -> None:
    data = clean_plan()
    describe("Results reach the GP through WinPath Enterprise and WinPath Labs Link")(data)
    data["systems"].append({"id": "link", "name": "WinPath Labs Link"})
    assert "NAM001" not in {f.rule for f in findings(data)}


def test_different_people_with_one_surname_are_not_listed_twice() -> None:
    data = clean_plan()
    data["people"].append(
        {"id": "oscar", "name": "Oscar Owner", "phones": [{"kind": "mobile", "number": "07700 900009"}]}
    )
    assert "NAM002" not in {f.rule for f in findings(data)}


@pytest.mark.parametrize(
    ("text", "when"),
    [
        ("Ring Northgate Couriers on 01632 960555", "in-hours"),  # in hours: the desk is open
        ("Ring Northgate Couriers on 01632 960555 or the owner on 07700 900001", "always"),  # one answers at night
        ("Ring the owner on +44 7700 900001", "out-of-hours"),
        ("Ring the owner on 07700-900-001", "out-of-hours"),
    ],
)
def test_numbers_in_the_directory_and_answered_are_fine(text: str, when: str) -> None:
    data = clean_plan()
    step(text, when=when)(data)
    data["procedures"][0]["steps"][-1]["insteadOf"] = None
    assert not {"PHN001", "PHN002"} & {f.rule for f in findings(data)}


def test_an_extension_matches_the_end_of_a_direct_line() -> None:
    data = clean_plan()
    step("Ring the owner on ext 0001")(data)
    data["people"][0]["phones"].append({"kind": "landline", "number": "01632 960001"})
    assert "PHN001" not in {f.rule for f in findings(data)}


def test_real_names_are_names() -> None:
    data = clean_plan()
    data["people"][1]["name"] = "Tba Nakamura"
    assert findings(data) == []


def test_recovery_within_the_rto_is_fine() -> None:
    data = clean_plan()
    fn(data)["description"] = "The service is restored within 4 hours; an escalation after 2 days goes to the board"
    assert findings(data) == []


def test_escalation_before_the_mtpd_is_fine() -> None:
    data = clean_plan()
    data["escalation"] = [{"level": 1, "name": "Gold", "when": "If not restored after 1 day", "invokesPlan": True}]
    assert findings(data) == []


def test_restore_time_does_not_bind_a_replicated_system() -> None:
    data = clean_plan()
    with_lims(backup={**LIMS["backup"], "restoreTime": "8h"}, redundancy="mirror")(data)
    assert "DUR005" not in {f.rule for f in findings(data)}


@pytest.mark.parametrize("words", ["This is a low risk", "Low-risk failure", "rated low", "a high priority fix"])
def test_risk_words_that_agree_are_fine(words: str) -> None:
    data = clean_plan()
    ISSUE_13["RSK005"][0](data)
    data["risks"][0]["impact"] = words
    assert "RSK005" not in {f.rule for f in findings(data)}


# Fewer false alarms.


def test_broadcast_audiences_need_no_out_of_hours_number() -> None:
    data = clean_plan()
    data["people"].append(
        {"id": "clerk", "name": "Cara Clerk", "phones": [{"kind": "extension", "number": "4321", "when": "in-hours"}]}
    )
    data["lists"] = [{"id": "everyone", "name": "All staff", "members": ["clerk", "owner"]}]
    respond(data)["steps"].append(
        {"text": "E-mail all staff", "kind": "inform", "who": "owner", "targets": ["everyone"]}
    )
    assert "CON002" not in {f.rule for f in findings(data)}
    data["lists"][0]["name"] = "Departments to ring"
    assert "CON002" in {f.rule for f in findings(data)}


def test_agenda_items_are_not_people_to_call() -> None:
    data = clean_plan()
    data["triggers"][0]["actions"].append("Review the estates manager's report")
    assert findings(data) == []


def test_one_office_is_no_single_point_of_failure_when_it_is_the_scope() -> None:
    data = clean_plan()
    data["sites"] = [{"id": "surgery", "name": "Whitmore Surgery", "kind": "practice"}]
    lines = [
        {"name": "Main line", "role": "primary", "site": "surgery"},
        {"name": "Backup line", "role": "standby", "site": "surgery"},
    ]
    data["systems"] = [{"id": "phones", "name": "Telephony", "redundancy": "active-passive", "components": lines}]
    assert "SYS004" in {f.rule for f in findings(data)}
    data["scope"] = ["Everything Whitmore Surgery needs to keep seeing patients"]
    assert findings(data) == []


def test_a_supplier_called_by_its_brand_alone_is_its_name() -> None:
    data = clean_plan()
    step("Log a call with Northgate")(data)
    assert findings(data) == []
    data = clean_plan()
    step("Log a call with Northgate Logistics")(data)
    assert {f.rule for f in findings(data)} == {"CON004"}


def test_a_system_sharing_its_brand_with_a_supplier_is_reported_once() -> None:
    data = clean_plan()
    step("Log a call with Northgate Logistics")(data)
    data["systems"] = [{"id": "tracker", "name": "Northgate Tracker"}]
    assert [f.rule for f in findings(data)] == ["CON004"]


def test_impact_severe_from_the_first_minute_does_not_contradict_the_mtpd() -> None:
    data = clean_plan()
    fn(data)["impact"] = [{"after": "0m", "level": "severe"}]
    assert findings(data) == []


@pytest.mark.parametrize("said", ["is normally back within 48 hours", "is recovered in three days"])
def test_stated_recovery_in_other_words(said: str) -> None:
    data = clean_plan()
    fn(data)["description"] = f"The service {said}"
    assert {f.rule for f in findings(data)} == {"DUR002"}


def test_a_suppliers_own_team_is_reached_through_the_supplier() -> None:
    data = clean_plan()
    step("Ask the Northgate Couriers portal team to rebook the collection")(data)
    assert findings(data) == []
    data = clean_plan()
    step("Ask the courier portal team to rebook the collection")(data)
    assert {f.rule for f in findings(data)} == {"CON005"}


def test_restore_time_binds_only_scenarios_about_that_system() -> None:
    data = clean_plan()
    with_lims(backup={**LIMS["backup"], "restoreTime": "8h"})(data)
    data["systems"].append({"id": "water", "name": "Water plant", "redundancy": "active-passive"})
    fn(data)["dependsOn"].append("water")
    fn(data)["rto"] = [{"scenario": "Water plant failure", "duration": "4h"}]
    assert findings(data) == []
    fn(data)["rto"] = [{"scenario": "WinPath failure", "duration": "4h"}]
    assert {f.rule for f in findings(data)} == {"DUR005"}


def test_a_one_word_alias_does_not_hide_another_name() -> None:
    data = clean_plan()
    describe("Order from the Northgate Express van if the courier fails")(data)
    data["suppliers"] = [{**COURIER, "aliases": ["Northgate"]}]
    assert {f.rule for f in findings(data)} == {"NAM001"}


def test_a_brand_shared_by_supplier_and_system_is_told_apart_by_context() -> None:
    data = clean_plan()
    data["suppliers"] = [COURIER]
    data["systems"] = [{"id": "tracker", "name": "Northgate Tracker"}]
    respond(data)["steps"].append({"text": "Open Northgate Tracker and find the van", "who": "owner"})
    assert findings(data) == []  # the system's own name
    respond(data)["steps"][-1]["text"] = "Open Northgate Live and find the van"
    assert {f.rule for f in findings(data)} == {"NAM001"}  # another name of the system
    respond(data)["steps"][-1]["text"] = "Ring the Northgate Live helpdesk"
    assert {f.rule for f in findings(data)} == {"CON004"}  # another name of the supplier


def test_a_call_back_is_not_a_recovery_time() -> None:
    data = clean_plan()
    fn(data)["description"] = "The supplier will call back within 2 days with a fix date"
    assert findings(data) == []


def test_a_name_inside_a_longer_word_is_not_the_name() -> None:
    data = clean_plan()
    describe("Plans are saved in WinPath Enterprises Cloud")(data)
    assert {f.rule for f in findings(data)} == {"NAM001"}
