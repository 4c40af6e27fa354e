"""People in the organisation's plans who are members: suggested by e-mail, linked by an administrator.

A link is by person key (the same key names the same person in each of the organisation's plans), so it
survives a plan's re-import. Each link and unlink is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Refused
from contingency.core.models import Membership, Organisation, PersonLink

from .models import Person

Actor = AbstractBaseUser | AnonymousUser | None
OBJECT_TYPE = audit.MEMBERSHIP  # who is who: for administrators only, as memberships are


class LinkRefused(Refused):
    code = "people.refused"


@dataclass(frozen=True)
class PlanPerson:
    key: str
    name: str
    email: str


def people(organisation: Organisation) -> dict[str, PlanPerson]:
    """Everyone in the organisation's plans, by key (the first plan's details when several name them)."""
    found: dict[str, PlanPerson] = {}
    for key, name, email in (
        Person.objects.filter(plan__organisation=organisation)
        .order_by("plan__key", "key")
        .values_list("key", "name", "email")
    ):
        found.setdefault(key, PlanPerson(key, name, email or ""))
    return found


def linked_emails(organisation: Organisation) -> dict[str, str]:
    """Person key -> the linked member's e-mail: how a call tree reaches a person the plan gives no e-mail."""
    rows = PersonLink.objects.filter(organisation=organisation).exclude(user__email="")
    return dict(rows.values_list("person_key", "user__email"))


def keys_of(organisation: Organisation, user_ids: Iterable[int]) -> dict[int, str]:
    """User id -> the plans' person key they are linked to (at most one each)."""
    rows = PersonLink.objects.filter(organisation=organisation, user_id__in=list(user_ids))
    return dict(rows.values_list("user_id", "person_key"))


def names(organisation: Organisation) -> dict[int, str]:
    """User id -> the name to show for a member: their own, else the linked person's, else the user name."""
    linked = dict(PersonLink.objects.filter(organisation=organisation).values_list("user_id", "person_name"))
    members = User.objects.filter(memberships__organisation=organisation, is_active=True).distinct()
    return {u.pk: u.get_full_name() or linked.get(u.pk) or u.username for u in members}


def suggestions(organisation: Organisation) -> dict[int, PlanPerson]:
    """Unlinked members whose e-mail is an unlinked plan person's: user id -> the person, to confirm."""
    linked = PersonLink.objects.filter(organisation=organisation)
    taken_keys = set(linked.values_list("person_key", flat=True))
    taken_users = set(linked.values_list("user_id", flat=True))
    by_email = {p.email.lower(): p for p in people(organisation).values() if p.email and p.key not in taken_keys}
    members = User.objects.filter(memberships__organisation=organisation).exclude(pk__in=taken_users).distinct()
    return {u.pk: by_email[u.email.lower()] for u in members if u.email and u.email.lower() in by_email}


def link(*, organisation: Organisation, person_key: str, user: User, actor: Actor, via: str = "web") -> PersonLink:
    """Record that the plans' person `person_key` is this member."""
    person = people(organisation).get(person_key)
    if person is None:
        raise LinkRefused(f"There is no person {person_key!r} in {organisation.name}'s plans.", "person")
    if not Membership.objects.filter(organisation=organisation, user=user).exists():
        raise LinkRefused(f"{user.username} is not a member of {organisation.name}.", "username")
    try:
        with transaction.atomic():
            row = PersonLink.objects.create(
                organisation=organisation,
                person_key=person.key,
                person_name=person.name,
                user=user,
                confirmed_by=actor if isinstance(actor, User) else None,
                confirmed_at=timezone.now(),
            )
            audit.record(
                organisation=organisation,
                actor=actor,
                verb=audit.Verb.CHANGE,
                object_type=OBJECT_TYPE,
                object_key=user.username,
                label=user.get_full_name() or user.username,
                after={"person": person.key, "name": person.name},
                note=f"linked to the plans' person {person.name}",
                via=via,
            )
    except IntegrityError:
        raise LinkRefused(f"{person.name} or {user.username} is already linked: unlink first.") from None
    return row


def unlink(*, organisation: Organisation, user: User, actor: Actor, via: str = "web") -> None:
    with transaction.atomic():
        row = PersonLink.objects.filter(organisation=organisation, user=user).first()
        if row is None:
            raise LinkRefused(f"{user.username} is not linked to a person in the plans.")
        row.delete()
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE,
            object_type=OBJECT_TYPE,
            object_key=user.username,
            label=user.get_full_name() or user.username,
            before={"person": row.person_key, "name": row.person_name},
            note=f"no longer linked to the plans' person {row.person_name}",
            via=via,
        )
