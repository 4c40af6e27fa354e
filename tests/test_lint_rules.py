"""Every lint rule: a plan that triggers it (and only it), and the clean baseline that does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from contingency.plans.lint import RULES, ExerciseDue, Options, PrintedLocation, PrintFacts, SupplierAssurance, lint
from contingency.plans.validate import load_text
from tests.builders import build, minimal_plan
from tests.conftest import DEMO_PLANS

TODAY = date(2026, 6, 1)
Mutation = Callable[[dict[str, Any]], object]


def fn(plan: dict[str, Any]) -> Any:
    return plan["functions"][0]


def respond(plan: dict[str, Any]) -> Any:
    return plan["procedures"][0]


def add_risk(**changes: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        risk = {
            "id": "outage",
            "title": "Complete failure",
            "causes": ["Power failure"],
            "likelihood": 2,
            "consequence": 4,
            "recognise": ["All users in all areas cannot log on"],
            "response": {"procedure": "respond"},
            "owner": "owner",
        }
        risk.update(changes)
        plan["risks"] = [{k: v for k, v in risk.items() if v is not None}]

    return mutate


def add_system(**changes: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["sites"] = [{"id": "dc1", "name": "Data centre 1"}, {"id": "dc2", "name": "Data centre 2"}]
        system = {"id": "pacs", "name": "PACS"}
        system.update(changes)
        plan["systems"] = [system]

    return mutate


def add_call_tree() -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        owner = plan["people"][0]["id"]
        plan["callTrees"] = [{"id": "tell-owner", "name": "Tell the owner", "audience": [owner]}]
        plan["triggers"][0]["callTree"] = None

    return mutate


def add_kind(fields: list[dict[str, Any]] | None = None, named: bool = True, **changes: Any) -> Mutation:
    """A record kind kept for the function's data recovery, reaching a system of the plan."""

    def mutate(plan: dict[str, Any]) -> None:
        plan["systems"] = [{"id": "pacs", "name": "PACS"}]
        kind = {
            "id": "examination",
            "name": "Examination",
            "system": "pacs",
            "fields": fields
            if fields is not None
            else [
                {"name": "downtime-id", "type": "downtime-id", "required": True},
                {"name": "done-at", "type": "time", "required": True},
            ],
        }
        kind.update(changes)
        plan["recordKinds"] = [kind]
        if named:
            fn(plan)["dataRecovery"] = {"method": "Re-send images", "records": ["examination"]}

    return mutate


NODES = [{"name": "Node A", "role": "node", "site": "dc1"}, {"name": "Node B", "role": "node", "site": "dc2"}]
MERIDIAN = {
    "id": "meridian",
    "name": "Meridian Imaging Systems Ltd",
    "helpdesk": {"phones": [{"kind": "helpdesk", "number": "0113 496 0000"}], "hours": "24/7"},
}


ECHO: dict[str, Any] = {"id": "echo", "dicom": {"host": "127.0.0.1", "port": 11112, "calledAe": "PACS"}}


def call_meridian(text: str) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["suppliers"] = [MERIDIAN]
        respond(plan)["steps"].append({"text": text, "kind": "call", "who": "meridian"})

    return mutate


def day_and_night(*, kind: str = "call", **night: Any) -> Mutation:
    """An in-hours call and its out-of-hours counterpart, paired only if `night` says so."""

    def mutate(plan: dict[str, Any]) -> None:
        respond(plan)["steps"] += [
            {"id": "desk", "text": "Ring the desk", "kind": "call", "when": "in-hours", "who": "owner"},
            {"text": "Ring the night desk", "kind": kind, "when": "out-of-hours", "who": "owner", **night},
        ]

    return mutate


def reissue(p: dict[str, Any]) -> None:
    """Issue 2 of the minimal plan, its holder acknowledging it (so only the print register is behind)."""
    p["document"].update(issue=2)
    p["document"]["changes"].append({"issue": 2, "date": "2026-02-02", "summary": "Second issue"})
    p["document"]["holders"][0].update(acknowledgedIssue=2)


