"""Who a call tree reaches and how (pure: a plan document and a moment in, recipients out).

An audience entry naming a person is that person; a role is its contact for the time of day (the
person it names, or its own numbers and e-mail); a supplier is its helpdesk; a list is each of its
entries in turn; `members: <role>` is each member of the role. A recipient is tried on the call
tree's channels in order, skipping those it has no address for (a person the plan gives no e-mail
is e-mailed at their linked member's address); one with no digital address but a
number gets the manual channel, a telephone call for someone to make.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from contingency.plans.guidance import Callee, Resolver
from contingency.plans.spec import PlanDocument
from contingency.plans.spec.calltree import AudienceEntry, CallTree, Channel
from contingency.plans.spec.directory import Person, Role


@dataclass(frozen=True)
class Recipient:
    key: str
    name: str
    detail: str = ""
    addresses: dict[str, Any] = field(default_factory=dict)
    channels: tuple[str, ...] = ()
    deputy: str | None = None  # the key of the person to try when this one does not acknowledge

    @property
    def reachable(self) -> bool:
        return bool(self.channels)


def _numbers(callee: Callee) -> list[dict[str, str]]:
    return [{"kind": n.kind, "number": n.number, "note": n.note or ""} for n in callee.numbers]


class Audience:
    """Expands a call tree's entries against one plan at one time of day."""

    def __init__(self, document: PlanDocument, resolver: Resolver, members: Mapping[str, str] | None = None) -> None:
        self.document = document
        self.resolver = resolver
        # Person key -> the linked member's e-mail: a person the plan gives no e-mail is still reached.
        self.members = members or {}

    def recipients(self, tree: CallTree, entries: list[AudienceEntry] | None = None) -> list[Recipient]:
        """Each recipient once, in audience order."""
        seen: set[str] = set()
        found: list[Recipient] = []
        for entry in tree.audience if entries is None else entries:
            for recipient in self._expand(entry, tree, frozenset()):
                if recipient.key not in seen:
                    seen.add(recipient.key)
                    found.append(recipient)
        return found

    def one(self, key: str, tree: CallTree) -> Recipient | None:
        return next(iter(self._expand(AudienceEntry(to=key), tree, frozenset())), None)

    def _expand(self, entry: AudienceEntry, tree: CallTree, seen: frozenset[str]) -> Iterator[Recipient]:
        ids = self.resolver.ids
        if entry.members is not None:
            role = ids[entry.members].item if entry.members in ids else None
            if isinstance(role, Role):
                for member in role.members:
                    yield from self._expand(AudienceEntry(to=member), tree, seen)
            return
        key = entry.to
        assert key is not None
        found = ids.get(key)
        if found is None or key in seen:
            return
        if found.kind == "list":
            for member in found.item.members:
                yield from self._expand(AudienceEntry(to=member), tree, seen | {key})
            return
        callee = self.resolver.callee(key)
        if callee is None:
            return
        person = self._person_behind(found.item)
        email = callee.email or (person.email if person else None) or self.members.get(person.id if person else key)
        addresses: dict[str, Any] = {}
        if mobile := next((n.number for n in callee.numbers if n.kind == "mobile"), None):
            addresses[Channel.SMS.value] = mobile
        if email:
            addresses[Channel.EMAIL.value] = email
        if numbers := _numbers(callee):
            addresses[Channel.PHONE.value] = numbers
        yield Recipient(
            key=key,
            name=callee.name,
            detail=callee.detail or "",
            addresses=addresses,
            channels=channels_for(tree, addresses),
            deputy=person.deputy if person else None,
        )

    def _person_behind(self, item: object) -> Person | None:
        """The person an entry is: the person itself, or the one a role's contact names now."""
        if isinstance(item, Person):
            return item
        if isinstance(item, Role):
            contact = item.in_hours if self.resolver.in_hours else item.out_of_hours
            contact = contact or item.out_of_hours or item.in_hours
            if contact is not None and contact.person and (entry := self.resolver.ids.get(contact.person)):
                return entry.item if isinstance(entry.item, Person) else None
        return None


def channels_for(tree: CallTree, addresses: dict[str, Any]) -> tuple[str, ...]:
    """The tree's channels this recipient has an address for, in order; the manual call when no other."""
    usable = tuple(c.value for c in tree.channels if c.value in addresses)
    if not usable and Channel.PHONE.value in addresses:
        return (Channel.PHONE.value,)
    return usable


def call_tree(document: PlanDocument, key: str | None) -> CallTree | None:
    return next((t for t in document.call_trees if t.id == key), None) if key else None
