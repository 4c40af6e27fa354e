"""Every page against every kind of visitor: anonymous, outsider, and each role alone.

The table EXPECTED names, for every URL name of contingency.urls (the JSON API and the admin
have their own tests), what the page needs, how to build its URL and which methods it takes.
A page missing from the table fails `test_every_url_is_in_the_table`, so a new page cannot
arrive without saying who may use it. Each request runs in a savepoint that is rolled back, so
one visitor's POST cannot change what the next one sees.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from contingency.core import tokens
from contingency.core.access import capabilities
from contingency.core.models import Organisation, Role
from contingency.core.permissions import GRANTS, Capability
from contingency.lib.signing import make_token
from contingency.plans.models import Plan

from .web import HOME_ORG, OTHER_ORG, PACS, client_for, make_user

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("admin/", "api/")
# A frozenset: any one of these capabilities (compliance evidence: plan editors or administrators).
Needs = Capability | frozenset[Capability] | Literal["public", "login", "signed"]
Kwargs = Callable[["Visit"], dict[str, Any]]

FUNCTION = "image-reporting"  # a function of the PACS plan
GET, POST = "GET", "POST"
READ, FORM, ACTION = (GET,), (GET, POST), (POST,)


@dataclass(frozen=True)
class Visit:
    """Who is asking, for kwargs builders that need the visitor's own objects."""

    user: User | None
    plan: Plan


@dataclass(frozen=True)
class Page:
    needs: Needs
    kwargs: Kwargs = field(default=lambda visit: {"org": HOME_ORG})
    methods: tuple[str, ...] = READ


def org(**extra: Any) -> Kwargs:
    return lambda visit: {"org": HOME_ORG, **extra}


def plan(**extra: Any) -> Kwargs:
    return lambda visit: {"org": HOME_ORG, "plan": PACS, **extra}


def none() -> Kwargs:
    return lambda visit: {}


def own_token(visit: Visit) -> dict[str, Any]:
    if visit.user is None:
        return {"pk": 1}
    token, _ = tokens.create_token(visit.user, "matrix")
    return {"pk": token.pk}


PER_VISITOR: set[Kwargs] = {own_token}  # builders whose objects belong to the visitor


def ack_token(visit: Visit) -> dict[str, Any]:
    return {"org": HOME_ORG, "token": make_token(plan_id=visit.plan.pk, issue=visit.plan.issue, copy_number=1)}


PART = plan(section="functions", key=FUNCTION)
RECORD_EVIDENCE = frozenset({Capability.EDIT, Capability.ADMINISTER})


def compliance_evidence(visit: Visit) -> dict[str, Any]:
    from datetime import date

    from contingency.compliance import services

    evidence = services.record_evidence(
        organisation=visit.plan.organisation,
        framework_key="nhs-eprr-bc",
        requirement_urn="urn:contingency:bcm:req_node:nhs-eprr-bc:bc-01",
        title="Policy",
        note="",
        attested_on=date(2026, 1, 5),
        expires_on=None,
        file_name="policy.txt",
        data=b"The policy.",
        actor=None,
        via="test",
    )
    return {"org": HOME_ORG, "pk": evidence.pk}


def _incident(state: str) -> Any:
    """A fresh PACS incident in `state` (reported, invoked or restored), made through the services."""
    from contingency.incidents import services

    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    found = services.report(plan=pacs, subject="system:pacs", actor=None, via="test")
    if state in ("invoked", "restored"):
        found = services.invoke(incident=found, actor=None, via="test")
    if state == "restored":
        found = services.restore(incident=found, actor=None, via="test")
    return found


def probe_site(visit: Visit) -> dict[str, Any]:
    import uuid

    from contingency.monitor import services

    site, _ = services.add_site(
        organisation=visit.plan.organisation, name=f"site-{uuid.uuid4().hex[:8]}", actor=None, via="test"
    )
    return {"org": HOME_ORG, "pk": site.pk}


