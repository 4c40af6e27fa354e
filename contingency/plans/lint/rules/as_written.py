"""What a plan left missing or wrote in words: kept as written by the validator, reported here.

The validator refuses only what is malformed (spec/written.py); every value it kept as the plan's
own words, and every value the plan does not give, is one finding here, so the author sees what to
complete and nobody had to invent a number to get the plan in.
"""

from __future__ import annotations

from collections.abc import Iterator

from contingency.lib.durations import Duration

from ...problems import Path
from ...spec.plan import TriggerKind
from ...spec.written import AsWritten, duration_of
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


def _words(value: object) -> str:
    """How a finding quotes an as-written duration: a range counts as its upper end."""
    if isinstance(value, AsWritten) and (latest := duration_of(value)) is not None:
        return f"{str(value)!r} (a range: counted as {latest}, its upper end)"
    return f"{str(value)!r}, which gives no time"


@rule("ASW001", "recovery-time-as-written", Severity.WARNING, "A recovery time is given in words or as a range")
def recovery_time_as_written(ctx: Context) -> Found:
    """A recovery time objective such as "if prolonged" gives an incident no deadline, and a range
    such as "1-4 hours" leaves open which end staff are held to (the incident counts its upper end).
    The plan keeps the words; this finding asks for one duration per scenario."""
    for i, fn in enumerate(ctx.plan.functions):
        for j, rto in enumerate(fn.rto):
            if isinstance(rto.duration, AsWritten):
                yield (
                    ("functions", i, "rto", j, "duration"),
                    f"{fn.name}: the RTO for {rto.scenario!r} is {_words(rto.duration)}",
                )


@rule("ASW002", "duration-as-written", Severity.WARNING, "A duration is given in words rather than a time")
def duration_as_written(ctx: Context) -> Found:
    """An RPO, MTPD, duration rule, escalation time, backup retention or restore time, or monitoring
    interval written as words ("five working days", "if prolonged", "1-4 hours") cannot be checked
    against the others nor scheduled by the incident engine. (Recovery times, trigger intervals and
    backup frequencies have rules of their own.)"""
    for i, fn in enumerate(ctx.plan.functions):
        for field, value in (("rpo", fn.rpo), ("mtpd", fn.mtpd)):
            if isinstance(value, AsWritten):
                yield ("functions", i, field), f"{fn.name}: the {field.upper()} is {_words(value)}"
        for j, duration_rule in enumerate(fn.duration_rules):
            if isinstance(duration_rule.after, AsWritten):
                yield (
                    ("functions", i, "durationRules", j, "after"),
                    f"{fn.name}: the rule {duration_rule.action!r} applies after {_words(duration_rule.after)}",
                )
    for i, trigger in enumerate(ctx.plan.triggers):
        if trigger.kind is TriggerKind.AFTER and isinstance(trigger.after, AsWritten):
            yield ("triggers", i, "after"), f"{trigger.name} falls due after {_words(trigger.after)}"
    for i, system in enumerate(ctx.plan.systems):
        if system.backup is None:
            continue
        for field, value in (("retention", system.backup.retention), ("restoreTime", system.backup.restore_time)):
            if isinstance(value, AsWritten):
                what = "backups are kept for" if field == "retention" else "a restore takes"
                yield ("systems", i, "backup", field), f"{system.name}: {what} {_words(value)}"
    for i, activity in enumerate(ctx.plan.monitoring):
        if isinstance(activity.every, AsWritten):
            yield ("monitoring", i, "every"), f"{activity.activity!r} is done {_words(activity.every)}"


@rule(
    "ASW003", "trigger-without-timing", Severity.WARNING, "A recurring trigger has no interval, or a timed one no time"
)
def trigger_without_timing(ctx: Context) -> Found:
    """A meeting "repeated on an agreed basis" is held once at invocation and then only when someone
    remembers; an escalation "after" nothing never falls due. Plans say both: the incident holds the
    first meeting and schedules nothing more, and this finding asks for the interval (every: 1 day)."""
    for i, trigger in enumerate(ctx.plan.triggers):
        if trigger.kind is TriggerKind.RECURRING and not isinstance(trigger.every, Duration):
            said = f"is repeated {str(trigger.every)!r}" if trigger.every else "is recurring but says not how often"
            yield ("triggers", i, "every"), f"{trigger.name} {said}: the incident holds it once, then as agreed"
        elif trigger.kind is TriggerKind.AFTER and trigger.after is None:
            yield ("triggers", i, "after"), f"{trigger.name} says not after how long it falls due"


