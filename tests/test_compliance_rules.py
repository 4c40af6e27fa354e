"""The compliance status rules as pure functions over plain facts: met, partly met, not met, and expiry."""

from __future__ import annotations

from datetime import date

from contingency.compliance.rules import (
    ActionFacts,
    Facts,
    IncidentFacts,
    ManualFacts,
    PlanFacts,
    Rule,
    Status,
    evaluate,
    evaluate_rule,
    in_force,
    manual_months,
)

ON = date(2026, 12, 1)
URN = "urn:example:bcm:req_node:test:1"


def plan(key: str, **kwargs: object) -> PlanFacts:
    values: dict[str, object] = {
        "key": key,
        "title": key.upper(),
        "created_on": date(2020, 1, 1),
        "issues": ((1, date(2026, 3, 1)),),
        "current_issue": 1,
        "review_date": date(2027, 3, 1),
        "bia_functions": 3,
        "functions": 3,
        "scored_risks": 2,
        "number": "BC-1",
        "approval_date": date(2026, 2, 20),
        "changes_of_current_issue": 1,
        "printed": (date(2026, 11, 1),),
    }
    values.update(kwargs)
    return PlanFacts(**values)  # type: ignore[arg-type]


def status(kind: str, facts: Facts, on: date = ON, months: int | None = None) -> Status:
    result = evaluate_rule(Rule(kind, months), facts, on)
    assert result is not None
    return result.status


def test_plan_rules_are_met_by_every_plan_partly_by_some_and_not_by_none() -> None:
    good, stale = plan("good"), plan("stale", issues=((1, date(2024, 1, 1)),), review_date=date(2025, 1, 1))
    assert status("plan-in-date", Facts(plans=(good,))) is Status.MET
    assert status("plan-in-date", Facts(plans=(good, stale))) is Status.PARTLY
    assert status("plan-in-date", Facts(plans=(stale,))) is Status.NOT_MET
    assert status("plan-in-date", Facts()) is Status.NOT_MET  # no plans: nothing shows it


def test_a_bia_needs_functions_with_impact_and_a_look_within_the_window() -> None:
    assert status("bia-reviewed", Facts(plans=(plan("a"),))) is Status.MET
    assert status("bia-reviewed", Facts(plans=(plan("a", bia_functions=0),))) is Status.NOT_MET
    old = plan("a", issues=((1, date(2025, 6, 1)),))
    assert status("bia-reviewed", Facts(plans=(old,))) is Status.NOT_MET
    reviewed = plan("a", issues=((1, date(2025, 6, 1)),), reviews=((date(2026, 5, 1), date(2027, 5, 1)),))
    assert status("bia-reviewed", Facts(plans=(reviewed,))) is Status.MET


def test_a_review_extends_an_issue_past_its_review_date() -> None:
    lapsed = plan("a", issues=((1, date(2025, 1, 1)),), review_date=date(2026, 1, 1))
    assert status("plan-in-date", Facts(plans=(lapsed,))) is Status.NOT_MET
    reviewed = plan(
        "a",
        issues=((1, date(2025, 1, 1)),),
        review_date=date(2026, 1, 1),
        reviews=((date(2025, 12, 1), date(2026, 12, 1)),),
    )
    assert status("plan-in-date", Facts(plans=(reviewed,))) is Status.MET


def test_the_past_is_read_as_it_was() -> None:
    later = plan("a", issues=((1, date(2026, 3, 1)),))
    assert status("plan-in-date", Facts(plans=(later,)), on=date(2026, 2, 1)) is Status.NOT_MET
    assert status("contacts-printed", Facts(plans=(later,)), on=date(2026, 10, 1)) is Status.NOT_MET
    assert status("contacts-printed", Facts(plans=(later,))) is Status.MET
    young = plan("a", created_on=date(2026, 6, 1))
    assert status("plan-in-date", Facts(plans=(young, plan("b"))), on=date(2026, 4, 1)) is Status.MET


def test_contacts_printed_uses_the_print_policy_unless_the_rule_says() -> None:
    printed = plan("a", printed=(date(2026, 7, 1),))
    assert status("contacts-printed", Facts(plans=(printed,), print_months=3)) is Status.NOT_MET
    assert status("contacts-printed", Facts(plans=(printed,), print_months=6)) is Status.MET
    assert status("contacts-printed", Facts(plans=(printed,), print_months=3), months=12) is Status.MET