def contract_kpi(visit: Visit) -> dict[str, Any]:
    from contingency.commissioning import services

    kpi = services.add_kpi(
        plan=visit.plan,
        what="Reports",
        target="95%",
        clock_value=2,
        clock_unit="days",
        commissioner="ICB",
        actor=None,
        via="test",
    )
    return {"org": HOME_ORG, "plan": PACS, "pk": kpi.pk}


def subcontractor(visit: Visit) -> dict[str, Any]:
    from contingency.commissioning import services

    row = services.add_provider(plan=visit.plan, provider="Practice", capacity_per_week=10, actor=None, via="test")
    return {"org": HOME_ORG, "plan": PACS, "pk": row.pk}


def capacity_review(visit: Visit) -> dict[str, Any]:
    from contingency.commissioning import services

    row = services.add_provider(plan=visit.plan, provider="Practice", capacity_per_week=10, actor=None, via="test")
    review = services.withdraw_provider(provider=row, actor=None, via="test")
    return {"org": HOME_ORG, "plan": PACS, "pk": review.pk}


def kpi_relaxation(visit: Visit) -> dict[str, Any]:
    from datetime import timedelta

    from contingency.commissioning import services

    found = _incident("restored")
    kpi = services.add_kpi(
        plan=visit.plan,
        what="Reports",
        target="95%",
        clock_value=2,
        clock_unit="days",
        commissioner="ICB",
        actor=None,
        via="test",
    )
    assert found.invoked_at is not None
    row = services.ask_relaxation(
        incident=found,
        kpi=kpi,
        asked_of="Contract manager",
        asked_at=found.invoked_at,
        relaxed_from=found.invoked_at,
        relaxed_to=found.invoked_at + timedelta(days=3),
        file_name="request.txt",
        data=b"Please relax.",
        actor=None,
        via="test",
    )
    return {"org": HOME_ORG, "number": found.number, "pk": row.pk}


def supplier_ticket(visit: Visit) -> dict[str, Any]:
    from django.utils import timezone

    from contingency.suppliers import services

    found = _incident("invoked")
    ticket = services.log_ticket(
        incident=found,
        supplier_key="meridian",
        reference="MIS-1",
        logged_at=timezone.now(),
        rca_due_on=None,
        actor=None,
        via="test",
    )
    return {"org": HOME_ORG, "number": found.number, "pk": ticket.pk}


def incident(state: str = "invoked", **extra: Any) -> Kwargs:
    return lambda visit: {"org": HOME_ORG, "number": _incident(state).number, **extra}


def exercise(visit: Visit) -> dict[str, Any]:
    """A fresh communications exercise of the PACS plan, made through the service."""
    from contingency.exercises import services

    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    found = services.start(plan=pacs, kind="communications", subject="system:pacs", actor=None, via="test")
    return {"org": HOME_ORG, "number": found.number}


def incident_task(visit: Visit) -> dict[str, Any]:
    found = _incident("invoked")
    return {"org": HOME_ORG, "number": found.number, "task": found.tasks.order_by("position")[0].pk}


def incident_target(visit: Visit) -> dict[str, Any]:
    from contingency.incidents.models import InformTarget

    found = _incident("invoked")
    target = InformTarget.objects.filter(task__incident=found).order_by("pk")[0]
    return {"org": HOME_ORG, "number": found.number, "target": target.pk}


def incident_handover(visit: Visit) -> dict[str, Any]:
    from contingency.incidents.handover import hand_over

    found = _incident("invoked")
    record = hand_over(incident=found, actor=None, to_name="Night lead", via="test")
    return {"org": HOME_ORG, "number": found.number, "pk": record.pk}


def incident_lead_request(visit: Visit) -> dict[str, Any]:
    from django.utils import timezone

    from contingency.incidents.models import LeadRequest

    found = _incident("invoked")
    asked = LeadRequest.objects.create(incident=found, at=timezone.now(), by=None, by_name="someone")
    return {"org": HOME_ORG, "number": found.number, "pk": asked.pk}


