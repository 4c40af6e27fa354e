"""Who, in the plan's directory, is the person who reported the incident or invoked the plan.

They already know: no task asks them to telephone or tell themselves, and no call tree rings
them. A person matches by e-mail or by an administrator's link between the member and the plans'
person; a post that one person holds at a time (a role such as the
senior radiographer on shift, not a team or department) matches when they are one of its members.
Pure code over a PlanDocument.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model

from contingency.plans.people import keys_of
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.directory import RoleKind

from .models import Incident


def keys_for(document: PlanDocument, emails: Iterable[str], person_keys: Iterable[str] = ()) -> set[str]:
    """The directory keys (person and role ids) that denote whoever has one of `emails` or is one of the
    linked `person_keys`."""
    wanted = {e.strip().lower() for e in emails if e and e.strip()}
    linked = set(person_keys)
    if not wanted and not linked:
        return set()
    people = {p.id for p in document.people if p.id in linked or (p.email and str(p.email).lower() in wanted)}
    roles = {r.id for r in document.roles if r.kind is RoleKind.ROLE and people & {str(m) for m in r.members}}
    return people | roles


def who_knows(incident: Incident, document: PlanDocument) -> dict[str, tuple[int, str, str]]:
    """Directory key -> (user id, name, how they know) for the invoker and the reporter."""
    ids = {pk for pk in (incident.reported_by_id, incident.invoked_by_id) if pk is not None}
    if not ids:
        return {}
    emails = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "email"))
    linked = keys_of(incident.organisation, ids)
    found: dict[str, tuple[int, str, str]] = {}
    for pk, name, how in (
        (incident.invoked_by_id, incident.invoked_by_name, "invoked the plan"),
        (incident.reported_by_id, incident.reported_by_name, "reported it"),
    ):
        if pk is not None:
            for key in keys_for(document, [str(emails.get(pk) or "")], [linked[pk]] if pk in linked else []):
                found.setdefault(key, (pk, name, how))
    return found
