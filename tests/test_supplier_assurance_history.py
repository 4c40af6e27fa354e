"""The compliance rule `supplier-assurance` judges each supplier's record as it stood on the date asked about.

The register keeps one row per supplier, overwritten by every change; its history is the audit log's entries
(every write goes through `record_assurance`, which audits the whole record). A date before the first entry had
nothing on file; a record with no entries (written some other way) is read as it is now, except that a test
dated after the date asked about had not happened yet.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.compliance import rules
from contingency.compliance.facts import gather
from contingency.core.models import Organisation
from contingency.suppliers import services
from contingency.suppliers.findings import AssuranceFacts, Version, as_of
from contingency.suppliers.models import Assurance
from tests.web import HOME_ORG

LONDON = ZoneInfo("Europe/London")
RULE = rules.Rule("supplier-assurance", 12)
TESTED = AssuranceFacts("yes", date(2026, 3, 1), date(2027, 3, 1))
NO_PLAN = AssuranceFacts("no", date(2026, 3, 1), date(2027, 3, 1))


def test_the_version_in_force_on_a_day_is_the_last_written_by_its_end() -> None:
    history = (Version(date(2026, 3, 2), TESTED), Version(date(2026, 9, 1), NO_PLAN))
    assert as_of(NO_PLAN, history, date(2026, 3, 1)) is None  # nothing on file yet
    assert as_of(NO_PLAN, history, date(2026, 3, 2)) == TESTED
    assert as_of(NO_PLAN, history, date(2026, 8, 31)) == TESTED
    assert as_of(NO_PLAN, history, date(2026, 9, 1)) == NO_PLAN


def test_without_history_a_test_after_the_day_did_not_count_then() -> None:
    assert as_of(TESTED, None, date(2026, 6, 1)) == TESTED
    assert as_of(TESTED, None, date(2026, 2, 1)) == AssuranceFacts("yes", None, date(2027, 3, 1))


def status(on: date) -> tuple[rules.Status, tuple[str, ...]]:
    found = rules.evaluate_rule(RULE, gather(Organisation.objects.get(slug=HOME_ORG)), on)
    assert found is not None
    return found.status, tuple(gap for gap in found.gaps if gap.startswith("Meridian"))


@pytest.mark.django_db
def test_the_evidence_pack_date_reads_the_record_as_it_was(demo_plans: list[Any]) -> None:
    organisation = Organisation.objects.get(slug=HOME_ORG)

    def record(on: datetime, has_plan: str) -> None:
        with time_machine.travel(on, tick=False):
            services.record_assurance(
                organisation=organisation, supplier_key="meridian", has_plan=has_plan,
                last_tested_on=date(2026, 3, 1), response_time="30 minutes", restore_time="8h", contacts=[],
                review_on=date(2027, 3, 1), actor=None, via="test",
            )  # fmt: skip

    record(datetime(2026, 3, 2, 9, 0, tzinfo=LONDON), "yes")
    record(datetime(2026, 9, 1, 9, 0, tzinfo=LONDON), "no")
    assert status(date(2026, 2, 1))[1] == ("Meridian Imaging Systems Ltd: no assurance on file",)
    assert status(date(2026, 6, 1))[1] == ()  # in order then, whatever it says now
    assert status(date(2026, 10, 1))[1] == ("Meridian Imaging Systems Ltd: no continuity plan",)


@pytest.mark.django_db
def test_a_record_without_history_is_read_as_it_is(demo_plans: list[Any]) -> None:
    Assurance.objects.create(
        organisation=Organisation.objects.get(slug=HOME_ORG), supplier_key="meridian", has_plan="yes",
        last_tested_on=date(2026, 3, 1), review_on=date(2027, 3, 1), updated_at=datetime(2026, 3, 2, tzinfo=LONDON),
    )  # fmt: skip
    assert status(date(2026, 6, 1))[1] == ()
    assert status(date(2026, 2, 1))[1] == ("Meridian Imaging Systems Ltd: not tested in 12 months",)