def incident_action(visit: Visit) -> dict[str, Any]:
    from datetime import date

    from contingency.incidents.review import add_action

    found = _incident("restored")
    owner = User.objects.filter(memberships__organisation__slug=HOME_ORG).first()
    assert owner is not None
    action = add_action(
        incident=found, text="Fix it", owner_id=owner.pk, due_on=date(2030, 1, 1), actor=None, via="test"
    )
    return {"org": HOME_ORG, "number": found.number, "pk": action.pk}


def _callout() -> Any:
    """A call-out of a fresh invoked incident (TP1's call tree; without channels configured, a call to make)."""
    from contingency.notify.models import Callout

    found = _incident("invoked")
    return Callout.objects.filter(incident=found, state="waiting").order_by("pk")[0]


def incident_callout(visit: Visit) -> dict[str, Any]:
    callout = _callout()
    return {"org": HOME_ORG, "number": callout.incident.number, "callout": callout.pk}


def callout_ack(visit: Visit) -> dict[str, Any]:
    from contingency.notify import links

    return {"signed": links.signed(_callout().ack_token)}


def invitation(visit: Visit) -> dict[str, Any]:
    import secrets

    from contingency.core.models import Organisation
    from contingency.notify import invitations

    made, _ = invitations.invite(
        organisation=Organisation.objects.get(slug=HOME_ORG),
        email=f"{secrets.token_hex(4)}@example.org",
        roles=["viewer"],
        actor=None,
    )
    return {"signed": invitations.link(made).rstrip("/").rsplit("/", 1)[1]}


def _print_record() -> Any:
    """A print of the PACS plan in the register, with a small kept zip (no PDF is built here)."""
    import io
    import zipfile

    from django.utils import timezone

    from contingency.packs.models import PackFile, PrintedCopy, PrintRecord

    pacs = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    record = PrintRecord.objects.create(
        organisation=pacs.organisation,
        plan=pacs,
        plan_key=pacs.key,
        plan_title=pacs.title,
        issue=pacs.issue,
        plan_updated_at=pacs.updated_at,
        content_hash="0" * 64,
        built_at=timezone.now(),
        built_by_name="matrix",
        via="test",
    )
    PrintedCopy.objects.create(record=record, copy_number=1, holder_name="Helen Marsh", location="PACS office")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("pack/pacs-bcdr-copy-1.html", "<p>copy 1</p>")
        archive.writestr("pack/manifest.json", "{}")
    PackFile.objects.create(record=record, name="pack.zip", data=buffer.getvalue(), size=len(buffer.getvalue()))
    return record


def pack_token(visit: Visit) -> dict[str, Any]:
    from contingency.packs.links import make_token as pack_link_token

    return {"org": HOME_ORG, "token": pack_link_token(record_id=_print_record().pk, copy_number=1)}


def print_record(visit: Visit) -> dict[str, Any]:
    return {"org": HOME_ORG, "plan": PACS, "pk": _print_record().pk}


def downtime_record(visit: Visit) -> dict[str, Any]:
    """A downtime record of a fresh invoked PACS incident (an examination, with a downtime ID of a range)."""
    from contingency.downtime import services as downtime
    from contingency.downtime.models import DowntimeRecord, IdRange
    from tests.downtime_support import exam

    found = _incident("invoked")
    if not IdRange.objects.filter(organisation=found.organisation, prefix="CT").exists():
        downtime.allocate_range(
            organisation=found.organisation, prefix="CT", first=1, last=9999, digits=6, allocated_to="CT", actor=None
        )
    serial = 1 + DowntimeRecord.objects.count()
    made = downtime.record(incident=found, kind="examination", values=exam(found, 1, **_ids(serial)), actor=None)
    return {"org": HOME_ORG, "number": found.number, "record": made.number}


def reconciliation_run(visit: Visit) -> dict[str, Any]:
    """A failed reconciliation run of a fresh invoked PACS incident (its archive refused; no network used)."""
    from contingency.downtime.archive import ArchiveConfig, ArchiveError, Failure
    from contingency.downtime.reconciliation import run_reconciliation

    def refused(config: ArchiveConfig, deadline: float | None = None) -> Any:
        raise ArchiveError(Failure.REFUSED, "Nothing is listening at 127.0.0.1:9")

    found = _incident("invoked")
    config = ArchiveConfig(host="127.0.0.1", port=9, called_aet="PACS", systems=("pacs",))
    made = run_reconciliation(incident=found, actor=None, via="test", config=config, archive=refused)
    return {"org": HOME_ORG, "number": found.number, "run": made.number}


