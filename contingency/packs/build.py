"""Building a pack: the files of one plan (or of every plan of an organisation), for the copies asked
for, and the manifest that lists them with their hashes. Pure apart from WeasyPrint: no database.

File names: an uncontrolled copy is `<plan>.html`, `<plan>.pdf` and `<plan>-downtime-forms.pdf`; a
numbered copy adds `-copy-<n>` after the plan id. An organisation's pack has `<org>.html` and
`<org>.pdf` with every plan (uncontrolled), and each plan's files under `<plan>/`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from contingency import __version__
from contingency.plans.spec import PlanDocument

from . import paperforms, render
from .content import plan_content
from .paperforms import RecordKind
from .render import UNCONTROLLED_COPY, CopySpec, PackedPlan
from .terms import ContractTerms

MANIFEST = "manifest.json"
FORMAT = "contingency-grab-pack/1"
PARTS = frozenset({"html", "pdf", "forms"})
PLAN_ENTRY = ("plan", "title", "number", "issue", "contentHash", "lastUpdated", "copies")


@dataclass(frozen=True)
class PlanSource:
    """A plan to pack: its document, the time of its last change, and the contract terms on file for it
    (None: the registers were not read, e.g. a pack built from a file)."""

    document: PlanDocument
    last_updated: datetime
    terms: ContractTerms | None = None

    @property
    def key(self) -> str:
        return self.document.id


@dataclass(frozen=True)
class FormSource:
    """Where the downtime forms come from: the record kinds of a plan, and the IDs for one copy.

    `ids(document, kinds, copy)` returns the IDs for each kind (by key); it is not asked for an
    uncontrolled copy, whose rows are printed without IDs. `reserved` holds the (copy, kind) pairs whose
    IDs came from the organisation's reserved ranges; the others are numbered from this print.
    """

    kinds: Callable[[PlanDocument], list[RecordKind]]
    ids: Callable[[PlanDocument, list[RecordKind], CopySpec], Mapping[str, Sequence[str]]]
    reserved: set[tuple[int, str]] = field(default_factory=set)


def _print_ids(kinds: Sequence[RecordKind], copy: CopySpec, built_at: datetime, rows: int) -> dict[str, list[str]]:
    prefix = f"{copy.number}-{built_at:%y%m%d%H%M}"  # unique to this print of this copy
    return paperforms.fallback_ids(kinds, prefix=prefix, rows=rows)


def fallback_forms(built_at: datetime, rows: int = paperforms.DEFAULT_ROWS) -> FormSource:
    """Forms of the plan's record kinds (one per function when it names none), with IDs numbered from this
    print (see paperforms.py): for a pack that reserves nothing (a preview, a test)."""

    def ids(document: PlanDocument, kinds: list[RecordKind], copy: CopySpec) -> Mapping[str, Sequence[str]]:
        return _print_ids(kinds, copy, built_at, rows)

    return FormSource(paperforms.plan_kinds, ids)


Reserve = Callable[[PlanDocument, RecordKind, CopySpec, int], Sequence[str] | None]


def reserved_forms(built_at: datetime, reserve: Reserve, rows: int = paperforms.DEFAULT_ROWS) -> FormSource:
    """Forms whose IDs are drawn from reserved ranges by `reserve(document, kind, copy, rows)` (a block
    printed once, never again: downtime/printing.py); a kind it has none for is numbered from this print."""
    reserved: set[tuple[int, str]] = set()

    def ids(document: PlanDocument, kinds: list[RecordKind], copy: CopySpec) -> Mapping[str, Sequence[str]]:
        assert copy.number is not None
        numbered = _print_ids(kinds, copy, built_at, rows)
        chosen: dict[str, Sequence[str]] = {}
        for kind in kinds:
            drawn = reserve(document, kind, copy, rows)
            if drawn:
                reserved.add((copy.number, kind.key))
            chosen[kind.key] = drawn or numbered[kind.key]
        return chosen

    return FormSource(paperforms.plan_kinds, ids, reserved=reserved)


@dataclass
class Pack:
    """The files of a pack, in order, with `manifest.json` last."""

    name: str
    files: dict[str, bytes] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    def zip_bytes(self) -> bytes:
        """A zip of the pack under one folder named after it; the same pack gives the same bytes."""
        stamp = _zip_time(self.manifest.get("builtAt", "1980-01-01T00:00:00"))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.files.items():
                info = zipfile.ZipInfo(f"{self.name}/{name}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        return buffer.getvalue()

    def write_to(self, directory: Path) -> list[Path]:
        """Write every file under `directory` (made if needed); returns the paths written."""
        written = []
        for name, data in self.files.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            written.append(path)
        return written


def _zip_time(iso: str) -> tuple[int, int, int, int, int, int]:
    moment = datetime.fromisoformat(iso)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _packed(source: PlanSource, copy: CopySpec, built_at: datetime, zone: ZoneInfo) -> PackedPlan:
    return PackedPlan(
        plan_content(source.document),
        source.last_updated.astimezone(zone),
        built_at.astimezone(zone),
        copy,
        source.terms,
    )


def plan_files(
    source: PlanSource,
    *,
    copies: Sequence[CopySpec],
    built_at: datetime,
    zone: ZoneInfo,
    forms: FormSource | None = None,
    parts: Iterable[str] = PARTS,
    prefix: str = "",
) -> dict[str, bytes]:
    """The files of one plan for each copy (an uncontrolled copy when `copies` is empty)."""
    wanted = set(parts)
    if wanted - PARTS:
        raise ValueError(f"unknown pack part(s): {', '.join(sorted(wanted - PARTS))}")
    forms = forms or fallback_forms(built_at)
    content = plan_content(source.document)
    kinds = forms.kinds(source.document) if "forms" in wanted else []
    files: dict[str, bytes] = {}
    for copy in copies or [UNCONTROLLED_COPY]:
        packed = PackedPlan(
            content, source.last_updated.astimezone(zone), built_at.astimezone(zone), copy, source.terms
        )
        stem = f"{prefix}{source.key}" + (f"-copy-{copy.number}" if copy.number is not None else "")
        title = source.document.title
        if "html" in wanted:
            html = render.html_file(
                [packed], title=title, organisation=source.document.organisation.name, printed_on=packed.printed_on
            )
            files[f"{stem}.html"] = html.encode()
        if "pdf" in wanted:
            files[f"{stem}.pdf"] = render.pdf(render.print_html([packed], title=title))
        if "forms" in wanted:
            ids = forms.ids(source.document, kinds, copy) if copy.number is not None else None
            drawn = {key for number, key in forms.reserved if number == copy.number}
            pages = paperforms.form_pages(kinds, ids, reserved=drawn)
            files[f"{stem}-downtime-forms.pdf"] = render.pdf(render.forms_html(packed, pages))
    return files


def _plan_entry(source: PlanSource, copies: Sequence[CopySpec]) -> dict[str, Any]:
    doc = source.document
    return {
        "plan": doc.id,
        "title": doc.title,
        "number": doc.document.number,
        "issue": doc.document.issue,
        "contentHash": plan_content(doc).content_hash,
        "lastUpdated": source.last_updated.isoformat(),
        "copies": [c.number for c in copies if c.number is not None],
    }


def _finish(pack: Pack, manifest: dict[str, Any]) -> Pack:
    manifest["files"] = [
        {"name": name, "sha256": sha256(data), "bytes": len(data)} for name, data in pack.files.items()
    ]
    pack.manifest = manifest
    pack.files[MANIFEST] = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    return pack


def build_plan_pack(
    source: PlanSource,
    *,
    copies: Sequence[CopySpec] = (),
    built_at: datetime,
    zone: ZoneInfo,
    forms: FormSource | None = None,
    parts: Iterable[str] = PARTS,
) -> Pack:
    """One plan's pack: its files for each copy, and the manifest."""
    doc = source.document
    pack = Pack(f"{doc.id}-issue-{doc.document.issue}-grab-pack")
    pack.files.update(plan_files(source, copies=copies, built_at=built_at, zone=zone, forms=forms, parts=parts))
    entry = _plan_entry(source, copies)
    manifest = {
        "format": FORMAT,
        "generator": f"contingency {__version__}",
        "scope": "plan",
        "organisation": doc.organisation.id,
        **entry,
        "builtAt": built_at.isoformat(),
        "downtimeForms": "record kinds" if doc.record_kinds else "from the plan's functions (fallback layout)",
        "downtimeIds": _ids_entry(forms, copies),
    }
    return _finish(pack, manifest)


