"""Keeping a laptop copy current: pull each organisation's changed issued plans, verified, in one transaction.

A pull of one organisation reads the signed feed, fetches only the plans whose issue or content
differs from what the laptop holds, validates each exactly as a plan file, and only then replaces
anything - all of that organisation's changes in one transaction, each plan audited. Anything
that goes wrong before that (the server gone, a refused token, a tampered answer, an invalid plan)
changes no plan: the last good copy stays, and the source records when and why the attempt failed,
for the laptop's pages and the command line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils import timezone
from pydantic import ValidationError

from contingency.core import audit
from contingency.lib import keys
from contingency.plans.editing import Actor
from contingency.plans.models import Plan, PlanIssue, PlanStatus, new_revision
from contingency.plans.problems import PlanInvalid
from contingency.plans.spec import PlanDocument
from contingency.plans.spec import directory as d
from contingency.plans.store import import_plan, upsert_organisation
from contingency.plans.validate import load_text

from . import wire
from .client import Client, PullFailed
from .models import MirrorServer, MirrorSource

VIA = "laptop copy"


class PinRefused(Exception):
    """The server's key cannot be pinned or does not match the pin; bad input, not a failed pull."""


@dataclass(frozen=True)
class Fetched:
    key: str
    issue: int
    issue_date: date
    issued_at: datetime
    summary: str
    text: str
    document: PlanDocument


@dataclass
class Outcome:
    """How one organisation's pull went."""

    slug: str
    changed: list[str] = field(default_factory=list)
    unchanged: int = 0
    gone: list[str] = field(default_factory=list)
    error: str = ""


# ---------------------------------------------------------------- the pinned key


def pin(url: str, server_key: str | None, *, repin: bool = False) -> MirrorServer:
    """The server's row with its pinned key: pinned now from `server_key` on the first pull.

    A key given later must be the pinned one, unless `repin` says to replace it (a key rotated on purpose).
    """
    if server_key is not None:
        try:
            keys.parse_public(server_key)
        except keys.KeyUnusable as exc:
            raise PinRefused(f"--server-key: {exc}") from None
        server_key = server_key.strip()
    with transaction.atomic():
        server = MirrorServer.objects.select_for_update().filter(url=url).first()
        if server is None:
            if server_key is None:
                raise PinRefused(
                    f"--server-key: the first pull from {url} needs the server's public key, to check that "
                    "what arrives was signed by that server (its operator prints it with `contingency mirror-key`; "
                    "it is also shown when a mirror token is made)"
                )
            return MirrorServer.objects.create(url=url, public_key=server_key, pinned_at=timezone.now())
        if server_key is not None and server_key != server.public_key:
            if not repin:
                raise PinRefused(
                    f"--server-key: {keys.fingerprint(server_key)} is not the key pinned for {url} on "
                    f"{server.pinned_at:%d %b %Y} ({keys.fingerprint(server.public_key)}); add --repin only if "
                    "the server's key was replaced on purpose"
                )
            server.public_key, server.pinned_at = server_key, timezone.now()
            server.save(update_fields=["public_key", "pinned_at"])
        return server


# ---------------------------------------------------------------- what the laptop holds


def held(slug: str) -> dict[str, tuple[int, str]]:
    """The mirrored plans of an organisation here: key -> (issue, SHA-256 of its issued text)."""
    plans = Plan.objects.filter(organisation__slug=slug).exclude(mirrored_from="")
    latest = dict(
        PlanIssue.objects.filter(plan__in=plans).values("plan_id").annotate(n=Max("issue")).values_list("plan_id", "n")
    )
    found: dict[str, tuple[int, str]] = {}
    for key, plan_id in plans.values_list("key", "pk"):
        issue = latest.get(plan_id)
        row = PlanIssue.objects.filter(plan_id=plan_id, issue=issue).only("text").first() if issue else None
        if row is not None:
            found[key] = (row.issue, wire.sha256_text(row.text))
    return found


def local_cursor(slug: str, holding: dict[str, tuple[int, str]]) -> str:
    """The cursor of what the laptop holds; "" before the first pull, so the server lists everything."""
    if not holding and not MirrorSource.objects.filter(slug=slug, last_success_at__isnull=False).exists():
        return ""
    return wire.cursor_of((key, issue, digest) for key, (issue, digest) in holding.items())


# ---------------------------------------------------------------- one pull


def pull_organisation(client: Client, server: MirrorServer, slug: str) -> Outcome:
    """Bring one organisation's copy up to date, or keep the last good one and record why not."""
    outcome = Outcome(slug)
    source = _source(server, slug)
    try:
        holding = held(slug)
        feed = client.feed(slug, local_cursor(slug, holding))
        organisation = _organisation(feed)
        wanted = _changed(feed, holding) if feed.get("changed") else []
        fetched = [_fetch(client, slug, entry) for entry in wanted]
        _refuse_local_plans(slug, server, fetched)
        listed = {str(entry.get("key")) for entry in feed.get("plans", [])}
        outcome.gone = sorted(set(holding) - listed) if feed.get("changed") else []
        outcome.changed = [f"{item.key} issue {item.issue}" for item in fetched]
        outcome.unchanged = len(holding) - len([f for f in fetched if f.key in holding])
        apply_pull(source=source, organisation=organisation, fetched=fetched, cursor=str(feed["cursor"]), actor=None)
    except PullFailed as failed:
        outcome.error = failed.message
    except DatabaseError as exc:  # e.g. the laptop's database locked by another process for too long
        outcome.error = f"this laptop's database refused the change ({exc}); nothing was replaced"
    if outcome.error:
        record_failure(source=source, message=outcome.error)
    return outcome