def second_holder(p: dict[str, Any]) -> None:
    p["document"]["holders"].append(
        {"copy": 2, "holder": "owner", "location": "CT control room", "acknowledgedIssue": 1}
    )


# The print register's facts about the minimal plan: copy 1 (no location) printed at issue 1 today.
COPY_1 = "copy 1 (no location given)"
PRINTED = PrintFacts((PrintedLocation(COPY_1, 1, TODAY),), last_printed=TODAY)
RULE_OPTIONS: dict[str, dict[str, Any]] = {
    "CON001": {"max_responsibilities": 1},
    "PRN001": {"printing": PRINTED},
    "PRN002": {"printing": PrintFacts((PrintedLocation(COPY_1, 1, date(2025, 9, 1)),), last_printed=date(2025, 9, 1))},
    "PRN003": {"printing": PRINTED},
    # The exercise programme and the supplier register, as contingency.planlint passes them for a stored plan.
    "EXR001": {"exercises": (ExerciseDue("table-top exercise", 12, date(2025, 1, 5), date(2026, 1, 5), True),)},
    "EXR002": {"exercises": (ExerciseDue("communications test", 6, None, None, True),)},
    "SUP001": {"suppliers": (SupplierAssurance("acme", True, ("no assurance on file",)),)},
    "SUP002": {"suppliers": (SupplierAssurance("acme", False, ("not tested in 12 months",)),)},
}


def a_supplier(p: dict[str, Any]) -> None:
    p["suppliers"] = [{"id": "acme", "name": "Acme Hosting"}]


