"""The server's side of a laptop copy: what the feed lists and the issued plan it hands out.

A laptop copies issued plans only: each plan's latest issue, exactly as it was issued (the kept
PlanIssue text), never a draft in progress. Reads only; the API signs what these return.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from contingency.core.models import Organisation
from contingency.plans.models import PlanIssue
from contingency.plans.store import organisation_document
from contingency.plans.yamlform import part_to_data

from . import wire


@dataclass(frozen=True)
class IssuedPlan:
    key: str
    title: str
    issue: int
    issue_date: date
    issued_at: datetime
    summary: str
    sha256: str
    text: str

    def entry(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "issue": self.issue,
            "issueDate": self.issue_date.isoformat(),
            "issuedAt": self.issued_at.isoformat(),
            "summary": self.summary,
            "sha256": self.sha256,
        }


def issued_plans(organisation: Organisation) -> list[IssuedPlan]:
    """The latest issue of each of the organisation's plans that has been issued, by plan key."""
    rows = PlanIssue.objects.filter(plan__organisation=organisation, plan__mirrored_from="")
    latest: dict[int, int] = {}
    for pk, plan_id in rows.order_by("plan_id", "-issue").values_list("pk", "plan_id"):
        latest.setdefault(plan_id, pk)
    found = PlanIssue.objects.filter(pk__in=latest.values()).select_related("plan")
    return sorted(
        (
            IssuedPlan(
                row.plan.key,
                row.plan.title,
                row.issue,
                row.issue_date,
                row.issued_at,
                row.summary,
                wire.sha256_text(row.text),
                row.text,
            )
            for row in found
        ),
        key=lambda item: item.key,
    )


def feed_payload(organisation: Organisation, *, since: str, nonce: str, now: datetime) -> dict[str, Any]:
    """The feed: every issued plan's version, or none when the laptop's cursor says it has them all."""
    plans = issued_plans(organisation)
    cursor = wire.cursor_of((p.key, p.issue, p.sha256) for p in plans)
    changed = since != cursor
    return {
        "kind": wire.FEED,
        "organisation": part_to_data(organisation_document(organisation)),
        "nonce": nonce,
        "generatedAt": now.isoformat(),
        "cursor": cursor,
        "changed": changed,
        "plans": [p.entry() for p in plans] if changed else [],
    }


def plan_payload(organisation: Organisation, key: str, issue: int, *, nonce: str, now: datetime) -> dict[str, Any]:
    """One issue of one plan as issued; LookupError when the organisation has no such issue."""
    row = (
        PlanIssue.objects.filter(plan__organisation=organisation, plan__key=key, issue=issue, plan__mirrored_from="")
        .select_related("plan")
        .first()
    )
    if row is None:
        raise LookupError(f"There is no issue {issue} of a plan {key!r} in {organisation.name}.")
    item = IssuedPlan(
        key, row.plan.title, row.issue, row.issue_date, row.issued_at, row.summary, wire.sha256_text(row.text), row.text
    )
    return {
        "kind": wire.PLAN,
        "organisation": organisation.slug,
        "nonce": nonce,
        "generatedAt": now.isoformat(),
        **item.entry(),
        "text": item.text,
    }


def organisations_payload(organisations: list[Organisation], *, nonce: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": wire.ORGANISATIONS,
        "nonce": nonce,
        "generatedAt": now.isoformat(),
        "organisations": [{"slug": o.slug, "name": o.name} for o in organisations],
    }