@rule("ASW004", "backup-without-frequency", Severity.WARNING, "A backup is described without how often it runs")
def backup_without_frequency(ctx: Context) -> Found:
    """How often a system is backed up bounds how much data a restore loses: without it, no RPO can
    be checked against the backups (FN008 stays silent) and nobody can tell a missed backup."""
    for i, system in enumerate(ctx.plan.systems):
        backup = system.backup
        if backup is None or isinstance(backup.every, Duration):
            continue
        said = f"says it runs {str(backup.every)!r}" if backup.every else "does not say how often it runs"
        yield ("systems", i, "backup", "every"), f"{system.name}: the backup {said}"


@rule("ASW005", "score-in-words", Severity.WARNING, "A likelihood or consequence is given in words, not a score")
def score_in_words(ctx: Context) -> Found:
    """ "Medium" or "high" means different things on different matrices: without the 1-5 scores a
    risk has no place on the matrix and no rating band, and incidents cannot rank it. The words are
    kept; give the score beside them (and the words in `stated`, so RSK001 checks they agree)."""
    for i, risk in enumerate(ctx.plan.risks):
        for field in ("likelihood", "consequence"):
            value = getattr(risk, field)
            if isinstance(value, AsWritten):
                yield ("risks", i, field), f"{risk.title}: the {field} is {str(value)!r}, not a score from 1 to 5"
    for i, fn in enumerate(ctx.plan.functions):
        if isinstance(fn.likelihood, AsWritten):
            yield (
                ("functions", i, "likelihood"),
                f"{fn.name}: the likelihood is {str(fn.likelihood)!r}, not a score from 1 to 5",
            )


@rule("ASW006", "risk-not-scored", Severity.WARNING, "A risk has no likelihood or no consequence")
def risk_not_scored(ctx: Context) -> Found:
    """An identified risk with no likelihood or consequence at all cannot be placed on the matrix,
    rated, or ranked against the others when an incident asks which risk it is."""
    for i, risk in enumerate(ctx.plan.risks):
        missing = [f for f in ("likelihood", "consequence") if getattr(risk, f) is None]
        if missing:
            yield ("risks", i), f"{risk.title} has no {' and no '.join(missing)}"


@rule("ASW007", "document-not-numbered", Severity.WARNING, "The plan has no document number")
def document_not_numbered(ctx: Context) -> Found:
    """A document number is how registered holders, the document management system and the record
    of changes name the plan; a draft often has none yet. It must have one before it is issued."""
    if ctx.plan.document.number is None:
        yield ("document", "number"), f"{ctx.plan.title} has no document number yet"


@rule("ASW008", "name-not-in-directory", Severity.WARNING, "Someone is named who is not in the contact directory")
def name_not_in_directory(ctx: Context) -> Found:
    """A deputy, owner or person with an action named only in passing ("deputy: Dr A Patel") cannot be
    called from the plan:
    no number, no call tree, no hand-over. The name is kept as written; add the person (or team) to
    the directory and refer to them by id."""
    for i, fn in enumerate(ctx.plan.functions):
        for field in ("owner", "deputy"):
            value = getattr(fn, field)
            if isinstance(value, AsWritten):
                yield (
                    ("functions", i, field),
                    f"{fn.name}: the {field} {str(value)!r} is not in the contact directory",
                )
        if fn.data_recovery is not None and isinstance(fn.data_recovery.owner, AsWritten):
            yield (
                ("functions", i, "dataRecovery", "owner"),
                f"{fn.name}: data recovery is owned by {str(fn.data_recovery.owner)!r}, not in the contact directory",
            )
        for j, duration_rule in enumerate(fn.duration_rules):
            if isinstance(duration_rule.owner, AsWritten):
                yield (
                    ("functions", i, "durationRules", j, "owner"),
                    f"{fn.name}: {str(duration_rule.owner)!r} acts on a duration rule but is not in the directory",
                )
    for i, trigger in enumerate(ctx.plan.triggers):
        for j, action in enumerate(trigger.actions):
            if isinstance(action.who, AsWritten):
                yield (
                    ("triggers", i, "actions", j, "who"),
                    f"{trigger.name}: {str(action.who)!r} has an action but is not in the contact directory",
                )
    for i, person in enumerate(ctx.plan.people):
        if isinstance(person.deputy, AsWritten):
            yield (
                ("people", i, "deputy"),
                f"{person.name}'s deputy {str(person.deputy)!r} is not in the contact directory",
            )


