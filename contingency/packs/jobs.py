"""Queued pack builds (filled in below)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from contingency.plans.models import Plan

from .models import PackJob


def enqueue(*, plan: Plan, issue: int, actor: Any, via: str) -> PackJob:
    """Queue the packs of `issue` of `plan` (once: a second request for the same issue is the same job)."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    job, _ = PackJob.objects.get_or_create(
        plan=plan,
        issue=issue,
        defaults={"created_at": timezone.now(), "requested_by": user, "requested_via": via[:32]},
    )
    return job