def _ids(serial: int) -> dict[str, str]:
    from tests.downtime_support import dtid

    return {"downtime-id": dtid(serial), "accession-number": f"MATRIX{serial}"}


def _status_page() -> Any:
    """Northwick's status page, published, with PACS on it (made once; the test rolls it back)."""
    from contingency.status import services
    from contingency.status.models import PublishedService

    home = Organisation.objects.get(slug=HOME_ORG)
    if services.site_of(home) is None:
        services.configure_site(organisation=home, published=True, title="Status", actor=None, via="test")
        services.add_service(
            organisation=home, key="pacs", plan_key=PACS, subject="system:pacs", name="PACS", actor=None, via="test"
        )
    return PublishedService.objects.get(organisation=home, key="pacs")


def status_org(visit: Visit) -> dict[str, Any]:
    _status_page()
    return {"org": HOME_ORG}


def status_file(visit: Visit) -> dict[str, Any]:
    return {**status_org(visit), "name": "feed.atom"}


def status_service(visit: Visit) -> dict[str, Any]:
    return {"org": HOME_ORG, "key": _status_page().key}


def status_window(visit: Visit) -> dict[str, Any]:
    from datetime import timedelta

    from django.utils import timezone

    from contingency.status import updates

    service = _status_page()
    start = timezone.now() + timedelta(days=1)
    window = updates.schedule_maintenance(
        organisation=service.organisation, title="Work", starts_at=start, ends_at=start + timedelta(hours=1),
        actor=None, via="test",
    )  # fmt: skip
    return {"org": HOME_ORG, "pk": window.pk}


def status_confirm(visit: Visit) -> dict[str, Any]:
    from contingency.lib.signing import make_subscription_token

    service = _status_page()
    token = make_subscription_token(organisation_id=service.organisation_id, email="m@example.org", language="en")
    return {"signed": token}


def status_unsubscribe(visit: Visit) -> dict[str, Any]:
    import secrets

    from django.utils import timezone

    from contingency.lib.signing import make_unsubscribe_token
    from contingency.status.models import Subscriber

    service = _status_page()
    subscriber = Subscriber.objects.create(
        organisation_id=service.organisation_id,
        email=f"{secrets.token_hex(4)}@example.org",
        token=secrets.token_hex(16),
        confirmed_at=timezone.now(),
    )
    return {"signed": make_unsubscribe_token(subscriber.token)}


def status_incident(visit: Visit) -> dict[str, Any]:
    _status_page()
    return {"org": HOME_ORG, "number": _incident("invoked").number}


