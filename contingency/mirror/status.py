"""How current a laptop copy is, in the words its pages and the command line use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.plans.workflow import organisation_zone

from .models import MirrorSource


def _zone(source: MirrorSource) -> ZoneInfo:
    return organisation_zone(source.organisation) if source.organisation else ZoneInfo(settings.TIME_ZONE)


def _moment(moment: datetime, zone: ZoneInfo) -> str:
    local = timezone.localtime(moment, zone)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b %Y}"


def as_of(source: MirrorSource) -> str:
    """When the copy was last brought up to date, on the organisation's clock."""
    return _moment(source.last_success_at, _zone(source)) if source.last_success_at else "never"


@dataclass(frozen=True)
class CopyStatus:
    """What a page of a copied organisation says at the top."""

    organisation: str
    server: str
    as_of: str
    failed_at: str
    error: str

    @property
    def sentence(self) -> str:
        text = f"Copy of {self.organisation} from {self.server} as of {self.as_of}"
        if self.error:
            text += f", last attempt failed at {self.failed_at}: {self.error}"
        return text + "."


def copy_status(organisation: Organisation) -> CopyStatus | None:
    """The copy's state when this organisation is copied from a server here; None otherwise."""
    source = MirrorSource.objects.filter(organisation=organisation).select_related("server", "organisation").first()
    if source is None:
        return None
    failed = _moment(source.last_attempt_at, _zone(source)) if source.last_error and source.last_attempt_at else ""
    return CopyStatus(organisation.name, source.server.url, as_of(source), failed, source.last_error)
