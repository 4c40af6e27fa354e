"""An exercise run on a laptop copy comes back as an exercise: a table-top exercise of the demo PACS plan, run as if
at 02:00 on the Sunday before, with injects released, the clock moved on and a finding, is exported and imported into
an organisation with nothing in it. It keeps its scenario clock, its Exercise row, injects, findings and advances, and
stays out of the real incidents; importing it again adds nothing. An export written before exercises were carried
(no `asIf` or `clockShift` in the incident row, no exercise sections) still imports, with them empty. A later export
updates the exercise; the clock moved on both sides refuses the import; bad values are named; the command line too.

As in tests/test_incident_transfer.py both sides share the test database: the incident's uid is swapped in the file
for another, which is what an incident made on another install looks like.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from click.testing import CliRunner
from django.db.models import Model
from django.utils import timezone

from contingency.cli import main
from contingency.core.models import AuditEntry, Organisation
from contingency.exercises import services
from contingency.exercises.models import ClockAdvance, Exercise, Finding, Inject
from contingency.incidents import queries
from contingency.incidents.models import Incident, TimelineEntry
from contingency.incidents.transfer.bundle import TransferInvalid, convert, read_bundle
from contingency.incidents.transfer.exporting import export_incidents
from contingency.incidents.transfer.importing import Imported, TransferRefused, import_bundle
from contingency.incidents.transfer.sections import value_out
from contingency.notify import delivery
from contingency.plans.models import Plan

from .downtime_support import pacs_incident
from .support.live_channels import LiveChannels
from .web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NIGHT = datetime(2027, 3, 10, 2, 0, tzinfo=LONDON)  # the real clock: a Wednesday, out of hours
AS_IF = datetime(2027, 3, 7, 2, 0, tzinfo=LONDON)  # the exercise's moment: the Sunday before, at 02:00
REFUSED = "07700 900112"  # Anita Rao's mobile: Notify refuses it for good, which makes a finding
MAIN = "harrowfield-health"  # the organisation imported into: empty, no plans
EXERCISE_SECTIONS = ("exercise", "injects", "findings", "clockAdvances")


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def main_org(db: None) -> Organisation:
    return Organisation.objects.create(slug=MAIN, name="Harrowfield Health (the main server)")


@pytest.fixture
def laptop_exercise(
    demo_plans: list[object], channels: LiveChannels, clock: time_machine.Traveller, main_org: Organisation
) -> Exercise:
    """Three injects (two released, the first moving the clock to its time), a hand advance, then finished."""
    channels.notify.fail_next(1, status=400, only=lambda body: body.get("phone_number") == REFUSED)
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    exercise = services.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, as_if=AS_IF, via="test")
    delivery.run_until_idle(worker="test")
    for title, minutes in (("The CD robot jams", 30), ("The vendor rings back", 240), ("Theatres ask for images", 300)):
        services.add_inject(exercise=exercise, title=title, text=f"{title}.", minutes=minutes, actor=None, via="test")
    clock.move_to(NIGHT + timedelta(minutes=10))
    services.release_next_inject(exercise=exercise, actor=None, via="test", advance=True)
    services.advance_clock(exercise=exercise, minutes=120, reason="Skip to the vendor's call", actor=None, via="test")
    services.release_next_inject(exercise=exercise, actor=None, via="test")
    delivery.run_until_idle(worker="test")
    clock.move_to(NIGHT + timedelta(hours=1))
    return services.finish(exercise=exercise, outcome="The vendor's number was out of date.", actor=None, via="test")


def exported(incident: Incident, uid: str) -> dict[str, Any]:
    """The export of `incident` as another install would write it, with this incident `uid`, for MAIN."""
    data = export_incidents(organisation=incident.organisation, incidents=[incident], now=timezone.now(), source={})
    data["organisation"] = MAIN
    found: dict[str, Any] = json.loads(json.dumps(data).replace(str(incident.uid), uid))
    return found


def import_data(data: dict[str, Any]) -> Imported:
    bundle = read_bundle(json.dumps(data, indent=1).encode(), "laptop.json")
    [done] = import_bundle(bundle=bundle, organisation=Organisation.objects.get(slug=MAIN), actor=None, via="test")
    return done


def counts() -> tuple[int, ...]:
    tables: tuple[type[Model], ...] = (Incident, Exercise, Inject, Finding, ClockAdvance, TimelineEntry, AuditEntry)
    return tuple(table._default_manager.count() for table in tables)


def injects(exercise: Exercise) -> list[tuple[Any, ...]]:
    return list(
        exercise.injects.order_by("position").values_list(
            "position", "title", "text", "minutes", "added_by_name", "released_at", "released_by_name", "scenario_at"
        )
    )


def advances(exercise: Exercise) -> list[tuple[Any, ...]]:
    return [
        (a.at, a.by, a.scenario_from, a.scenario_to, a.reason, a.advanced_by_name, a.inject and a.inject.position)
        for a in exercise.clock_advances.order_by("at", "id").select_related("inject")
    ]


def findings(exercise: Exercise) -> list[tuple[Any, ...]]:
    return list(exercise.findings.order_by("id").values_list("text", "owner_name", "created_at"))


def test_an_exercise_comes_back_as_an_exercise_and_twice_adds_nothing(laptop_exercise: Exercise) -> None:
    assert laptop_exercise.incident is not None
    laptop = Incident.objects.get(pk=laptop_exercise.incident.pk)
    shift = AS_IF - NIGHT + timedelta(minutes=20 + 120)  # the first inject's advance, then the hand one
    assert laptop.as_if == AS_IF and laptop.clock_shift == shift
    uid = str(uuid.uuid4())
    data = exported(laptop, uid)
    row = data["incidents"][0]["sections"]["incident"][0]
    assert row["asIf"] == AS_IF.isoformat() and row["clockShift"] == "-P2DT21H40M00S"

    done = import_data(data)
    imported = Incident.objects.get(uid=uid)
    assert done.created and imported.organisation.slug == MAIN and imported.number == 1
    # Still an exercise: kept out of the real incidents here, as on the laptop.
    assert not queries.real(Incident.objects.filter(pk__in=(laptop.pk, imported.pk))).exists()
    assert imported.as_if == AS_IF and imported.clock_shift == shift
    here = Exercise.objects.get(incident=imported)
    assert (here.organisation.slug, here.number, here.plan) == (MAIN, 1, None)  # no plan of that key here
    fields = ("plan_key", "plan_title", "kind", "as_if", "started_at", "started_by_name", "finished_at", "outcome")
    assert [getattr(here, f) for f in fields] == [getattr(laptop_exercise, f) for f in fields]
    assert here.kind == "table-top" and here.finished_at is not None and imported.state == "stood-down"
    assert injects(here) == injects(laptop_exercise)
    assert [i[0] for i in injects(here) if i[5] is not None] == [1, 2]  # released, in order; the third is not
    assert advances(here) == advances(laptop_exercise)
    assert [a[-1] for a in advances(here)] == [1, None]  # the first advance moved the clock to inject 1
    assert all(a.inject is None or a.inject.exercise_id == here.pk for a in here.clock_advances.all())
    assert findings(here) == findings(laptop_exercise) and any(REFUSED in f[0] for f in findings(here))
    assert services.of(here).people == services.of(laptop_exercise).people >= 4

    # The same file again adds nothing and writes nothing.
    before = counts()
    again = import_data(data)
    assert not again.created and not again.changed and again.unchanged == done.added
    assert counts() == before


def test_a_later_export_of_the_exercise_updates_it(
    demo_plans: list[object], channels: LiveChannels, clock: time_machine.Traveller, main_org: Organisation
) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    exercise = services.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, as_if=AS_IF, via="test")
    services.add_inject(
        exercise=exercise, title="The CD robot jams", text="It jams.", minutes=30, actor=None, via="test"
    )
    assert exercise.incident is not None
    uid = str(uuid.uuid4())
    import_data(exported(exercise.incident, uid))
    here = Exercise.objects.get(incident__uid=uid)
    assert injects(here)[0][5] is None and not here.clock_advances.exists()

    clock.move_to(NIGHT + timedelta(minutes=5))
    services.release_next_inject(exercise=exercise, actor=None, via="test", advance=True)
    done = import_data(exported(Incident.objects.get(pk=exercise.incident.pk), uid))
    assert done.changed and not done.created
    assert injects(here) == injects(exercise) and injects(here)[0][5] == NIGHT + timedelta(minutes=5)
    assert advances(here) == advances(exercise) and len(advances(here)) == 1
    assert Incident.objects.get(uid=uid).clock_shift == AS_IF - NIGHT + timedelta(minutes=25)


def test_the_clock_moved_on_both_sides_refuses_the_import(
    demo_plans: list[object], clock: time_machine.Traveller, main_org: Organisation
) -> None:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    exercise = services.start(plan=plan, kind="table-top", subject="system:pacs", actor=None, as_if=AS_IF, via="test")
    assert exercise.incident is not None
    uid = str(uuid.uuid4())
    import_data(exported(exercise.incident, uid))
    here = Exercise.objects.get(incident__uid=uid)
    for side in (here, exercise):
        services.advance_clock(exercise=side, minutes=60, reason="Skip an hour", actor=None, via="test")
    with pytest.raises(TransferRefused, match=r"a incident row \(.*\) was changed on the laptop and also here"):
        import_data(exported(Incident.objects.get(pk=exercise.incident.pk), uid))
    assert here.clock_advances.count() == 1


def test_an_older_export_without_exercise_data_still_imports(
    demo_plans: list[object], clock: time_machine.Traveller, main_org: Organisation
) -> None:
    real = pacs_incident()
    uid = str(uuid.uuid4())
    older = exported(real, uid)
    sections = older["incidents"][0]["sections"]
    for name in EXERCISE_SECTIONS:
        del sections[name]
    del sections["incident"][0]["asIf"], sections["incident"][0]["clockShift"]

    done = import_data(older)
    imported = Incident.objects.get(uid=uid)
    assert done.created and imported.as_if is None and imported.clock_shift is None
    assert queries.real(Incident.objects.filter(pk=imported.pk)).exists()  # a real incident, as it was
    # The same incident exported since (the new keys present and empty) is the same rows: nothing changes.
    before = counts()
    again = import_data(exported(real, uid))
    assert not again.changed and again.unchanged == done.added
    assert counts() == before


def test_bad_exercise_values_are_refused_with_their_field(laptop_exercise: Exercise) -> None:
    assert laptop_exercise.incident is not None
    data = exported(laptop_exercise.incident, str(uuid.uuid4()))
    sections = data["incidents"][0]["sections"]
    sections["incident"][0]["clockShift"] = "2 days"
    sections["exercise"][0]["kind"] = "drill"
    sections["injects"][1]["position"] = 1
    sections["clockAdvances"][0]["inject"] = "nowhere"
    with pytest.raises(TransferInvalid) as invalid:
        read_bundle(json.dumps(data, indent=1).encode(), "laptop.json")
    found = [str(problem) for problem in invalid.value.problems]
    expected = [
        "incidents[0].sections.incident[0].clockShift: expected a duration, e.g. P1DT02H30M00S",
        "incidents[0].sections.exercise[0].kind: 'drill' is not one of: communications, table-top, live",
        "incidents[0].sections.injects[1]: the same position as row 0: each must differ",
        "incidents[0].sections.clockAdvances[0].inject: names 'nowhere', which is not a injects row of this incident",
    ]
    for message in expected:
        [line] = [p for p in found if message in p]
        assert line.startswith("laptop.json:"), line
    assert len(found) == len(expected)


def test_the_command_line_carries_an_exercise(laptop_exercise: Exercise, tmp_path: Path) -> None:
    assert laptop_exercise.incident is not None
    runner = CliRunner()
    out = tmp_path / "incidents.json"
    number = str(laptop_exercise.incident.number)
    result = runner.invoke(main, ["incident", "export", "--org", HOME_ORG, number, "-o", str(out)])
    assert result.exit_code == 0, result.output
    uid = str(uuid.uuid4())
    text = out.read_text().replace(str(laptop_exercise.incident.uid), uid)
    out.write_text(text.replace(f'"organisation": "{HOME_ORG}"', f'"organisation": "{MAIN}"', 1))
    first = runner.invoke(main, ["incident", "import", str(out)])
    assert first.exit_code == 0 and "imported as #1" in first.stdout, first.output
    here = Exercise.objects.get(incident__uid=uid)
    assert here.organisation.slug == MAIN and len(injects(here)) == 3 and len(advances(here)) == 2
    assert not queries.real(Incident.objects.filter(uid=uid)).exists()
    second = runner.invoke(main, ["incident", "import", str(out)])
    assert second.exit_code == 0 and "already imported: nothing new" in second.stdout


@pytest.mark.parametrize(
    "shift",
    [
        timedelta(0),
        timedelta(days=-3, microseconds=7),  # as if before the start, to the microsecond (a real start has them)
        timedelta(hours=5, microseconds=999_999),
        -timedelta(days=400, seconds=59, microseconds=1),
    ],
)
def test_a_duration_comes_back_to_the_microsecond(shift: timedelta) -> None:
    written = value_out(shift)
    assert isinstance(written, str) and written.lstrip("-").startswith("P")
    assert convert(Incident._meta.get_field("clock_shift"), written) == (shift, "")


@pytest.mark.parametrize("value", ["3 days, 10:00:00", "10:00:00", 3600, "P", "-P1DT", "PT", "P99999999999D", True])
def test_only_an_iso_duration_is_read(value: object) -> None:
    field = Incident._meta.get_field("clock_shift")
    assert convert(field, value) == (None, "expected a duration, e.g. P1DT02H30M00S")
    assert convert(field, "PT2H") == (timedelta(hours=2), "")