EXPECTED: dict[str, Page] = {
    # Outside any organisation.
    "home": Page("login", none()),
    "service-worker": Page("public", none()),
    "web-manifest": Page("public", none()),
    "favicon": Page("public", none()),
    "login": Page("public", none(), FORM),
    "logout": Page("public", none(), ACTION),
    "account": Page("login", none()),
    "password-change": Page("login", none(), FORM),
    "token-create": Page("login", none(), ACTION),
    "token-revoke": Page("login", own_token, ACTION),
    # Members, audit log and history.
    "members": Page(Capability.ADMINISTER, org(), FORM),
    "audit-log": Page(Capability.ADMINISTER, org()),
    "organisation-settings": Page(Capability.ADMINISTER, org(), FORM),
    "history": Page(Capability.VIEW, org(object_type="plan", key=PACS)),
    # Overview.
    "dashboard": Page(Capability.VIEW, org()),
    "function-now": Page(Capability.VIEW, plan(function=FUNCTION)),
    "contacts": Page(Capability.VIEW, org()),
    # Plan pages.
    "plan": Page(Capability.VIEW, plan()),
    "plan-dependencies": Page(Capability.VIEW, plan()),
    # Editing.
    "plan-upload": Page(Capability.EDIT, org(), FORM),
    "plan-from-word": Page(Capability.EDIT, org(), FORM),
    "plan-replace": Page(Capability.EDIT, plan(), FORM),
    "plan-download": Page(Capability.VIEW, plan()),
    "duration-readout": Page(Capability.EDIT, org()),
    "plan-edit": Page(Capability.EDIT, plan()),
    "section-edit": Page(Capability.EDIT, plan(section="functions"), FORM),
    "part-add": Page(Capability.EDIT, plan(section="functions"), FORM),
    "part-edit": Page(Capability.EDIT, PART, FORM),
    "part-delete": Page(Capability.EDIT, PART, FORM),
    # Document control.
    "plan-control": Page(Capability.VIEW, plan()),
    "plan-submit": Page(Capability.EDIT, plan(), ACTION),
    "plan-approval": Page(Capability.APPROVE, plan()),
    "plan-approve": Page(Capability.APPROVE, plan(), ACTION),
    "plan-return": Page(Capability.APPROVE, plan(), ACTION),
    "plan-issue": Page(Capability.APPROVE, plan(), FORM),
    "plan-review": Page(Capability.APPROVE, plan(), ACTION),
    "plan-diff": Page(Capability.VIEW, plan()),
    "reviews": Page(Capability.VIEW, org()),
    "holder-ack": Page("signed", ack_token, FORM),
    # Incidents: VIEW to see, RESPOND to change.
    "incidents": Page(Capability.VIEW, org()),
    "incident-report": Page(Capability.RESPOND, org(), FORM),
    "incident": Page(Capability.VIEW, incident()),
    "incident-live": Page(Capability.VIEW, incident()),
    "incident-mine": Page(Capability.VIEW, incident()),
    "incident-assess": Page(Capability.RESPOND, incident("reported"), ACTION),
    "incident-invoke": Page(Capability.RESPOND, incident("reported"), ACTION),
    "incident-close": Page(Capability.RESPOND, incident("reported"), ACTION),
    "incident-task-add": Page(Capability.RESPOND, incident(), ACTION),
    "incident-task": Page(Capability.RESPOND, incident_task, ACTION),
    "incident-task-group": Page(Capability.RESPOND, incident_task, ACTION),
    "incident-told": Page(Capability.RESPOND, incident_target, ACTION),
    "incident-update": Page(Capability.RESPOND, incident(), ACTION),
    "incident-restore": Page(Capability.RESPOND, incident(), ACTION),
    "incident-stand-down": Page(Capability.RESPOND, incident(), ACTION),
    "incident-handover": Page(Capability.VIEW, incident()),
    "incident-hand-over": Page(Capability.RESPOND, incident(), ACTION),
    "incident-handover-record": Page(Capability.VIEW, incident_handover),
    "incident-lead": Page(Capability.VIEW, incident()),
    "incident-lead-ask": Page(Capability.RESPOND, incident(), ACTION),
    "incident-lead-answer": Page(Capability.RESPOND, incident_lead_request, ACTION),
    "incident-lead-change": Page(Capability.RESPOND, incident(which="deputy"), ACTION),
    "incident-briefing": Page(Capability.VIEW, incident()),
    "incident-briefing-publish": Page(Capability.RESPOND, incident(), ACTION),
    "incident-briefing-supplier": Page(Capability.RESPOND, incident(), ACTION),
    "incident-review": Page(Capability.VIEW, incident("restored")),
    "incident-review-save": Page(Capability.RESPOND, incident("restored"), ACTION),
    "incident-review-action": Page(Capability.RESPOND, incident("restored"), ACTION),
    "incident-review-action-done": Page(Capability.RESPOND, incident_action, ACTION),
    # Downtime records: VIEW to see, RESPOND to record, re-enter and check; EDIT to allocate ID ranges.
    "incident-downtime": Page(Capability.VIEW, incident()),
    "downtime-worklist": Page(Capability.VIEW, incident()),
    "downtime-record": Page(Capability.RESPOND, incident()),
    "downtime-record-kind": Page(Capability.RESPOND, incident(kind="examination"), FORM),
    "downtime-upload": Page(Capability.RESPOND, incident(), FORM),
    "downtime-draw": Page(Capability.RESPOND, incident(), ACTION),
    "downtime-report": Page(Capability.VIEW, incident()),
    "downtime-record-detail": Page(Capability.VIEW, downtime_record),
    "downtime-reenter": Page(Capability.RESPOND, downtime_record, ACTION),
    "downtime-check": Page(Capability.RESPOND, downtime_record, ACTION),
    "downtime-resolve": Page(Capability.RESPOND, downtime_record, ACTION),
    "downtime-record-cd": Page(Capability.RESPOND, downtime_record, ACTION),
    # The imaging archive: VIEW to see the runs and reports, RESPOND to check the archive (a run queries the PACS).
    "downtime-archive": Page(Capability.VIEW, incident()),
    "downtime-archive-run": Page(Capability.RESPOND, incident(), ACTION),
    "downtime-archive-report": Page(Capability.VIEW, reconciliation_run),
    "downtime-ids": Page(Capability.VIEW, org()),
    "downtime-ids-allocate": Page(Capability.EDIT, org(), ACTION),
    # Notifications: RESPOND (as for tasks) to send again or record a call; the signed link acknowledges.
    "callout-resend": Page(Capability.RESPOND, incident_callout, ACTION),
    "callout-call": Page(Capability.RESPOND, incident_callout, ACTION),
    "plan-messages": Page(Capability.VIEW, plan()),
    "caught-messages": Page(Capability.ADMINISTER, org()),
    "callout-ack": Page("signed", callout_ack, FORM),
    "invite-accept": Page("signed", invitation, FORM),
    # The status page: members see its management page; responders post updates, set states and plan
    # maintenance; administrators set it up and choose its services. The page itself and its files are
    # public, and the subscription links are signed.
    "status-manage": Page(Capability.VIEW, status_org),
    "status-settings": Page(Capability.ADMINISTER, status_org, ACTION),
    "status-service-add": Page(Capability.ADMINISTER, status_org, ACTION),
    "status-service-edit": Page(Capability.ADMINISTER, status_service, ACTION),
    "status-service-remove": Page(Capability.ADMINISTER, status_service, ACTION),
    "status-service-state": Page(Capability.RESPOND, status_service, ACTION),
    "status-update": Page(Capability.RESPOND, status_org, ACTION),
    "status-maintenance": Page(Capability.RESPOND, status_org, ACTION),
    "status-maintenance-cancel": Page(Capability.RESPOND, status_window, ACTION),
    "incident-status-notice": Page(Capability.RESPOND, status_incident, ACTION),
    "status-page": Page("public", status_org),
    "status-file": Page("public", status_file),
    "status-subscribe": Page("public", status_org, ACTION),
    "status-confirm": Page("signed", status_confirm, FORM),
    "status-unsubscribe": Page("signed", status_unsubscribe, FORM),
    # Grab packs: any member may download an uncontrolled copy (the single HTML file by default); printing
    # numbered copies is recorded in the print register, so it needs EDIT, as does a recorded print's zip.
    "organisation-pack": Page(Capability.VIEW, org()),
    "plan-pack": Page(Capability.VIEW, plan()),
    "plan-pack-print": Page(Capability.EDIT, plan(), ACTION),
    "print-download": Page(Capability.EDIT, print_record),
    "pack-copy": Page("signed", pack_token),
    # Probes: anyone who may view sees a system's status and the probe sites; administrators make and revoke tokens.
    "plan-system": Page(Capability.VIEW, plan(system="pacs")),
    "probes": Page(Capability.VIEW, org()),
    "probe-site-add": Page(Capability.ADMINISTER, org(), ACTION),
    "probe-site-revoke": Page(Capability.ADMINISTER, probe_site, ACTION),
    # Compliance
    "compliance": Page(Capability.VIEW, org()),
    "compliance-framework": Page(Capability.VIEW, org(framework="nhs-eprr-bc")),
    "compliance-record": Page(RECORD_EVIDENCE, org(framework="nhs-eprr-bc"), FORM),
    "compliance-import": Page(RECORD_EVIDENCE, org(), ACTION),
    "compliance-evidence-file": Page(Capability.VIEW, compliance_evidence),
    "compliance-pack": Page(Capability.VIEW, org()),
    "compliance-export": Page(Capability.VIEW, org(framework="nhs-eprr-bc")),
    "plan-kpis": Page(Capability.VIEW, plan()),
    "plan-kpi-add": Page(Capability.EDIT, plan(), ACTION),
    "plan-kpi": Page(Capability.EDIT, contract_kpi, FORM),
    "plan-kpi-remove": Page(Capability.EDIT, contract_kpi, ACTION),
    "incident-kpis": Page(Capability.VIEW, incident("restored")),
    "incident-kpi-ask": Page(Capability.RESPOND, incident("restored"), ACTION),
    "incident-kpi-agree": Page(Capability.RESPOND, kpi_relaxation, ACTION),
    "incident-kpi-file": Page(Capability.VIEW, kpi_relaxation),
    "plan-subcontractors": Page(Capability.VIEW, plan()),
    "plan-subcontractor-add": Page(Capability.EDIT, plan(), ACTION),
    "plan-subcontractor-withdraw": Page(Capability.EDIT, subcontractor, ACTION),
    "plan-capacity-informed": Page(Capability.EDIT, capacity_review, ACTION),
    # Suppliers
    "suppliers": Page(Capability.VIEW, org()),
    "supplier-assurance": Page(RECORD_EVIDENCE, org(supplier="meridian"), FORM),
    "incident-suppliers": Page(Capability.VIEW, incident()),
    "incident-supplier-log": Page(Capability.RESPOND, incident(), ACTION),
    "incident-supplier-clock": Page(Capability.RESPOND, supplier_ticket, ACTION),
    "incident-supplier-rca": Page(Capability.RESPOND, supplier_ticket, ACTION),
    "exercises": Page(Capability.VIEW, org()),
    "exercise-start": Page(Capability.RESPOND, org(), FORM),
    "exercise-cadence": Page(Capability.EDIT, org(), ACTION),
    "exercise": Page(Capability.VIEW, exercise),
    "exercise-finish": Page(Capability.RESPOND, exercise, ACTION),
    "exercise-inject-add": Page(Capability.RESPOND, exercise, ACTION),
    "exercise-inject-release": Page(Capability.RESPOND, exercise, ACTION),
    "exercise-clock-advance": Page(Capability.RESPOND, exercise, ACTION),
}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        else:
            yield route, entry


