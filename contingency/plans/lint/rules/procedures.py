"""Procedures and trigger points: in hours and out of hours, owned, with targets, on time."""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

from ...problems import Path
from ...spec.plan import ProcedurePhase, Step, StepKind, TriggerKind, When
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


@rule("PRC001", "no-out-of-hours-path", Severity.ERROR, "A procedure has in-hours steps but none for out of hours")
def no_out_of_hours(ctx: Context) -> Found:
    """A clear process in hours and out of hours is a stated objective of every plan: a procedure
    whose steps for in hours have no out-of-hours counterpart leaves the night shift without one."""
    for i, procedure in enumerate(ctx.plan.procedures):
        whens = {step.when for step in procedure.steps}
        if When.IN_HOURS in whens and When.OUT_OF_HOURS not in whens:
            yield ("procedures", i), f"{procedure.title} has in-hours steps but no out-of-hours steps"


@rule("PRC002", "no-confirm-checks", Severity.WARNING, "A response procedure has no confirm-it-is-down checks")
def no_confirm(ctx: Context) -> Found:
    """Before invoking, staff confirm the failure is real and how wide it is (several patients,
    several PCs, other modalities); without checks a single PC fault can start a trust-wide response."""
    for i, procedure in enumerate(ctx.plan.procedures):
        if procedure.phase is ProcedurePhase.RESPONSE and not procedure.confirm:
            yield ("procedures", i), f"{procedure.title} has no confirm-it-is-down checks"


@rule("PRC003", "step-without-owner", Severity.WARNING, "A call, inform or do step names no one")
def step_without_owner(ctx: Context) -> Found:
    """A step nobody is named for ("the department will be informed") is a step nobody does."""
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            if step.who is None and step.kind in {StepKind.CALL, StepKind.INFORM, StepKind.DO}:
                yield ("procedures", i, "steps", j), f"{procedure.title}: step {j + 1} says nobody does it"


@rule("PRC004", "inform-without-targets", Severity.WARNING, "An inform step lists no one to inform")
def inform_without_targets(ctx: Context) -> Found:
    """An inform or call step must list whom to tell (departments, people, a list) so that the
    incident can record who was told and who was not."""
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            if step.kind is StepKind.INFORM and not step.targets:
                yield ("procedures", i, "steps", j), f"{procedure.title}: step {j + 1} informs no one in particular"


@rule("PRC005", "no-restoration", Severity.WARNING, "The plan says nothing about restoration")
def no_restoration(ctx: Context) -> Found:
    """Restoration needs its own steps: test the data is restored, tell users, test interfaces,
    reconcile downtime records. A plan with no restoration procedure and no on-restoration trigger
    ends the incident without proving recovery."""
    phases = {p.phase for p in ctx.plan.procedures}
    kinds = {t.kind for t in ctx.plan.triggers}
    if ProcedurePhase.RESTORATION not in phases and TriggerKind.ON_RESTORATION not in kinds:
        yield ("procedures",), "no restoration procedure and no on-restoration trigger point"


@rule(
    "PRC006",
    "counterpart-not-stated",
    Severity.WARNING,
    "In-hours and out-of-hours steps of the same kind are not paired with insteadOf",
)
def counterpart_not_stated(ctx: Context) -> Found:
    """When a live incident crosses the end of working hours, its open in-hours steps are handed
    over to their out-of-hours counterparts, which the plan names with `insteadOf`. A procedure
    with an in-hours and an out-of-hours step of the same kind, neither of them paired, has most
    likely left a pair unsaid, and the hand-over would drop the open step instead of passing it on.
    Only steps with no pairing at all count; each is suggested its likeliest counterpart (shared
    targets first, then the closest wording), and a step is suggested at most once."""
    for i, procedure in enumerate(ctx.plan.procedures):
        steps = procedure.steps
        for night, day in _likely_counterparts(steps):
            advice = "say so with insteadOf" if steps[day].id else "give that step an id and say so with insteadOf"
            yield (
                ("procedures", i, "steps", night),
                f"{procedure.title}: out-of-hours {_step(steps, night)} may be the counterpart of "
                f"in-hours {_step(steps, day)}: {advice}",
            )


def _likely_counterparts(steps: list[Step]) -> list[tuple[int, int]]:
    """(out-of-hours, in-hours) indexes of unpaired steps of the same kind, each step used once."""
    named = {step.instead_of for step in steps if step.instead_of}
    free = [j for j, step in enumerate(steps) if step.instead_of is None and step.id not in named]
    candidates = [
        (night, day)
        for night in free
        for day in free
        if steps[night].when is When.OUT_OF_HOURS
        and steps[day].when is When.IN_HOURS
        and steps[night].kind is steps[day].kind
    ]

    def likeness(pair: tuple[int, int]) -> tuple[bool, float]:
        a, b = steps[pair[0]], steps[pair[1]]
        return bool(set(a.targets) & set(b.targets)), SequenceMatcher(None, a.text.lower(), b.text.lower()).ratio()

    matched: list[tuple[int, int]] = []
    used: set[int] = set()
    for night, day in sorted(candidates, key=lambda pair: (*(-x for x in likeness(pair)), pair)):
        if night not in used and day not in used:
            matched.append((night, day))
            used |= {night, day}
    return sorted(matched)


def _step(steps: list[Step], j: int) -> str:
    """`step 4 (vendor-call-out-of-hours)`, or `step 4` for a step without an id."""
    return f"step {j + 1} ({steps[j].id})" if steps[j].id else f"step {j + 1}"


@rule("TRG001", "trigger-without-actions", Severity.WARNING, "A trigger point has no actions")
def trigger_without_actions(ctx: Context) -> Found:
    """A trigger point that fires with nothing to do (no meeting agenda, no actions) is noise at the
    moment people most need direction."""
    for i, trigger in enumerate(ctx.plan.triggers):
        if not trigger.actions:
            yield ("triggers", i), f"{trigger.name} has no actions"


@rule("TRG002", "no-invocation-trigger", Severity.WARNING, "No trigger point at invocation")
def no_invocation_trigger(ctx: Context) -> Found:
    """The first hour decides the outage: a trigger point at invocation (the information-gathering
    meeting: impact, workarounds, communications, next actions) gives it a shape."""
    if ctx.plan.triggers and all(t.kind is not TriggerKind.AT_INVOCATION for t in ctx.plan.triggers):
        yield ("triggers",), "no trigger point fires at invocation"
    elif not ctx.plan.triggers:
        yield ("triggers",), "the plan has no trigger points"


@rule("TRG003", "meeting-without-attendees", Severity.WARNING, "A trigger point names no attendees or chair")
def no_attendees(ctx: Context) -> Found:
    """A meeting or call set off by a trigger point must say who attends so that they can be
    notified when it fires."""
    for i, trigger in enumerate(ctx.plan.triggers):
        if not trigger.attendees and trigger.chair is None:
            yield ("triggers", i), f"{trigger.name} names no chair and no attendees"
