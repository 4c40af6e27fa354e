"""Call trees: used, reaching the attendees they should, and with somewhere to go when nobody answers."""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.calltree import AudienceEntry
from ...spec.directory import ContactList, Person, Role
from ...spec.written import is_reference
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


def _used(ctx: Context) -> set[str]:
    named = {t.call_tree for t in ctx.plan.triggers if t.call_tree}
    return named | {s.call_tree for p in ctx.plan.procedures for s in p.steps if s.call_tree}


@rule("NTF001", "call-tree-unused", Severity.WARNING, "A call tree is not used by any trigger point or step")
def unused(ctx: Context) -> Found:
    """A call tree that no trigger point or inform step names is never sent: the plan's readers
    believe people will be told, and nobody is. Name it from the trigger point or step, or remove it."""
    used = _used(ctx)
    for i, tree in enumerate(ctx.plan.call_trees):
        if tree.id not in used:
            yield ("callTrees", i), f"{tree.name} is not named by any trigger point or inform step"


@rule("NTF002", "attendees-not-notified", Severity.WARNING, "A trigger point's attendees are not notified")
def attendees_not_notified(ctx: Context) -> Found:
    """In a plan that uses call trees, a trigger point with attendees but no call tree falls due
    without telling anyone: the meeting happens with whoever happens to notice."""
    if not ctx.plan.call_trees:
        return
    for i, trigger in enumerate(ctx.plan.triggers):
        if trigger.attendees and not trigger.call_tree:
            yield ("triggers", i), f"{trigger.name} has attendees but no call tree to tell them"


@rule("NTF003", "deputy-of-themself", Severity.ERROR, "A person is named as their own deputy")
def own_deputy(ctx: Context) -> Found:
    """When nobody acknowledges, a call tree tries the person's deputy; a person who deputises for
    themself is tried again instead of someone else."""
    for i, person in enumerate(ctx.plan.people):
        if person.deputy == person.id:
            yield ("people", i, "deputy"), f"{person.name} is named as their own deputy"


def _people(ctx: Context, entries: list[AudienceEntry], seen: frozenset[str] = frozenset()) -> Iterator[Person]:
    for entry in entries:
        key = entry.members or entry.to
        item = ctx.item(key) if key and key not in seen else None
        if entry.members is not None and isinstance(item, Role):
            yield from (p for m in item.members if isinstance(p := ctx.item(m), Person))
        elif isinstance(item, Person):
            yield item
        elif isinstance(item, ContactList):
            yield from _people(ctx, [AudienceEntry(to=m) for m in item.members], seen | {item.id})


@rule("NTF004", "no-fallback", Severity.WARNING, "Nobody is tried when a person in a call tree does not answer")
def no_fallback(ctx: Context) -> Found:
    """Phones are off, people are on leave: a call tree that reaches named people needs a deputy for
    each of them or an escalation audience, or the incident lead learns only later that the person
    who had to know never did."""
    for i, tree in enumerate(ctx.plan.call_trees):
        if tree.fallback.escalate_to:
            continue
        stranded = [
            p.name for p in _people(ctx, tree.audience) if not (tree.fallback.deputies and is_reference(p.deputy))
        ]
        if stranded:
            yield ("callTrees", i), f"{tree.name}: nobody is tried when {_listed(stranded)} does not acknowledge"


def _listed(names: list[str]) -> str:
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} or {unique[-1]}"