def url_names() -> dict[str, str]:
    """Every named page of contingency.urls (by name: its route), outside the API, admin and static files."""
    found: dict[str, str] = {}
    static = settings.STATIC_URL.lstrip("/") if settings.STATIC_URL else "static/"
    for route, pattern in _walk(get_resolver("contingency.urls").url_patterns, ""):
        if route.startswith(static) or route.startswith("^" + static):
            continue
        assert pattern.name, f"the page {route!r} has no URL name"
        found[pattern.name] = route
    return found


NAMES = sorted(url_names())


def test_every_url_is_in_the_table() -> None:
    missing = sorted(set(NAMES) - set(EXPECTED))
    assert not missing, f"add these URL names to EXPECTED in {__name__}: {missing}"
    stale = sorted(set(EXPECTED) - set(NAMES))
    assert not stale, f"these URL names are gone; remove them from EXPECTED: {stale}"


def test_the_walk_sees_nested_pages_and_skips_the_api() -> None:
    routes = url_names()
    assert routes["members"] == "o/<slug:org>/members/"
    assert routes["dashboard"] == "o/<slug:org>/"
    assert not any(route.startswith(SKIPPED_PREFIXES) for route in routes.values())


# Visitors: None is anonymous, "outsider" holds every role but only in the other organisation.
VISITORS: list[Role | str | None] = [None, "outsider", *Role]


