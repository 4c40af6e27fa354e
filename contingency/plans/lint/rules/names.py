"""Names: one supplier, system, team or person called one thing throughout the plan."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations

from ...problems import Path
from ..engine import Context, Severity, rule
from ._prose import all_prose
from .contacts import _GENERIC, SUFFIXES, _core, _texts, supplier_name

Found = Iterator[tuple[Path, str]]


@dataclass(frozen=True)
class _Named:
    key: str
    kind: str
    names: tuple[str, ...]  # the directory name first, then aliases


def _named(ctx: Context) -> list[_Named]:
    plan = ctx.plan
    found = [_Named(s.id, "system", (s.name,)) for s in plan.systems]
    found += [_Named(s.id, "supplier", (s.name, *s.aliases)) for s in plan.suppliers]
    # Teams are named with common words ("Emergency department"); CON005 checks the roles steps name.
    return found


def _brand(name: str) -> str | None:
    """The first distinctive word a writer would keep when shortening the name (a capitalised,
    non-generic word of three letters or more)."""
    words: list[str] = re.findall(r"[A-Za-z0-9][\w'-]*", _LEGAL_TAIL.sub("", name))
    for word in words:
        common = word.lower() in _GENERIC | _COMMON
        if len(word) > 2 and not common and (word[0].isupper() or word[0].isdigit()):
            return word
    return None


_COMMON = {
    "office", "hosted", "emergency", "urgent", "information", "site", "modality", "main", "central", "local",
    "national", "regional", "community", "mobile", "web", "online", "network", "home", "new", "old", "general",
    "patient", "patients", "staff", "out", "duty", "on-call", "senior", "head", "chief",
}  # fmt: skip
_LEGAL_TAIL = re.compile(r"\b(ltd|limited|plc|llp|inc)\.?\s*$", re.I)


def _mentions(text: str, brand: str) -> Iterator[str]:
    """Each proper-noun phrase in the text that starts with the brand: the brand and the capitalised
    words that follow it ("Meridian Medical Systems")."""
    for match in re.finditer(rf"\b{re.escape(brand)}\b((?:\s+[A-Z][\w&'-]*)*)", text):
        yield match.group(0)


@rule("NAM001", "called-by-another-name", Severity.WARNING, "A supplier or system is called by another name")
def another_name(ctx: Context) -> Found:
    """A plan that calls its laboratory system "WinPath Enterprise" in the directory and "WinPath
    Labs" in a procedure, or its supplier "Northgate Couriers" in one place and "Northgate
    Logistics" in a table, leaves the reader unsure whether they are one thing or two, and sends the
    person on shift looking for a directory entry that is not there. The rule looks for the
    distinctive word of each supplier, system and team followed by other capitalised words that
    make a different name. Use one name, or record the other as an alias of the supplier.
    (Suppliers in steps, checks, actions and responses are reported by CON004.)"""
    entities = _named(ctx)
    all_names = [_core(n) for e in entities for n in e.names]
    all_names += [_core(x.name) for x in ctx.plan.sites]
    all_names += [_core(x.name) for x in ctx.plan.people] + [_core(x.name) for x in ctx.plan.roles]
    supplier_paths = {path for path, _ in _texts(ctx)}
    prose = list(all_prose(ctx))
    supplier_brands = {_brand(e.names[0]) for e in entities if e.kind == "supplier"}
    told = {path for path, _ in supplier_name(ctx)}  # what CON004 reports
    reported: set[Path] = set()
    for entity in entities:
        brand = _brand(entity.names[0])
        if brand is None:
            continue
        # A system that shares its brand with a supplier ("Meridian PACS", "Meridian Imaging Systems Ltd"):
        # where CON004 already reports the phrase, its finding speaks for both.
        skip = supplier_paths if entity.kind == "supplier" else told if brand in supplier_brands else set()
        own_words = {w for n in entity.names for w in re.findall(r"[a-z0-9][\w'-]*", n.lower())}
        # Other entries' names that start with the same word ("WinPath Labs Link" beside "WinPath Enterprise").
        own = {_core(x) for x in entity.names}
        others = [n for n in all_names if n.split()[:1] == [brand.lower()] and len(n.split()) > 1 and n not in own]
        for path, text in prose:
            if path in skip or path in reported:
                continue
            lowered = " ".join(text.lower().split())
            if any(re.search(rf"\b{re.escape(n)}\b", lowered) for n in own if n != brand.lower()):
                continue  # the full name is there (the brand alone is checked phrase by phrase below)
            for phrase in _mentions(text, brand):
                said = " ".join(phrase.lower().split())
                if any(said.startswith(o) or o.startswith(said) for o in others):
                    continue
                extra = [w for w in phrase.split()[1:] if w.lower() not in own_words | SUFFIXES]
                if extra:
                    reported.add(path)
                    yield path, f"says {phrase!r}, but the directory names this {entity.kind} {entity.names[0]!r}"
                    break


_TITLES = {"dr", "mr", "mrs", "ms", "miss", "mx", "prof", "professor", "sir", "dame"}
_FILLER = {"the", "ltd", "limited", "plc", "llp", "inc", "team", "dept", "department", "service", "services", "&", "and"}  # fmt: skip


def _entry_words(name: str) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[a-z0-9&]+", name.lower()) if w not in _FILLER)


def _person_key(name: str) -> tuple[str, str]:
    """(first initial, surname) of a person's name, titles dropped."""
    words = [w for w in re.findall(r"[a-z][a-z'-]*", name.lower()) if w not in _TITLES]
    return (words[0][0], words[-1]) if len(words) >= 2 else ("", words[0] if words else "")


@rule("NAM002", "listed-twice", Severity.WARNING, "The same supplier, system, team or person is listed twice")
def listed_twice(ctx: Context) -> Found:
    """Two directory entries with the same name under different spellings ("Acme Couriers Ltd" and
    "ACME Couriers", "Dr J Patel" and "Jaya Patel") split the numbers and duties of one party
    between two entries: one of them is updated at review, the other goes stale. Merge them."""
    groups: list[list[tuple[str, str]]] = [
        [(s.id, s.name) for s in ctx.plan.suppliers],
        [(s.id, s.name) for s in ctx.plan.systems],
        [(r.id, r.name) for r in ctx.plan.roles],
    ]
    for entries in groups:
        for (_, name_a), (b, name_b) in combinations(entries, 2):
            if _entry_words(name_a) and _entry_words(name_a) == _entry_words(name_b):
                yield ctx.ids[b].path, f"{name_b!r} looks like the same entry as {name_a!r}"
    for first, second in combinations(ctx.plan.people, 2):
        same_name = _person_key(first.name) == _person_key(second.name) and _person_key(first.name)[0]
        numbers = {p.number.replace(" ", "") for p in first.phones} & {p.number.replace(" ", "") for p in second.phones}
        if same_name and (numbers or not first.phones or not second.phones or _full(first.name) == _full(second.name)):
            yield ctx.ids[second.id].path, f"{second.name!r} looks like the same person as {first.name!r}"


def _full(name: str) -> str:
    return " ".join(w for w in re.findall(r"[a-z][a-z'-]*", name.lower()) if w not in _TITLES)
