"""The status page as data, built once per version and epoch, and the files made from it, made once each.

A request first reads the organisation's `Stamp`: one indexed row (the page's version and when it
changed) and, once per version, the moments maintenance starts or ends. The `epoch` is how many of
those moments have passed: the page's content can only change with the version (a change) or the
epoch (maintenance starting or ending), so (version, epoch) names it exactly. ETags and the cache
key are made of them; Last-Modified is the later of the change and the last moment passed.

`page(stamp)` gives the PageData for a stamp from a small per-process cache (built with a few
queries on a miss); `Built.file(name, mode)` renders each file at most once per process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.lib.calendar import CalendarError, from_organisation

from . import current
from .models import Audience, MaintenanceWindow, PublishedService, ServiceState, StatusSite, StatusUpdate
from .states import Reading, worst
from .states import epoch as epoch_of
from .words import Language

UPDATES_SHOWN = 50  # public updates on the page and in the feed, newest first
CALENDAR_PAST = timedelta(days=90)  # ended maintenance kept in the iCalendar feed
CACHE_SIZE = 64


@dataclass(frozen=True)
class Text:
    """Words the organisation wrote, in English and (when given) Welsh."""

    en: str
    cy: str = ""

    def get(self, language: Language) -> tuple[str, Language]:
        """The text in `language` if given, else the English, with the language it is in."""
        if language == "cy" and self.cy.strip():
            return self.cy, "cy"
        return self.en, "en"


@dataclass(frozen=True)
class ServiceView:
    key: str
    name: Text
    description: Text
    state: ServiceState


@dataclass(frozen=True)
class UpdateView:
    id: int
    at: datetime
    text: Text
    state: str
    services: tuple[Text, ...]
    incident: int | None


@dataclass(frozen=True)
class WindowView:
    uid: str
    title: Text
    description: Text
    starts_at: datetime
    ends_at: datetime
    cancelled_at: datetime | None
    sequence: int
    created_at: datetime
    services: tuple[Text, ...]
    in_progress: bool


@dataclass(frozen=True)
class PageData:
    slug: str
    organisation: str
    zone: ZoneInfo
    title: Text
    intro: Text
    services: tuple[ServiceView, ...]
    updates: tuple[UpdateView, ...]
    windows: tuple[WindowView, ...]  # not cancelled, not yet ended: for the page
    calendar: tuple[WindowView, ...]  # every window for the iCalendar feed, cancelled ones included
    changed_at: datetime
    last_modified: datetime
    version: str
    epoch: int

    @property
    def overall(self) -> ServiceState:
        return worst(Reading(s.state, "page") for s in self.services)

    @property
    def maintenance_now(self) -> bool:
        return any(w.in_progress for w in self.windows)


@dataclass(frozen=True)
class Stamp:
    """Which content the page has now: enough to answer a conditional request without building anything."""

    organisation_id: int
    slug: str
    version: str
    epoch: int
    last_modified: datetime

    def etag(self, name: str) -> str:
        return f'"{self.version[:20]}.{self.epoch}.{name}"'


_BOUNDS: OrderedDict[tuple[int, str], tuple[datetime, ...]] = OrderedDict()
_PAGES: OrderedDict[tuple[int, str, int], Built] = OrderedDict()
_LOCK = threading.Lock()

_SITE_SQL = (
    "SELECT s.organisation_id, s.version, s.changed_at FROM status_statussite s "
    "JOIN core_organisation o ON o.id = s.organisation_id WHERE o.slug = %s AND s.published"
)


def stamp(slug: str, at: datetime | None = None) -> Stamp | None:
    """The stamp of the published page of the organisation `slug`, or None when there is none.

    Asked on every request for the page, so through the driver's own cursor: Django's wrappers
    (and the debug SQL log) cost more than the query. The connection is Django's, in autocommit.
    """
    connection.ensure_connection()
    if connection.in_atomic_block:  # inside a transaction (a service, a test): Django's cursor, its view
        with connection.cursor() as cursor:
            cursor.execute(_SITE_SQL, [slug])
            row = cursor.fetchone()
    else:
        raw = connection.connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute(_SITE_SQL.replace("%s", "?") if connection.vendor == "sqlite" else _SITE_SQL, [slug])
            row = cursor.fetchone()
        finally:
            cursor.close()
    if row is None:
        return None
    organisation_id, version, changed_at = row
    if isinstance(changed_at, str):  # SQLite through a raw cursor
        changed_at = datetime.fromisoformat(changed_at)
    if timezone.is_naive(changed_at):
        changed_at = changed_at.replace(tzinfo=ZoneInfo("UTC"))
    bounds = _boundaries(organisation_id, version, changed_at)
    epoch = epoch_of(bounds, at or timezone.now())
    last = max(changed_at, bounds[epoch - 1]) if epoch else changed_at
    return Stamp(organisation_id, slug, version, epoch, last)


def _boundaries(organisation_id: int, version: str, changed_at: datetime) -> tuple[datetime, ...]:
    key = (organisation_id, version)
    with _LOCK:
        if key in _BOUNDS:
            return _BOUNDS[key]
    rows = MaintenanceWindow.objects.filter(
        organisation_id=organisation_id, cancelled_at=None, ends_at__gt=changed_at - CALENDAR_PAST
    ).values_list("starts_at", "ends_at")
    found = tuple(sorted({moment for pair in rows for moment in pair}))
    with _LOCK:
        _BOUNDS[key] = found
        while len(_BOUNDS) > CACHE_SIZE:
            _BOUNDS.popitem(last=False)
    return found


@dataclass
class Built:
    """One version's page data, and its files as they are rendered (each once)."""

    data: PageData
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def file(self, name: str, mode: str, render: Callable[[PageData, str, str], bytes]) -> bytes:
        key = (name, mode)
        with self.lock:
            if key not in self.files:
                self.files[key] = render(self.data, name, mode)
            return self.files[key]


