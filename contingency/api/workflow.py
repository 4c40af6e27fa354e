"""Document control over the API: submit (needs edit), approve, return to draft and issue (need approve).

The steps are plans.workflow's, so the rules (one person cannot submit and approve, an issue must
be valid, a plan the linter finds errors in needs a reason to be approved or issued) and the audit
entries are the same as on the pages; a step the plan's status does not allow is 409 with the
reason, a missing reason 422 at `reason` (a WorkflowError, answered by api/errors.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from contingency.core.permissions import Capability
from contingency.plans import workflow
from contingency.plans.models import Plan

from . import schemas as s
from .access import plan_for
from .auth import caller
from .plans import DENIED, PLAN

router = Router(by_alias=True)
STEP = {200: s.PlanState, 409: s.Error, 422: s.Invalid, **DENIED}


def state(plan: Plan) -> dict[str, Any]:
    return {"key": plan.key, "status": plan.status, "issue": plan.issue}


@router.post(PLAN + "/submit", response=STEP, url_name="plan-submit")
def submit(request: HttpRequest, org: str, plan: str, body: s.SubmitIn) -> dict[str, Any]:
    """Submit a draft for approval."""
    found = plan_for(request, org, plan, Capability.EDIT)
    workflow.submit(found, actor=caller(request), summary=body.summary, via="api")
    return state(found)


@router.post(PLAN + "/approve", response=STEP, url_name="plan-approve")
def approve(request: HttpRequest, org: str, plan: str, body: s.GoAheadIn | None = None) -> dict[str, Any]:
    """Approve a submitted plan (not one you submitted yourself); with errors found by the linter, say why."""
    found = plan_for(request, org, plan, Capability.APPROVE)
    workflow.approve(found, actor=caller(request), reason=body.reason if body else "", via="api")
    return state(found)


@router.post(PLAN + "/return", response=STEP, url_name="plan-return")
def return_to_draft(request: HttpRequest, org: str, plan: str, body: s.ReturnIn) -> dict[str, Any]:
    """Send a submitted or approved plan back to draft, saying why."""
    found = plan_for(request, org, plan, Capability.APPROVE)
    workflow.return_to_draft(found, actor=caller(request), reason=body.reason, via="api")
    return state(found)


@router.post(PLAN + "/issue", response=STEP, url_name="plan-issue")
def issue(request: HttpRequest, org: str, plan: str, body: s.GoAheadIn | None = None) -> dict[str, Any]:
    """Issue an approved plan: the next issue number, dated today, kept whole; with lint errors, say why."""
    found = plan_for(request, org, plan, Capability.APPROVE)
    workflow.issue(found, actor=caller(request), reason=body.reason if body else "", via="api")
    return state(found)
