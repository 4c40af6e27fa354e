"""Downtime IDs printed on the grab pack's forms come from the organisation's reserved ranges, each printed once."""

from __future__ import annotations

import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from contingency.core.models import AuditEntry, Organisation
from contingency.downtime import printing, services
from contingency.downtime.models import IdRange, PrintedBlock
from contingency.lib.checkchars import make_id, parse_id
from contingency.packs import build, paperforms, register
from contingency.packs.build import PlanSource
from contingency.packs.render import CopySpec
from contingency.plans.models import Plan
from contingency.plans.store import export_plan
from tests.downtime_support import exam, pacs_incident
from tests.web import HOME_ORG, PACS

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
BUILT = datetime(2026, 10, 1, 9, 30, tzinfo=LONDON)


@pytest.fixture
def org(demo_plans: list[Any]) -> Organisation:
    return Organisation.objects.get(slug=HOME_ORG)


def allocate(org: Organisation, prefix: str, first: int, last: int, forms: str = "") -> IdRange:
    return services.allocate_range(
        organisation=org, prefix=prefix, first=first, last=last, digits=6, allocated_to="Radiology", forms=forms,
        actor=None, via="test",
    )  # fmt: skip


def reserve(org: Organisation, kind: str = "examination", name: str = "Examination", copy: int = 1, count: int = 14):
    return printing.reserve(
        organisation=org, plan_key=PACS, issue=3, copy_number=copy, kind_key=kind, kind_name=name, count=count,
        actor=None, via="test",
    )  # fmt: skip


def test_each_copy_gets_the_next_block_never_the_same_ids(org: Organisation) -> None:
    allocate(org, "CT", 1, 100)
    first, second = reserve(org, copy=1), reserve(org, copy=2)
    assert first is not None and second is not None
    assert (first.first, first.last, second.first, second.last) == (1, 14, 15, 28)
    ids = printing.codes(first) + printing.codes(second)
    assert len(set(ids)) == 28 and ids[0] == make_id("CT", 1, 6).printed  # CT-000001-<check>
    assert all(parse_id(code).prefix == "CT" for code in ids)  # each passes its own check character
    entry = AuditEntry.objects.filter(verb="print", object_type="downtime-id-range").latest("at")
    assert (
        entry.after is not None
        and entry.after["first"] == ids[14]
        and entry.after["copy"] == 2
        and entry.after["kind"] == "examination"
    )


def test_a_range_that_names_the_kind_comes_before_one_for_any_kind_and_others_are_left_alone(org: Organisation) -> None:
    allocate(org, "GEN", 1, 50)  # blank forms: any kind
    allocate(org, "CD", 1, 50, forms="cd-burnt; CD received")
    allocate(org, "CT", 1, 50, forms="Examination, paper report")
    assert printing.serves("Examination, paper report", "paper-report", "Paper report") == 2
    assert printing.serves("cd-burnt; CD received", "examination", "Examination") == 0
    exam, received = reserve(org, "examination", "Examination"), reserve(org, "cd-received", "CD received")
    other = reserve(org, "referral", "Referral")
    assert exam is not None and exam.id_range.prefix == "CT"
    assert received is not None and received.id_range.prefix == "CD"
    assert other is not None and other.id_range.prefix == "GEN"


def test_a_nearly_used_range_gives_what_is_left_then_nothing(org: Organisation) -> None:
    id_range = allocate(org, "CT", 1, 20, forms="examination")
    assert reserve(org, count=14) is not None and printing.remaining(id_range) == 6
    rest = reserve(org, count=14)
    assert rest is not None and (rest.first, rest.last) == (15, 20)
    assert reserve(org) is None and printing.remaining(id_range) == 0
    assert reserve(org, "referral", "Referral") is None  # no range serves it
    assert PrintedBlock.objects.filter(id_range=id_range).count() == 2


def test_ids_already_on_records_are_not_printed_again(org: Organisation) -> None:
    allocate(org, "CT", 1, 100)
    incident = pacs_incident()
    services.record(incident=incident, kind="examination", values=exam(incident, 9), actor=None, via="test")
    block = reserve(org)
    assert block is not None and block.first == 10


def test_forms_use_reserved_ids_where_there_are_some_and_say_which_are_numbered_here(org: Organisation) -> None:
    document = export_plan(Plan.objects.get(organisation__slug=HOME_ORG, key=PACS))
    kinds = paperforms.plan_kinds(document)
    given = {"examination": ["CT-000001-A", "CT-000002-B"]}

    def reserve_some(_doc: Any, kind: paperforms.RecordKind, copy: CopySpec, rows: int) -> list[str] | None:
        return given.get(kind.key)

    forms = build.reserved_forms(BUILT, reserve_some)
    ids = forms.ids(document, kinds, CopySpec(4, "Sam Okafor", "Control room"))
    assert ids["examination"] == given["examination"] and forms.reserved == {(4, "examination")}
    assert ids["cd-burnt"][0].startswith("4-") and (4, "cd-burnt") not in forms.reserved
    pages = paperforms.form_pages(kinds, ids, reserved={"examination"})
    assert [p.reserved for p in pages if p.kind.key == "examination"] == [True]
    assert not any(p.reserved for p in pages if p.kind.key != "examination")


def test_a_print_for_holders_draws_each_copys_ids_from_the_ranges(org: Organisation) -> None:
    allocate(org, "CT", 1, 500, forms="examination; paper-report")
    allocate(org, "CD", 1, 500, forms="cd-burnt; cd-received")
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    built = register.build_print(plan, copies=[1, 3], via="test")
    blocks = list(PrintedBlock.objects.order_by("id"))
    assert [(b.copy_number, b.kind_key) for b in blocks] == [
        (copy, kind) for copy in (1, 3) for kind in ("examination", "paper-report", "cd-burnt", "cd-received")
    ]
    text = " ".join(
        page.extract_text() or ""
        for page in PdfReader(io.BytesIO(built.pack.files["pacs-bcdr-copy-3-downtime-forms.pdf"])).pages
    )
    printed = re.findall(r"\b(?:CT|CD)-\d{6}-[0-9A-Z*](?![0-9A-Z])", text)
    copy_3 = [code for b in blocks if b.copy_number == 3 for code in printing.codes(b)]
    assert printed == copy_3
    assert "The IDs are reserved for this copy" in " ".join(text.split())
    assert built.pack.manifest["downtimeIds"] == {
        "1": ["cd-burnt", "cd-received", "examination", "paper-report"],
        "3": ["cd-burnt", "cd-received", "examination", "paper-report"],
    }
    assert isinstance(built.source, PlanSource)


def test_the_ranges_page_says_how_many_are_left_to_print(org: Organisation, member: Any) -> None:
    allocate(org, "CT", 1, 20, forms="examination")
    reserve(org, count=14)
    page = member("editor").get(reverse("downtime-ids", kwargs={"org": HOME_ORG})).content.decode()
    assert "Left to print" in page and "<td>6</td>" in page and "examination; paper-report" in page
