"""Small valid plans for tests: start from `minimal_plan()` and change what the test is about."""

from __future__ import annotations

import copy
from typing import Any

from contingency.plans.spec import PlanDocument
from contingency.plans.validate import validate_data

_MINIMAL: dict[str, Any] = {
    "apiVersion": "contingency/v1",
    "kind": "Plan",
    "id": "test-plan",
    "title": "Test plan",
    "organisation": {"id": "test-org", "name": "Test organisation"},
    "document": {
        "number": "TP-001",
        "issue": 1,
        "issueDate": "2026-01-05",
        "reviewDate": "2027-01-05",
        "owner": "owner",
        "approvingBody": "Governance group",
        "approvedBy": "owner",
        "approvalDate": "2026-01-04",
        "changes": [{"issue": 1, "date": "2026-01-05", "summary": "First issue"}],
        "holders": [{"copy": 1, "holder": "deputy", "acknowledgedIssue": 1}],
    },
    "people": [
        {
            "id": "owner",
            "name": "Olive Owner",
            "phones": [{"kind": "mobile", "number": "07700 900001"}],
            "email": "olive.owner@example.org",
        },
        {
            "id": "deputy",
            "name": "Dev Deputy",
            "phones": [{"kind": "mobile", "number": "07700 900002"}],
            "email": "dev.deputy@example.org",
        },
    ],
    "functions": [
        {
            "id": "imaging",
            "name": "Imaging",
            "owner": "owner",
            "deputy": "deputy",
            "rto": [{"scenario": "Any failure", "duration": "4h"}],
            "impact": [{"after": "0h", "level": "medium"}, {"after": "1 day", "level": "high"}],
            "rpo": "1h",
            "mtpd": "2 days",
            "dataRecovery": {"method": "Re-send images from the modalities", "nothingByHand": True},
            "procedures": ["respond"],
        }
    ],
    "procedures": [
        {
            "id": "respond",
            "title": "Respond",
            "appliesTo": ["imaging"],
            "confirm": [{"check": "Images fail to load on several PCs"}],
            "steps": [
                {"text": "Ring the owner", "kind": "call", "who": "owner"},
            ],
        },
        {
            "id": "restore",
            "title": "Restore",
            "phase": "restoration",
            "steps": [{"text": "Check every image reached the archive", "kind": "check", "who": "deputy"}],
        },
    ],
    "triggers": [
        {
            "id": "tp1",
            "name": "Information-gathering meeting",
            "kind": "at-invocation",
            "chair": "owner",
            "attendees": ["deputy"],
            "actions": ["Agree the impact"],
        }
    ],
    "monitoring": [{"activity": "Table-top exercise of this plan", "every": "12 months"}],
}


def minimal_plan(**changes: Any) -> dict[str, Any]:
    """A deep copy of a small valid plan as YAML-shaped data, with top-level keys replaced."""
    data = copy.deepcopy(_MINIMAL)
    data.update(copy.deepcopy(changes))
    return data


def build(data: dict[str, Any] | None = None) -> PlanDocument:
    """Validate YAML-shaped plan data (a minimal plan by default) into a PlanDocument."""
    return validate_data(data if data is not None else minimal_plan())