def _ids_entry(forms: FormSource | None, copies: Sequence[CopySpec]) -> dict[str, Any]:
    """Per numbered copy, the record kinds whose IDs are a reserved block (the rest are numbered from this print)."""
    reserved = forms.reserved if forms is not None else set()
    return {
        str(c.number): sorted(key for number, key in reserved if number == c.number)
        for c in copies
        if c.number is not None
    }


def organisation_html(
    sources: Sequence[PlanSource], *, organisation: tuple[str, str], built_at: datetime, zone: ZoneInfo
) -> bytes:
    """The single HTML file of every plan of an organisation (an uncontrolled copy)."""
    name = organisation[1]
    packed = [_packed(s, UNCONTROLLED_COPY, built_at, zone) for s in sources]
    local = built_at.astimezone(zone)
    return render.html_file(packed, title=f"{name}: every plan", organisation=name, printed_on=local).encode()


def build_organisation_pack(
    sources: Sequence[PlanSource],
    *,
    organisation: tuple[str, str],
    built_at: datetime,
    zone: ZoneInfo,
    plan_packs: Mapping[str, Pack] | None = None,
    forms: FormSource | None = None,
) -> Pack:
    """Every plan of an organisation: one HTML file and one PDF of them all (uncontrolled), and each
    plan's own files under `<plan>/` - those of `plan_packs` (packs printed for copy holders), or an
    uncontrolled copy of each."""
    slug, name = organisation
    plan_packs = plan_packs or {}
    pack = Pack(f"{slug}-grab-pack-{built_at.astimezone(zone):%Y-%m-%d}")
    packed = [_packed(s, UNCONTROLLED_COPY, built_at, zone) for s in sources]
    title = f"{name}: every plan"
    pack.files[f"{slug}.html"] = organisation_html(sources, organisation=organisation, built_at=built_at, zone=zone)
    if packed:
        pack.files[f"{slug}.pdf"] = render.pdf(render.print_html(packed, title=title))
    entries = []
    for source in sources:
        printed = plan_packs.get(source.key)
        if printed is not None:
            pack.files.update({f"{source.key}/{n}": data for n, data in printed.files.items()})
            entries.append({k: printed.manifest[k] for k in PLAN_ENTRY if k in printed.manifest})
            continue
        pack.files.update(
            plan_files(source, copies=(), built_at=built_at, zone=zone, forms=forms, prefix=f"{source.key}/")
        )
        entries.append(_plan_entry(source, ()))
    manifest = {
        "format": FORMAT,
        "generator": f"contingency {__version__}",
        "scope": "organisation",
        "organisation": slug,
        "plans": entries,
        "builtAt": built_at.isoformat(),
        "copies": {entry["plan"]: entry["copies"] for entry in entries},
    }
    return _finish(pack, manifest)
