"""The live region of the incident page, in sections, rendered once per incident version and minute.

The region is seven sections (SECTIONS), each a template under web/incidents/live/. Together they
are rendered once for each key - the incident's (id, token, version), the minute (the clocks and
"overdue" move with it), the organisation, what the reader may do, the members offered in the
checklist and the timeline's order and filter - and shared by every reader with that key, in this
process. Every change to an incident gives it a new version (incidents.models.touch), so a reader
never sees a stale section. Nothing per user is kept: forms are rendered with fragments.CSRF_SLOT,
replaced by the reader's own token on the way out.

The page's script polls with the ETag it last received. The ETag lists a digest of each section,
so the server answers 304 when nothing changed, and otherwise sends only the sections whose digest
differs, as htmx out-of-band swaps. Rendering is a pure function of the key (the clock is read at
the start of the minute), so every process gives the same digests for the same state.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from contingency.incidents.models import Incident
from contingency.web.access import OrgContext
from contingency.web.fragments import CSRF_SLOT, Fragments, digest, with_csrf

from . import present
from .present import Problem

SECTIONS = ("facts", "functions", "checklist", "reached", "due", "timeline", "summary")
ORDERS = ("newest", "oldest")


@dataclass(frozen=True)
class Section:
    name: str
    html: str  # rendered with CSRF_SLOT for the token
    digest: str


@dataclass(frozen=True)
class Live:
    sections: tuple[Section, ...]

    @property
    def etag(self) -> str:
        return '"live.' + ".".join(s.digest for s in self.sections) + '"'

    def changed_since(self, etag: str) -> tuple[Section, ...]:
        """The sections whose digest differs from those the ETag `etag` lists (all, for an unknown tag)."""
        held = etag.strip().removeprefix("W/").strip('"').split(".")
        if len(held) != len(self.sections) + 1 or held[0] != "live":
            return self.sections
        return tuple(s for s, old in zip(self.sections, held[1:], strict=True) if s.digest != old)

    def html(self, sections: tuple[Section, ...] | None = None, oob: bool = False) -> SafeString:
        """The sections as the region's children, still with CSRF_SLOT; `oob` marks each to replace its
        namesake (an htmx out-of-band swap)."""
        swap = mark_safe(' hx-swap-oob="true"' if oob else "")
        # The sections were rendered (and escaped) by the template engine: they are HTML already.
        chosen = self.sections if sections is None else sections
        return format_html_join("", '<div id="live-{}"{}>{}</div>', ((s.name, swap, mark_safe(s.html)) for s in chosen))

    def region(
        self, request: HttpRequest, sections: tuple[Section, ...] | None = None, oob: bool = False
    ) -> SafeString:
        """The same, with the reader's CSRF token in place."""
        return with_csrf(self.html(sections, oob), request)


LIVE: Fragments[Live] = Fragments(256)


def minute_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def live(
    request: HttpRequest, ctx: OrgContext, incident: Incident, order: str, kind: str, problem: Problem | None = None
) -> tuple[Live, Hashable | None]:
    """The live region of `incident` as `ctx`'s reader sees it now, and its key (None: not cached, as
    beside a refused change, which is rendered with the reader's own CSRF token)."""
    now = minute_of(timezone.now())
    members = tuple(present.members(ctx.organisation)) if ctx.can_respond else ()
    if problem is not None:
        return _render(ctx, incident, now, order, kind, members, problem, get_token(request)), None

    def key_at(minute: datetime) -> tuple[Hashable, ...]:
        return (incident.pk, incident.token, incident.version, minute, ctx.organisation.slug, ctx.can_respond)

    key = (*key_at(now), members, order, kind)
    # At the turn of a minute, while one thread renders the new minute, the others answer with the
    # same version's last minute: the clocks are shown to the minute, and the next poll has the new one.
    before = (*key_at(now - timedelta(minutes=1)), members, order, kind)
    return LIVE.get(key, lambda: _render(ctx, incident, now, order, kind, members, None, CSRF_SLOT), before), key


def _render(
    ctx: OrgContext,
    incident: Incident,
    now: datetime,
    order: str,
    kind: str,
    members: tuple[tuple[int, str], ...],
    problem: Problem | None,
    csrf: str,
) -> Live:
    context: dict[str, Any] = present.live_context(incident, now, order, kind)
    if problem is not None:
        for row in present.rows_of(context["groups"]):
            if problem.form.startswith(f"task-{row.task.pk}-") or problem.form.startswith(f"target-{row.task.pk}-"):
                row.problem = problem
    context.update({"ctx": ctx, "problem": problem, "members": list(members), "csrf_token": csrf})
    sections = []
    for name in SECTIONS:
        html = render_to_string(f"web/incidents/live/{name}.html", context)
        sections.append(Section(name, html, digest(html)))
    return Live(tuple(sections))
