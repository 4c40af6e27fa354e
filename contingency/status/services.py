"""Status page services: the page's settings, the services it publishes, and their state set by hand.

Keyword-only, `actor` and `via`, one transaction each, audited; every change moves the page's
version on and queues its publishing in that transaction (versions.changed). Updates and
maintenance are in updates.py, subscriptions in subscriptions.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Organisation
from contingency.plans.graph import BadReference, Kind, build_graph
from contingency.plans.models import Plan
from contingency.plans.store import export_plan

from . import versions
from .models import PublishedService, ServiceState, StatusSite

Actor = AbstractBaseUser | AnonymousUser | None
KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PUBLISHABLE = (Kind.SYSTEM, Kind.FUNCTION)
LONGEST_NAME = 120
LONGEST_TEXT = 5000


class StatusError(Refused):
    """A change to the status page refused; `field` names the input at fault, when there is one."""

    code = "status.refused"


def record(
    organisation: Organisation,
    *,
    actor: Actor,
    via: str,
    verb: str,
    object_type: str,
    key: str,
    label: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
) -> None:
    audit.record(
        organisation=organisation,
        actor=actor,
        verb=verb,
        object_type=object_type,
        object_key=key,
        label=label[:200],
        before=before,
        after=after,
        note=note,
        via=via,
    )


def line(value: str, field: str, *, required: bool = True, longest: int = LONGEST_NAME) -> str:
    """One line of text, stripped; refused (at `field`) when empty but required, or too long."""
    value = (value or "").strip()
    if required and not value:
        raise StatusError("this cannot be empty", field)
    if "\n" in value or len(value) > longest:
        raise StatusError(f"keep this to one line of at most {longest} characters", field)
    return value


def prose(value: str, field: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise StatusError("write the text", field)
    if len(value) > LONGEST_TEXT:
        raise StatusError(f"keep this to at most {LONGEST_TEXT} characters", field)
    return value


def site_of(organisation: Organisation) -> StatusSite | None:
    return StatusSite.objects.filter(organisation=organisation).first()


def _site_state(site: StatusSite) -> dict[str, Any]:
    return {"published": site.published, "title": site.title, "titleCy": site.title_cy, "intro": site.intro}


def configure_site(
    *,
    organisation: Organisation,
    published: bool,
    title: str,
    actor: Actor,
    title_cy: str = "",
    intro: str = "",
    intro_cy: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> StatusSite:
    """Set up or change the organisation's status page (whether it is public, its heading and introduction)."""
    now = at or timezone.now()
    values = {
        "published": published,
        "title": line(title, "title"),
        "title_cy": line(title_cy, "title_cy", required=False),
        "intro": prose(intro, "intro"),
        "intro_cy": prose(intro_cy, "intro_cy"),
    }
    with transaction.atomic():
        site = StatusSite.objects.select_for_update().filter(organisation=organisation).first()
        before = _site_state(site) if site else None
        if site is None:
            site = StatusSite.objects.create(organisation=organisation, changed_at=now, **values)
        else:
            StatusSite.objects.filter(pk=site.pk).update(**values)
            site.refresh_from_db()
        versions.changed(organisation.pk, at=now, reason="page settings changed")
        record(
            organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE if before else audit.Verb.CREATE,
            object_type="status-site",
            key="status",
            label=site.title,
            before=before,
            after=_site_state(site),
        )
    site.refresh_from_db()
    return site


def _subject(organisation: Organisation, plan_key: str, subject: str) -> tuple[Plan, str]:
    plan = Plan.objects.filter(organisation=organisation, key=plan_key).first()
    if plan is None:
        raise StatusError(f"there is no plan {plan_key!r} in {organisation.name}", "plan")
    graph = build_graph(export_plan(plan))
    try:
        ref = graph.find(subject)
    except BadReference as exc:
        raise StatusError(str(exc), "subject") from None
    if ref.kind not in PUBLISHABLE:
        raise StatusError("publish a system or a function of the plan", "subject")
    return plan, str(ref)


def _service_state(service: PublishedService) -> dict[str, Any]:
    return {
        "key": service.key,
        "plan": service.plan_key,
        "subject": service.subject,
        "name": service.name,
        "nameCy": service.name_cy,
        "description": service.description,
        "descriptionCy": service.description_cy,
        "position": service.position,
        "state": service.state,
    }


def _texts(values: dict[str, str]) -> dict[str, str]:
    return {
        "name": line(values.get("name", ""), "name"),
        "name_cy": line(values.get("name_cy", ""), "name_cy", required=False),
        "description": prose(values.get("description", ""), "description"),
        "description_cy": prose(values.get("description_cy", ""), "description_cy"),
    }


