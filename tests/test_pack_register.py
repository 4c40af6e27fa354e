"""The print register (DSPT 7): recording prints, what it says per location, and the lint rules it feeds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.core.models import AuditEntry
from contingency.packs import register
from contingency.packs.build import Pack, PlanSource
from contingency.packs.models import PackFile, PrintedCopy, PrintRecord
from contingency.packs.render import CopySpec
from contingency.plans.lint import Options, PrintedLocation, PrintFacts, lint
from contingency.plans.models import CopyHolder, Plan
from contingency.plans.store import export_plan
from tests.builders import build, minimal_plan
from tests.web import HOME_ORG, PACS

LONDON = ZoneInfo("Europe/London")
TODAY = date(2026, 6, 1)
COPY_1 = "copy 1 (no location given)"


def rules_found(data: dict[str, Any], printing: PrintFacts | None, today: date = TODAY) -> list[tuple[str, str]]:
    found = lint(build(data), Options(today=today, printing=printing))
    return [(f.rule, f.message) for f in found if f.rule.startswith("PRN")]


# ---------------------------------------------------------------- the rules, each with a near miss


def test_without_a_register_the_print_rules_say_nothing() -> None:
    assert rules_found(minimal_plan(), None) == []


def test_a_pack_of_the_current_issue_is_not_out_of_date() -> None:
    printed = PrintFacts((PrintedLocation(COPY_1, 1, TODAY),), last_printed=TODAY)
    assert rules_found(minimal_plan(), printed) == []


def test_a_pack_of_an_older_issue_is_out_of_date() -> None:
    data = minimal_plan()
    data["document"].update(issue=3)
    printed = PrintFacts((PrintedLocation(COPY_1, 2, date(2026, 5, 2)),), last_printed=date(2026, 5, 2))
    assert rules_found(data, printed) == [
        ("PRN001", f"{COPY_1} holds a pack of issue 2 (printed 02 May 2026); the plan is at issue 3")
    ]


def test_the_contact_list_is_stale_one_day_after_the_period() -> None:
    months = PrintFacts((PrintedLocation(COPY_1, 1, date(2026, 3, 1)),), last_printed=date(2026, 3, 1))
    assert rules_found(minimal_plan(), months) == []  # exactly 3 months ago: still within the period
    assert [r for r, _ in rules_found(minimal_plan(), months, today=date(2026, 6, 2))] == ["PRN002"]
    longer = PrintFacts(months.locations, last_printed=date(2026, 3, 1), contact_list_months=6)
    assert rules_found(minimal_plan(), longer, today=date(2026, 6, 2)) == []


def test_a_plan_never_printed_is_one_finding_not_one_per_location() -> None:
    data = minimal_plan()
    data["document"]["holders"].append({"copy": 2, "holder": "owner", "location": "CT room", "acknowledgedIssue": 1})
    found = rules_found(data, PrintFacts())
    assert [rule for rule, _ in found] == ["PRN002"]
    assert "never been printed" in found[0][1]


def test_a_location_with_no_pack_when_others_have_one() -> None:
    data = minimal_plan()
    data["document"]["holders"].append({"copy": 2, "holder": "owner", "location": "CT room", "acknowledgedIssue": 1})
    printed = PrintFacts((PrintedLocation(COPY_1, 1, TODAY),), last_printed=TODAY)
    assert rules_found(data, printed) == [("PRN003", "no pack has been printed for CT room (copy 2)")]
    both = PrintFacts((*printed.locations, PrintedLocation("CT room", 1, TODAY)), last_printed=TODAY)
    assert rules_found(data, both) == []


# ---------------------------------------------------------------- recording prints


def built(plan: Plan, copies: list[int], at: datetime) -> register.BuiltPrint:
    """A print as build_print makes it, with small files instead of PDFs (building them is tested elsewhere)."""
    chosen = register.holder_copies(plan, copies)
    source = PlanSource(export_plan(plan), plan.updated_at)
    pack = Pack("pacs-bcdr-issue-3-grab-pack", {"pacs-bcdr-copy-1.html": b"<p>1</p>"})
    pack.manifest = {"contentHash": "ab" * 32, "files": [{"name": "pacs-bcdr-copy-1.html"}]}
    return register.BuiltPrint(plan, source, tuple(chosen), pack, at)


@pytest.fixture
def pacs(demo_plans: list[Any]) -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def test_a_print_records_who_when_which_issue_copies_and_locations(pacs: Plan) -> None:
    at = datetime(2026, 10, 1, 9, 30, tzinfo=LONDON)
    record = register.record_print(built=built(pacs, [1, 3], at), actor=None, via="test")
    assert (record.issue, record.plan_key, record.built_at, record.built_by_name) == (3, PACS, at, "test")
    copies = list(record.copies.values_list("copy_number", "holder_name", "location"))
    assert copies == [
        (1, "Helen Marsh", "PACS office, Radiology department"),
        (3, "Sam Okafor", "Downtime grab pack, main X-ray control room"),
    ]
    assert PackFile.objects.get(record=record).size > 0
    entry = AuditEntry.objects.filter(verb="print", object_key=PACS).latest("at")
    assert entry.after == {"issue": 3, "copies": [1, 3], "contentHash": "ab" * 32}


def test_an_unknown_copy_is_refused_and_nothing_is_recorded(pacs: Plan) -> None:
    before = PrintRecord.objects.count()
    with pytest.raises(register.PackError, match="has no copy 9 "):
        register.holder_copies(pacs, [1, 9])
    assert PrintRecord.objects.count() == before


def test_locations_show_the_last_print_and_which_are_out_of_date(pacs: Plan) -> None:
    old = built(pacs, [3], datetime(2026, 5, 1, 9, 0, tzinfo=LONDON))
    record = register.record_print(built=old, actor=None, via="test")
    PrintRecord.objects.filter(pk=record.pk).update(issue=2)  # printed before issue 3
    register.record_print(built=built(pacs, [1, 2], datetime(2026, 10, 1, 9, 0, tzinfo=LONDON)), actor=None, via="t")
    states = {s.location: (s.state, s.label) for s in register.locations(pacs)}
    assert states["PACS office, Radiology department"] == ("current", "current (issue 3)")
    assert states["Downtime grab pack, main X-ray control room"] == ("out-of-date", "out of date: holds issue 2")
    assert states["IT service desk"] == ("none", "no pack printed")
    with time_machine.travel(datetime(2026, 11, 1, 12, 0, tzinfo=LONDON), tick=False):
        found = {
            f.rule
            for f in lint(export_plan(pacs), Options(today=date(2026, 11, 1), printing=register.print_facts(pacs)))
        }
    assert {"PRN001", "PRN003"} <= found and "PRN002" not in found
    facts = register.print_facts(pacs)
    assert facts.last_printed == date(2026, 10, 1) and facts.contact_list_months == 3


def test_a_print_follows_a_holder_who_moves(pacs: Plan) -> None:
    register.record_print(built=built(pacs, [1], datetime(2026, 10, 1, 9, 0, tzinfo=LONDON)), actor=None, via="t")
    CopyHolder.objects.filter(plan=pacs, copy_number=1).update(location="New PACS office")
    states = {s.location: s.state for s in register.locations(pacs)}
    assert states["New PACS office"] == "none"  # the copy printed for the old office is not at the new one


def test_the_reprint_period_is_an_audited_organisation_setting(pacs: Plan) -> None:
    organisation = pacs.organisation
    assert register.contact_list_months(organisation) == 3
    register.set_print_period(organisation=organisation, months=6, actor=None, via="test")
    assert register.contact_list_months(organisation) == 6
    entry = AuditEntry.objects.filter(object_type="print-policy").latest("at")
    assert (entry.before, entry.after) == ({"contactListMonths": 3}, {"contactListMonths": 6})
    for bad in (0, 25):
        with pytest.raises(register.PackError, match="from 1 to 24"):
            register.set_print_period(organisation=organisation, months=bad, actor=None, via="test")
    assert register.contact_list_months(organisation) == 6


def test_copy_specs_carry_holder_and_location(pacs: Plan) -> None:
    assert register.holder_copies(pacs, [2]) == [CopySpec(2, "Julia Fenwick", "Radiology services manager's office")]
    assert [c.number for c in register.holder_copies(pacs)] == [1, 2, 3, 4, 5, 6]
    assert PrintedCopy.objects.count() == 0


def test_the_demo_register_has_current_out_of_date_and_missing_packs(pacs: Plan) -> None:
    from contingency import demo

    assert demo.seed_register() == 3
    assert demo.seed_register() == 0  # once only
    states = {s.location: s.state for s in register.locations(pacs)}
    assert states["PACS office, Radiology department"] == "current"
    assert states["Downtime grab pack, main X-ray control room"] == "out-of-date"
    assert states["IT service desk"] == "none"
    record = PrintRecord.objects.filter(plan=pacs, issue=2).get()
    assert not PackFile.objects.filter(record=record).exists() and record.via == "demo"
    with pytest.raises(register.PackError, match="has no issue 9"):
        register.record_printed_elsewhere(
            plan=pacs, issue=9, copies=[1], printed_at=record.built_at, actor=None, via="test", note=""
        )
