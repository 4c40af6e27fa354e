"""Compliance services: the frameworks an organisation has, each requirement's status on a date, recording
manual evidence and importing a framework library. Writes are keyword-only, one transaction, audited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from contingency.core import audit
from contingency.core.errors import Kind, Refused
from contingency.core.models import Organisation
from contingency.plans.workflow import add_months

from . import files, library, rules
from .facts import gather
from .library import Framework, LibraryInvalid, Requirement
from .models import EvidenceFile, ImportedLibrary, ManualEvidence

Actor = AbstractBaseUser | AnonymousUser | None
MAX_TITLE = 200
MAX_NOTE = 4000
MAX_YEARS = 10  # manual evidence expires at most this long after it was attested
RESERVED_KEYS = frozenset({"pack", "import", "evidence"})  # page addresses beside compliance/<framework>/


class ComplianceRefused(Refused):
    code = "compliance.refused"


# ------------------------------------------------------------------------------------------ reading


# Imported libraries as read, by row, import time and text: a re-import changes them, so a stale entry is never used.
_PARSED: dict[tuple[int, str, int], Framework] = {}
_PARSED_LIMIT = 64


def _parsed(row: ImportedLibrary) -> Framework:
    key = (row.pk, row.imported_at.isoformat(), hash(row.text))
    found = _PARSED.get(key)
    if found is None:
        found = library.parse(row.text, f"{row.key}.yaml")
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = found
    return found


def frameworks(organisation: Organisation) -> list[Framework]:
    """The shipped frameworks, then those the organisation imported (each read from the text it accepted)."""
    found = list(library.builtin())
    for row in ImportedLibrary.objects.filter(organisation=organisation).order_by("name"):
        found.append(_parsed(row))
    return found


def framework(organisation: Organisation, key: str) -> Framework:
    for item in frameworks(organisation):
        if item.key == key:
            return item
    raise ComplianceRefused(f"No framework {key!r} here.", kind=Kind.NOT_FOUND)


@dataclass(frozen=True)
class Assessment:
    """A framework's requirements and their statuses on one date."""

    framework: Framework
    on: date
    rows: tuple[tuple[Requirement, rules.RequirementStatus | None], ...]  # None: a heading
    tally: rules.Tally


def assess(
    framework: Framework, facts: rules.Facts, on: date, cache: dict[rules.Rule, rules.RuleResult | None] | None = None
) -> Assessment:
    """Every requirement's status on `on` (pure, given the facts); `cache` shares rule results between
    frameworks assessed on the same facts and date."""
    tally = rules.Tally()
    cache = {} if cache is None else cache
    rows: list[tuple[Requirement, rules.RequirementStatus | None]] = []
    for requirement in framework.requirements:
        if not requirement.assessable:
            rows.append((requirement, None))
            continue
        status = rules.evaluate(requirement.urn, requirement.rules, facts, on, cache)
        tally.add(status)
        rows.append((requirement, status))
    return Assessment(framework, on, tuple(rows), tally)


def assess_all(organisation: Organisation, on: date) -> list[Assessment]:
    facts = gather(organisation)
    cache: dict[rules.Rule, rules.RuleResult | None] = {}
    return [assess(item, facts, on, cache) for item in frameworks(organisation)]


# ------------------------------------------------------------------------------------------ writing


