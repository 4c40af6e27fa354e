"""Document control: reviews, issue numbers, numbered copies, approval."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

from contingency.lib.durations import Duration, Unit

from ...problems import Path
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@rule("DOC001", "review-overdue", Severity.ERROR, "The plan's review date has passed")
def review_overdue(ctx: Context) -> Found:
    """A plan past its review date may name people who have left and numbers that no longer ring.
    ISO 22301 and the NHS EPRR core standards expect plans reviewed at least annually."""
    doc = ctx.plan.document
    if doc.review_date < ctx.options.today:
        days = (ctx.options.today - doc.review_date).days
        yield ("document", "reviewDate"), f"review was due on {doc.review_date:%d %B %Y}, {days} day(s) ago"


def _longer_than_a_year(interval: Duration) -> bool:
    """Months compare by count (13 months is too long, whatever the calendar); other units by
    their shortest span, so 52 weeks or 365 days pass and 53 weeks do not."""
    if interval.unit is Unit.MONTHS:
        return interval.value > 12
    return interval.shortest > timedelta(days=366)


@rule("DOC002", "review-interval-too-long", Severity.WARNING, "Review interval over 12 months")
def review_interval(ctx: Context) -> Found:
    """The review interval, or the gap between the issue date and the review date, is longer than
    12 months; EPRR core standards and the DSPT expect continuity plans reviewed at least annually."""
    doc = ctx.plan.document
    if _longer_than_a_year(doc.review_interval):
        yield ("document", "reviewInterval"), f"review interval is {doc.review_interval}, more than 12 months"
    if doc.review_date > add_months(doc.issue_date, 12):
        yield (
            ("document", "reviewDate"),
            f"review date {doc.review_date} is more than 12 months after the issue date {doc.issue_date}",
        )


@rule("DOC003", "issue-disagrees-with-changes", Severity.ERROR, "Issue number disagrees with the record of changes")
def issue_vs_changes(ctx: Context) -> Found:
    """Any alteration means a complete reissue with a new issue number, recorded in the record of
    changes. A plan whose issue number is not the latest entry in that record (or whose record
    skips or repeats issues) cannot show which copy is current."""
    doc = ctx.plan.document
    if doc.issue is None:  # no issue number yet: ASW012 says so
        return
    if not doc.changes:
        yield ("document", "changes"), f"issue {doc.issue} has no record of changes"
        return
    issues = [c.issue for c in doc.changes]
    latest = max(issues)
    if latest != doc.issue:
        yield ("document", "issue"), f"document is issue {doc.issue} but the record of changes ends at issue {latest}"
    for i, (before, after) in enumerate(zip(doc.changes, doc.changes[1:], strict=False), start=1):
        if after.issue != before.issue + 1:
            yield (
                ("document", "changes", i, "issue"),
                f"record of changes goes from issue {before.issue} to {after.issue}",
            )
        if after.date < before.date:
            yield ("document", "changes", i, "date"), f"issue {after.issue} is dated before issue {before.issue}"


@rule("DOC004", "copy-not-acknowledged", Severity.WARNING, "A numbered-copy holder has not acknowledged this issue")
def holder_acknowledged(ctx: Context) -> Found:
    """Amendments reach only numbered copies; a holder who has not acknowledged the current issue
    may be working from a superseded plan kept in a grab pack."""
    doc = ctx.plan.document
    for i, holder in enumerate(doc.holders if doc.issue is not None else []):
        if holder.acknowledged_issue != doc.issue:
            held = f"issue {holder.acknowledged_issue}" if holder.acknowledged_issue else "no acknowledged issue"
            yield (
                ("document", "holders", i),
                f"copy {holder.copy_number} ({ctx.name(holder.holder)}) has {held}; current is issue {doc.issue}",
            )


@rule("DOC005", "duplicate-copy-number", Severity.ERROR, "Two holders share a copy number")
def duplicate_copy(ctx: Context) -> Found:
    """Numbered copies identify exactly one registered holder each; a repeated number makes it
    impossible to tell which copy an amendment reached."""
    seen: dict[int, int] = {}
    for i, holder in enumerate(ctx.plan.document.holders):
        if holder.copy_number in seen:
            yield (
                ("document", "holders", i, "copy"),
                f"copy {holder.copy_number} is also held by holder {seen[holder.copy_number] + 1}",
            )
        seen.setdefault(holder.copy_number, i)


@rule("DOC006", "no-approval", Severity.WARNING, "No approval recorded")
def approval(ctx: Context) -> Found:
    """A plan should record who approved it (a person or an approving body) and when; an unapproved
    plan is a draft, whatever its issue number says."""
    doc = ctx.plan.document
    if doc.approved_by is None and doc.approving_body is None:
        yield ("document",), "neither an approver nor an approving body is recorded"
    elif doc.approval_date is None and doc.approved_by is not None:
        yield ("document", "approvedBy"), "approver recorded without an approval date"