def _visitor(kind: Role | str | None) -> tuple[User | None, Client]:
    if kind is None:
        return None, Client()
    if kind == "outsider":
        user = make_user("outsider", OTHER_ORG, *Role)
    else:
        user = make_user(f"only-{kind}", HOME_ORG, Role(kind))
    return user, client_for(user)


def _request(client: Client, method: str, url: str) -> Any:
    """One request whose effects are rolled back, session included (so signing out does not stick)."""
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response: Any = client.get(url) if method == GET else client.post(url, {})
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return response


def _allowed(kind: Role | str | None, needs: Needs, home: Organisation, user: User | None) -> bool:
    if needs in ("public", "signed"):
        return True
    if kind is None:
        return False
    if needs == "login":
        return True
    assert user is not None and isinstance(needs, Capability | frozenset)
    held = capabilities(user, home)
    return bool(needs & held) if isinstance(needs, frozenset) else needs in held


@pytest.fixture
def visitors(demo_plans: list[object]) -> list[tuple[Role | str | None, User | None, Client]]:
    return [(kind, *_visitor(kind)) for kind in VISITORS]


def failures(names: list[str], visitors: list[tuple[Role | str | None, User | None, Client]]) -> list[str]:
    """What went wrong, one line per request, for the pages named."""
    home = Organisation.objects.get(slug=HOME_ORG)
    pacs = Plan.objects.get(organisation=home, key=PACS)
    found: list[str] = []
    for name in names:
        page = EXPECTED[name]
        # The page's objects are made once and shared by the visitors (each request is rolled back), except
        # where they are the visitor's own.
        shared = None if page.kwargs in PER_VISITOR else reverse(name, kwargs=page.kwargs(Visit(None, pacs)))
        for kind, user, client in visitors:
            url = shared or reverse(name, kwargs=page.kwargs(Visit(user, pacs)))
            allowed = _allowed(kind, page.needs, home, user)
            for method in (GET, POST):
                who = f"{name} {method} {url} as {kind or 'anonymous'}"
                try:
                    response = _request(client, method, url)
                    _check(page, method, kind, allowed, response, pacs, who)
                except AssertionError as failed:
                    found.append(str(failed).splitlines()[0])
                except Exception as error:  # a 500: the test client re-raises the view's exception
                    found.append(f"{who}: raised {error!r}")
    return found


