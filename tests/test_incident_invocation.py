"""Reporting and invoking: what the checks decide, what is marked lost, and the plan snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from contingency.incidents import services, worker
from contingency.incidents.models import AffectedFunction, DueAction, Incident, Task
from contingency.plans.models import Plan
from contingency.plans.store import export_plan, import_plan

LONDON = ZoneInfo("Europe/London")
WEDNESDAY = datetime(2027, 6, 9, 10, 0, tzinfo=LONDON)
pytestmark = pytest.mark.django_db


def pacs() -> Plan:
    return Plan.objects.get(key="pacs-bcdr")


def test_the_checks_decide_the_assessment_and_the_risk(demo_plans: list[object]) -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        one_pc = services.report(plan=pacs(), subject="system:pacs", actor=None, answers={"several-pcs": False})
        assert (one_pc.assessment, one_pc.risk_key, one_pc.severity) == ("partial", "partial-failure", 6)
        assert one_pc.procedures == ["one-area-failure"]
        one_patient = services.report(
            plan=pacs(), subject="system:pacs", actor=None, answers={"several-patients": False}
        )
        assert one_patient.assessment == "not-a-failure"
        services.close_as_not_a_failure(incident=one_patient, actor=None, reason="One study missing in RIS")
        one_patient.refresh_from_db()
        assert one_patient.state == "not-a-failure"
        with pytest.raises(services.IncidentError, match="only a reported incident is invoked"):
            services.invoke(incident=one_patient, actor=None)
        partial = services.invoke(incident=one_pc, actor=None)
        steps = list(Task.objects.filter(incident=partial, source="response").values_list("text", flat=True))
        assert steps[0] == "Use a PC in a neighbouring department to view images"


def test_bad_reports_change_nothing(demo_plans: list[object]) -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        cases = [
            ({"subject": "system:nope"}, "subject", "there is no system 'nope' in this plan"),
            ({"subject": "pacs"}, "subject", "is not of the form kind:id"),
            ({"subject": "system:pacs", "answers": {"bogus": True}}, "answers", "no check 'bogus'"),
            ({"subject": "system:pacs", "began_at": WEDNESDAY + timedelta(hours=1)}, "began_at", "in the future"),
        ]
        for kwargs, field, message in cases:
            with pytest.raises(services.IncidentError, match=message) as caught:
                services.report(plan=pacs(), actor=None, **kwargs)  # type: ignore[arg-type]
            assert caught.value.field == field
        assert not Incident.objects.exists()


def test_a_supplier_failure_reaches_functions_through_systems(demo_plans: list[object]) -> None:
    with time_machine.travel(WEDNESDAY, tick=False):
        incident = services.report(plan=pacs(), subject="supplier:meridian", actor=None)
        incident = services.invoke(incident=incident, actor=None)
        rows = {a.key: a for a in AffectedFunction.objects.filter(incident=incident)}
        assert set(rows) == {"image-reporting", "image-acquisition", "image-sharing"}
        assert rows["image-reporting"].chain == [
            "Diagnostic image viewing and reporting needs Vendor helpdesk from Meridian Imaging Systems Ltd"
        ]
        assert rows["image-sharing"].mtpd_due_at == incident.began_at + timedelta(days=5)


def test_later_plan_edits_do_not_change_an_incident_in_flight(demo_plans: list[object]) -> None:
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        incident = services.invoke(incident=services.report(plan=pacs(), subject="system:pacs", actor=None), actor=None)
        document = export_plan(pacs())
        tp2 = next(t for t in document.triggers if t.id == "tp2")
        tp2.actions[0].text = "A different action written after the invocation"
        import_plan(document)
        clock.move_to(WEDNESDAY + timedelta(hours=5))
        worker.run_until_idle(worker="test")
        texts = set(
            Task.objects.filter(incident=incident, key__startswith="trigger/tp2#0/").values_list("text", flat=True)
        )
        assert "Review progress of the fix and the expected restoration time with the vendor" in texts
        assert "A different action written after the invocation" not in texts


def test_the_eye_care_plan_runs_too(demo_plans: list[object]) -> None:
    friday = datetime(2027, 5, 28, 11, 0, tzinfo=LONDON)
    with time_machine.travel(friday, tick=False) as clock:
        plan = Plan.objects.get(key="eye-care-data")
        incident = services.invoke(
            incident=services.report(plan=plan, subject="system:referral-platform", actor=None), actor=None
        )
        assert incident.tasks.filter(key__startswith="trigger/at-invocation#0/").count() >= 3
        due = {d.key: d.due_at.astimezone(LONDON) for d in DueAction.objects.filter(incident=incident, kind="trigger")}
        # Daily update every working day: Friday's invocation is followed by Tuesday (Monday 31 May is a bank holiday).
        assert due["daily-update"] == datetime(2027, 6, 1, 11, 0, tzinfo=LONDON)
        assert due["five-working-days"] == datetime(2027, 6, 7, 11, 0, tzinfo=LONDON)
        clock.move_to(datetime(2027, 6, 2, 12, 0, tzinfo=LONDON))
        worker.run_until_idle(worker="test")
        fired = DueAction.objects.filter(incident=incident, key="daily-update").order_by("sequence")
        assert [(d.sequence, d.state) for d in fired] == [(0, "fired"), (1, "fired"), (2, "pending")]