def _source(server: MirrorServer, slug: str) -> MirrorSource:
    source, _ = MirrorSource.objects.get_or_create(slug=slug, defaults={"server": server})
    if source.server_id != server.pk:
        raise PinRefused(f"--org: {slug} is already copied from {source.server.url}, not {server.url}")
    return source


def _organisation(feed: dict[str, Any]) -> d.Organisation:
    try:
        organisation = d.Organisation.model_validate(feed["organisation"])
    except (ValidationError, KeyError):
        raise PullFailed("the feed's description of the organisation is not valid") from None
    cursor = feed.get("cursor")
    if not isinstance(cursor, str) or not wire.CURSOR.match(cursor):
        raise PullFailed("the feed has no valid cursor")
    return organisation


def _changed(feed: dict[str, Any], holding: dict[str, tuple[int, str]]) -> list[dict[str, Any]]:
    entries = feed.get("plans")
    if not isinstance(entries, list):
        raise PullFailed("the feed's list of plans is not in the expected form")
    wanted = []
    for entry in entries:
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("issue"), int)
            and isinstance(entry.get("sha256"), str)
        ):
            raise PullFailed("an entry of the feed's list of plans is not in the expected form")
        if holding.get(entry["key"]) != (entry["issue"], entry["sha256"]):
            wanted.append(entry)
    return wanted


def _fetch(client: Client, slug: str, entry: dict[str, Any]) -> Fetched:
    key, issue = str(entry["key"]), int(entry["issue"])
    payload = client.plan(slug, key, issue)
    text = payload.get("text")
    what = f"issue {issue} of plan {key}"
    if (
        not isinstance(text, str)
        or wire.sha256_text(text) != entry["sha256"]
        or payload.get("sha256") != entry["sha256"]
    ):
        raise PullFailed(f"{what}: its content does not match the SHA-256 the feed listed: refused")
    try:
        document, _ = load_text(text, f"{what} from the server")
        issue_date = date.fromisoformat(str(payload["issueDate"]))
        issued_at = datetime.fromisoformat(str(payload["issuedAt"]))
    except PlanInvalid as invalid:
        raise PullFailed(f"{what} is not a valid plan here: {invalid.problems[0]}") from None
    except (KeyError, ValueError):
        raise PullFailed(f"{what}: the issue's date or time is missing or not valid") from None
    if document.organisation.id != slug or document.id != key or document.document.issue != issue:
        raise PullFailed(f"{what}: the plan inside is another plan, issue or organisation: refused")
    return Fetched(key, issue, issue_date, issued_at, str(payload.get("summary") or ""), text, document)


def _refuse_local_plans(slug: str, server: MirrorServer, fetched: list[Fetched]) -> None:
    wanted = [item.key for item in fetched]
    plan = Plan.objects.filter(organisation__slug=slug, key__in=wanted).exclude(mirrored_from=server.url).first()
    if plan is not None:
        raise PullFailed(
            f"a plan {plan.key!r} of {slug} that is not a copy from {server.url} is already here: "
            "the copy does not replace it"
        )


# ---------------------------------------------------------------- the services


def apply_pull(
    *,
    source: MirrorSource,
    organisation: d.Organisation,
    fetched: list[Fetched],
    cursor: str,
    actor: Actor,
    via: str = VIA,
) -> None:
    """Replace the changed plans with their new issues, all or nothing, each audited; record the good pull."""
    now = timezone.now()
    with transaction.atomic():
        url = source.server.url
        for item in fetched:
            before = Plan.objects.filter(organisation__slug=item.document.organisation.id, key=item.key).first()
            plan = import_plan(item.document, source=f"{url} (issue {item.issue})")
            Plan.objects.filter(pk=plan.pk).update(mirrored_from=url, status=PlanStatus.ISSUED, revision=new_revision())
            PlanIssue.objects.update_or_create(
                plan=plan,
                issue=item.issue,
                defaults={
                    "issue_date": item.issue_date,
                    "text": item.text,
                    "summary": item.summary,
                    "issued_at": item.issued_at,
                },
            )
            audit.record(
                organisation=plan.organisation,
                actor=actor,
                verb=audit.Verb.CHANGE if before else audit.Verb.CREATE,
                object_type="plan",
                object_key=plan.key,
                label=plan.title,
                before={"issue": before.issue} if before else None,
                after={"issue": item.issue, "sha256": wire.sha256_text(item.text)},
                note=f"issue {item.issue} copied from {url}",
                via=via,
            )
        row = upsert_organisation(organisation)
        MirrorSource.objects.filter(pk=source.pk).update(
            organisation=row,
            cursor=cursor,
            last_success_at=now,
            last_attempt_at=now,
            last_error="",
            last_changes=[f"{item.key} issue {item.issue}" for item in fetched],
        )


def record_failure(*, source: MirrorSource, message: str) -> None:
    """Say when and why the last attempt failed; the copy itself is untouched."""
    with transaction.atomic():
        MirrorSource.objects.filter(pk=source.pk).update(last_attempt_at=timezone.now(), last_error=message)
