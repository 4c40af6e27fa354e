"""The downtime ledger's services: record, refuse bad values and duplicates, re-enter, spot-check, close."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.core.models import AuditEntry, Role
from contingency.downtime import progress, sampling
from contingency.downtime import services as downtime
from contingency.downtime.models import DowntimeRecord, RecordState, SpotCheckDraw
from contingency.incidents import services
from contingency.incidents.models import EventKind
from contingency.lib.checkchars import make_id

from .downtime_support import dtid, exam, id_range, nhs, pacs_incident, wall
from .web import HOME_ORG, make_user

pytestmark = pytest.mark.usefixtures("demo_plans")


def test_the_pacs_outage_keeps_the_plans_record_kinds() -> None:
    incident = pacs_incident()
    assert [k.kind.id for k in downtime.kinds_of(incident)] == [
        "paper-report",
        "examination",
        "cd-burnt",
        "cd-received",
    ]


def test_a_record_is_stored_canonical_with_its_identifiers() -> None:
    incident = pacs_incident()
    id_range()
    user = make_user("radiographer", HOME_ORG, Role.RESPONDER)
    made = downtime.record(
        incident=incident,
        kind="examination",
        values=exam(incident, 1, **{"nhs-number": "999 000 0018".replace(" ", " "), "modality": "ct"}),
        actor=user,
        via="phone",
    )
    assert made.number == 1 and made.state == RecordState.RECORDED
    assert made.downtime_id == make_id("CT", 1, 6).code and made.modality == "CT"
    assert made.values["downtime-id"] == made.downtime_id
    assert made.accession_number == "ACC5001" and made.patient_id == "H100001"
    assert made.expected_instances == 120 and made.system_key == "pacs" and made.function_key == "image-acquisition"
    assert made.occurred_at == incident.began_at.replace(second=0, microsecond=0) + timedelta(minutes=10)
    assert made.recorded_by == user and made.recorded_via == "phone"
    entry = AuditEntry.objects.get(object_type="downtime-record", object_key=f"incident/{incident.number}/downtime/1")
    assert entry.verb == "create" and entry.actor_name == "radiographer"


def refused(incident: object, values: dict[str, object], kind: str = "examination") -> list[tuple[str | None, str]]:
    before = DowntimeRecord.objects.count()
    with pytest.raises(downtime.DowntimeError) as raised:
        downtime.record(incident=incident, kind=kind, values=values, actor=None, via="test")  # type: ignore[arg-type]
    assert DowntimeRecord.objects.count() == before
    return raised.value.problems()


def test_bad_values_are_each_refused_naming_their_field() -> None:
    incident = pacs_incident()
    id_range()
    problems = dict(
        refused(
            incident,
            exam(
                incident,
                1,
                **{
                    "nhs-number": nhs(1)[:-1] + str((int(nhs(1)[-1]) + 1) % 10),
                    "downtime-id": dtid(1).replace("000001", "000010"),
                    "done-at": wall(incident, incident.began_at - timedelta(hours=3)),
                    "modality": "XR",
                    "images": "lots",
                    "colour": "blue",
                },
            ),
        )
    )
    assert "check digit does not match" in problems["nhs-number"]
    assert "check character does not match" in problems["downtime-id"]
    assert "is outside the downtime" in problems["done-at"]
    assert "is not a modality" in problems["modality"]
    assert "is not a number" in problems["images"]
    assert "has no field 'colour'" in problems["colour"]


def test_required_fields_unknown_ids_and_unknown_kinds() -> None:
    incident = pacs_incident()
    id_range(last=10)
    problems = dict(refused(incident, exam(incident, 11, **{"accession-number": None})))
    assert problems["accession-number"] == "Accession number is required"
    assert "is not in any range of downtime IDs" in problems["downtime-id"]
    assert refused(incident, {}, kind="referral") == [
        (
            "kind",
            f"incident #{incident.number} keeps no record kind 'referral' (it keeps paper-report, examination, cd-burnt, cd-received)",
        )
    ]


def test_duplicates_are_refused_and_a_repeated_submission_is_one_record() -> None:
    incident = pacs_incident()
    id_range()
    first = downtime.record(
        incident=incident, kind="examination", values=exam(incident, 1), actor=None, client_key="k1"
    )
    again = downtime.record(
        incident=incident, kind="examination", values=exam(incident, 1), actor=None, client_key="k1"
    )
    assert again.pk == first.pk and DowntimeRecord.objects.filter(incident=incident).count() == 1
    problems = dict(refused(incident, exam(incident, 2, **{"downtime-id": dtid(1)})))
    assert (
        problems["downtime-id"]
        == f"downtime ID {first.downtime_id} is already used by record 1 of incident #{incident.number}"
    )
    problems = dict(refused(incident, exam(incident, 2, **{"accession-number": "ACC5001"})))
    assert problems["accession-number"] == "accession number ACC5001 is already recorded as record 1 of this kind"


# 18:00 on a weekday: the outage began at 08:00 and its 30 records (10 minutes apart) fall on one day, so one
# day's draw; at the real time of day they could span midnight and make two.
@time_machine.travel(datetime(2026, 11, 18, 18, 0, tzinfo=ZoneInfo("Europe/London")), tick=True)
def test_from_record_to_verified_with_a_second_person_and_a_widening_failure() -> None:
    incident = pacs_incident(hours_ago=10)
    id_range()
    clerk = make_user("clerk", HOME_ORG, Role.RESPONDER)
    checker = make_user("checker", HOME_ORG, Role.RESPONDER)
    records = [
        downtime.record(incident=incident, kind="examination", values=exam(incident, n), actor=clerk)
        for n in range(1, 31)
    ]
    assert progress.progress_of(incident).to_reenter == 30
    for found in records:
        downtime.reenter(record=found, system_reference=f"RIS-{found.number}", actor=clerk)
    # The day's records are all re-entered: 10% of 30, at least 2 -> 3 drawn, reproducibly.
    [first] = SpotCheckDraw.objects.filter(incident=incident)
    assert first.target == 3 and len(first.drawn) == 3 and first.share == 10
    assert first.drawn == [int(k) for k in sampling.draw(map(str, first.population), set(), first.seed, 3)]
    sampled = list(DowntimeRecord.objects.filter(incident=incident, sampled_in__isnull=False).order_by("number"))
    assert [r.number for r in sampled] == sorted(first.drawn)
    with pytest.raises(downtime.DowntimeError, match="not the person who re-entered it"):
        downtime.spot_check(record=sampled[0], matches=True, actor=clerk)
    unsampled = DowntimeRecord.objects.filter(incident=incident, sampled_in__isnull=True).first()
    assert unsampled is not None
    with pytest.raises(downtime.DowntimeError, match="not in the spot-check sample"):
        downtime.spot_check(record=unsampled, matches=True, actor=checker)
    verified = downtime.spot_check(record=sampled[0], matches=True, actor=checker)
    assert verified.state == RecordState.VERIFIED and verified.checked_by == checker
    with pytest.raises(downtime.DowntimeError, match="say what does not match"):
        downtime.spot_check(record=sampled[1], matches=False, actor=checker)
    failed = downtime.spot_check(record=sampled[1], matches=False, reason="NHS number differs", actor=checker)
    assert failed.state == RecordState.DISCREPANCY
    # The failure widens the day's sample to 100%: every record is now drawn, the first picks kept.
    draws = list(SpotCheckDraw.objects.filter(incident=incident).order_by("pk"))
    assert len(draws) == 2 and draws[1].share == 100 and draws[1].seed == first.seed
    assert DowntimeRecord.objects.filter(incident=incident, sampled_in__isnull=True).count() == 0
    assert incident.timeline.filter(kind=EventKind.DOWNTIME, text__contains="NHS number differs").exists()
    resolved = downtime.resolve(record=failed, resolution="Corrected in RIS", actor=checker)
    assert resolved.state == RecordState.RESOLVED
    assert progress.progress_of(incident).checks_due == 28


def test_standing_down_with_records_outstanding_needs_a_reason() -> None:
    incident = pacs_incident()
    id_range()
    downtime.record(incident=incident, kind="examination", values=exam(incident, 1), actor=None)
    incident = services.restore(incident=incident, actor=None, via="test")
    assert (
        "Still to do: 1 of 1 downtime record(s) still to re-enter."
        in incident.timeline.get(kind=EventKind.RESTORED).text
    )
    with pytest.raises(services.IncidentError) as raised:
        services.stand_down(incident=incident, actor=None, via="test")
    assert raised.value.field == "reason" and "1 of 1 downtime record(s) still to re-enter" in raised.value.message
    done = services.stand_down(incident=incident, actor=None, reason="Log handed to the PACS team", via="test")
    assert done.state == "stood-down"
    text = done.timeline.get(kind=EventKind.STOOD_DOWN).text
    assert "Log handed to the PACS team" in text and "Outstanding: 1 of 1 downtime record(s) still to re-enter." in text
    entry = AuditEntry.objects.filter(object_key=f"incident/{incident.number}", note__startswith="stood down").get()
    assert "outstanding: 1 of 1" in entry.note
    # Records typed up from paper after the stand-down are still taken.
    later = downtime.record(incident=done, kind="examination", values=exam(done, 2), actor=None)
    assert later.number == 2


def test_id_ranges_do_not_overlap() -> None:
    id_range(first=1, last=100)
    with pytest.raises(downtime.DowntimeError, match="overlaps the range CT 1-100"):
        id_range(first=100, last=200)
    id_range(prefix="MR", first=1, last=100)
    with pytest.raises(downtime.DowntimeError, match="capital letters"):
        id_range(prefix="C1")