CASES: dict[str, tuple[Mutation, set[str]]] = {
    "DOC001": (lambda p: p["document"].update(reviewDate="2026-05-01"), set()),
    "DOC002": (lambda p: p["document"].update(reviewInterval="18 months"), set()),
    "DOC003": (
        lambda p: (p["document"].update(issue=2), p["document"]["holders"][0].update(acknowledgedIssue=2)),
        set(),
    ),
    "DOC004": (lambda p: p["document"]["holders"][0].pop("acknowledgedIssue"), set()),
    "DOC005": (
        lambda p: p["document"]["holders"].append({"copy": 1, "holder": "owner", "acknowledgedIssue": 1}),
        set(),
    ),
    "DOC006": (lambda p: [p["document"].pop(k) for k in ("approvingBody", "approvedBy", "approvalDate")], set()),
    "CON001": (lambda p: None, set()),  # run with max_responsibilities=1 below
    "CON002": (
        lambda p: p["people"][0].update(phones=[{"kind": "extension", "number": "4321", "when": "in-hours"}]),
        set(),
    ),
    "CON003": (lambda p: p["people"][0].update(phones=[]), {"CON002"}),
    "CON004": (call_meridian("Log a call with the Meridian Medical helpdesk"), set()),
    "CON005": (
        lambda p: respond(p)["steps"].append({"text": "Inform the duty manager", "kind": "do", "who": "owner"}),
        set(),
    ),
    "CON006": (lambda p: p["people"].append({"id": "spare", "name": "Sam Spare"}), set()),
    "FN001": (lambda p: fn(p).pop("owner"), set()),
    "FN002": (lambda p: fn(p).pop("deputy"), set()),
    "FN003": (lambda p: fn(p).update(deputy="owner"), set()),
    "FN004": (lambda p: fn(p)["rto"][0].update(duration="3 days"), set()),
    "FN005": (
        lambda p: fn(p).update(
            durationRules=[{"after": "5 working days", "action": "Find workspace", "owner": "owner"}]
        ),
        set(),
    ),
    "FN006": (lambda p: fn(p).pop("dataRecovery"), set()),
    "FN007": (lambda p: fn(p).pop("mtpd"), set()),
    "FN008": (
        lambda p: (
            add_system(backup={"every": "1 day", "offsite": True, "encrypted": True})(p),
            fn(p).update(dependsOn=["pacs"]),
        ),
        set(),
    ),
    "FN009": (lambda p: (fn(p).update(procedures=[]), respond(p).update(appliesTo=[])), set()),
    "FN010": (lambda p: fn(p).update(impact=[]), set()),
    "FN011": (
        lambda p: fn(p).update(impact=[{"after": "0h", "level": "high"}, {"after": "1 day", "level": "low"}]),
        set(),
    ),
    "DRC001": (lambda p: fn(p)["dataRecovery"].pop("nothingByHand"), set()),
    "DRC002": (add_kind(fields=[{"name": "done-at", "type": "time"}]), set()),
    "DRC003": (add_kind(fields=[{"name": "nhs", "type": "nhs-number"}, {"name": "at", "type": "time"}]), set()),
    "DRC004": (add_kind(named=False), set()),
    "DRC005": (add_kind(fields=[{"name": "downtime-id", "type": "downtime-id", "required": True}]), set()),
    "DRC006": (lambda p: (add_kind()(p), fn(p)["dataRecovery"].update(nothingByHand=True)), set()),
    "DRC007": (add_kind(verification={"share": "0%", "atLeast": 0}), set()),
    "RSK001": (add_risk(likelihood=4, consequence=4, stated={"likelihood": "likely", "rating": "moderate"}), set()),
    "RSK002": (add_risk(response=None), set()),
    "RSK003": (add_risk(recognise=None), set()),
    "RSK004": (add_risk(causes=None), set()),
    "PRC001": (
        lambda p: respond(p)["steps"].append(
            {"text": "Ring the desk", "kind": "call", "who": "owner", "when": "in-hours"}
        ),
        set(),
    ),
    "PRC002": (lambda p: respond(p).update(confirm=[]), set()),
    "PRC003": (lambda p: respond(p)["steps"].append({"text": "Start burning CDs", "kind": "do"}), set()),
    "PRC004": (
        lambda p: respond(p)["steps"].append({"text": "Inform departments", "kind": "inform", "who": "owner"}),
        set(),
    ),
    "PRC005": (lambda p: p["procedures"].pop(1), set()),
    "PRC006": (day_and_night(), set()),
    "TRG001": (lambda p: p["triggers"][0].update(actions=[]), set()),
    "TRG002": (lambda p: p["triggers"][0].update(kind="recurring", every="1 day"), set()),
    "TRG003": (lambda p: (p["triggers"][0].pop("chair"), p["triggers"][0].update(attendees=[])), set()),
    "NTF001": (add_call_tree(), {"NTF002", "NTF004"}),
    "NTF002": (lambda p: (add_call_tree()(p), p["triggers"][0].update(callTree=None)), {"NTF001", "NTF004"}),
    "NTF003": (lambda p: p["people"][0].update(deputy=p["people"][0]["id"]), set()),
    "NTF004": (lambda p: (add_call_tree()(p), p["triggers"][0].update(callTree="tell-owner")), set()),
    "SYS001": (
        lambda p: (
            add_system()(p),
            p["systems"].append({"id": "ris", "name": "RIS", "dependsOn": ["pacs"]}),
            p["systems"][0].update(dependsOn=["ris"]),
        ),
        set(),
    ),
    "SYS002": (
        add_system(
            redundancy="cluster-with-witness",
            components=[*NODES, {"name": "Witness", "role": "witness", "site": "dc1"}],
        ),
        set(),
    ),
    "SYS003": (add_system(redundancy="cluster-with-witness", components=NODES), set()),
    "SYS004": (
        add_system(redundancy="active-passive", components=[{**n, "site": "dc1"} for n in NODES]),
        set(),
    ),
    "SYS005": (add_system(backup={"every": "1 day", "offsite": False, "encrypted": True}), set()),
    "PRN001": (reissue, set()),
    "PRN002": (lambda p: None, set()),
    "PRN003": (second_holder, set()),
    "EXR001": (lambda p: None, set()),
    "EXR002": (lambda p: None, set()),
    "SUP001": (a_supplier, set()),
    "SUP002": (a_supplier, set()),
    "PRB001": (
        add_system(owner="owner", components=[{"name": "Archive", "checks": [{**ECHO, "every": "30s"}]}]),
        set(),
    ),
    "PRB002": (add_system(probes={"failAfter": 2}, components=[{"name": "Archive", "checks": [ECHO]}]), set()),
    "PRB003": (
        add_system(
            owner="owner",
            probes={"every": "10s", "failAfter": 2},
            components=[{"name": "Archive", "checks": [{**ECHO, "dicom": {**ECHO["dicom"], "timeout": "10s"}}]}],
        ),
        set(),
    ),
}


