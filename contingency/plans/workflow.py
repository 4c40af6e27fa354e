"""Document control: draft -> submitted for approval -> approved -> issued, and issues kept whole."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from contingency.core import audit

from .editing import Actor
from .models import Plan, PlanIssue, PlanStatus
from .store import export_plan
from .yamlform import to_yaml


def mark_issued(plan: Plan, *, actor: Actor, via: str, summary: str = "") -> PlanIssue:
    """Record the working copy as already issued at its stated issue (a plan loaded from its file)."""
    with transaction.atomic():
        issue, created = PlanIssue.objects.get_or_create(
            plan=plan,
            issue=plan.issue,
            defaults={
                "issue_date": plan.issue_date,
                "text": to_yaml(export_plan(plan)),
                "summary": summary,
                "issued_at": timezone.now(),
                "issued_by": actor if actor is not None and actor.is_authenticated else None,
            },
        )
        if plan.status != PlanStatus.ISSUED:
            before = {"status": plan.status}
            plan.status = PlanStatus.ISSUED
            plan.save(update_fields=["status"])
            audit.record(
                organisation=plan.organisation,
                actor=actor,
                verb="issue",
                object_type="plan",
                object_key=plan.key,
                label=plan.title,
                before=before,
                after={"status": plan.status, "issue": plan.issue},
                note="recorded as issued" if created else "",
                via=via,
            )
        return issue
