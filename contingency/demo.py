"""Demo data: the fictional plans, issued, and one demo user for each role.

Every demo user has the password DEMO_PASSWORD; it exists only in demo mode and is printed
on start-up. Loading is idempotent and keeps what a demo user has since changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from contingency.core.models import Membership, Organisation, Role
from contingency.plans.editing import save_document
from contingency.plans.files import Loaded
from contingency.plans.models import Plan
from contingency.plans.store import import_plan
from contingency.plans.workflow import mark_issued

DEMO_PASSWORD = "contingency-demo"  # demo mode only, documented in the README
DEMO_PLANS = Path(__file__).resolve().parent.parent / "demo" / "plans"


@dataclass(frozen=True)
class DemoUser:
    username: str
    organisation: str
    roles: tuple[Role, ...]
    superuser: bool = False


DEMO_USERS = (
    DemoUser("viewer", "northwick-general", (Role.VIEWER,)),
    DemoUser("responder", "northwick-general", (Role.RESPONDER,)),
    DemoUser("editor", "northwick-general", (Role.EDITOR,)),
    DemoUser("approver", "northwick-general", (Role.APPROVER,)),
    DemoUser("administrator", "northwick-general", (Role.ADMINISTRATOR,)),
    DemoUser("clearview-editor", "clearview-eyecare", (Role.EDITOR,)),
    DemoUser("demo-admin", "*", (Role.ADMINISTRATOR,), superuser=True),
)


def load_plans(loaded: list[Loaded]) -> list[Plan]:
    """Import demo plans not yet in the database, and record them as issued."""
    plans: list[Plan] = []
    with transaction.atomic():
        for item in loaded:
            existing = Plan.objects.filter(organisation__slug=item.plan.organisation.id, key=item.plan.id).first()
            if existing:
                plans.append(existing)
                continue
            if Organisation.objects.filter(slug=item.plan.organisation.id).exists():
                organisation = Organisation.objects.get(slug=item.plan.organisation.id)
                plan = save_document(item.plan, organisation=organisation, actor=None, via="demo", source=item.file)
            else:
                plan = import_plan(item.plan, source=item.file)
            mark_issued(plan, actor=None, via="demo", summary="Demo plan as first loaded.")
            plans.append(plan)
    return plans


def create_users() -> list[DemoUser]:
    """The demo users and their memberships (every organisation for "*")."""
    user_model = get_user_model()
    with transaction.atomic():
        for demo in DEMO_USERS:
            user = user_model.objects.filter(username=demo.username).first()
            if user is None:
                email = f"{demo.username}@example.org"
                if demo.superuser:
                    user = user_model.objects.create_superuser(demo.username, email, DEMO_PASSWORD)
                else:
                    user = user_model.objects.create_user(demo.username, email, DEMO_PASSWORD)
            organisations = Organisation.objects.all()
            if demo.organisation != "*":
                organisations = organisations.filter(slug=demo.organisation)
            for organisation in organisations:
                for role in demo.roles:
                    Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return list(DEMO_USERS)


# The demo's print register: some locations hold the current issue, one an out-of-date pack, the rest none.
DEMO_PRINTS = (
    ("pacs-bcdr", 3, (1, 2), (2026, 9, 15), "Printed for the PACS office and the services manager after issue 3."),
    ("pacs-bcdr", 2, (3,), (2023, 9, 20), "The X-ray control room's grab pack, printed after issue 2."),
    ("eye-care-data", 4, (1, 2), (2026, 4, 21), "Printed for the office grab pack and the home copy."),
)


def seed_register() -> int:
    """Record the demo's past prints once (none when the register already has a print of a demo plan)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from contingency.packs import register
    from contingency.packs.models import PrintRecord

    keys = {key for key, *_ in DEMO_PRINTS}
    if PrintRecord.objects.filter(plan_key__in=keys).exists():
        return 0
    made = 0
    for key, issue, copies, day, note in DEMO_PRINTS:
        plan = Plan.objects.filter(key=key).first()
        if plan is None:
            continue
        at = datetime(*day, 10, 0, tzinfo=ZoneInfo("Europe/London"))
        register.record_printed_elsewhere(
            plan=plan, issue=issue, copies=copies, printed_at=at, actor=None, via="demo", note=note
        )
        made += 1
    return made