def findings(data: dict[str, Any], **options: Any) -> list[Any]:
    return lint(build(data), Options(today=TODAY, **options))


def test_baseline_plan_is_clean() -> None:
    assert findings(minimal_plan()) == []


def test_every_rule_has_a_case() -> None:
    from tests.test_lint_rules_issue13 import ISSUE_13

    # The as-written rules (ASW) have their cases, and near misses, in test_as_written.py.
    assert set(CASES) | set(ISSUE_13) == {r for r in RULES if not r.startswith("ASW")}
    assert len(RULES) >= 20


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_triggers(rule_id: str) -> None:
    mutate, also = CASES[rule_id]
    data = minimal_plan()
    mutate(data)
    found = findings(data, **RULE_OPTIONS.get(rule_id, {}))
    assert {f.rule for f in found} == {rule_id, *also}, [f.message for f in found]
    finding = next(f for f in found if f.rule == rule_id)
    assert finding.severity is RULES[rule_id].severity
    assert finding.message and finding.path


def test_rule_catalogue_is_documented() -> None:
    for rule in RULES.values():
        assert rule.summary and len(rule.explanation) > 40, rule.id
        assert rule.name == rule.name.lower() and " " not in rule.name


# Targeted negatives: the near-misses a naive rule would flag.


def test_supplier_named_as_in_directory_or_alias_is_fine() -> None:
    data = minimal_plan()
    call_meridian("Log a call with the Meridian Imaging Systems helpdesk")(data)
    assert findings(data) == []
    data = minimal_plan()
    call_meridian("Log a call with Meridian Medical")(data)
    data["suppliers"][0]["aliases"] = ["Meridian Medical"]
    assert findings(data) == []


def test_role_named_in_directory_is_known() -> None:
    data = minimal_plan(roles=[{"id": "duty", "name": "Duty manager on call", "members": ["owner"]}])
    respond(data)["steps"].append({"text": "Inform the duty manager", "kind": "do", "who": "owner"})
    assert findings(data) == []


def test_words_that_match_the_matrix_are_fine() -> None:
    data = minimal_plan()
    add_risk(likelihood=3, consequence=4, stated={"likelihood": "Possible", "consequence": "major", "rating": "High"})(
        data
    )
    assert findings(data) == []


def test_working_days_compare_with_calendar_bounds() -> None:
    # 2 working days is at least 2 days, so it is not "after" an MTPD of 2 days.
    data = minimal_plan()
    fn(data).update(durationRules=[{"after": "2 working days", "action": "Escalate", "owner": "owner"}])
    assert findings(data) == []


def test_out_of_hours_role_reached_through_its_out_of_hours_contact() -> None:
    data = minimal_plan(
        roles=[
            {
                "id": "bed-manager",
                "name": "Bed manager",
                "kind": "role",
                "inHours": {"phones": [{"kind": "extension", "number": "4000", "when": "in-hours"}]},
                "outOfHours": {"person": "owner"},
            }
        ]
    )
    respond(data)["steps"].append(
        {
            "text": "Inform the bed manager",
            "kind": "inform",
            "who": "owner",
            "when": "always",
            "targets": ["bed-manager"],
        }
    )
    assert findings(data) == []
    data["roles"][0].pop("outOfHours")
    assert {f.rule for f in findings(data)} == {"CON002"}


