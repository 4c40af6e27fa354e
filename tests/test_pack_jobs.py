"""Issuing a plan queues its grab packs; a worker builds them, records the print and e-mails the holders.

Real parts: WeasyPrint builds the PDFs, the outbox is sent through a real SMTP server (aiosmtpd), and
the links in the e-mail are followed. Two workers are interleaved on purpose (one's lease runs out and
the other takes the job over) to show each issue is recorded, and each holder told, exactly once.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from contingency.core.models import AuditEntry, Role
from contingency.notify import delivery
from contingency.notify.models import Notification
from contingency.packs import jobs
from contingency.packs.models import HolderNotice, JobReason, JobState, PackJob, PrintRecord
from contingency.packs.register import PackError
from contingency.plans import workflow
from contingency.plans.models import CopyHolder, Plan
from tests.web import HOME_ORG, PACS, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def pacs(demo_plans: list[Any]) -> Plan:
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    # One copy holder keeps the PDFs to build few (each is real WeasyPrint work).
    CopyHolder.objects.filter(plan=plan, copy_number__gt=1).delete()
    return plan


def issue_again(plan: Plan) -> None:
    editor = make_user("pack-editor", HOME_ORG, Role.EDITOR)
    approver = make_user("pack-approver", HOME_ORG, Role.APPROVER)
    Plan.objects.filter(pk=plan.pk).update(status="draft")
    plan.refresh_from_db()
    workflow.submit(plan, actor=editor, summary="Contact directory updated")
    workflow.approve(plan, actor=approver, reason="Known findings accepted")
    workflow.issue(plan, actor=approver, reason="Known findings accepted")


def test_loading_a_plan_already_issued_queues_nothing(pacs: Plan) -> None:
    assert not PackJob.objects.filter(plan=pacs).exists()  # the demo is recorded as issued elsewhere


def test_issue_queues_one_job_built_once_even_with_two_workers(pacs: Plan, channels: Any) -> None:
    issue_again(pacs)
    job = PackJob.objects.get(plan=pacs)
    assert (job.issue, job.reason, job.state, job.copies) == (4, JobReason.ISSUE, JobState.PENDING, [])
    jobs.enqueue(plan=pacs, issue=4, actor=None, via="test")  # asking again is the same job
    assert PackJob.objects.filter(plan=pacs).count() == 1

    start = timezone.now()
    first = jobs.claim(worker="worker-a", now=start)
    assert first is not None and first.pk == job.pk
    assert jobs.claim(worker="worker-b", now=start) is None  # claimed: the other worker passes it by
    # Worker A stalls past its lease; worker B takes the job over and finishes it.
    second = jobs.claim(worker="worker-b", now=start + jobs.LEASE + timedelta(seconds=1))
    assert second is not None and second.attempts == 2
    assert jobs.run(second, worker="worker-b") is True
    assert jobs.run(first, worker="worker-a") is False  # its claim was taken over: it records nothing
    assert jobs.run_until_idle(worker="worker-c") == 0

    record = PrintRecord.objects.get(plan=pacs)
    assert record.issue == 4 and record.built_by_name == "worker"
    assert list(record.copies.values_list("copy_number", "location")) == [(1, "PACS office, Radiology department")]
    assert PackJob.objects.get(pk=job.pk).record == record
    [notice] = HolderNotice.objects.filter(record=record)
    message = Notification.objects.get(holder_notice=notice)
    assert (message.incident, message.address, message.state) == (None, "helen.marsh@northwick.example.org", "pending")
    assert Notification.objects.filter(key__startswith="pack:").count() == 1
    assert AuditEntry.objects.filter(verb="print", object_key=PACS).count() == 1

    sent, _ = delivery.run_until_idle(worker="test")
    assert sent == 1
    [mail] = channels.smtp.wait_for(1)
    assert mail.rcpt_tos == ["helen.marsh@northwick.example.org"]
    assert str(mail.message["Subject"]) == (
        "Issue 4 of PACS business continuity and disaster recovery plan: your numbered copy 1"
    )
    body = mail.message.get_body(("plain",)).get_content()
    pack_link = re.search(r"http://\S+/o/northwick-general/packs/\S+/", body)
    ack_link = re.search(r"http://\S+/o/northwick-general/ack/\S+/", body)
    assert pack_link and ack_link, body

    # The holder follows the links, signed in to nothing.
    anonymous = Client()
    download = anonymous.get(pack_link.group(0).split("127.0.0.1:8000", 1)[1])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        names = sorted(name.rsplit("/", 1)[1] for name in archive.namelist())
    assert names == [
        "manifest.json",
        "pacs-bcdr-copy-1-downtime-forms.pdf",
        "pacs-bcdr-copy-1.html",
        "pacs-bcdr-copy-1.pdf",
    ]
    acknowledged = anonymous.post(ack_link.group(0).split("127.0.0.1:8000", 1)[1])
    assert acknowledged.status_code == 200
    assert CopyHolder.objects.get(plan=pacs, copy_number=1).acknowledged_issue == 4


def test_a_holder_with_no_email_is_noted_not_sent(pacs: Plan) -> None:
    from contingency.plans.models import Person

    Person.objects.filter(plan=pacs, key="helen-marsh").update(email=None)
    issue_again(pacs)
    assert jobs.run_until_idle(worker="w") == 1
    [notice] = HolderNotice.objects.filter(record__plan=pacs)
    assert notice.notification is None and notice.not_sent == "no e-mail address in the plan"


def test_without_an_email_channel_the_message_is_failed_at_once_and_says_why(pacs: Plan) -> None:
    issue_again(pacs)
    jobs.run_until_idle(worker="w")
    message = Notification.objects.get(key__startswith="pack:")
    assert message.state == "failed" and message.permanent
    assert "no e-mail channel is configured" in message.last_error


def test_an_older_issue_still_queued_is_superseded_by_a_newer_one(pacs: Plan) -> None:
    old = jobs.enqueue(plan=pacs, issue=3, actor=None, via="test")
    jobs.enqueue(plan=pacs, issue=4, actor=None, via="test")
    claimed = jobs.claim(worker="w", now=timezone.now())
    assert claimed is not None and claimed.pk == old.pk
    assert jobs.run(claimed, worker="w") is True
    old.refresh_from_db()
    assert (old.state, old.last_error, old.record) == (JobState.DONE, "superseded by issue 4", None)
    assert not PrintRecord.objects.filter(plan=pacs).exists()


def test_a_failing_build_is_retried_then_given_up(pacs: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("fonts missing")

    monkeypatch.setattr(jobs, "build_print", broken)
    job = jobs.enqueue(plan=pacs, issue=3, actor=None, via="test")
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        claimed = jobs.claim(worker="w", now=timezone.now())
        assert claimed is not None and claimed.attempts == attempt
        assert jobs.run(claimed, worker="w") is False
    job.refresh_from_db()
    assert job.state == JobState.FAILED and "RuntimeError: fonts missing" in job.last_error
    assert jobs.claim(worker="w", now=timezone.now()) is None
    assert not PrintRecord.objects.exists()


def test_printing_for_holders_on_request_is_queued_and_audited(pacs: Plan) -> None:
    editor = make_user("printer", HOME_ORG, Role.EDITOR)
    job = jobs.request_print(plan=pacs, copies=[1], actor=editor, via="web")
    assert (job.issue, job.reason, job.copies) == (3, JobReason.REQUEST, [1])
    assert AuditEntry.objects.filter(verb="request-print", object_key=PACS, actor_name="printer").exists()
    assert jobs.run_until_idle(worker="w") == 1
    record = PrintRecord.objects.get(plan=pacs)
    assert record.built_by == editor and record.built_by_name == "printer"
    with pytest.raises(PackError, match="has no copy 7"):
        jobs.request_print(plan=pacs, copies=[7], actor=editor, via="web")
