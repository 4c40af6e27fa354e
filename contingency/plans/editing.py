"""Changing a plan's working copy: a whole new document, one part, or a part deleted.

Every edit goes through the same steps, so the web forms, YAML upload and the JSON API
behave alike: build the whole plan data with the change, validate it exactly as a plan file
is validated (same messages), import it (all or nothing), return an issued or submitted plan
to draft, and write one audit entry per part that changed, all in one transaction.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from contingency.core import audit
from contingency.core.models import Organisation

from .compare import COLLECTION_KEYS, HEADER_FIELDS, SECTION_NAMES, PartChange, item_key, part_changes
from .models import Plan, PlanStatus
from .problems import Path, PlanInvalid, Problem, format_path
from .spec import PlanDocument
from .store import export_plan, import_plan
from .validate import validate_data
from .yamlform import document_to_data

Actor = AbstractBaseUser | AnonymousUser | None
SECTIONS = ("header", "organisation", "document", "riskMatrix", *COLLECTION_KEYS)


def plan_data(plan: Plan) -> dict[str, Any]:
    """The working copy as canonical plan data (what a plan file would hold)."""
    return document_to_data(export_plan(plan))


def find_item(data: dict[str, Any], section: str, key: str) -> tuple[int, Any] | None:
    """The index and data of one item of a collection, by its key."""
    for index, item in enumerate(data.get(section, [])):
        if item_key(section, item, index) == key:
            return index, item
    return None


def part_of(data: dict[str, Any], section: str, key: str | None = None) -> Any:
    """One part's data: an item of a collection by key, or a single section; None if absent."""
    if section == "header":
        return {name: data[name] for name in HEADER_FIELDS if name in data}
    if section in COLLECTION_KEYS:
        found = find_item(data, section, key or "")
        return found[1] if found else None
    return data.get(section)


def save_document(
    document: PlanDocument,
    *,
    organisation: Organisation,
    actor: Actor,
    via: str = "web",
    source: str | None = None,
    plan: Plan | None = None,
    current: dict[str, Any] | None = None,
) -> Plan:
    """Make `document` the working copy of its plan (new or existing) in `organisation`.

    `current` is the plan's data as the caller already read it inside this transaction.
    """
    if document.organisation.id != organisation.slug:
        message = f"this plan belongs to organisation {document.organisation.id!r}, not {organisation.slug!r}"
        raise PlanInvalid([Problem("edit.organisation", message, ("organisation", "id"), source)])
    if plan is not None and document.id != plan.key:
        message = f"the plan id is {plan.key!r}; a plan's id cannot be changed by an edit"
        raise PlanInvalid([Problem("edit.plan-id", message, ("id",), source)])
    with transaction.atomic():
        plan = plan or Plan.objects.filter(organisation=organisation, key=document.id).first()
        if plan is not None and plan.read_only_reason:
            raise PlanInvalid([Problem("edit.mirrored", plan.read_only_reason, (), source)])
        old = current if current is not None else plan_data(plan) if plan else {}
        new = document_to_data(document)
        changes = part_changes(old, new)
        if plan is not None and not changes:
            return plan
        saved = import_plan(document, source=source or (plan.source if plan else None))
        if plan is None:
            audit.record(
                organisation=organisation,
                actor=actor,
                verb=audit.Verb.CREATE,
                object_type="plan",
                object_key=saved.key,
                label=saved.title,
                after={"status": saved.status},
                via=via,
            )
        else:
            reopen_as_draft(saved, actor=actor, via=via)
        audit_changes(saved, changes, actor=actor, via=via)
        return saved


def audit_changes(plan: Plan, changes: list[PartChange], *, actor: Actor, via: str) -> None:
    """One audit entry per part created, changed or deleted (call inside the change's transaction)."""
    for change in changes:
        audit.record(
            organisation=plan.organisation,
            actor=actor,
            verb=change.verb,
            object_type=change.section,
            object_key=f"{plan.key}/{change.section}/{change.key}",
            label=change.label,
            before=change.before,
            after=change.after,
            via=via,
        )


def reopen_as_draft(plan: Plan, *, actor: Actor, via: str) -> None:
    """An edit to an issued, submitted or approved plan starts (or returns to) a draft."""
    if plan.status == PlanStatus.DRAFT:
        return
    before = {"status": plan.status}
    plan.status = PlanStatus.DRAFT
    plan.submitted_by = plan.submitted_at = plan.approved_by_user = plan.approved_at = None
    plan.save(update_fields=["status", "submitted_by", "submitted_at", "approved_by_user", "approved_at"])
    audit.record(
        organisation=plan.organisation,
        actor=actor,
        verb="status",
        object_type="plan",
        object_key=plan.key,
        label=plan.title,
        before=before,
        after={"status": plan.status},
        note="edited, so a new draft",
        via=via,
    )


