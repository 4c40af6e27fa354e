"""The grab pack read back: the PDF (pdftotext and pypdf), the paper forms, the manifest and the zip.

One pack of the demo PACS plan is built for numbered copy 3 (WeasyPrint, for real) and shared by every
test here; building needs no database.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from contingency.packs.build import MANIFEST, Pack, PlanSource, build_plan_pack
from contingency.packs.content import PaperStep, PlanContent, plan_content
from contingency.packs.paperforms import fallback_ids, plan_kinds
from contingency.packs.render import CopySpec
from contingency.plans.files import collect, load_all
from contingency.plans.guidance import Callee
from contingency.plans.spec import PlanDocument
from tests.conftest import DEMO_PLANS

LONDON = ZoneInfo("Europe/London")
BUILT = datetime(2026, 11, 20, 10, 4, tzinfo=UTC)
UPDATED = datetime(2026, 9, 14, 9, 0, tzinfo=UTC)
COPY = CopySpec(3, "Sam Okafor", "Downtime grab pack, main X-ray control room")


def demo(plan_id: str) -> PlanDocument:
    files, _ = collect([str(DEMO_PLANS)])
    loaded, _ = load_all(files)
    return next(item.plan for item in loaded if item.plan.id == plan_id)


@pytest.fixture(scope="module")
def pacs() -> PlanDocument:
    return demo("pacs-bcdr")


@pytest.fixture(scope="module")
def pack(pacs: PlanDocument) -> Pack:
    return build_plan_pack(PlanSource(pacs, UPDATED), copies=[COPY], built_at=BUILT, zone=LONDON)


@pytest.fixture(scope="module")
def content(pacs: PlanDocument) -> PlanContent:
    return plan_content(pacs)


def pages_of(data: bytes) -> list[str]:
    """Each page's text in drawing order (pypdf): a box's text stays together, columns one after the other."""
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def layout_pages(data: bytes, tmp: Path) -> list[str]:
    """Each page's text as laid out (pdftotext -layout), split at the form feeds."""
    path = tmp / "pack.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    pages = text.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squeeze(text: str) -> str:
    """Text with no white space at all: line breaks fall anywhere, words do not change."""
    return re.sub(r"\s+", "", text)


def test_every_page_has_the_document_control_header_and_page_n_of_m(
    pack: Pack, content: PlanContent, tmp_path: Path
) -> None:
    pages = layout_pages(pack.files["pacs-bcdr-copy-3.pdf"], tmp_path)
    assert len(pages) > 8
    wanted = [
        "NGH-RAD-BCP-004",
        "issue 3",
        f"content {content.content_hash[:12]}",
        "last updated 14 Sep 2026 10:00",  # 09:00 UTC is 10:00 in London (summer time)
        "printed on 20 Nov 2026 10:04",
        "Copy 3",
    ]
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        missing = [w for w in wanted if w not in flat]
        assert not missing, f"page {number} lacks {missing}"
        assert f"Page {number} of {len(pages)}" in flat, f"page {number}: {flat[-200:]}"


def _first_page_with_line(pages: list[str], line: str, after: int) -> int:
    for number, text in enumerate(pages, start=1):
        if number > after and line in [row.strip() for row in text.splitlines()]:
            return number
    raise AssertionError(f"no page after {after} starts a section {line!r}")


def test_the_contents_page_numbers_are_the_pages_the_sections_start_on(pack: Pack, content: PlanContent) -> None:
    pages = pages_of(pack.files["pacs-bcdr-copy-3.pdf"])
    contents = [
        (title.strip(), int(number))
        for title, number in re.findall(r"^(.+?)\s*\.{3,}\s*(\d+)\s*$", pages[0], flags=re.M)
    ]
    expected_titles = [
        *(f"{f.name}: what do I do?" for f in content.functions),
        "Escalation",
        "Trigger points",
        *(f"Contact sheet: {s.site}" for s in content.sheets),
        "Contact directory",
    ]
    assert [title for title, _ in contents] == expected_titles
    headings = [
        *(f.name for f in content.functions),
        "Escalation",
        "Trigger points",
        *(f"Contact sheet: {s.site}" for s in content.sheets),
        "Contact directory",
    ]
    found = [_first_page_with_line(pages, heading, after=1) for heading in headings]
    assert [number for _, number in contents] == found
    assert found == sorted(found) and len(set(found)) == len(found)


def _callee_text(callee: Callee) -> str:
    """What templates/packs/_callee.html prints for someone to ring, in order."""
    parts = [callee.name + (f" ({callee.detail})" if callee.detail else "")]
    parts += [f"{n.kind} {n.number}" + (f" {n.note}" if n.note else "") for n in callee.numbers]
    if not callee.numbers:
        parts.append("No number in the plan for this time.")
    parts += [x for x in (callee.note, f"E-mail: {callee.email}" if callee.email else None) if x]
    parts += [f"Portal: {callee.portal}"] if callee.portal else []
    return " ".join(parts)