def page(found: Stamp, at: datetime | None = None) -> Built:
    """The page for a stamp, from the cache or built now."""
    key = (found.organisation_id, found.version, found.epoch)
    with _LOCK:
        if key in _PAGES:
            _PAGES.move_to_end(key)
            return _PAGES[key]
    built = Built(build(found, at or timezone.now()))
    with _LOCK:
        built = _PAGES.setdefault(key, built)
        while len(_PAGES) > CACHE_SIZE:
            _PAGES.popitem(last=False)
    return built


def build(found: Stamp, at: datetime) -> PageData:
    """Read everything the page shows (a handful of queries)."""
    site = StatusSite.objects.select_related("organisation").get(organisation_id=found.organisation_id)
    organisation = site.organisation
    zone = _zone(organisation)
    services = list(PublishedService.objects.filter(organisation=organisation))
    states = current.states(organisation, services, at=at)
    names = {s.pk: Text(s.name, s.name_cy) for s in services}
    updates = (
        StatusUpdate.objects.filter(organisation=organisation, audience=Audience.PUBLIC)
        .select_related("incident")
        .prefetch_related("services")
        .order_by("-at", "-id")[:UPDATES_SHOWN]
    )
    windows = (
        MaintenanceWindow.objects.filter(organisation=organisation, ends_at__gt=site.changed_at - CALENDAR_PAST)
        .prefetch_related("services")
        .order_by("starts_at", "id")
    )
    calendar = tuple(
        WindowView(
            uid=str(w.uid),
            title=Text(w.title, w.title_cy),
            description=Text(w.description, w.description_cy),
            starts_at=w.starts_at.astimezone(zone),
            ends_at=w.ends_at.astimezone(zone),
            cancelled_at=w.cancelled_at,
            sequence=w.sequence,
            created_at=w.created_at,
            services=tuple(names[s.pk] for s in w.services.all() if s.pk in names),
            in_progress=w.cancelled_at is None and w.starts_at <= at < w.ends_at,
        )
        for w in windows
    )
    return PageData(
        slug=organisation.slug,
        organisation=organisation.name,
        zone=zone,
        title=Text(site.title, site.title_cy),
        intro=Text(site.intro, site.intro_cy),
        services=tuple(
            ServiceView(s.key, names[s.pk], Text(s.description, s.description_cy), states[s.pk].state) for s in services
        ),
        updates=tuple(
            UpdateView(
                id=u.pk,
                at=u.at.astimezone(zone),
                text=Text(u.text, u.text_cy),
                state=u.state,
                services=tuple(names[s.pk] for s in u.services.all() if s.pk in names),
                incident=u.incident.number if u.incident else None,
            )
            for u in updates
        ),
        windows=tuple(w for w in calendar if w.cancelled_at is None and w.ends_at > at),
        calendar=calendar,
        changed_at=site.changed_at.astimezone(zone),
        last_modified=found.last_modified,
        version=found.version,
        epoch=found.epoch,
    )


def _zone(organisation: Organisation) -> ZoneInfo:
    try:
        return from_organisation(organisation).zone
    except CalendarError:
        return ZoneInfo("Europe/London")


def clear() -> None:
    """Forget every cached page (tests)."""
    with _LOCK:
        _PAGES.clear()
        _BOUNDS.clear()
