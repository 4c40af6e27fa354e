"""Every piece of prose a plan holds, with where it is: what the text-reading rules scan."""

from __future__ import annotations

from collections.abc import Iterator

from ...problems import Path
from ...spec.plan import When
from ..engine import Context

Prose = Iterator[tuple[Path, str]]


def step_prose(ctx: Context) -> Iterator[tuple[Path, str, When]]:
    """Each step's text and note, with the time of day the step is done."""
    for i, procedure in enumerate(ctx.plan.procedures):
        for j, step in enumerate(procedure.steps):
            yield ("procedures", i, "steps", j, "text"), step.text, step.when
            if step.note:
                yield ("procedures", i, "steps", j, "note"), step.note, step.when


def all_prose(ctx: Context) -> Prose:
    """Steps, checks, actions, risks, functions, systems, escalation and resource tables."""
    plan = ctx.plan
    for path, text, _ in step_prose(ctx):
        yield path, text
    for i, procedure in enumerate(plan.procedures):
        for j, check in enumerate(procedure.confirm):
            yield ("procedures", i, "confirm", j, "check"), check.check
            if check.advice:
                yield ("procedures", i, "confirm", j, "advice"), check.advice
    for i, trigger in enumerate(plan.triggers):
        for j, action in enumerate(trigger.actions):
            yield ("triggers", i, "actions", j), action.text
    for i, risk in enumerate(plan.risks):
        yield ("risks", i, "title"), risk.title
        if risk.impact:
            yield ("risks", i, "impact"), risk.impact
        for j, cause in enumerate(risk.causes):
            yield ("risks", i, "causes", j), cause
        for j, sign in enumerate(risk.recognise):
            yield ("risks", i, "recognise", j), sign
        if risk.response and risk.response.summary:
            yield ("risks", i, "response", "summary"), risk.response.summary
    for i in range(len(plan.functions)):
        yield from function_prose(ctx, i)
    for i, system in enumerate(plan.systems):
        if system.description:
            yield ("systems", i, "description"), system.description
        if system.failover:
            yield ("systems", i, "failover", "method"), system.failover.method
            for j, need in enumerate(system.failover.requires):
                yield ("systems", i, "failover", "requires", j), need
    for i, level in enumerate(plan.escalation):
        if level.when:
            yield ("escalation", i, "when"), level.when
        for j, duty in enumerate(level.responsibilities):
            yield ("escalation", i, "responsibilities", j), duty


def function_prose(ctx: Context, i: int) -> Prose:
    """The prose of one critical function: description, duration rules, data recovery, resource tables."""
    fn = ctx.plan.functions[i]
    if fn.description:
        yield ("functions", i, "description"), fn.description
    for j, duration_rule in enumerate(fn.duration_rules):
        yield ("functions", i, "durationRules", j, "action"), duration_rule.action
    if fn.data_recovery:
        yield ("functions", i, "dataRecovery", "method"), fn.data_recovery.method
    for category, resources in (
        ("staff", fn.resources.staff),
        ("dataAndSystems", fn.resources.data_and_systems),
        ("premises", fn.resources.premises),
        ("communications", fn.resources.communications),
        ("equipment", fn.resources.equipment),
        ("supplies", fn.resources.supplies),
    ):
        for j, resource in enumerate(resources):
            yield ("functions", i, "resources", category, j), resource.name
