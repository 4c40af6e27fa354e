"""Turning a pack's content into files: the single HTML file, the A4 PDF and the downtime forms.

Templates are rendered without a request (the worker builds packs too), CSS is included inline from
templates/packs/, and WeasyPrint lays the print HTML out on A4 with CSS paged media. Nothing here
reads the database or the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.template.loader import render_to_string

from contingency.plans.spec import PlanDocument

from .content import PlanContent
from .paperforms import FormPage
from .terms import ContractTerms, SupplierRow

UNCONTROLLED = "Uncontrolled copy"


@dataclass(frozen=True)
class CopySpec:
    """The copy a file is made for: a numbered copy with its holder and location, or an uncontrolled one."""

    number: int | None = None
    holder: str | None = None
    location: str | None = None

    @property
    def label(self) -> str:
        return f"Copy {self.number}" if self.number is not None else UNCONTROLLED


UNCONTROLLED_COPY = CopySpec()


@dataclass(frozen=True)
class PackedPlan:
    """One plan's content as printed for one copy at one time (times on the organisation's wall clock)."""

    content: PlanContent
    last_updated: datetime
    printed_on: datetime
    copy: CopySpec
    terms: ContractTerms | None = None

    @property
    def document(self) -> PlanDocument:
        return self.content.document

    @property
    def key(self) -> str:
        return self.content.key

    @property
    def short_hash(self) -> str:
        return self.content.content_hash[:12]

    @property
    def copy_label(self) -> str:
        return self.copy.label

    @property
    def copy_number(self) -> int | None:
        return self.copy.number

    @property
    def holder(self) -> str | None:
        return self.copy.holder

    @property
    def location(self) -> str | None:
        return self.copy.location

    @property
    def working_hours(self) -> str:
        return self.content.working_hours

    @property
    def functions(self) -> object:
        return self.content.functions

    @property
    def escalation(self) -> object:
        return self.content.escalation

    @property
    def triggers(self) -> object:
        return self.content.triggers

    @property
    def directory(self) -> object:
        return self.content.directory

    @property
    def sheets(self) -> object:
        return self.content.sheets

    @property
    def supplier_terms(self) -> list[SupplierRow]:
        """Each supplier the plan names with its assurance on file (none when the registers were not read)."""
        return self.terms.rows(self.document) if self.terms is not None else []


def html_file(plans: Sequence[PackedPlan], *, title: str, organisation: str, printed_on: datetime) -> str:
    """The self-contained HTML file: inline CSS, a search box, no request to anywhere."""
    return render_to_string(
        "packs/pack.html",
        {"plans": plans, "title": title, "organisation": organisation, "printed_on": printed_on},
    )


def print_html(plans: Sequence[PackedPlan], *, title: str) -> str:
    """The HTML WeasyPrint lays out as the A4 PDF."""
    return render_to_string("packs/print.html", {"plans": plans, "title": title})


def forms_html(plan: PackedPlan, pages: Sequence[FormPage]) -> str:
    """The HTML of the paper downtime forms (A4 landscape)."""
    return render_to_string("packs/forms.html", {"p": plan, "pages": pages})


def pdf(html: str) -> bytes:
    """Lay `html` out with WeasyPrint. It is given no base URL and fetches nothing: everything is inline."""
    from weasyprint import HTML

    result = HTML(string=html, url_fetcher=_refuse).write_pdf()
    assert isinstance(result, bytes)
    return result


def _refuse(url: str, *args: object, **kwargs: object) -> dict[str, object]:
    """A pack must be whole by itself: any fetch is a bug in its templates."""
    raise ValueError(f"the grab pack must not load anything, but asked for {url[:80]}")
