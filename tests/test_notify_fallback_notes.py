"""When someone is not reached and their deputy or the escalation contact is already on the list for the same
event, nobody is called twice, and the timeline tells the lead so rather than leaving them to wonder."""

from __future__ import annotations

from contingency.incidents import services, worker
from contingency.incidents.models import TimelineEntry
from contingency.notify import dispatch
from contingency.notify.channels import registry
from contingency.notify.models import Callout
from contingency.plans.models import Plan

TP1 = "trigger:tp1:0"


def test_fallbacks_already_on_the_list_are_named(demo_plans: list[Plan]) -> None:
    registry.reset()  # no channel configured: everyone is a call to make
    plan = Plan.objects.get(organisation__slug="northwick-general", key="pacs-bcdr")
    answers = {"several-patients": True, "several-pcs": True, "several-modalities": True}
    incident = services.report(plan=plan, subject="system:pacs", actor=None, answers=answers, via="test")
    incident = services.invoke(incident=incident, actor=None, via="test")
    worker.run_until_idle(worker="test")

    def not_reached(key: str) -> str:
        callout = Callout.objects.get(incident=incident, event=TP1, recipient_key=key)
        task = callout.task
        assert task is not None
        dispatch.call_outcome(task, done=False, outcome="no answer", by="lead", at=task.created_at)
        return str(
            TimelineEntry.objects.filter(incident=incident, kind="notified", text__startswith=callout.recipient_name)
            .order_by("-id")
            .values_list("text", flat=True)[0]
        )

    # Anita's deputy Julia is already being called for TP1: the escalation contact is tried, and the lead told why.
    anita = not_reached("anita-rao")
    assert anita.endswith("Trying Claire Dunmore. (Julia Fenwick (deputy) already on the list.)"), anita
    # Marcus's deputy is Julia too, and Claire is now on the list: nobody new, and the lead is told who is.
    marcus = not_reached("marcus-hale")
    assert marcus.endswith(
        "Nobody new was called: Julia Fenwick (deputy), Claire Dunmore (escalation) already on the list for this."
    ), marcus
    assert Callout.objects.filter(incident=incident, event=TP1, recipient_key="claire-dunmore").count() == 1
