"""The audit log: every create, change and delete of a domain object, with before and after.

Services call `record` inside the transaction that makes the change, so the entry and the
change are committed together or not at all. `changes` is pure: it lists the fields that
differ between two JSON values, for the history pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import AuditEntry, Organisation


class Verb:
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"


# Entries about people rather than plans: who holds which role ("membership"), who changed their
# password ("user"), who made or revoked a token ("api-token"), and who was locked out or let back in
# ("lock-out"). They are for administrators only, on every page and endpoint; see private().
MEMBERSHIP = "membership"
USER = "user"
API_TOKEN = "api-token"
LOCK_OUT = "lock-out"
PRIVATE_TYPES = frozenset({MEMBERSHIP, USER, API_TOKEN, LOCK_OUT})


def private(object_type: str) -> bool:
    return object_type in PRIVATE_TYPES


def visible(entries: QuerySet[AuditEntry], *, administrator: bool) -> QuerySet[AuditEntry]:
    """The entries a member may read: every one for an administrator, none of the private types otherwise."""
    return entries if administrator else entries.exclude(object_type__in=PRIVATE_TYPES)


def history_of(
    entries: QuerySet[AuditEntry], object_type: str, key: str, *, with_parts: bool = False
) -> QuerySet[AuditEntry]:
    """One object's entries, by its exact type and key; `with_parts` adds its parts (`<key>/...`), which are
    never of a private type (a token's key also starts with its owner's name and a slash)."""
    match = Q(object_type=object_type, object_key=key)
    if with_parts:
        match |= Q(object_key__startswith=f"{key}/") & ~Q(object_type__in=PRIVATE_TYPES)
    return entries.filter(match)


def actor_name(actor: AbstractBaseUser | AnonymousUser | None, via: str) -> str:
    if actor is not None and actor.is_authenticated:
        return str(actor.get_username())
    return via


def record(
    *,
    organisation: Organisation,
    actor: AbstractBaseUser | AnonymousUser | None,
    verb: str,
    object_type: str,
    object_key: str,
    label: str = "",
    before: Any = None,
    after: Any = None,
    note: str = "",
    via: str = "system",
) -> AuditEntry:
    """Add one entry; `via` names the actor when there is no user (e.g. "command line")."""
    user_id = actor.pk if actor is not None and actor.is_authenticated else None
    return AuditEntry.objects.create(
        organisation=organisation,
        at=timezone.now(),
        actor_id=user_id,
        actor_name=actor_name(actor, via),
        verb=verb,
        object_type=object_type,
        object_key=object_key,
        object_label=label,
        before=before,
        after=after,
        note=note,
    )


@dataclass(frozen=True)
class FieldChange:
    path: str  # e.g. "rto[0].duration"
    before: Any
    after: Any


_MISSING = object()


def changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    """The leaf values that differ between two JSON values, as dotted paths, in a stable order."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[FieldChange] = []
        for key in [*before, *(k for k in after if k not in before)]:
            found += changes(before.get(key, _MISSING), after.get(key, _MISSING), f"{path}.{key}" if path else key)
        return found
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        found = []
        for index, (old, new) in enumerate(zip(before, after, strict=True)):
            found += changes(old, new, f"{path}[{index}]")
        return found
    if before == after:
        return []
    return [
        FieldChange(path or "(whole)", None if before is _MISSING else before, None if after is _MISSING else after)
    ]