@rule(
    "ASW009", "document-role-as-written", Severity.INFO, "The plan's owner or approver is named, not in the directory"
)
def document_role_as_written(ctx: Context) -> Found:
    """Plans are often owned by a post ("Head of Radiology") and approved by a governance group
    rather than a named person. That is kept; with the post or group in the directory (a role, with
    its members) the plan's owner can be reached and an approval traced to someone."""
    control = ctx.plan.document
    for field, key, what in (
        ("originator", "originator", "originator"),
        ("owner", "owner", "owner"),
        ("approved_by", "approvedBy", "approver"),
    ):
        value = getattr(control, field)
        if isinstance(value, AsWritten):
            yield ("document", key), f"the plan's {what} {str(value)!r} is not in the contact directory"


@rule("ASW010", "hours-as-written", Severity.WARNING, "Service hours are given in words the product cannot check")
def hours_as_written(ctx: Context) -> Found:
    """A helpdesk open "08:00-12:30 and 13:30-17:00" or "20:00-08:00" is kept as written and shown to
    staff as it is, but the product cannot tell whether it is open at 03:00 or route calls around it.
    Write one window a day (Mon-Fri 08:00-17:00), or 24/7."""
    for i, supplier in enumerate(ctx.plan.suppliers):
        desk = supplier.helpdesk
        if desk is not None and isinstance(desk.hours, AsWritten):
            yield (
                ("suppliers", i, "helpdesk", "hours"),
                f"{supplier.name}: helpdesk hours {str(desk.hours)!r} cannot be checked against the clock",
            )


@rule("ASW011", "risk-matrix-incomplete", Severity.ERROR, "The plan's risk matrix is missing a level or a band")
def risk_matrix_incomplete(ctx: Context) -> Found:
    """A matrix printed with a column missing, or bands that leave a score unrated, cannot rate every
    risk. It is kept as the plan printed it; until it is complete, risks are scored and rated on the
    NHS 5x5 matrix instead, which may not be what the plan's authors meant."""
    matrix = ctx.plan.risk_matrix
    for defect in matrix.defects() if matrix is not None else []:
        yield ("riskMatrix",), f"the risk matrix is incomplete: {defect}; risks are rated on the NHS 5x5 meanwhile"


@rule("ASW012", "document-without-issue", Severity.WARNING, "The plan has no issue number")
def document_without_issue(ctx: Context) -> Found:
    """Holders, grab packs and incidents name the issue they hold or ran from; a plan with no issue
    number cannot say which copy is current. Issuing the plan gives it the next number."""
    if ctx.plan.document.issue is None:
        yield ("document", "issue"), f"{ctx.plan.title} has no issue number yet"


@rule("ASW013", "hours-not-stated", Severity.INFO, "A helpdesk does not say when it is open")
def hours_not_stated(ctx: Context) -> Found:
    """A supplier's helpdesk with numbers but no stated hours is taken to keep the organisation's
    working hours, so out of hours the plan does not offer it. If it answers at night, say so
    (hours: 24/7); if it keeps other hours, write them."""
    for i, supplier in enumerate(ctx.plan.suppliers):
        desk = supplier.helpdesk
        if desk is not None and desk.phones and desk.hours is None:
            yield (
                ("suppliers", i, "helpdesk", "hours"),
                f"{supplier.name}: the helpdesk hours are not stated, so the organisation's working hours are assumed",
            )
