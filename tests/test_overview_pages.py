"""The dashboard and the "it's broken - what do I do?" page: pure logic against the demo plans, then the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.core.models import Organisation
from contingency.lib.calendar import WorkingCalendar, from_organisation, from_plan_organisation
from contingency.lib.phones import tel_href
from contingency.plans.guidance import (
    Callee,
    FunctionNotFound,
    NowGuidance,
    NowStep,
    what_to_do,
)
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.plan import Monitoring
from contingency.plans.validate import load_text
from contingency.web.overview.summary import (
    evidence_of_testing,
    lint_counts,
    most_responsible,
    review_state,
    untested_functions,
)

from .conftest import DEMO_PLANS
from .web import HOME_ORG, MemberFactory

LONDON = ZoneInfo("Europe/London")


def demo(name: str) -> PlanDocument:
    return load_text((DEMO_PLANS / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")[0]


PACS_DOC = demo("pacs")
EYE_DOC = demo("eye-care")
CAL = from_plan_organisation(PACS_DOC.organisation)


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def now(at: str, function: str = "image-sharing") -> NowGuidance:
    return what_to_do(PACS_DOC, function, london(at), CAL)


def steps(g: NowGuidance, procedure: str = "pacs-downtime") -> list[NowStep]:
    return list(next(p for p in g.procedures if p.id == procedure).steps)


def numbers(c: Callee) -> list[str]:
    return [n.number for n in c.numbers]


# --- what_to_do: pure, explicit datetimes -----------------------------------------------------------


def test_friday_afternoon_is_in_hours_with_the_in_hours_steps() -> None:
    g = now("2026-11-20 16:40")
    assert g.in_hours and g.reason is None
    assert g.clock == "Friday 20 November 2026, 16:40"
    assert g.change == "Out of hours begins at 17:00."
    texts = [s.text for s in steps(g)]
    assert texts[0] == "Call the PACS team on extension 4400"
    assert "Inform IT (ask switchboard for the on-call IT engineer)" not in texts
    first = steps(g)[0]
    assert first.who is not None and first.who.name == "Senior radiographer on shift"
    assert [(t.name, numbers(t)) for t in first.targets] == [("PACS team", ["4400"])]
    assert next(p for p in g.procedures if p.id == "pacs-downtime").other_time_steps == 3


def test_friday_evening_is_out_of_hours_with_the_out_of_hours_steps() -> None:
    g = now("2026-11-20 17:30")
    assert not g.in_hours and g.reason == "after 17:00"
    assert g.change == "In hours begins at 08:00 on Monday 23 November."
    texts = [s.text for s in steps(g)]
    assert texts[:2] == [
        "Log a call with the Meridian Medical helpdesk on 0161 496 0420 and note the call reference",
        "Inform IT (ask switchboard for the on-call IT engineer)",
    ]
    assert "Call the PACS team on extension 4400" not in texts
    it = steps(g)[1].targets[0]
    # The IT service desk's out-of-hours contact: switchboard, not the in-hours extension 4357.
    assert (it.name, numbers(it), it.note) == (
        "IT service desk",
        ["01632 960000"],
        "Ask switchboard for the on-call IT engineer",
    )
    assert it.numbers[0].href == "tel:01632960000"


def test_departments_closed_at_night_say_so() -> None:
    inform = steps(now("2026-11-20 23:00"))[2]
    by_name = {t.name: t for t in inform.targets}
    assert numbers(by_name["Bed manager on call"]) == ["2001", "01632 960000"]
    assert by_name["Bed manager on call"].numbers[0].href is None  # a bleep is paged, not dialled
    assert by_name["Urgent care centre"].numbers == ()  # its only number is staffed in hours


def test_bank_holiday_monday_is_out_of_hours() -> None:
    g = now("2026-12-28 10:00")
    assert not g.in_hours
    assert g.reason == "bank holiday: Boxing Day (observed)"
    assert g.bank_holiday == "Boxing Day (observed)"
    assert g.change == "In hours begins at 08:00 on Tuesday 29 December."
    assert steps(g)[0].text.startswith("Log a call with the Meridian Medical helpdesk")


def test_dst_weekend() -> None:
    # Sunday 25 October 2026, the clocks went back at 02:00: 01:30 UTC is 01:30 GMT, weekend.
    g = what_to_do(PACS_DOC, "image-sharing", datetime(2026, 10, 25, 1, 30, tzinfo=UTC), CAL)
    assert not g.in_hours and g.reason == "weekend"
    assert g.clock == "Sunday 25 October 2026, 01:30"
    assert g.changes_at == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    # Friday 23 October 16:30 UTC is 17:30 BST: already out of hours.
    assert not what_to_do(PACS_DOC, "image-sharing", datetime(2026, 10, 23, 16, 30, tzinfo=UTC), CAL).in_hours


def test_people_are_reached_only_on_numbers_answered_now() -> None:
    g = now("2026-11-20 16:40", "image-reporting")
    board = next(e for e in g.escalation if e.level == 5).who[0]
    assert (board.name, board.detail) == ("Trust board (executive director on call)", "Peter Langley")
    assert numbers(board) == ["4001", "07700 900150"]
    board_at_night = next(e for e in now("2026-11-20 23:00", "image-reporting").escalation if e.level == 5).who[0]
    assert numbers(board_at_night) == ["01632 960000"]


def test_confirm_checks_suppliers_triggers_and_later_procedures() -> None:
    g = now("2026-11-20 16:40")
    assert [c.check for _, c in g.checks][:2] == [
        "Images will not load for several patients, or users cannot log on or cannot search",
        "The fault shows on several PCs, in more than one area",
    ]
    assert g.checks[1][1].if_not == "it is probably a partial failure"
    meridian = g.suppliers[0]
    assert (meridian.name, numbers(meridian), meridian.numbers[0].href) == (
        "Meridian Imaging Systems Ltd",
        ["0161 496 0420"],
        "tel:01614960420",
    )
    assert [t.timing for t in g.triggers] == [
        "When the plan is invoked",
        "Every 1 day, from 4h until 5 days",
        "When the service is restored",
        "After 5 days without service",
    ]
    assert g.later == ("Restoration of PACS",)
    assert g.duration_rules[0].action == "Order more blank CDs and check CD robot consumables twice a day"


def test_a_helpdesk_outside_its_hours_is_closed() -> None:
    it = next(c for c in now("2026-11-20 18:30").suppliers if c.key == "it-service")
    assert it.closed == "helpdesk hours Mon-Fri 08:00-18:00" and it.numbers == ()
    open_ = next(c for c in now("2026-11-20 17:30").suppliers if c.key == "it-service")
    assert open_.closed is None and numbers(open_) == ["4357", "01632 960100"]


def test_unknown_function() -> None:
    with pytest.raises(FunctionNotFound):
        now("2026-11-20 16:40", "no-such-function")


def test_around_the_clock_organisation_is_always_in_hours() -> None:
    always = WorkingCalendar("Europe/London", tuple(range(7)), time(0), time(0), "england")
    g = what_to_do(PACS_DOC, "image-sharing", london("2026-12-25 03:00"), always)
    assert g.in_hours and g.change is None


@pytest.mark.parametrize(
    ("number", "href"),
    [("07700 900123", "tel:07700900123"), ("+44 (0)161 496 0420", "tel:+4401614960420"), ("4400", "tel:4400")],
)
def test_tel_href_is_digits_only(number: str, href: str) -> None:
    assert tel_href(number) == href


# --- dashboard summaries: pure ----------------------------------------------------------------------


def test_review_state() -> None:
    assert review_state(date(2027, 9, 14), date(2026, 11, 22)).state == "ok"
    assert review_state(date(2027, 9, 14), date(2027, 8, 15)).state == "due"
    assert review_state(date(2027, 9, 14), date(2027, 9, 14)).state == "due"
    assert review_state(date(2027, 9, 14), date(2027, 9, 15)).label == "review overdue"


def test_lint_counts_match_the_linter() -> None:
    counts = lint_counts(PACS_DOC, date(2026, 11, 22))
    assert (counts.errors, counts.warnings, counts.infos) == (4, 3, 0)
    assert counts.total == len(counts.findings)


def test_evidence_of_testing_and_untested_functions() -> None:
    assert evidence_of_testing(PACS_DOC)[-1] == "Table-top exercise of a complete PACS failure"
    assert untested_functions([PACS_DOC, EYE_DOC]) == []
    bare = PACS_DOC.model_copy(update={"monitoring": [Monitoring(activity="Attend the vendor's user group")]})
    assert [u.function_name for u in untested_functions([bare, EYE_DOC])] == [
        "Diagnostic image viewing and reporting",
        "Image acquisition and storage",
        "Image sharing with other departments",
    ]
    # "latest" and "contest" are not tests.
    assert (
        evidence_of_testing(
            PACS_DOC.model_copy(update={"monitoring": [Monitoring(activity="Read the latest contest")]})
        )
        == []
    )


def test_most_responsible() -> None:
    top = most_responsible([PACS_DOC])
    assert (top[0].name, top[0].count) == ("Helen Marsh", 6)
    assert len(most_responsible([PACS_DOC, EYE_DOC])) == 10
    assert most_responsible([PACS_DOC, EYE_DOC])[0].name == "Imran Siddiqui"


# --- pages --------------------------------------------------------------------------------------------

NOW_URL = f"/o/{HOME_ORG}/plans/pacs-bcdr/functions/image-sharing/now/"


@pytest.mark.django_db
def test_calendar_from_the_organisation_row(demo_plans: list[object]) -> None:
    org = Organisation.objects.get(slug=HOME_ORG)
    assert from_organisation(org) == CAL


@time_machine.travel(datetime(2026, 11, 20, 16, 40, tzinfo=LONDON), tick=False)
def test_dashboard(member: MemberFactory) -> None:
    response = member("viewer").get(f"/o/{HOME_ORG}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Northwick General Hospital NHS Foundation Trust</h1>" in page
    assert "PACS business continuity and disaster recovery plan" in page
    assert '<span class="tag issued">Issued</span>' in page
    assert '<span class="tag error">4 errors</span>' in page
    # Three from the plan itself (CON004, DOC004, DUR004); PRN002: the print register has no pack of it; three
    # EXR002: no exercise of it recorded; two SUP001: neither supplier has assurance on file. The dashboard lints
    # with the registers' facts; `plan lint` on the file has no registers and finds three.
    assert '<span class="tag warning">9 warnings</span>' in page
    assert "PRN002: the contact list has never been printed" in page
    assert "EXR002: communications test never done (due every 6 months)" in page
    assert "SUP001: Meridian Imaging Systems Ltd: no assurance on file" in page
    assert NOW_URL in page
    assert "Every plan schedules a test or an exercise" in page
    assert "Table-top exercise of a complete PACS failure" in page
    assert "Helen Marsh" in page
    assert "CON002: Urgent care centre is needed out of hours but has no out-of-hours number" in page
    assert "It is now in hours" in page
    assert "review due soon" not in page and "review overdue" not in page


@time_machine.travel(datetime(2027, 9, 20, 12, 0, tzinfo=LONDON), tick=False)
def test_dashboard_review_overdue(member: MemberFactory) -> None:
    page = member("viewer").get(f"/o/{HOME_ORG}/").content.decode()
    assert '<span class="tag overdue">review overdue</span>' in page


@time_machine.travel(datetime(2026, 11, 20, 16, 40, tzinfo=LONDON), tick=False)
def test_function_now_in_hours(member: MemberFactory) -> None:
    response = member("viewer").get(NOW_URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Image sharing with other departments</h1>" in page
    assert "It is now <strong>in hours</strong>" in page
    assert "Out of hours begins at 17:00." in page
    assert "Call the PACS team on extension 4400" in page
    assert 'href="tel:4400"' in page
    assert 'href="tel:01614960420"' in page
    assert '<a href="https://support.meridian-imaging.example.org">' in page
    assert "Who does it: <strong>Senior radiographer on shift</strong> — bleep 2200, " in page
    assert "Inform IT (ask switchboard for the on-call IT engineer)" not in page


@time_machine.travel(datetime(2026, 12, 28, 2, 0, tzinfo=LONDON), tick=False)
def test_function_now_at_night_on_a_bank_holiday(member: MemberFactory) -> None:
    page = member("responder").get(NOW_URL).content.decode()
    assert "It is now <strong>out of hours</strong> (bank holiday: Boxing Day (observed))" in page
    assert "In hours begins at 08:00 on Tuesday 29 December." in page
    assert "Inform IT (ask switchboard for the on-call IT engineer)" in page
    assert 'href="tel:01632960000"' in page
    assert "Bed manager on call" in page
    assert "No number in the plan is answered now." in page  # the urgent care centre closes at night
    assert "Call the PACS team on extension 4400" not in page


def test_function_now_of_another_organisations_plan_is_404(member: MemberFactory) -> None:
    client = member("viewer")
    assert client.get(f"/o/{HOME_ORG}/plans/eye-care-data/functions/building/now/").status_code == 404
    assert client.get("/o/clearview-eyecare/plans/eye-care-data/functions/building/now/").status_code == 404
    assert client.get("/o/clearview-eyecare/").status_code == 404


def test_unknown_function_or_plan_is_404(member: MemberFactory) -> None:
    client = member("viewer")
    assert client.get(f"/o/{HOME_ORG}/plans/pacs-bcdr/functions/nothing/now/").status_code == 404
    assert client.get(f"/o/{HOME_ORG}/plans/nothing/functions/image-sharing/now/").status_code == 404


def test_signed_out_is_sent_to_log_in(client: object, demo_plans: list[object]) -> None:
    from django.test import Client

    assert isinstance(client, Client)
    response = client.get(NOW_URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_broken_calendar_says_so(member: MemberFactory) -> None:
    Organisation.objects.filter(slug=HOME_ORG).update(working_days=[9])
    response = member("viewer").get(NOW_URL)
    assert response.status_code == 200
    assert "This page cannot tell whether it is in hours" in response.content.decode()
    assert member("viewer").get(f"/o/{HOME_ORG}/").status_code == 200
