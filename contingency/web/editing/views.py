"""Editing a plan in the browser: a form per part, YAML upload and download.

Every change goes through plans.editing, which validates with the plan file's messages,
returns an issued plan to draft and audits each changed part.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from contingency import planlint
from contingency.core.permissions import Capability
from contingency.plans import editing, readmodel
from contingency.plans.compare import COLLECTION_KEYS, SECTION_NAMES, item_key, part_changes
from contingency.plans.lint import Options, Severity, lint, severity_counts
from contingency.plans.models import Plan, PlanStatus
from contingency.plans.problems import PlanInvalid, format_path
from contingency.plans.spec import PlanDocument
from contingency.plans.store import export_plan, organisation_differences
from contingency.plans.validate import index, load_text
from contingency.plans.workflow import local_today
from contingency.plans.yamlform import document_to_data
from contingency.web.access import OrgContext, org_page

from . import fields as f
from .notes import Note, anchor, identity, part_notes
from .upload import UploadRefused, read_upload


@dataclass
class Row:
    """One form field as the template shows it."""

    spec: f.FieldSpec  # named in full (`rto.0.duration`)
    value: str
    errors: list[str]
    options: list[tuple[str, str]]  # (value, label) of a select or the ids a ref field may name
    where: str = ""  # the row it is in, for the error summary: "RTO, row 1"
    notes: list[Note] = field(default_factory=list)  # lint findings about this field
    children: list[Row] = field(default_factory=list)  # a group's sub-fields
    items: list[Item] = field(default_factory=list)  # the rows of "rows"
    readout: tuple[str, str] = ("", "")  # what a duration field's text was read as

    @property
    def id(self) -> str:
        return "f-" + self.spec.name.replace(".", "-")

    @property
    def anchor(self) -> str:
        return anchor(self.spec.name)

    @property
    def checked(self) -> list[str]:
        """The ids ticked in a list of references."""
        return [line.strip() for line in self.value.splitlines() if line.strip()]

    @property
    def hint(self) -> str:
        """The help text, and what an empty optional field means."""
        default = self.spec.default
        if self.spec.kind == "checkbox" or default in (None, "") or default == []:
            return self.spec.help
        return f"{self.spec.help} If left empty: {default}.".strip()


@dataclass
class Item:
    """One row of a "rows" field: its index, its fields, and whether it takes focus after a button."""

    index: int
    rows: list[Row]
    name: str  # `rto.0`
    label: str  # "RTO, row 1"
    focus: bool = False
    errors: list[str] = field(default_factory=list)  # problems of the row as a whole
    notes: list[Note] = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return anchor(self.name)


def plan_url(plan: Plan) -> str:
    """The plan's page; the edit index until the plan pages exist."""
    try:
        return reverse("plan", kwargs={"org": plan.organisation.slug, "plan": plan.key})
    except NoReverseMatch:
        return reverse("plan-edit", kwargs={"org": plan.organisation.slug, "plan": plan.key})


def item_label(item: Any, key: str) -> str:
    if isinstance(item, dict):
        for name in ("name", "title", "activity"):
            if isinstance(item.get(name), str):
                return str(item[name])
    return key


PLURALS = {"person": "people", "monitoring activity": "monitoring activities"}


