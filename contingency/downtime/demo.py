"""The demo's PACS outage: a restored incident whose downtime records are in every state.

Loaded by `contingency demo` after the plans and users; idempotent (an organisation that already has
the demo outage is left alone). Everything goes through the services, as a person would do it:
the responder logs examinations, reports and CDs, re-enters most of them; the approver spot-checks,
finds one discrepancy (which widens that day's sample) and resolves it. NHS numbers are in the
999 range kept for testing; the rest is fictional.

The examinations are the demo archive's (`archive.demo.demo_examinations` over this outage's downtime) and the
CD received is the one it holds, so "Check the archive" against `contingency downtime demo-archive` (which
reads this outage's window from the database) finds exactly the problems planted there: four examinations
never re-sent, one filed under a temporary patient number, one short of an image, two studies nobody logged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.incidents import services as incidents
from contingency.incidents.models import Incident
from contingency.incidents.snapshot import calendar_of
from contingency.lib.checkchars import make_id
from contingency.plans.models import Plan

from . import services
from .archive.demo import demo_examinations, received_cd
from .models import DowntimeRecord, IdRange

TITLE = "PACS outage (demo: downtime records)"
ORGANISATION = "northwick-general"
PLAN = "pacs-bcdr"


def demo_nhs(serial: int) -> str:
    """A valid NHS number in the 999 range (never issued to a patient)."""
    while True:
        nine = f"999{serial:06d}"
        total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return nine + str(check)
        serial += 1


def outage(organisation: str = ORGANISATION) -> Incident | None:
    """The demo outage (restored), if it is in the database: the demo archive serves its downtime."""
    return Incident.objects.filter(organisation__slug=organisation, title=TITLE, restored_at__isnull=False).first()


def load(now: datetime | None = None) -> Incident | None:
    """Create the demo outage once; None when the organisation, plan or users are missing, or it exists."""
    now = now or timezone.now()
    organisation = Organisation.objects.filter(slug=ORGANISATION).first()
    plan = Plan.objects.filter(organisation=organisation, key=PLAN).first() if organisation else None
    users = {u.username: u for u in get_user_model().objects.filter(username__in=("responder", "approver"))}
    if organisation is None or plan is None or len(users) < 2:
        return None
    if Incident.objects.filter(organisation=organisation, title=TITLE).exists():
        return None
    with transaction.atomic():
        return _load(organisation, plan, users["responder"], users["approver"], now)


def _load(organisation: Organisation, plan: Plan, clerk: Any, checker: Any, now: datetime) -> Incident:
    began = (now - timedelta(hours=30)).replace(second=0, microsecond=0)
    restored = began + timedelta(hours=28)
    incident = incidents.report(
        plan=plan,
        subject="system:pacs",
        actor=clerk,
        began_at=began,
        title=TITLE,
        via="demo",
        at=began + timedelta(minutes=10),
    )
    incident = incidents.invoke(incident=incident, actor=clerk, via="demo", at=began + timedelta(minutes=20))
    for prefix, allocated_to, forms in (
        ("CT", "Radiology, main department (CT, MR, X-ray)", "examination; paper-report"),
        ("CD", "CD robots and the PACS office", "cd-burnt; cd-received"),
    ):
        if not IdRange.objects.filter(organisation=organisation, prefix=prefix).exists():
            services.allocate_range(
                organisation=organisation,
                prefix=prefix,
                first=1,
                last=2000,
                digits=6,
                allocated_to=allocated_to,
                forms=forms,
                actor=None,
                via="demo",
                at=began,
            )
    used = set(DowntimeRecord.objects.filter(organisation=organisation).values_list("downtime_id", flat=True))
    serials = (n for n in range(1, 2000) if make_id("CT", n, 6).code not in used)
    cd_serials = (n for n in range(1, 2000) if make_id("CD", n, 6).code not in used)
    zone = calendar_of(incident).zone

    def wall(hours: float) -> str:
        return f"{(began + timedelta(hours=hours)).astimezone(zone):%Y-%m-%d %H:%M}"

    def add(kind: str, values: dict[str, str], hours: float) -> DowntimeRecord:
        return services.record(
            incident=incident,
            kind=kind,
            values=values,
            actor=clerk,
            via="demo",
            at=began + timedelta(hours=hours + 0.1),
        )

    # The examinations the demo archive knows: most re-sent, a few not, one under another patient, one short.
    log = demo_examinations(began, restored)
    exams = []
    for i, done in enumerate(log):
        hours = (done.performed_at - began).total_seconds() / 3600
        exams.append(
            add(
                "examination",
                {
                    "downtime-id": make_id("CT", next(serials), 6).printed,
                    "hospital-number": done.patient_id,
                    "nhs-number": demo_nhs(4100 + i * 7),
                    "accession-number": done.accession_number,
                    "done-at": wall(hours),
                    "modality": done.modality,
                    "images": str(done.instances),
                    "requested-by": ["emergency-department", "outpatients", "acute-medical-unit"][i % 3],
                    "radiographer": ["A. Okafor", "B. Lindqvist"][i % 2],
                },
                hours,
            )
        )
    # Reports and a CD burnt for examinations that reached the archive as they were logged.
    sound = [
        record
        for record, done in zip(exams, log, strict=True)
        if done.in_archive and not done.archive_patient_id and done.archive_instances is None
    ]
    reports = [
        add(
            "paper-report",
            {
                "downtime-id": make_id("CT", next(serials), 6).printed,
                "hospital-number": exam.hospital_number,
                "accession-number": exam.accession_number,
                "reported-at": wall(_hours(began, exam) + 1),
                "reporter": "Dr R. Hale",
                "urgent-finding": "yes" if i == 1 else "no",
            },
            _hours(began, exam) + 1,
        )
        for i, exam in enumerate(sound[:3])
    ]
    burnt = add(
        "cd-burnt",
        {
            "downtime-id": make_id("CD", next(cd_serials), 6).printed,
            "hospital-number": sound[0].hospital_number,
            "accession-number": sound[0].accession_number,
            "burnt-at": wall(_hours(began, sound[0]) + 0.5),
            "robot": "CD robot B (emergency department)",
            "given-to": "Ward 7 with the patient",
        },
        _hours(began, sound[0]) + 0.5,
    )
    cd = received_cd(began, zone)
    add(
        "cd-received",
        {
            "downtime-id": make_id("CD", next(cd_serials), 6).printed,
            "nhs-number": demo_nhs(9300),
            "hospital-number": cd.patient_id,
            "received-at": wall(20),
            "from-hospital": "Ashbrook General Hospital",
            "study-uid": cd.study_uid,
            "images": str(cd.instances),
        },
        20,
    )
    # Service back after 28 hours; re-entry of the first day's records the next morning.
    incident = incidents.restore(incident=incident, actor=clerk, restored_at=restored, via="demo", at=restored)
    later = restored + timedelta(minutes=30)
    for i, record in enumerate([*exams[:-8], *reports, burnt]):
        services.reenter(
            record=record,
            system_reference=f"RIS-{700200 + i}",
            actor=clerk,
            via="demo",
            at=later + timedelta(minutes=i),
        )
    sampled = list(
        DowntimeRecord.objects.filter(incident=incident, sampled_in__isnull=False, state="re-entered").order_by(
            "number"
        )
    )
    if sampled:
        services.spot_check(record=sampled[0], matches=True, actor=checker, via="demo", at=later + timedelta(hours=1))
    if len(sampled) > 1:
        wrong = services.spot_check(
            record=sampled[1],
            matches=False,
            reason="The image count in PACS is 3 short: one series was not re-sent from the modality",
            actor=checker,
            via="demo",
            at=later + timedelta(hours=1, minutes=5),
        )
        services.resolve(
            record=wrong,
            resolution="Series re-sent from the modality; the count now matches",
            actor=checker,
            via="demo",
            at=later + timedelta(hours=1, minutes=30),
        )
    if len(sampled) > 2:
        services.spot_check(
            record=sampled[2],
            matches=False,
            reason="The accession number in RIS differs by one digit from the downtime log",
            actor=checker,
            via="demo",
            at=later + timedelta(hours=2),
        )
    return incident


def _hours(began: datetime, record: DowntimeRecord) -> float:
    assert record.occurred_at is not None
    return (record.occurred_at - began).total_seconds() / 3600
