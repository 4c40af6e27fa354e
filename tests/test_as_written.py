"""Real plans in as they are: what is vague or missing is kept as written, round-trips, and is linted.

Each case is a thing real plans say (issue 13): the validator keeps it, the database gives it back
unchanged, the incident engine copes with having no structured value, and one as-written lint rule
reports it (with a near miss that it must not).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from django.db import transaction

from contingency.cli import main
from contingency.core.models import Organisation
from contingency.incidents import schedule
from contingency.incidents.assess import affected_functions
from contingency.lib.calendar import WorkingCalendar
from contingency.lib.durations import Duration, Unit
from contingency.packs.build import PlanSource, build_plan_pack
from contingency.plans import yamlio
from contingency.plans.graph import Kind, Ref
from contingency.plans.lint import RULES, Options, lint
from contingency.plans.matrix import NHS_5X5
from contingency.plans.problems import PlanInvalid
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.written import AsWritten, duration_of
from contingency.plans.store import export_plan, import_plan, organisation_document
from contingency.plans.yamlform import document_to_data, part_to_data, to_yaml
from tests.builders import build, minimal_plan
from tests.test_lint_rules import TODAY, Mutation, fn
from tests.web import HOME_ORG, MemberFactory

AS_WRITTEN_RULES = {rule for rule in RULES if rule.startswith("ASW")}


def trigger(**fields: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["triggers"].append(
            {"id": "tp2", "name": "Conference call", "chair": "owner", "actions": ["Update the board"], **fields}
        )

    return mutate


def backup(**fields: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        plan["systems"] = [{"id": "pacs", "name": "PACS", "backup": {"offsite": True, "encrypted": True, **fields}}]

    return mutate


def risk(**fields: Any) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        entry = {
            "id": "outage",
            "title": "Complete failure",
            "causes": ["Power failure"],
            "recognise": ["All users in all areas cannot log on"],
            "response": {"procedure": "respond"},
            "owner": "owner",
            **fields,
        }
        plan["risks"] = [{k: v for k, v in entry.items() if v is not None}]

    return mutate


def helpdesk(hours: str | None) -> Mutation:
    def mutate(plan: dict[str, Any]) -> None:
        desk: dict[str, Any] = {"phones": [{"kind": "helpdesk", "number": "0113 496 0000"}]}
        if hours is not None:
            desk["hours"] = hours
        plan["suppliers"] = [{"id": "meridian", "name": "Meridian Imaging", "helpdesk": desk}]

    return mutate


def printed_matrix(columns: int) -> dict[str, Any]:
    """The NHS matrix as a plan printed it, with only the first `columns` consequence columns."""
    data: dict[str, Any] = part_to_data(NHS_5X5)
    data["consequence"] = data["consequence"][:columns]
    return data


# rule -> (the one defect that triggers it, a near miss that must not)
CASES: dict[str, tuple[Mutation, Mutation]] = {
    "ASW001": (
        lambda p: fn(p)["rto"][0].update(duration="if prolonged"),
        lambda p: fn(p)["rto"][0].update(duration="4 hours"),
    ),
    "ASW002": (
        lambda p: fn(p).update(
            durationRules=[{"after": "five working days", "action": "Find workspace", "owner": "owner"}]
        ),
        lambda p: fn(p).update(
            durationRules=[{"after": "1 working day", "action": "Find workspace", "owner": "owner"}]
        ),
    ),
    "ASW003": (
        trigger(kind="recurring", every="on an agreed basis"),
        trigger(kind="recurring", every="1 day"),
    ),
    "ASW004": (backup(), backup(every="1 day")),
    "ASW005": (
        risk(likelihood="medium", consequence="high"),
        risk(likelihood=3, consequence=4, stated={"likelihood": "possible", "consequence": "major"}),
    ),
    "ASW006": (risk(), risk(likelihood=1, consequence=1)),
    "ASW007": (lambda p: p["document"].pop("number"), lambda p: p["document"].update(number="RAD-BC-01")),
    "ASW008": (lambda p: fn(p).update(deputy="Dr A Patel"), lambda p: fn(p).update(deputy="deputy")),
    "ASW011": (
        lambda p: p.update(riskMatrix=printed_matrix(columns=4)),
        lambda p: p.update(riskMatrix=printed_matrix(columns=5)),
    ),
    "ASW012": (lambda p: p["document"].pop("issue"), lambda p: p["document"].update(issue=1)),
    "ASW013": (helpdesk(None), helpdesk("24/7")),
    "ASW010": (helpdesk("Mon-Fri 08:00-12:30 and 13:30-17:00"), helpdesk("Mon-Fri 08:00-17:00")),
    "ASW009": (
        lambda p: p["document"].update(approvedBy="Digital Governance Group"),
        lambda p: p["document"].update(approvedBy="owner"),
    ),
}


def findings(data: dict[str, Any]) -> set[str]:
    return {f.rule for f in lint(build(data), Options(today=TODAY))}


def test_every_as_written_rule_has_a_case() -> None:
    assert set(CASES) == AS_WRITTEN_RULES


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_one_defect_is_one_finding(rule_id: str) -> None:
    defect, _ = CASES[rule_id]
    data = minimal_plan()
    defect(data)
    found = lint(build(data), Options(today=TODAY))
    assert {f.rule for f in found} == {rule_id}, [f.message for f in found]
    finding = next(f for f in found if f.rule == rule_id)
    assert finding.severity is RULES[rule_id].severity and finding.path


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_near_miss_is_clean(rule_id: str) -> None:
    _, near_miss = CASES[rule_id]
    data = minimal_plan()
    near_miss(data)
    assert findings(data) == set()


# ---------------------------------------------------------------- validation keeps the words


@pytest.mark.parametrize("text", ["1-4 hours", "if prolonged", "within one working day"])
def test_recovery_time_in_words_is_kept(text: str) -> None:
    data = minimal_plan()
    fn(data)["rto"][0]["duration"] = text
    kept = build(data).functions[0].rto[0].duration
    assert isinstance(kept, AsWritten) and str(kept) == text
    assert document_to_data(build(data))["functions"][0]["rto"][0]["duration"] == text


def test_a_range_counts_as_its_upper_end() -> None:
    assert duration_of(AsWritten("1-4 hours")) == Duration(4, Unit.HOURS)
    assert duration_of(AsWritten("2 to 3 working days")) == Duration(3, Unit.WORKING_DAYS)
    assert duration_of(AsWritten("if prolonged")) is None


@pytest.mark.parametrize(
    ("where", "value"),
    [
        (("rto", 0, "duration"), 4),  # a number is not a duration: the wrong type is still refused
        (("rto", 0, "duration"), ["4h"]),
        (("likelihood",), 7),  # a score out of range is malformed, not vague
        (("likelihood",), True),
        (("likelihood",), "7"),  # in quotes too
    ],
)
def test_the_wrong_type_is_still_refused(where: tuple[Any, ...], value: Any) -> None:
    data = minimal_plan()
    target = fn(data)
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(PlanInvalid):
        build(data)


def test_scores_in_words_and_absent_scores_are_kept() -> None:
    data = minimal_plan()
    risk(likelihood="Medium", consequence=None)(data)
    fn(data)["likelihood"] = "low"
    document = build(data)
    assert document.risks[0].likelihood == AsWritten("Medium") and document.risks[0].consequence is None
    assert document.functions[0].likelihood == AsWritten("low")
    data = minimal_plan()
    risk(likelihood="3", consequence=4)(data)
    assert build(data).risks[0].likelihood == 3  # a number in quotes is still a number


def test_people_with_actions_named_as_written_are_reported_where_they_are() -> None:
    data = minimal_plan()
    data["triggers"][0]["actions"] = [{"text": "Tell the wards", "who": "Bed Manager on call"}]
    fn(data)["dataRecovery"]["owner"] = "Modality Leads"
    found = {(f.rule, f.path) for f in lint(build(data), Options(today=TODAY))}
    assert found == {
        ("ASW008", ("triggers", 0, "actions", 0, "who")),
        ("ASW008", ("functions", 0, "dataRecovery", "owner")),
    }


def test_names_are_kept_and_ids_must_still_resolve() -> None:
    data = minimal_plan(roles=[{"id": "pacs-team", "name": "PACS team", "kind": "team"}])
    fn(data).update(owner="pacs-team", deputy="Dr A Patel")
    data["document"].update(owner="Head of Radiology")
    document = build(data)
    assert document.functions[0].owner == "pacs-team" and not isinstance(document.functions[0].owner, AsWritten)
    assert isinstance(document.functions[0].deputy, AsWritten)
    assert document.document.owner == AsWritten("Head of Radiology")
    fn(data).update(deputy="dr-a-patel")  # reference syntax: it must name someone in the plan
    with pytest.raises(PlanInvalid) as refused:
        build(data)
    assert [p.code for p in refused.value.problems] == ["ref.dangling"]


# ---------------------------------------------------------------- the round trip through the database


def real_plan() -> dict[str, Any]:
    """Every as-written case of this module in one plan, as a faithful transcription would give it."""
    data = minimal_plan()
    fn(data)["rto"] = [
        {"scenario": "Hardware failure", "duration": "1-4 hours"},
        {"scenario": "Loss of the data centre", "duration": "if prolonged"},
    ]
    fn(data).update(rpo="end of the previous day", mtpd="five working days", likelihood="medium")
    fn(data)["durationRules"] = [
        {"after": "if likely to extend beyond a week", "action": "Find workspace", "owner": "Duty Manager"}
    ]
    trigger(kind="recurring", every="on an agreed basis")(data)
    data["triggers"].append({"id": "tp3", "name": "Agreed call", "kind": "recurring", "chair": "owner"})
    data["triggers"].append({"id": "tp4", "name": "Emergency meeting", "kind": "after", "after": "if prolonged"})
    backup(retention="three months", restoreTime="1-4 hours")(data)
    risk(likelihood="low", consequence="high")(data)
    data["risks"].append({"id": "human-error", "title": "Human error in the manual contingency"})
    data["monitoring"] = [{"activity": "Back up the servers", "every": "on schedule"}]
    data["document"].pop("number")
    data["document"].pop("issue")
    data["document"].update(owner="Head of Radiology", approvedBy="Digital Governance Group", originator="owner")
    data["roles"] = [{"id": "pacs-team", "name": "PACS team", "kind": "team"}]
    fn(data).update(owner="pacs-team", deputy="Dr A Patel")  # a function owned by a team; a deputy by name
    data["people"][1]["deputy"] = "Sam Locum"
    helpdesk("Mon-Sun 20:00-08:00")(data)  # overnight
    data["suppliers"].append(  # no hours stated: the organisation's are assumed
        {"id": "hosting", "name": "Hosting", "helpdesk": {"phones": [{"kind": "helpdesk", "number": "0113 496 0001"}]}}
    )
    data["riskMatrix"] = printed_matrix(columns=4)  # a column missing, as printed
    return data


def through_database(document: PlanDocument) -> PlanDocument:
    with transaction.atomic():
        exported = export_plan(import_plan(document))
        transaction.set_rollback(True)
    return exported


@pytest.mark.django_db
def test_as_written_values_survive_the_database() -> None:
    original = build(real_plan())
    exported = through_database(original)
    assert document_to_data(exported) == document_to_data(original)
    assert to_yaml(exported) == to_yaml(original)
    assert exported == original
    assert isinstance(exported.functions[0].rto[1].duration, AsWritten)


def test_the_real_plan_is_reported_not_refused() -> None:
    assert findings(real_plan()) >= AS_WRITTEN_RULES


# ---------------------------------------------------------------- the incident engine without structured values


CAL = WorkingCalendar("Europe/London", (0, 1, 2, 3, 4), time(8), time(17), "england")
INVOKED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # a Monday


def test_triggers_and_rules_in_words_are_held_once_or_skipped() -> None:
    document = build(real_plan())
    found = schedule.at_invocation(document, INVOKED, INVOKED, CAL, ["imaging"])
    keys = {o.key for o in found}
    assert {"tp2", "tp3"} <= keys  # "on an agreed basis" and no interval: held once, at invocation
    assert next(o.due_at for o in found if o.key == "tp3") == INVOKED
    assert "tp4" not in keys  # "if prolonged" never falls due
    assert not any(k.startswith("imaging#") for k in keys)  # the rule in words is not scheduled
    tp2 = next(t for t in document.triggers if t.id == "tp2")
    assert schedule.recurring_due(tp2, 1, INVOKED, CAL) is None


def test_recovery_deadline_from_a_range_none_from_words() -> None:
    document = build(real_plan())
    (affected,) = affected_functions(document, Ref(Kind.FUNCTION, "imaging"), INVOKED, CAL, None)
    assert affected.rto == "1-4 hours" and affected.rto_due_at == CAL.add(INVOKED, Duration(4, Unit.HOURS))
    assert affected.mtpd == "five working days" and affected.mtpd_due_at is None
    fn(data := real_plan())["rto"] = [{"scenario": "Any", "duration": "if prolonged"}]
    (affected,) = affected_functions(build(data), Ref(Kind.FUNCTION, "imaging"), INVOKED, CAL, None)
    assert affected.rto == "if prolonged" and affected.rto_due_at is None


# ---------------------------------------------------------------- pages and the grab pack show the words


@pytest.mark.django_db
def test_plan_page_shows_what_the_plan_wrote(member: MemberFactory) -> None:
    data = real_plan()
    home = Organisation.objects.get(slug=HOME_ORG)
    data["organisation"] = part_to_data(organisation_document(home))
    import_plan(build(data))
    response = member("viewer").get(f"/o/{HOME_ORG}/plans/test-plan/")
    assert response.status_code == 200
    html = bytes(getattr(response, "content", b"")).decode()
    for said in ("1-4 hours", "if prolonged", "Head of Radiology", "Dr A Patel", "Not yet numbered", "not scored"):
        assert said in html, said
    assert "Repeated on an agreed basis" in html


def test_grab_pack_prints_what_the_plan_wrote() -> None:
    document = build(real_plan())
    built = datetime(2026, 11, 20, 10, 4, tzinfo=UTC)
    pack = build_plan_pack(PlanSource(document, built), copies=[], built_at=built, zone=ZoneInfo("Europe/London"))
    html = next(data for name, data in pack.files.items() if name.endswith(".html")).decode()
    for said in ("if likely to extend beyond a week", "if prolonged", "Mon-Sun 20:00-08:00"):
        assert said in html, said
    assert any(name.endswith(".pdf") for name in pack.files)


# ---------------------------------------------------------------- the command line


def test_cli_validates_the_real_plan_and_lint_reports_what_to_complete(tmp_path: Path) -> None:
    path = tmp_path / "real.yaml"
    path.write_text(yamlio.dump(real_plan()))
    validated = CliRunner().invoke(main, ["plan", "validate", str(path)])
    assert validated.exit_code == 0, validated.output
    linted = CliRunner().invoke(main, ["plan", "lint", "--today", "2026-06-01", "--format", "json", str(path)])
    assert linted.exit_code == 1  # ASW011 (the matrix missing a column) is an error
    rules = {finding["rule"] for finding in json.loads(linted.stdout)["findings"]}
    assert rules >= AS_WRITTEN_RULES


def test_cli_still_refuses_the_wrong_type_with_file_line_and_field(tmp_path: Path) -> None:
    data = minimal_plan()
    fn(data)["rto"][0]["duration"] = ["4h"]
    path = tmp_path / "wrong.yaml"
    path.write_text(yamlio.dump(data))
    result = CliRunner().invoke(main, ["plan", "validate", str(path)])
    assert result.exit_code != 0
    assert "wrong.yaml:" in result.output and "functions[0].rto[0].duration" in result.output