def _step_text(step: PaperStep) -> str:
    """What templates/packs/_steps.html prints for one step, in order: the whole block that must stay together."""
    parts = [step.text + (" in and out of hours" if step.always else "")]
    if step.who:
        parts += ["Who does it:", _callee_text(step.who)]
    if step.note:
        parts.append(step.note)
    if step.targets:
        parts.append({"call": "Call:", "inform": "Tell:"}.get(step.kind, "Contact:"))
        parts += [_callee_text(c) for c in step.targets]
    return " ".join(parts)


def test_no_step_is_split_across_pages(pack: Pack, content: PlanContent) -> None:
    pages = [squeeze(text) for text in pages_of(pack.files["pacs-bcdr-copy-3.pdf"])]
    checked = 0
    for function in content.functions:
        for procedure in function.procedures:
            for step in (*procedure.in_hours, *procedure.out_of_hours):
                whole = squeeze(_step_text(step))
                assert any(whole in page for page in pages), (
                    f"{function.name}: the step {step.text!r} (with whom it names) is not whole on one page"
                )
                checked += 1
    assert checked > 30


def test_each_site_has_a_one_page_contact_sheet_to_pin_up(pack: Pack, content: PlanContent) -> None:
    pages = pages_of(pack.files["pacs-bcdr-copy-3.pdf"])
    for sheet in content.sheets:
        title = f"Contact sheet: {sheet.site}"
        on = [n for n, text in enumerate(pages, start=1) if title in text.splitlines()]
        assert len(on) == 1, f"{title} is on pages {on}"
        page = squeeze(pages[on[0] - 1])
        for row in sheet.rows:
            assert squeeze(row.name) in page
            for number in (*row.in_hours, *row.out_of_hours):
                assert squeeze(number.number) in page
        assert "Pinthisup." in page
    assert content.sheets[0].site == "Northwick General Hospital" and len(content.sheets[0].rows) >= 10


def test_the_pdf_has_no_screen_furniture(pack: Pack) -> None:
    text = " ".join(pages_of(pack.files["pacs-bcdr-copy-3.pdf"]))
    for furniture in ("Search this pack", "Skip to", "Back to the contents", "lint", "Download", "Sign in"):
        assert furniture not in text
    assert "Numbered copy 3, held by Sam Okafor, kept at Downtime grab pack, main X-ray control room" in " ".join(
        text.split()
    )


def test_the_downtime_forms_carry_their_ids_in_order_one_row_each(pack: Pack, pacs: PlanDocument) -> None:
    pages = pages_of(pack.files["pacs-bcdr-copy-3-downtime-forms.pdf"])
    kinds = plan_kinds(pacs)  # the plan's own record kinds
    assert [k.key for k in kinds] == [k.id for k in pacs.record_kinds]
    expected = fallback_ids(kinds, prefix=f"3-{BUILT:%y%m%d%H%M}")
    printed = [found for text in pages for found in re.findall(r"\b3-\d{10}-\d+-\d{2}\b", text)]
    assert printed == [i for kind in kinds for i in expected[kind.key]]
    reader = PdfReader(io.BytesIO(pack.files["pacs-bcdr-copy-3-downtime-forms.pdf"]))
    assert all(float(p.mediabox.width) > float(p.mediabox.height) for p in reader.pages)  # A4 landscape
    for number, text in enumerate(pages, start=1):
        flat = " ".join(text.split())
        assert f"Page {number} of {len(pages)}" in flat and "Copy 3" in flat and "NGH-RAD-BCP-004" in flat
    first = " ".join(pages[0].split())
    assert kinds[0].name in first
    labels = [f.label for f in kinds[0].fields]  # the upload's columns, in the plan's order, the ID first
    assert labels[0] == "Downtime ID"
    assert [first.index(label) for label in labels] == sorted(first.index(label) for label in labels)


def test_the_manifest_lists_every_file_with_its_hash(pack: Pack, content: PlanContent) -> None:
    manifest = json.loads(pack.files[MANIFEST])
    assert manifest["plan"] == "pacs-bcdr" and manifest["issue"] == 3 and manifest["copies"] == [3]
    assert manifest["builtAt"] == BUILT.isoformat() and manifest["contentHash"] == content.content_hash
    listed = {entry["name"]: entry for entry in manifest["files"]}
    assert set(listed) == set(pack.files) - {MANIFEST}
    for name, data in pack.files.items():
        if name != MANIFEST:
            assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()
            assert listed[name]["bytes"] == len(data)
    with zipfile.ZipFile(io.BytesIO(pack.zip_bytes())) as archive:
        unpacked = {info.filename.split("/", 1)[1]: archive.read(info) for info in archive.infolist()}
    assert unpacked == pack.files
    assert pack.zip_bytes() == pack.zip_bytes()


def test_the_html_file_loads_nothing_from_anywhere(pack: Pack) -> None:
    html = pack.files["pacs-bcdr-copy-3.html"].decode()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html
    assert "<script src" not in html
