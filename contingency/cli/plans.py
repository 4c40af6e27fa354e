"""`contingency plan ...`: validate, import, export and lint plan YAML files, and print the format."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from .. import __version__
from .common import EXIT_LINT_ERRORS, _django, _fail, _require_migrated


@contextmanager
def _progress(total: int, label: str) -> Iterator[Any]:
    """A progress bar on a terminal when there are many files; silent in scripts and CI."""
    from rich.progress import Progress

    with Progress(transient=True, disable=total < 5 or not sys.stderr.isatty()) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)


def _load(paths: tuple[str, ...]) -> list[Any]:
    from ..plans.files import collect, duplicates, load_file
    from ..plans.problems import PlanInvalid

    files, problems = collect(paths)
    loaded = []
    with _progress(len(files), "Reading plans") as advance:
        for path in files:
            try:
                loaded.append(load_file(path))
            except PlanInvalid as exc:
                problems.extend(exc.problems)
            advance()
    problems.extend(duplicates(loaded))
    if problems:
        _fail(problems)
    return loaded


@click.group()
def plan() -> None:
    """Plans as code: validate, import, export and lint plan YAML files."""


paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path())


@plan.command()
@paths_argument
def validate(paths: tuple[str, ...]) -> None:
    """Check plan files (or directories of them) against the format; write nothing."""
    loaded = _load(paths)
    click.echo(f"{len(loaded)} plan(s) valid.")


@plan.command(name="import")
@paths_argument
@click.option("--issued", is_flag=True, help="Record each plan as issued at the issue its file states.")
def import_(paths: tuple[str, ...], issued: bool) -> None:
    """Import plan files into the database, all or nothing, in one transaction; every change is audited."""
    loaded = _load(paths)
    _django()
    from django.db import transaction

    from ..plans.compare import part_changes
    from ..plans.editing import audit_changes, plan_data, reopen_as_draft
    from ..plans.models import Plan
    from ..plans.problems import PlanInvalid
    from ..plans.store import import_plans
    from ..plans.workflow import mark_issued
    from ..plans.yamlform import document_to_data

    _require_migrated()
    via = "command line"
    try:
        with transaction.atomic():
            before = []
            for item in loaded:
                existing = Plan.objects.filter(organisation__slug=item.plan.organisation.id, key=item.plan.id).first()
                before.append(plan_data(existing) if existing else {})
            plans = import_plans([item.plan for item in loaded], sources=[item.file for item in loaded])
            for item, stored, old in zip(loaded, plans, before, strict=True):
                changes = part_changes(old, document_to_data(item.plan))
                audit_changes(stored, changes, actor=None, via=via)
                if issued:
                    mark_issued(stored, actor=None, via=via)
                elif changes:
                    reopen_as_draft(stored, actor=None, via=via)
    except PlanInvalid as exc:
        _fail(exc.problems)
    for item, stored in zip(loaded, plans, strict=True):
        click.echo(f"imported {item.plan.id} ({item.plan.organisation.id}) from {item.file} as plan #{stored.pk}")
    click.echo(f"{len(plans)} plan(s) imported.")


@plan.command()
@click.argument("destination", type=click.Path())
@click.option("--plan", "plan_ids", multiple=True, help="Plan id to export (default: every plan).")
@click.option("--organisation", help="Organisation id, when plan ids repeat across organisations.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist (refused otherwise).")
def export(destination: str, plan_ids: tuple[str, ...], organisation: str | None, force: bool) -> None:
    """Export plans as YAML: to a directory (made if need be; one file per plan, <organisation>/<plan>.yaml),
    to a file (one plan, named *.yaml or *.yml), or to - for standard output. Existing files are not
    overwritten without --force."""
    _django()
    from ..plans.files import SUFFIXES
    from ..plans.models import Plan
    from ..plans.store import export_plan
    from ..plans.yamlform import to_yaml

    _require_migrated()
    query = Plan.objects.select_related("organisation").order_by("organisation__slug", "key")
    if organisation:
        query = query.filter(organisation__slug=organisation)
    if plan_ids:
        query = query.filter(key__in=plan_ids)
    plans = list(query)
    missing = sorted(set(plan_ids) - {p.key for p in plans})
    if missing:
        _fail([f"{destination}: no plan with id {m!r}" for m in missing])
    if not plans:
        _fail([f"{destination}: there are no plans to export"])
    if destination == "-":
        for stored in plans:
            click.echo(to_yaml(export_plan(stored)), nl=False)
        return
    target = Path(destination)
    one_file = target.is_file() or (not target.exists() and target.suffix in SUFFIXES)
    if one_file and len(plans) > 1:
        _fail([f"{destination}: {len(plans)} plans to export: name a directory, or choose one with --plan"])
    if target.exists() and not one_file and not target.is_dir():
        _fail([f"{destination}: not a directory or a plan file"])
    outs = [target if one_file else target / p.organisation.slug / f"{p.key}.yaml" for p in plans]
    taken = [out for out in outs if out.exists()]
    if taken and not force:
        _fail([f"{out}: already exists: export to an empty directory, or give --force to overwrite" for out in taken])
    with _progress(len(plans), "Exporting plans") as advance:
        texts = []
        for stored in plans:
            texts.append(to_yaml(export_plan(stored)))
            advance()
    _write_all(dict(zip(outs, texts, strict=True)))
    for stored, out in zip(plans, outs, strict=True):
        click.echo(f"exported {stored.key} ({stored.organisation.slug}) to {out}", err=True)


def _write_all(files: dict[Path, str]) -> None:
    """Write every file or none: each to a temporary name first, renamed into place once all are written."""
    written: list[Path] = []
    try:
        for out, text in files.items():
            out.parent.mkdir(parents=True, exist_ok=True)
            temporary = out.with_name(f".{out.name}.partial")
            written.append(temporary)
            temporary.write_text(text, encoding="utf-8")
    except OSError as exc:
        for temporary in written:
            temporary.unlink(missing_ok=True)
        _fail([f"{exc.filename}: cannot be written: {exc.strerror}"])
    for out, temporary in zip(files, written, strict=True):
        temporary.replace(out)


@plan.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to a file.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Lint as of this date (YYYY-MM-DD).")
@click.option("--max-responsibilities", type=click.IntRange(min=1), default=5, show_default=True)
def lint(paths: tuple[str, ...], fmt: str, output: str | None, today: Any, max_responsibilities: int) -> None:
    """Find the defects real plans contain; exit 1 when any finding is an error."""
    from ..plans.lint import Options, Severity
    from ..plans.lint import lint as run_lint
    from ..plans.lint.report import locate, render_json, render_sarif, render_text

    loaded = _load(paths)
    results = []
    for item in loaded:
        # "Today" is the date where the plan's organisation is, not where this command runs.
        day = today.date() if today else datetime.now(ZoneInfo(item.plan.organisation.timezone)).date()
        findings = run_lint(item.plan, Options(today=day, max_responsibilities=max_responsibilities))
        results += locate(findings, file=item.file, plan=item.plan.id, positions=item.positions)
    if fmt == "json":
        report = render_json(results)
    elif fmt == "sarif":
        report = render_sarif(results, version=__version__)
    else:
        report = render_text(results)
    if output:
        Path(output).write_text(report, encoding="utf-8")
    else:
        click.echo(report, nl=False)
    if any(r.finding.severity is Severity.ERROR for r in results):
        sys.exit(EXIT_LINT_ERRORS)


@plan.command()
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
def schema(output: str | None) -> None:
    """Print the JSON Schema of the plan format."""
    from ..plans.schema import plan_json_schema_text

    text = plan_json_schema_text()
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@plan.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the lint rules."""
    from ..plans.lint.report import render_rules

    click.echo(render_rules(fmt), nl=False)