CHECKED = [name for name in NAMES if name in EXPECTED]


def test_the_matrix_checks_the_pages() -> None:
    assert len(CHECKED) >= 10


# One test per page, so that the pages are shared out between the test processes.
@pytest.mark.parametrize("name", CHECKED)
def test_every_page_answers_each_visitor_as_expected(
    name: str, visitors: list[tuple[Role | str | None, User | None, Client]]
) -> None:
    problems = failures([name], visitors)
    assert not problems, "\n".join(problems)


def _check(
    page: Page, method: str, kind: Role | str | None, allowed: bool, response: HttpResponse, pacs: Plan, who: str
) -> None:
    status = response.status_code
    assert status != 500, f"{who}: 500"
    if method not in page.methods:
        # A method the page does not take: refused, or at most the page itself for those allowed it.
        assert status in ((200, 302, 405) if allowed else (302, 403, 404, 405)), f"{who}: {status}"
        return
    needs = page.needs
    if needs in ("public", "signed"):
        assert status in (200, 302, 400, 409), f"{who}: {status}"
        if needs == "signed":
            assert not (status == 302 and "/login/" in response.get("Location", "")), f"{who}: sent to log in"
        return
    if kind is None:
        assert status == 302 and response["Location"].startswith("/login/?next="), f"{who}: {status}"
        return
    if kind == "outsider" and isinstance(needs, Capability | frozenset):
        assert status == 404, f"{who}: {status}"
        assert pacs.title not in response.content.decode(errors="replace"), f"{who}: shows the other plan's title"
        return
    if not allowed:
        assert status == 403, f"{who}: {status}"
        return
    assert status in (200, 302, 400, 409), f"{who}: {status}"


def test_roles_cover_every_capability() -> None:
    # The matrix is only complete if every capability is held by some single role.
    held = set().union(*GRANTS.values())
    assert held == set(Capability)