def save_part(plan: Plan, *, section: str, key: str | None, data: Any, actor: Actor, via: str = "web") -> Plan:
    """Create (key None) or replace one part; PlanInvalid paths are relative to the part where they can be."""
    if section not in SECTIONS:
        raise ValueError(f"unknown section {section!r}")
    with transaction.atomic():
        return _save_part(_locked(plan), section, key, data, actor, via)


def _save_part(plan: Plan, section: str, key: str | None, data: Any, actor: Actor, via: str) -> Plan:
    current = plan_data(plan)
    new = copy.deepcopy(current)
    prefix: Path
    if section == "header":
        if not isinstance(data, dict):
            raise PlanInvalid([Problem("edit.not-a-mapping", "expected a mapping of fields", ())])
        for name in HEADER_FIELDS:
            new.pop(name, None)
        header = {name: data[name] for name in HEADER_FIELDS if name in data}
        new = {"apiVersion": new["apiVersion"], "kind": new["kind"], **header, **new}
        prefix = ()
    elif section in COLLECTION_KEYS:
        items = new.setdefault(section, [])
        found = find_item(current, section, key) if key is not None else None
        if key is not None and found is None:
            raise LookupError(f"{SECTION_NAMES[section]} {key!r} is not in plan {plan.key!r}")
        index = found[0] if found else len(items)
        if found:
            items[index] = data
        else:
            items.append(data)
        prefix = (section, index)
    else:
        new[section] = data
        prefix = (section,)
    try:
        document = validate_data(new)
        return save_document(document, organisation=plan.organisation, actor=actor, via=via, plan=plan, current=current)
    except PlanInvalid as invalid:
        raise PlanInvalid([_relative(problem, section, prefix) for problem in invalid.problems]) from None


def delete_part(plan: Plan, *, section: str, key: str, actor: Actor, via: str = "web") -> Plan:
    """Delete one item of a collection; refused (PlanInvalid) while other parts still name it."""
    if section not in COLLECTION_KEYS:
        raise ValueError(f"{section!r} is not a collection of parts")
    with transaction.atomic():
        plan = _locked(plan)
        current = plan_data(plan)
        return _delete_part(plan, section, key, current, actor, via)


def _delete_part(plan: Plan, section: str, key: str, current: dict[str, Any], actor: Actor, via: str) -> Plan:
    new = copy.deepcopy(current)
    found = find_item(new, section, key)
    if found is None:
        raise LookupError(f"{SECTION_NAMES[section]} {key!r} is not in plan {plan.key!r}")
    del new[section][found[0]]
    if not new[section]:
        del new[section]
    try:
        document = validate_data(new)
    except PlanInvalid as invalid:
        raise PlanInvalid([_relative(problem, section, ()) for problem in invalid.problems]) from None
    return save_document(document, organisation=plan.organisation, actor=actor, via=via, plan=plan, current=current)


def _locked(plan: Plan) -> Plan:
    """The plan row locked for this transaction, so two edits of one plan cannot lose each other's change."""
    return Plan.objects.select_for_update().select_related("organisation").get(pk=plan.pk)


def _relative(problem: Problem, section: str, prefix: Path) -> Problem:
    """The problem's path within the edited part, or marked `@plan` when it lies elsewhere in the plan."""
    path = problem.path
    if section == "header" and path[:1] and path[0] in HEADER_FIELDS:
        return Problem(problem.code, problem.message, path)  # the header's fields are the plan's top level
    if prefix and path[: len(prefix)] == prefix:
        return Problem(problem.code, problem.message, path[len(prefix) :])
    # A problem elsewhere in the plan (say, a reference the change broke) keeps its full path,
    # marked so a form shows it above the fields rather than beside one.
    return Problem(problem.code, problem.message, ("@plan", *path))


@dataclass
class FieldErrors:
    """Problems of one part, grouped for a form: by top-level field, and the rest."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)


def field_errors(problems: list[Problem]) -> FieldErrors:
    """Group part-relative problems by the field they belong to (`rto[0].duration` -> `rto`)."""
    grouped = FieldErrors()
    for problem in problems:
        path = problem.path
        if path and path[0] == "@plan":
            grouped.general.append(f"{format_path(path[1:])}: {problem.message}")
        elif path and isinstance(path[0], str):
            detail = format_path(path)
            message = problem.message if len(path) == 1 else f"{detail}: {problem.message}"
            grouped.fields.setdefault(path[0], []).append(message)
        else:
            grouped.general.append(problem.message)
    return grouped