def test_steps_paired_either_way_or_of_different_kinds_are_fine() -> None:
    for mutate in (
        day_and_night(insteadOf="desk"),
        day_and_night(kind="record"),
        lambda p: (
            day_and_night(id="manager")(p),
            respond(p)["steps"][-2].update(insteadOf="manager"),
        ),
    ):
        data = minimal_plan()
        mutate(data)
        assert findings(data) == []


def test_counterpart_needs_an_unpaired_step_at_the_other_time() -> None:
    # A second in-hours call left over once the pair is stated has no out-of-hours step to pair with,
    # and a step done always is nobody's counterpart.
    data = minimal_plan()
    day_and_night(insteadOf="desk")(data)
    respond(data)["steps"] += [
        {"text": "Ring the vendor", "kind": "call", "when": "in-hours", "who": "owner"},
        {"text": "Ring the switchboard", "kind": "call", "who": "owner"},
    ]
    assert findings(data) == []


def test_counterpart_suggested_by_shared_targets_then_wording() -> None:
    data = minimal_plan()
    respond(data)["steps"] += [
        {"id": "ring-desk", "text": "Ring the desk", "kind": "call", "when": "in-hours", "who": "owner"},
        {"id": "ring-vendor", "text": "Ring the vendor helpdesk", "kind": "call", "when": "in-hours", "who": "owner"},
        {"text": "Ring the vendor helpdesk on its night line", "kind": "call", "when": "out-of-hours", "who": "owner"},
        {"text": "Ring the deputy", "kind": "call", "when": "out-of-hours", "who": "owner", "targets": ["deputy"]},
    ]
    respond(data)["steps"][1]["targets"] = ["deputy"]  # ring-desk
    found = findings(data)
    assert [(f.rule, f.path) for f in found] == [
        ("PRC006", ("procedures", 0, "steps", 3)),
        ("PRC006", ("procedures", 0, "steps", 4)),
    ]
    assert found[0].message == (
        "Respond: out-of-hours step 4 may be the counterpart of in-hours step 3 (ring-vendor): say so with insteadOf"
    )
    assert "in-hours step 2 (ring-desk)" in found[1].message


def test_counterpart_without_an_id_is_told_to_get_one() -> None:
    data = minimal_plan()
    day_and_night()(data)
    respond(data)["steps"][1].pop("id")
    [finding] = findings(data)
    assert finding.message.endswith("in-hours step 2: give that step an id and say so with insteadOf")


@pytest.mark.parametrize("name", ["pacs", "eye-care"])
def test_demo_plans_state_their_counterparts(name: str) -> None:
    plan, _ = load_text((DEMO_PLANS / f"{name}.yaml").read_text(encoding="utf-8"))
    assert [f.message for f in lint(plan, Options(today=TODAY), rules=["PRC006"])] == []
    assert any(step.instead_of for procedure in plan.procedures for step in procedure.steps)


def test_a_well_described_record_kind_is_clean() -> None:
    data = minimal_plan()
    add_kind()(data)
    assert findings(data) == []
    # A share of 0% still checks `atLeast` records a day; a reference is a record identifier.
    add_kind(
        fields=[{"name": "ref", "type": "reference", "required": True}, {"name": "at", "type": "time"}],
        verification={"share": "0%", "atLeast": 1},
    )(data)
    assert findings(data) == []


@pytest.mark.parametrize(
    ("interval", "too_long"),
    [("12 months", False), ("13 months", True), ("52 weeks", False), ("53 weeks", True), ("365 days", False)],
)
def test_review_interval_limit(interval: str, too_long: bool) -> None:
    data = minimal_plan()
    data["document"]["reviewInterval"] = interval
    assert ({f.rule for f in findings(data)} == {"DOC002"}) is too_long
