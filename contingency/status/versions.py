"""Every change to what the status page shows moves its version on and queues its publishing.

Called inside the change's transaction (a service's, or an incident's through hooks.py), so the
new version and the publish rows commit with the change or not at all. The page's caches key on
the version (readmodel.py); the worker publishes each queued row (publishing/worker.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .models import JobState, PublishJob, StatusSite, new_version
from .publishing.targets import from_settings


def changed(organisation_id: int, *, at: datetime, reason: str, later: Iterable[datetime] = ()) -> bool:
    """A new version of the organisation's page; publish it now (and at each moment of `later`, when
    maintenance starts or ends). False when the organisation has no status page."""
    if not StatusSite.objects.filter(organisation_id=organisation_id).update(version=new_version(), changed_at=at):
        return False
    queue(organisation_id, at=at, reason=reason, due=[at, *later])
    return True


def queue(organisation_id: int, *, at: datetime, reason: str, due: Iterable[datetime]) -> int:
    """A publish row per configured target and moment; how many were written."""
    rows = [
        PublishJob(
            organisation_id=organisation_id,
            target=name,
            reason=reason[:200],
            created_at=at,
            due_at=moment,
            state=JobState.PENDING,
        )
        for moment in sorted(set(due))
        for name in from_settings().names()
    ]
    PublishJob.objects.bulk_create(rows)
    return len(rows)
