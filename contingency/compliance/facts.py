"""The facts the status rules read, gathered for one organisation in a fixed number of queries.

Whatever the number of plans, incidents or years of records, this issues the same dozen queries,
each reading only the columns the rules need (counts are counted by the database), so the
compliance page stays fast for a large organisation (benchmarks/compliance.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, QuerySet

from contingency.core.models import Organisation
from contingency.exercises.models import Exercise
from contingency.incidents.models import Incident, ReviewAction
from contingency.packs.models import DEFAULT_CONTACT_LIST_MONTHS, PrintPolicy, PrintRecord
from contingency.plans.models import ChangeRecord, CriticalFunction, Plan, PlanIssue, PlanReview, Risk
from contingency.plans.workflow import organisation_zone
from contingency.suppliers.models import Assurance
from contingency.suppliers.services import assurance_history, facts_of, plan_suppliers

from .models import ManualEvidence
from .rules import ActionFacts, ExerciseFacts, Facts, IncidentFacts, ManualFacts, PlanFacts, SupplierFacts


def _day(at: datetime | None, zone: ZoneInfo) -> date | None:
    return at.astimezone(zone).date() if at is not None else None


def _months(interval: str) -> int:
    """A plan's review interval in months ("12 months", "1 year"); 12 when it says otherwise."""
    parts = interval.split()
    if len(parts) == 2 and parts[0].isdigit():
        number, unit = int(parts[0]), parts[1].rstrip("s")
        if unit == "month":
            return max(1, number)
        if unit == "year":
            return max(1, number * 12)
    return 12


def _counts(rows: QuerySet[Any, dict[str, Any]]) -> dict[int, int]:
    return {row["plan_id"]: row["n"] for row in rows}


def gather(organisation: Organisation) -> Facts:
    zone = organisation_zone(organisation)
    plans = list(
        Plan.objects.filter(organisation=organisation)
        .order_by("title", "key")
        .values(
            "id", "key", "title", "created_at", "issue", "review_date", "review_interval", "number", "approval_date"
        )
    )
    in_org = {"plan__organisation": organisation}
    issues: dict[int, list[tuple[int, date]]] = defaultdict(list)
    for plan_id, issue, issue_date in PlanIssue.objects.filter(**in_org).values_list("plan_id", "issue", "issue_date"):
        issues[plan_id].append((issue, issue_date))
    reviews: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for plan_id, at, next_date in PlanReview.objects.filter(**in_org).values_list(
        "plan_id", "reviewed_at", "next_review_date"
    ):
        reviews[plan_id].append((at.astimezone(zone).date(), next_date))
    bia = _counts(
        CriticalFunction.objects.filter(**in_org).exclude(impact=[]).values("plan_id").annotate(n=Count("id"))
    )
    functions = _counts(CriticalFunction.objects.filter(**in_org).values("plan_id").annotate(n=Count("id")))
    risks = _counts(
        Risk.objects.filter(**in_org, likelihood__isnull=False, consequence__isnull=False)
        .values("plan_id")
        .annotate(n=Count("id"))
    )
    changes = _counts(
        ChangeRecord.objects.filter(**in_org, issue=F("plan__issue")).values("plan_id").annotate(n=Count("id"))
    )
    printed: dict[int, set[date]] = defaultdict(set)
    for plan_id, built_at in PrintRecord.objects.filter(organisation=organisation, plan__isnull=False).values_list(
        "plan_id", "built_at"
    ):
        printed[plan_id].add(built_at.astimezone(zone).date())
    plan_facts = tuple(
        PlanFacts(
            key=p["key"],
            title=p["title"],
            created_on=min([p["created_at"].astimezone(zone).date(), *(d for _, d in issues[p["id"]])]),
            issues=tuple(issues[p["id"]]),
            reviews=tuple(reviews[p["id"]]),
            current_issue=p["issue"],
            review_date=p["review_date"],
            review_months=_months(p["review_interval"]),
            bia_functions=bia.get(p["id"], 0),
            functions=functions.get(p["id"], 0),
            scored_risks=risks.get(p["id"], 0),
            number=p["number"] or "",
            approval_date=p["approval_date"],
            changes_of_current_issue=changes.get(p["id"], 0),
            printed=tuple(sorted(printed[p["id"]])),
        )
        for p in plans
    )
    actions: dict[int, list[ActionFacts]] = defaultdict(list)
    for incident_id, due_on, done_at, text in ReviewAction.objects.filter(
        review__incident__organisation=organisation
    ).values_list("review__incident_id", "due_on", "done_at", "text"):
        actions[incident_id].append(ActionFacts(due_on, _day(done_at, zone), text[:200]))
    incidents = tuple(
        IncidentFacts(
            number=row["number"],
            title=row["title"],
            invoked_on=_day(row["invoked_at"], zone),
            closed_on=_day(row["stood_down_at"] or row["restored_at"], zone),
            review_completed_on=_day(row["review__completed_at"], zone),
            actions=tuple(actions[row["id"]]),
        )
        # An exercise's incident is not a real activation: it does not count as the live exercise.
        for row in Incident.objects.filter(organisation=organisation, invoked_at__isnull=False, exercise__isnull=True)
        .order_by("number")
        .values("id", "number", "title", "invoked_at", "stood_down_at", "restored_at", "review__completed_at")
    )
    manual = tuple(
        ManualFacts(
            pk=row["id"],
            requirement_urn=row["requirement_urn"],
            title=row["title"],
            attested_by=row["attested_by_name"],
            attested_on=row["attested_on"],
            expires_on=row["expires_on"],
            file_name=row["file_name"],
        )
        for row in ManualEvidence.objects.filter(organisation=organisation).values(
            "id", "requirement_urn", "title", "attested_by_name", "attested_on", "expires_on", "file_name"
        )
    )
    exercises = tuple(
        ExerciseFacts(number, title, kind, _day(finished, zone) or date.min)
        for number, title, kind, finished in Exercise.objects.filter(
            organisation=organisation, finished_at__isnull=False
        )
        .order_by("number")
        .values_list("number", "plan_title", "kind", "finished_at")
    )
    policy = PrintPolicy.objects.filter(organisation=organisation).values_list("contact_list_months", flat=True).first()
    held = {row.supplier_key: row for row in Assurance.objects.filter(organisation=organisation)}
    history = assurance_history(organisation)
    suppliers = tuple(
        SupplierFacts(key, name, facts_of(held.get(key)), history.get(key))
        for key, (name, _) in plan_suppliers(organisation).items()
    )
    return Facts(
        plan_facts, incidents, manual, policy or DEFAULT_CONTACT_LIST_MONTHS, suppliers=suppliers, exercises=exercises
    )