def add_service(
    *,
    organisation: Organisation,
    key: str,
    plan_key: str,
    subject: str,
    name: str,
    actor: Actor,
    name_cy: str = "",
    description: str = "",
    description_cy: str = "",
    position: int | None = None,
    via: str = "web",
    at: datetime | None = None,
) -> PublishedService:
    """Publish a system or function of one of the organisation's plans under a public name."""
    now = at or timezone.now()
    key = (key or "").strip()
    if not KEY.match(key):
        raise StatusError("use lower-case letters, digits and '-', starting with a letter or digit", "key")
    texts = _texts({"name": name, "name_cy": name_cy, "description": description, "description_cy": description_cy})
    plan, ref = _subject(organisation, plan_key, subject)
    with transaction.atomic():
        if site_of(organisation) is None:
            raise StatusError("set up the status page first")
        existing = PublishedService.objects.filter(organisation=organisation)
        if existing.filter(key=key).exists():
            raise StatusError(f"a published service already has the id {key!r}", "key")
        if existing.filter(plan_key=plan.key, subject=ref).exists():
            raise StatusError(f"{ref} of {plan.key} is already published", "subject")
        last = existing.order_by("-position").values_list("position", flat=True).first()
        service = PublishedService.objects.create(
            organisation=organisation,
            key=key,
            plan_key=plan.key,
            subject=ref,
            position=position if position is not None else (last or 0) + 1,
            created_at=now,
            **texts,
        )
        versions.changed(organisation.pk, at=now, reason=f"service {key} published")
        record(
            organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CREATE,
            object_type="status-service",
            key=f"status/services/{key}",
            label=service.name,
            after=_service_state(service),
        )
    return service


def change_service(
    *,
    service: PublishedService,
    name: str,
    actor: Actor,
    name_cy: str = "",
    description: str = "",
    description_cy: str = "",
    position: int | None = None,
    via: str = "web",
    at: datetime | None = None,
) -> PublishedService:
    """Change a published service's public name, description or place in the list."""
    now = at or timezone.now()
    texts = _texts({"name": name, "name_cy": name_cy, "description": description, "description_cy": description_cy})
    if position is not None and not 0 <= position <= 10_000:
        raise StatusError("give a position from 0 to 10000", "position")
    with transaction.atomic():
        service = PublishedService.objects.select_for_update().select_related("organisation").get(pk=service.pk)
        before = _service_state(service)
        for field, value in texts.items():
            setattr(service, field, value)
        if position is not None:
            service.position = position
        service.save()
        versions.changed(service.organisation_id, at=now, reason=f"service {service.key} changed")
        record(
            service.organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            object_type="status-service",
            key=f"status/services/{service.key}",
            label=service.name,
            before=before,
            after=_service_state(service),
        )
    return service


def remove_service(*, service: PublishedService, actor: Actor, via: str = "web", at: datetime | None = None) -> None:
    """Stop publishing a service (updates already posted keep their words)."""
    now = at or timezone.now()
    with transaction.atomic():
        service = PublishedService.objects.select_for_update().select_related("organisation").get(pk=service.pk)
        before = _service_state(service)
        organisation = service.organisation
        service.delete()
        versions.changed(organisation.pk, at=now, reason=f"service {before['key']} removed")
        record(
            organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.DELETE,
            object_type="status-service",
            key=f"status/services/{before['key']}",
            label=before["name"],
            before=before,
        )


def set_state(
    *,
    service: PublishedService,
    state: str,
    actor: Actor,
    note: str = "",
    via: str = "web",
    at: datetime | None = None,
) -> PublishedService:
    """Set a service's state by hand (the page shows the worst of this, incidents and maintenance)."""
    now = at or timezone.now()
    if state not in ServiceState.values:
        raise StatusError(f"choose one of {', '.join(ServiceState.values)}", "state")
    note = line(note, "note", required=False, longest=200)
    with transaction.atomic():
        service = PublishedService.objects.select_for_update().select_related("organisation").get(pk=service.pk)
        before = {"state": service.state, "note": service.state_note}
        apply_state(service, ServiceState(state), note, now)
        versions.changed(service.organisation_id, at=now, reason=f"{service.key} set to {service.get_state_display()}")
        record(
            service.organisation,
            actor=actor,
            via=via,
            verb=audit.Verb.CHANGE,
            object_type="status-service",
            key=f"status/services/{service.key}",
            label=service.name,
            before=before,
            after={"state": service.state, "note": service.state_note},
            note="state set by hand",
        )
    return service


def apply_state(service: PublishedService, state: ServiceState, note: str, at: datetime) -> None:
    """Inside the caller's transaction: the state by hand (the caller moves the page's version on)."""
    service.state = state
    service.state_note = note
    service.state_changed_at = at
    service.save(update_fields=["state", "state_note", "state_changed_at"])