def sections_of(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The edit index: every section, and for collections each item with its key and label."""
    found: list[dict[str, Any]] = []
    for section in editing.SECTIONS:
        name = SECTION_NAMES[section]
        heading = PLURALS.get(name, f"{name}s") if section in COLLECTION_KEYS else name
        entry: dict[str, Any] = {"section": section, "name": name, "heading": heading, "collection": False}
        if section in COLLECTION_KEYS:
            items = data.get(section, [])
            entry["collection"] = True
            entry["items"] = [
                {"key": item_key(section, item, i), "label": item_label(item, item_key(section, item, i))}
                for i, item in enumerate(items)
            ]
        else:
            entry["present"] = section == "header" or section in data
        found.append(entry)
    return found


def ref_options(document: PlanDocument) -> dict[str, list[tuple[str, str]]]:
    """Ids in the plan by kind, labelled with their names, for reference fields."""
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for key, entry in index(document)[0].items():
        name = getattr(entry.item, "name", None) or getattr(entry.item, "title", None)
        by_kind.setdefault(entry.kind, []).append((key, f"{key}: {name} ({entry.kind})" if name else key))
    return by_kind


def _options(spec: f.FieldSpec, refs: dict[str, list[tuple[str, str]]], value: str) -> list[tuple[str, str]]:
    if spec.kind == "select":
        return [(choice, choice) for choice in spec.choices]
    if spec.kind == "ref":
        options = [option for kind in spec.ref_kinds for option in refs.get(kind, [])]
        if value and value not in {v for v, _ in options}:
            options.append((value, value))  # keep a value that names nothing, so the error can be seen
        return options
    if spec.kind == "refs":
        # The ticked ids first, in the plan's order (the order is kept), then the rest.
        options = [option for kind in spec.ref_kinds for option in refs.get(kind, [])]
        options += [(choice, choice) for choice in spec.choices]
        labels = dict(options)
        ticked = [line.strip() for line in value.splitlines() if line.strip()]
        return [(v, labels.get(v, v)) for v in ticked] + [o for o in options if o[0] not in ticked]
    return []


@dataclass(frozen=True)
class FormState:
    """What every field of a form is rendered from."""

    values: dict[str, str]
    errors: dict[str, list[str]]
    refs: dict[str, list[tuple[str, str]]]
    notes: dict[str, list[Note]]
    focus: str = ""


def form_rows(specs: list[f.FieldSpec], state: FormState, where: str = "") -> list[Row]:
    """The rows the template lays out: each field with its value, errors and choices; groups and rows nested."""
    found: list[Row] = []
    for spec in specs:
        value = state.values.get(spec.name, "")
        if sibling := _sibling_ids(spec, state.values):
            spec = replace(spec, kind="ref")  # a step's counterpart: picked among the other steps of the list
            options = sibling + [(value, value)] * (value not in {v for v, _ in sibling} and bool(value))
        else:
            options = _options(spec, state.refs, value)
        row = Row(spec, value, state.errors.get(spec.name, []), options, where, state.notes.get(spec.name, []))
        if spec.readout:
            row.readout = f.understood(value, written=spec.readout == "written")
        if spec.kind == "group":
            row.children.extend(form_rows(_below(spec, f"{spec.name}."), state, where))
        elif spec.kind == "rows":
            for i in range(f.row_count(spec, state.values)):
                name = f"{spec.name}.{i}"
                label = f"{spec.label}, row {i + 1}"
                inner = form_rows(_below(spec, f"{name}."), state, label)
                item = Item(i, inner, name, label, state.focus == name)
                item.errors.extend(state.errors.get(name, []))
                item.notes.extend(state.notes.get(name, []))
                row.items.append(item)
        found.append(row)
    return found


def _sibling_ids(spec: f.FieldSpec, values: dict[str, str]) -> list[tuple[str, str]]:
    """For a field naming another row of its own list (a step's `insteadOf`), the ids of the other rows."""
    parts = spec.name.split(".")
    if len(parts) < 3 or parts[-1] not in f.SIBLING_IDS or parts[-3] != f.SIBLING_IDS[parts[-1]]:
        return []
    rows, own = ".".join(parts[:-2]), parts[-2]
    found: list[tuple[str, str]] = []
    for i in range(int(values.get(rows, "0") or 0) if values.get(rows, "").isdigit() else 0):
        step = values.get(f"{rows}.{i}.id", "").strip()
        if step and str(i) != own:
            text = values.get(f"{rows}.{i}.text", "").strip()
            found.append((step, f"{step}: {text[:80]}" if text else step))
    return found


def summary_of(rows: list[Row]) -> list[tuple[str, str, str]]:
    """Every problem of a form, nested fields and whole rows included, in the page's order: (href, label, message)."""
    found: list[tuple[str, str, str]] = []
    for row in rows:
        label = f"{row.where}: {row.spec.label}" if row.where else row.spec.label
        target = row.id if row.spec.kind not in ("group", "rows", "refs") else row.anchor
        found.extend((f"#{target}", label, message) for message in row.errors)
        found.extend(summary_of(row.children))
        for item in row.items:
            found.extend((f"#{item.anchor}", item.label, message) for message in item.errors)
            found.extend(summary_of(item.rows))
    return found


def _below(spec: f.FieldSpec, prefix: str) -> list[f.FieldSpec]:
    return [replace(child, name=prefix + child.name) for child in spec.children]


NEW_FINDINGS = "editing-new-findings"  # the session key holding the findings a save has just added


def _part_page(request: HttpRequest, ctx: OrgContext, plan: Plan, section: str, key: str | None) -> HttpResponse:
    if section not in editing.SECTIONS:
        raise Http404("No such section.")
    data = editing.plan_data(plan)
    current = editing.part_of(data, section, key) if key is not None or section not in COLLECTION_KEYS else {}
    if current is None and key is not None:
        raise Http404("No such part.")
    specs = f.form_fields(section)
    errors: dict[str, list[str]] = {}
    general: list[str] = []
    focus = ""
    op = None
    if request.method == "POST":
        values = f.submitted_values(specs, request.POST)
        op = f.parse_op(specs, request.POST.get("_op", ""), values)
        if op is not None:
            # A row added, removed or moved: the form again with the change, unsaved.
            values = f.apply_op(op, values)
            focus = f.focus_after(op)
        elif "_rows" in request.POST or "_op" in request.POST:
            pass  # more rows asked for, or a button naming no list: the form again, unsaved
        else:
            parsed = f.parse_values(specs, values)
            errors = parsed.errors
            if not errors:
                was = plan.status
                before = _finding_ids(plan, ctx)
                refused = _try_save(request, plan, section, key, parsed.data, specs)
                if refused is None:
                    return _saved(request, ctx, plan, section, key, parsed.data, was, before)
                errors, general = refused
    else:
        values = f.initial_values(specs, current if isinstance(current, dict) else {})
    refs = ref_options(export_plan(plan))
    new = frozenset(request.session.pop(NEW_FINDINGS, [])) if request.method == "GET" else frozenset()
    notes = (
        part_notes(planlint.findings(plan, local_today(ctx.organisation)), data, section, key, new)
        if key or section not in COLLECTION_KEYS
        else {}
    )
    rows = form_rows(specs, FormState(values, errors, refs, notes, focus))
    context = {
        "ctx": ctx,
        "plan": plan,
        "plan_url": plan_url(plan),
        "section": section,
        "section_name": SECTION_NAMES[section],
        "key": key,
        "adding": section in COLLECTION_KEYS and key is None,
        "rows": rows,
        "summary": summary_of(rows),
        "general": general,
        "part_notes": notes.get("", []),
        "new_notes": sum(note.new for found in notes.values() for note in found),
        "focus_list": anchor(focus) if op is not None and op.action == "remove" else "",
    }
    return render(request, "web/editing/part.html", context, status=400 if errors or general else 200)


def _finding_ids(plan: Plan, ctx: OrgContext) -> set[str]:
    return {identity(finding) for finding in planlint.findings(plan, local_today(ctx.organisation))}


def _try_save(
    request: HttpRequest, plan: Plan, section: str, key: str | None, data: Any, specs: list[f.FieldSpec]
) -> tuple[dict[str, list[str]], list[str]] | None:
    """Save the part; None when saved, else the problems by field (its full name) and those for the summary only."""
    try:
        editing.save_part(plan, section=section, key=key, data=data, actor=request.user, via="web")
    except PlanInvalid as invalid:
        by_field: dict[str, list[str]] = {}
        general: list[str] = []
        for problem in invalid.problems:
            path = problem.path
            if path and path[0] == "@plan":
                general.append(f"{format_path(path[1:])}: {problem.message}")
                continue
            name, used = f.field_name(specs, path)
            if not name:
                general.append(f"{format_path(path)}: {problem.message}" if path else problem.message)
                continue
            rest = path[used:]
            message = f"{format_path(rest)}: {problem.message}" if rest else problem.message
            by_field.setdefault(name, []).append(message)
        return by_field, general
    return None


def _saved(
    request: HttpRequest,
    ctx: OrgContext,
    plan: Plan,
    section: str,
    key: str | None,
    data: Any,
    was: str,
    before: set[str],
) -> HttpResponse:
    plan.refresh_from_db()
    what = SECTION_NAMES[section]
    if section in COLLECTION_KEYS:
        # The item's key as saved: its (maybe new) id or level, or its position for monitoring.
        positional = COLLECTION_KEYS[section] is None
        count = len(editing.plan_data(plan).get(section, []))
        key = (key or str(count)) if positional else item_key(section, data, 0)
        what = f"{what} {key}"
    note = " The plan is now a draft: it needs approval to be issued again." if was != PlanStatus.DRAFT else ""
    # The linter runs on the saved plan: findings new in this part are shown beside its fields (saving is
    # never blocked by them); with none, back to the plan.
    after = planlint.findings(plan, local_today(ctx.organisation))
    added = [finding for finding in after if identity(finding) not in before]
    mine = part_notes(added, editing.plan_data(plan), section, key)
    count = sum(len(found) for found in mine.values())
    if count:
        request.session[NEW_FINDINGS] = sorted(identity(finding) for finding in added)
        messages.success(
            request, f"Saved the {what}.{note} The linter found {count} new finding(s) here: see beside the fields."
        )
        kwargs = {"org": plan.organisation.slug, "plan": plan.key, "section": section}
        if key is not None and section in COLLECTION_KEYS:
            return redirect(reverse("part-edit", kwargs={**kwargs, "key": key}))
        return redirect(reverse("section-edit", kwargs=kwargs))
    messages.success(request, f"Saved the {what}.{note}")
    return redirect(plan_url(plan))


@org_page(Capability.EDIT)
def duration_readout(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """What a duration field's text is read as: a fragment htmx swaps in beside the field as it is typed.

    htmx sends the field under its own name (`rto.0.duration`), so the one value other than `written` is read.
    """
    value = str(next((v for k, v in request.GET.items() if k != "written"), ""))
    state, sentence = f.understood(value[:300], written=request.GET.get("written") == "1")
    return render(request, "web/editing/_readout.html", {"readout": (state, sentence)})


@org_page(Capability.EDIT)
def plan_edit(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    found = ctx.editable_plan(plan)
    context = {
        "ctx": ctx,
        "plan": found,
        "plan_url": plan_url(found),
        "sections": sections_of(editing.plan_data(found)),
    }
    return render(request, "web/editing/index.html", context)


@org_page(Capability.EDIT)
def section_or_add(request: HttpRequest, ctx: OrgContext, plan: str, section: str) -> HttpResponse:
    """A single section's form, or the form for a new item of a collection."""
    return _part_page(request, ctx, ctx.editable_plan(plan), section, None)


@org_page(Capability.EDIT)
def part_edit(request: HttpRequest, ctx: OrgContext, plan: str, section: str, key: str) -> HttpResponse:
    if section not in COLLECTION_KEYS:
        raise Http404("No such part.")
    return _part_page(request, ctx, ctx.editable_plan(plan), section, key)


@org_page(Capability.EDIT)
def part_delete(request: HttpRequest, ctx: OrgContext, plan: str, section: str, key: str) -> HttpResponse:
    found = ctx.editable_plan(plan)
    if section not in COLLECTION_KEYS:
        raise Http404("No such part.")
    item = editing.part_of(editing.plan_data(found), section, key)
    if item is None:
        raise Http404("No such part.")
    refused: list[str] = []
    if request.method == "POST":
        try:
            editing.delete_part(found, section=section, key=key, actor=request.user, via="web")
        except PlanInvalid as invalid:
            grouped = editing.field_errors(invalid.problems)
            refused = grouped.general + [m for messages_ in grouped.fields.values() for m in messages_]
        else:
            messages.success(request, f"Deleted the {SECTION_NAMES[section]} {key}.")
            return redirect(plan_url(found))
    context = {
        "ctx": ctx,
        "plan": found,
        "plan_url": plan_url(found),
        "section": section,
        "section_name": SECTION_NAMES[section],
        "key": key,
        "label": item_label(item, key),
        "refused": refused,
    }
    return render(request, "web/editing/delete.html", context, status=409 if refused else 200)


# ---------------------------------------------------------------- YAML upload and download


@org_page(Capability.EDIT)
def plan_upload(request: HttpRequest, ctx: OrgContext) -> HttpResponse:
    """A new plan, or a replacement for the plan of the same id in this organisation."""
    return _upload_page(request, ctx, None)


@org_page(Capability.EDIT)
def plan_replace(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    return _upload_page(request, ctx, ctx.editable_plan(plan))


def _upload_page(request: HttpRequest, ctx: OrgContext, plan: Plan | None) -> HttpResponse:
    problems: list[str] = []
    pasted = ""
    if request.method == "POST":
        pasted = request.POST.get("text", "")
        try:
            name, text = read_upload(request.FILES.get("file"), pasted)
            document = load_text(text, file=name)[0]
            return _save_upload(request, ctx, plan, document, name)
        except UploadRefused as refused:
            problems = [str(refused)]
        except PlanInvalid as invalid:
            problems = [str(problem) for problem in invalid.problems]
    existing = Plan.objects.filter(organisation=ctx.organisation).order_by("key")
    context = {
        "ctx": ctx,
        "plan": plan,
        "plan_url": plan_url(plan) if plan else None,
        "existing": existing,
        "problems": problems,
        "pasted": pasted,
    }
    return render(request, "web/editing/upload.html", context, status=400 if problems else 200)


def _save_upload(
    request: HttpRequest, ctx: OrgContext, plan: Plan | None, document: PlanDocument, name: str
) -> HttpResponse:
    target = plan or Plan.objects.filter(organisation=ctx.organisation, key=document.id).first()
    before = editing.plan_data(target) if target else None
    differs = organisation_differences(document.organisation)  # before the save: a new organisation has none
    saved = editing.save_document(
        document, organisation=ctx.organisation, actor=request.user, via="upload", source=name, plan=plan
    )
    changed = len(part_changes(before or {}, document_to_data(document)))
    if before is None:
        done = f"Created plan {saved.key} from {name}."
    elif changed:
        done = f"Replaced plan {saved.key} from {name}: {changed} part(s) changed; the plan is a draft."
    else:
        done = f"Plan {saved.key} is unchanged: {name} holds the same plan."
    messages.success(request, f"{done} {lint_summary(document, local_today(ctx.organisation))}")
    if differs:
        messages.info(
            request,
            f"The file's organisation ({', '.join(differs)}) differs from {ctx.organisation.name}'s settings; the "
            "settings are kept (an administrator changes them on the Settings page).",
        )
    return redirect(plan_url(saved))


def lint_summary(document: PlanDocument, today: date) -> str:
    findings = lint(document, Options(today=today))
    counts = severity_counts(findings)
    if not findings:
        return "The linter found nothing to report."
    return (
        f"The linter found {len(findings)} finding(s): {counts[Severity.ERROR]} error(s), "
        f"{counts[Severity.WARNING]} warning(s), {counts[Severity.INFO]} for information."
    )


@org_page(Capability.VIEW)
def plan_download(request: HttpRequest, ctx: OrgContext, plan: str) -> HttpResponse:
    """The working copy as canonical YAML, the same text `contingency export` writes."""
    found = ctx.plan(plan)
    response = HttpResponse(readmodel.view(found).text, content_type="application/yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.key}.yaml"'
    return response
