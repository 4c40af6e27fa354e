"""Listening to plan events: a new issue queues the packs to print (inside the issue's transaction)."""

from __future__ import annotations

from typing import Any

from contingency.plans import events
from contingency.plans.models import Plan, PlanIssue


def on_plan_issued(sender: Any, *, plan: Plan, issue: PlanIssue, imported: bool, **kwargs: Any) -> None:
    if imported:
        return  # issued and distributed before it came here: `contingency pack --record` prints it
    from .jobs import enqueue

    enqueue(plan=plan, issue=issue.issue, actor=kwargs.get("actor"), via=str(kwargs.get("via", "")))


def connect() -> None:
    events.plan_issued.connect(on_plan_issued, dispatch_uid="packs.plan_issued")