def test_document_control_names_what_is_missing() -> None:
    result = evaluate_rule(Rule("document-control"), Facts(plans=(plan("a", number="", approval_date=None),)), ON)
    assert result is not None and result.status is Status.NOT_MET
    assert "document number" in result.gaps[0] and "approval date" in result.gaps[0]


def test_a_real_incident_with_a_completed_review_is_a_live_exercise_for_three_years() -> None:
    incident = IncidentFacts(1, "PACS down", date(2024, 2, 1), date(2024, 2, 2), date(2024, 3, 1))
    assert status("live-exercise", Facts(incidents=(incident,))) is Status.MET
    assert status("live-exercise", Facts(incidents=(incident,)), on=date(2027, 3, 2)) is Status.NOT_MET
    unreviewed = IncidentFacts(2, "PACS down", date(2026, 2, 1), date(2026, 2, 2), None)
    assert status("live-exercise", Facts(incidents=(unreviewed,))) is Status.NOT_MET


def test_reviews_and_lessons() -> None:
    done = ActionFacts(date(2026, 5, 1), date(2026, 4, 20), "Move the witness")
    late = ActionFacts(date(2026, 6, 1), None, "Train the night team")
    reviewed = IncidentFacts(1, "A", date(2026, 2, 1), date(2026, 2, 2), date(2026, 3, 1), (done, late))
    unreviewed = IncidentFacts(2, "B", date(2026, 8, 1), date(2026, 8, 2), None)
    assert status("reviews-completed", Facts(incidents=(reviewed,))) is Status.MET
    assert status("reviews-completed", Facts(incidents=(reviewed, unreviewed))) is Status.PARTLY
    assert status("reviews-completed", Facts()) is Status.MET  # nothing to review
    assert status("lessons-closed", Facts(incidents=(reviewed,))) is Status.PARTLY
    assert status("lessons-closed", Facts(incidents=(reviewed,)), on=date(2026, 5, 15)) is Status.MET
    closed = IncidentFacts(1, "A", date(2026, 2, 1), date(2026, 2, 2), date(2026, 3, 1), (done,))
    assert status("lessons-closed", Facts(incidents=(closed,))) is Status.MET


def manual(attested: date, expires: date, urn: str = URN) -> ManualFacts:
    return ManualFacts(1, urn, "Policy", "editor", attested, expires, "policy.pdf")


def test_manual_evidence_meets_a_requirement_while_in_force_and_not_after() -> None:
    rules = (Rule("manual", 12),)
    evidence = manual(date(2026, 1, 10), date(2027, 1, 10))
    assert evaluate(URN, rules, Facts(), ON).status is Status.NOT_MET
    assert evaluate(URN, rules, Facts(manual=(evidence,)), ON).status is Status.MET
    assert evaluate(URN, rules, Facts(manual=(evidence,)), date(2026, 1, 9)).status is Status.NOT_MET
    after = evaluate(URN, rules, Facts(manual=(evidence,)), date(2027, 1, 10))
    assert after.status is Status.NOT_MET and after.expired == (evidence,)
    other = manual(date(2026, 1, 10), date(2027, 1, 10), urn="urn:example:bcm:req_node:test:2")
    assert evaluate(URN, rules, Facts(manual=(other,)), ON).status is Status.NOT_MET
    assert in_force(evidence, date(2027, 1, 9)) and not in_force(evidence, date(2027, 1, 10))


def test_a_requirement_combines_its_rules_and_attested_evidence_overrides() -> None:
    rules = (Rule("plan-in-date"), Rule("live-exercise"))
    facts = Facts(plans=(plan("a"),))
    assert evaluate(URN, rules, facts, ON).status is Status.PARTLY  # plans in date, no live exercise
    assert evaluate(URN, (Rule("live-exercise"),), facts, ON).status is Status.NOT_MET
    attested = Facts(plans=(plan("a"),), manual=(manual(date(2026, 6, 1), date(2027, 6, 1)),))
    result = evaluate(URN, rules, attested, ON)
    assert result.status is Status.MET and result.attested


def test_manual_evidence_lasts_the_rules_window_by_default() -> None:
    assert manual_months((Rule("manual", 6),)) == 6
    assert manual_months((Rule("plan-in-date"),)) == 12