def record_evidence(
    *,
    organisation: Organisation,
    framework_key: str,
    requirement_urn: str,
    title: str,
    note: str,
    attested_on: date,
    expires_on: date | None,
    file_name: str,
    data: bytes,
    actor: Actor,
    via: str,
) -> ManualEvidence:
    """Keep an attested evidence file for one requirement; nothing is kept when anything is wrong."""
    item = framework(organisation, framework_key)
    requirement = item.requirement(requirement_urn)
    if requirement is None or not requirement.assessable:
        raise ComplianceRefused("Choose a requirement of this framework.", "requirement")
    title = title.strip()
    if not title:
        raise ComplianceRefused("Say what the evidence is.", "title")
    if len(title) > MAX_TITLE:
        raise ComplianceRefused(f"The title may have at most {MAX_TITLE} characters.", "title")
    if len(note) > MAX_NOTE:
        raise ComplianceRefused(f"The note may have at most {MAX_NOTE} characters.", "note")
    today = timezone.localdate()
    if attested_on > today:
        raise ComplianceRefused("Evidence cannot be attested on a day still to come.", "attested_on")
    if expires_on is None:
        expires_on = add_months(attested_on, rules.manual_months(requirement.rules))
    if expires_on <= attested_on:
        raise ComplianceRefused("The evidence must expire after the day it was attested.", "expires_on")
    if expires_on > add_months(attested_on, 12 * MAX_YEARS):
        raise ComplianceRefused(f"Evidence may count for at most {MAX_YEARS} years.", "expires_on")
    try:
        name, content_type = files.check(file_name, data)
    except files.FileRefused as refused:
        raise ComplianceRefused(str(refused), "file") from None
    with transaction.atomic():
        evidence = ManualEvidence.objects.create(
            organisation=organisation,
            framework_key=item.key,
            requirement_urn=requirement.urn,
            requirement_label=requirement.title[:500],
            title=title,
            note=note,
            attested_by=actor if actor is not None and actor.is_authenticated else None,  # type: ignore[misc]
            attested_by_name=audit.actor_name(actor, via),
            attested_on=attested_on,
            expires_on=expires_on,
            recorded_at=timezone.now(),
            file_name=name,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )
        EvidenceFile.objects.create(evidence=evidence, data=data)
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CREATE,
            object_type="compliance-evidence",
            object_key=f"{item.key}/{requirement.ref_id or requirement.urn}/{evidence.pk}",
            label=f"{requirement.title}: {title}",
            after={
                "framework": item.key,
                "requirement": requirement.urn,
                "title": title,
                "attestedOn": attested_on.isoformat(),
                "expiresOn": expires_on.isoformat(),
                "file": name,
                "size": len(data),
                "sha256": evidence.sha256,
            },
            via=via,
        )
    return evidence


def import_library(*, organisation: Organisation, text: str, file: str, actor: Actor, via: str) -> ImportedLibrary:
    """Add a framework library for the organisation, or replace its earlier import (same urn)."""
    try:
        parsed = library.parse(text, file)
    except LibraryInvalid as invalid:
        raise ComplianceRefused("; ".join(invalid.messages), "file") from None
    if parsed.key in RESERVED_KEYS:
        raise ComplianceRefused(
            f"{file}: urn: a library's urn may not end in {parsed.key!r} (a word the compliance pages use)", "file"
        )
    if any(item.urn == parsed.urn or item.key == parsed.key for item in library.builtin()):
        raise ComplianceRefused(
            f"{file}: urn: {parsed.urn} is a framework shipped with Contingency: give your library a urn of its own",
            "file",
        )
    with transaction.atomic():
        existing = ImportedLibrary.objects.select_for_update().filter(organisation=organisation, urn=parsed.urn).first()
        before = (
            {"name": existing.name, "sha256": hashlib.sha256(existing.text.encode()).hexdigest()} if existing else None
        )
        row = existing or ImportedLibrary(organisation=organisation, urn=parsed.urn)
        row.key, row.name, row.text = parsed.key, parsed.name[:500], text
        row.imported_at = timezone.now()
        row.imported_by = actor if actor is not None and actor.is_authenticated else None  # type: ignore[assignment]
        try:
            with transaction.atomic():
                row.save()
        except IntegrityError:
            raise ComplianceRefused(
                f"{file}: urn: another library here already ends in {parsed.key!r}: give this one a different urn",
                "file",
            ) from None
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=audit.Verb.CHANGE if existing else audit.Verb.CREATE,
            object_type="compliance-library",
            object_key=parsed.key,
            label=parsed.name,
            before=before,
            after={
                "name": parsed.name,
                "urn": parsed.urn,
                "requirements": len(parsed.assessable),
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
            note=f"from {file}",
            via=via,
        )
    return row