@plan.command()
@click.argument("document", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the YAML to a file.")
@click.option("--organisation", "organisation_id", help="The organisation's id (default: organisation).")
@click.option("--organisation-name", help="The organisation's name (default: its id).")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date the draft as of this day (YYYY-MM-DD).")
def draft(
    document: str, output: str | None, organisation_id: str | None, organisation_name: str | None, today: Any
) -> None:
    """Start a draft plan from a Word document (.docx): the YAML to standard output (or --output), and on
    standard error what was filled in, what was kept as text with its place in the document, and the
    lint report. Import the file once it is complete."""
    from ..plans.draft.mapping import Filled, map_source
    from ..plans.draft.report import draft_yaml, render_report
    from ..plans.draft.settle import settle
    from ..plans.draft.word import MAX_BYTES, DocumentRefused, read_docx
    from ..plans.lint import Options
    from ..plans.lint import lint as run_lint
    from ..plans.lint.report import locate, render_text
    from ..plans.problems import PlanInvalid
    from ..plans.validate import load_text

    name = Path(document).name
    try:
        with Path(document).open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        _fail([f"{document}: cannot be read: {exc.strerror}"])
    day = today.date() if today else datetime.now(ZoneInfo("Europe/London")).date()
    org_id = organisation_id or "organisation"
    try:
        source = read_docx(raw, name)
        found = map_source(source, organisation_id=org_id, organisation_name=organisation_name or org_id, today=day)
        if organisation_id is None:
            found.filled.insert(
                0, Filled("organisation.id", org_id, "no --organisation given: set your organisation's id")
            )
        plan_document = settle(found, file=name)
    except DocumentRefused as refused:
        _fail([str(refused)])
    except PlanInvalid as invalid:
        _fail(invalid.problems)
    text = draft_yaml(plan_document, found, name=name)
    shown = output or "<stdout>"
    parsed, positions = load_text(text, file=shown)  # read back, so the lint report gives lines in the YAML
    if output:
        _write_all({Path(output): text})
    else:
        click.echo(text, nl=False)
    click.echo(render_report(found, name=name, plan=parsed.id), nl=False, err=True)
    findings = run_lint(parsed, Options(today=day))
    click.echo("What to complete (the linter's findings):", err=True)
    click.echo(render_text(locate(findings, file=shown, plan=parsed.id, positions=positions)), nl=False, err=True)
