"""Bringing an incident run on a laptop copy across: export, import, import again, a later export, conflicts,
and bad files refused with file, line and field. (The laptop and the main server as two real installs:
tests/test_mirror_pull.py.)

Here both sides share the test database: the "laptop's" incident of Northwick is exported, its uid is
swapped in the file for another (what an incident made on another install looks like), and the file is
imported into the other organisation, standing for the main server's (downtime IDs are unique within an
organisation, so the laptop's records must not meet themselves).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.utils import timezone

from contingency.cli import main
from contingency.core.models import AuditEntry, Organisation
from contingency.downtime import services as downtime
from contingency.downtime.models import DowntimeRecord
from contingency.incidents import services, tasks
from contingency.incidents.models import ImportedRow, Incident, Task, TaskState, TimelineEntry
from contingency.incidents.review import save_review
from contingency.incidents.transfer.bundle import TransferInvalid, read_bundle
from contingency.incidents.transfer.exporting import export_incidents
from contingency.incidents.transfer.importing import TransferRefused, import_bundle
from contingency.incidents.transfer.sections import sections
from contingency.notify.models import Callout, Notification, NotificationState

from .downtime_support import dtid, exam, eye_incident, id_range, pacs_incident
from .support.live_channels import LiveChannels
from .web import HOME_ORG, OTHER_ORG

CHECKS = {"several-patients": True, "several-pcs": True, "several-modalities": True}


@pytest.fixture
def laptop_incident(demo_plans: list[object], channels: LiveChannels) -> Incident:
    """An invoked PACS outage, with messages waiting in the outbox (no delivery worker runs here) and three
    examinations logged by hand, one of them re-entered."""
    found = pacs_incident()
    id_range()
    made = [downtime.record(incident=found, kind="examination", values=exam(found, n), actor=None) for n in (1, 2, 3)]
    downtime.reenter(record=made[0], system_reference="RIS-1", actor=None)
    return found


def exported(incident: Incident, uid: str, organisation: str = OTHER_ORG) -> str:
    """The export of `incident`, as another install would write it with this incident `uid`, for `organisation`."""
    data = export_incidents(organisation=incident.organisation, incidents=[incident], now=timezone.now(), source={})
    data["organisation"] = organisation
    return json.dumps(data, indent=1).replace(str(incident.uid), uid)


def import_text(text: str, file: str = "laptop.json") -> list[Any]:
    organisation = Organisation.objects.get(slug=OTHER_ORG)
    bundle = read_bundle(text.encode(), file)
    return import_bundle(bundle=bundle, organisation=organisation, actor=None, via="test")


def shape(incident: Incident) -> dict[str, list[dict[str, Any]]]:
    """Every row of every section, without the ids that differ between installs."""
    data = json.loads(exported(incident, "x"))["incidents"][0]["sections"]
    links = {"originKey", "incident", "task", "replacedBy", "callout", "fallbackOf", "informTask", "notification"}
    links |= {"sampledIn"}
    return {name: [{k: v for k, v in row.items() if k not in links} for row in rows] for name, rows in data.items()}


def test_round_trip_then_twice_is_a_no_op(laptop_incident: Incident) -> None:
    assert Notification.objects.filter(incident=laptop_incident, state=NotificationState.PENDING).exists()
    uid = str(uuid.uuid4())
    text = exported(laptop_incident, uid)
    here = eye_incident()  # the main server has incidents of its own: the import takes the next number
    [done] = import_text(text)
    imported = Incident.objects.get(uid=uid)
    assert done.created and imported.number == done.number == here.number + 1
    assert imported.organisation.slug == OTHER_ORG and imported.plan_key == laptop_incident.plan_key
    before, after = shape(laptop_incident), shape(imported)
    assert set(before) == {s.name for s in sections()} and {"callouts", "notifications", "downtimeRecords"} <= set(
        before
    )
    assert len(after["downtimeRecords"]) == 3 and after["downtimeRecords"][0]["state"] == "re-entered"
    for name in before:
        if name == "notifications":
            continue  # messages not sent on the laptop are recorded as not sent here (below)
        expected = before[name] + ([after[name][-1]] if name == "timeline" else [])
        assert after[name] == expected, name
    assert "Imported from a laptop copy" in after["timeline"][-1]["text"]
    # Unsent messages: recorded, never sent from here; the acknowledgement codes are this server's own.
    waiting = Notification.objects.filter(incident=imported)
    assert waiting.exists() and not waiting.filter(state__in=("pending", "sending")).exists()
    assert all(n.key.startswith("imported:") for n in waiting)
    laptop_codes = set(Callout.objects.filter(incident=laptop_incident).values_list("ack_code", flat=True))
    assert not laptop_codes & set(Callout.objects.filter(incident=imported).values_list("ack_code", flat=True))
    rows = ImportedRow.objects.filter(incident=imported).count()
    assert rows == done.added
    audit = AuditEntry.objects.filter(object_key=f"incident/{imported.number}", verb="create")
    assert audit.count() == 1 and "Imported from a laptop copy" in audit.get().note

    # The same file again changes nothing, and says so.
    counts = (Incident.objects.count(), Task.objects.count(), TimelineEntry.objects.count(), AuditEntry.objects.count())
    [again] = import_text(text)
    assert not again.created and not again.changed and again.unchanged == done.added
    assert again.number == imported.number
    assert counts == (
        Incident.objects.count(),
        Task.objects.count(),
        TimelineEntry.objects.count(),
        AuditEntry.objects.count(),
    )


def test_a_later_export_updates_what_the_laptop_changed(laptop_incident: Incident) -> None:
    uid = str(uuid.uuid4())
    import_text(exported(laptop_incident, uid))
    imported = Incident.objects.get(uid=uid)
    task = laptop_incident.tasks.filter(state=TaskState.OPEN).order_by("position").first()
    assert task is not None
    tasks.finish(task=task, actor=None, done=True, text="Done at 02:10 on the laptop", via="test")
    tasks.post_update(incident=laptop_incident, text="CDs are being burnt", audience="staff", actor=None, via="test")
    [done] = import_text(exported(laptop_incident, uid))
    assert done.changed and not done.created and done.updated >= 1 and done.added >= 2
    here = imported.tasks.get(key=task.key)
    assert here.state == TaskState.DONE and here.outcome == "Done at 02:10 on the laptop"
    assert imported.timeline.filter(text="CDs are being burnt").count() == 1
    assert AuditEntry.objects.filter(object_key=f"incident/{imported.number}", verb="change").exists()


def test_a_row_changed_on_both_sides_refuses_the_whole_import(laptop_incident: Incident) -> None:
    uid = str(uuid.uuid4())
    import_text(exported(laptop_incident, uid))
    imported = Incident.objects.get(uid=uid)
    task = laptop_incident.tasks.filter(state=TaskState.OPEN).order_by("position").first()
    assert task is not None
    tasks.finish(task=imported.tasks.get(key=task.key), actor=None, done=False, text="Not needed here", via="test")
    tasks.finish(task=task, actor=None, done=True, text="Done on the laptop", via="test")
    tasks.post_update(incident=laptop_incident, text="An update that must not arrive", audience="staff", actor=None)
    with pytest.raises(TransferRefused) as refused:
        import_text(exported(laptop_incident, uid))
    assert "was changed on the laptop and also here since it was imported" in refused.value.conflicts[0]
    assert imported.tasks.get(key=task.key).outcome == "Not needed here"
    assert not imported.timeline.filter(text="An update that must not arrive").exists()


def test_a_downtime_id_recorded_on_both_sides_refuses_the_import(laptop_incident: Incident) -> None:
    uid = str(uuid.uuid4())
    import_text(exported(laptop_incident, uid))
    imported = Incident.objects.get(uid=uid)
    assert DowntimeRecord.objects.filter(incident=imported).count() == 3
    # The same paper form, number 4, typed in on the main server and on the laptop.
    id_range(OTHER_ORG)
    downtime.record(incident=imported, kind="examination", values=exam(imported, 4), actor=None)
    downtime.record(incident=laptop_incident, kind="examination", values=exam(laptop_incident, 4), actor=None)
    with pytest.raises(TransferRefused) as refused:
        import_text(exported(laptop_incident, uid))
    message = refused.value.conflicts[0]
    assert f"downtimeId {dtid(4).replace('-', '')!r}" in message and f"incident #{imported.number}" in message


def test_a_row_made_on_both_sides_refuses_the_import(laptop_incident: Incident) -> None:
    laptop_incident = services.restore(incident=laptop_incident, actor=None, via="test")
    uid = str(uuid.uuid4())
    import_text(exported(laptop_incident, uid))
    imported = Incident.objects.get(uid=uid)
    for side in (imported, laptop_incident):
        save_review(
            incident=side, actor=None, whys=["the disk filled"], root_cause="", went_well="", went_badly="", lessons=""
        )
    with pytest.raises(TransferRefused, match="a review row"):
        import_text(exported(laptop_incident, uid))


def test_an_incident_made_here_or_in_another_organisation_is_not_replaced(laptop_incident: Incident) -> None:
    organisation = laptop_incident.organisation
    bundle = read_bundle(exported(laptop_incident, str(laptop_incident.uid), HOME_ORG).encode(), "laptop.json")
    with pytest.raises(TransferRefused, match="was made here, not imported"):
        import_bundle(bundle=bundle, organisation=organisation, actor=None, via="test")
    with pytest.raises(TransferRefused, match="is already here, in another organisation"):
        import_text(exported(laptop_incident, str(laptop_incident.uid)))
    text = exported(laptop_incident, str(uuid.uuid4()), HOME_ORG)
    with pytest.raises(TransferRefused, match=f"holds incidents of '{HOME_ORG}', not '{OTHER_ORG}'"):
        import_text(text)


# ---------------------------------------------------------------- bad files


def problems_of(text: str) -> list[str]:
    with pytest.raises(TransferInvalid) as invalid:
        read_bundle(text.encode(), "laptop.json")
    return [str(problem) for problem in invalid.value.problems]


def edited(incident: Incident, change: Any) -> str:
    data = json.loads(exported(incident, str(uuid.uuid4())))
    change(data["incidents"][0]["sections"])
    return json.dumps(data, indent=1)


def test_bad_files_are_refused_with_file_line_and_field(laptop_incident: Incident) -> None:
    assert problems_of('{"format": "contingency-incidents",\n "version": 1,,}') == [
        "laptop.json:2:15: (document): not valid JSON: Expecting property name enclosed in double quotes"
    ]
    assert problems_of('{"format": "something else"}') == [
        "laptop.json:1:2: format: expected 'contingency-incidents': this is not an export of incidents"
    ]
    assert (
        "version 2: this install reads version 1" in problems_of('{"format": "contingency-incidents", "version": 2}')[0]
    )

    def spoil(sections_: dict[str, Any]) -> None:
        sections_["tasks"][0]["state"] = "finished"
        sections_["tasks"][1]["dueAt"] = "2026-03-01 02:10"
        del sections_["timeline"][0]["text"]
        sections_["timeline"][1]["colour"] = "red"
        sections_["targets"][0]["task"] = "nowhere"
        sections_["shiftRota"] = []

    found = problems_of(edited(laptop_incident, spoil))
    expected = [
        "incidents[0].sections.tasks[0].state: 'finished' is not one of: open, started, done, skipped, rerouted",
        "incidents[0].sections.tasks[1].dueAt: expected a time with its offset, e.g. 2026-03-01T02:10:00+00:00",
        "incidents[0].sections.timeline[0].text: this is required",
        "incidents[0].sections.timeline[1].colour: unknown field of a timeline row",
        "incidents[0].sections.targets[0].task: names 'nowhere', which is not a tasks row of this incident",
        "incidents[0].sections.shiftRota: unknown section 'shiftRota': this install knows incident,",
    ]
    for message in expected:
        [line] = [p for p in found if message in p]
        assert line.startswith("laptop.json:") and line.split(":")[1].isdigit(), line
    assert len(found) == len(expected)


def test_the_command_line_round_trip_and_bad_files(laptop_incident: Incident, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "incidents.json"
    result = runner.invoke(main, ["incident", "export", "--org", HOME_ORG, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"note: #{laptop_incident.number} is still invoked here" in result.stderr
    text = out.read_text().replace(str(laptop_incident.uid), str(uuid.uuid4()))
    out.write_text(text.replace(f'"organisation": "{HOME_ORG}"', f'"organisation": "{OTHER_ORG}"', 1))
    first = runner.invoke(main, ["incident", "import", str(out)])
    assert first.exit_code == 0, first.output
    assert "imported as #" in first.stdout
    second = runner.invoke(main, ["incident", "import", str(out)])
    assert second.exit_code == 0 and "already imported: nothing new" in second.stdout
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "contingency-incidents", "version": 1, "organisation": 7, "incidents": {}}')
    before = Incident.objects.count()
    refused = runner.invoke(main, ["incident", "import", str(bad)])
    assert refused.exit_code == 2
    assert f"{bad}:1:" in refused.stderr and "organisation: expected the organisation's id" in refused.stderr
    assert "nothing was written" in refused.stderr
    assert Incident.objects.count() == before
    missing = runner.invoke(main, ["incident", "import", str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
