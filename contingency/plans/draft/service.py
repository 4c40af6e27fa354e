"""Starting a draft plan in an organisation from an uploaded Word document: one transaction, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from contingency.core import audit
from contingency.core.models import Organisation

from ..editing import Actor, save_document
from ..models import Plan
from ..spec import PlanDocument
from .mapping import Draft, map_source
from .settle import settle
from .word import read_docx

AUDIT_VERB = "draft-from-word"


@dataclass(frozen=True)
class Started:
    plan: Plan
    document: PlanDocument
    draft: Draft


def free_key(organisation: Organisation, wanted: str) -> str:
    """`wanted`, or `wanted-draft`, `wanted-draft-2`...: a draft never replaces a plan already there."""
    taken = set(Plan.objects.filter(organisation=organisation, key__startswith=wanted).values_list("key", flat=True))
    candidate, n = wanted, 1
    while candidate in taken:
        candidate = f"{wanted}-draft" if n == 1 else f"{wanted}-draft-{n}"
        n += 1
    return candidate


def start_draft(
    *, organisation: Organisation, raw: bytes, name: str, actor: Actor, today: date, via: str = "web"
) -> Started:
    """A new draft plan from a .docx; DocumentRefused (nothing changed) when the file cannot be read."""
    source = read_docx(raw, name)  # outside the transaction: reading may take a moment and touches no row
    draft = map_source(source, organisation_id=organisation.slug, organisation_name=organisation.name, today=today)
    with transaction.atomic():
        draft.data["id"] = free_key(organisation, str(draft.data["id"]))
        document = settle(draft, file=name)
        plan = save_document(document, organisation=organisation, actor=actor, via=via, source=name)
        audit.record(
            organisation=organisation,
            actor=actor,
            verb=AUDIT_VERB,
            object_type="plan",
            object_key=plan.key,
            label=plan.title,
            after={
                "source": name,
                "placed": dict(draft.placed),
                "filledIn": [str(filled) for filled in draft.filled],
                "keptAsText": [str(leftover) for leftover in draft.leftovers],
            },
            note=f"started from the Word document {name}",
            via=via,
        )
    return Started(plan, document, draft)
