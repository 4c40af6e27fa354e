"""Edit forms: one per part of a plan, built from the format's models, saving through plans.editing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from contingency.core.models import AuditEntry
from contingency.plans import editing
from contingency.plans.compare import COLLECTION_KEYS, item_key
from contingency.plans.models import Plan, PlanStatus
from contingency.web.editing import fields as f

from .web import HOME_ORG, OTHER_ORG, PACS, MemberFactory


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, "plan": PACS, **kwargs})


def form_of(section: str, key: str | None) -> dict[str, str]:
    """What the edit form holds for a part before anyone changes it (unticked boxes are not sent)."""
    specs = f.form_fields(section)
    values = f.initial_values(specs, editing.part_of(editing.plan_data(pacs()), section, key))
    return {name: value for name, value in values.items() if value or not any(s.name == name for s in specs)}


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


# ---------------------------------------------------------------- pure: fields from the models


def test_labels_are_humanised_from_the_alias() -> None:
    assert f.humanise("rto") == "RTO"
    assert f.humanise("dependsOn") == "Depends on"
    assert f.humanise("outOfHours") == "Out of hours"
    assert f.humanise("id") == "ID"


def test_function_fields_have_the_right_kinds() -> None:
    kinds = {spec.name: spec for spec in f.form_fields("functions")}
    assert kinds["id"].kind == "text" and kinds["id"].required
    assert kinds["owner"].kind == "ref" and kinds["owner"].ref_kinds == ("person", "role", "supplier")
    assert kinds["dependsOn"].kind == "refs"
    # Values a plan may give in words are typed as text, and kept as written (spec/written.py).
    assert kinds["likelihood"].kind == "score" and "score from 1 to 5" in kinds["likelihood"].help
    assert kinds["rpo"].kind == "text" and "kept as written" in kinds["rpo"].help and kinds["rpo"].readout == "written"
    # Nothing nested is a YAML box: lists of parts are rows, a part with defaults an always-present group.
    assert kinds["rto"].kind == "rows" and kinds["impact"].kind == "rows" and kinds["durationRules"].kind == "rows"
    rto = {s.name: s for s in kinds["rto"].children}
    assert rto["duration"].readout == "written" and rto["risk"].kind == "ref"
    assert {s.name: s for s in kinds["impact"].children}["after"].readout == "duration"
    resources = kinds["resources"]
    assert resources.kind == "group" and not resources.toggle and "six resource categories" in resources.help
    assert [s.name for s in resources.children] == [
        "staff",
        "dataAndSystems",
        "premises",
        "communications",
        "equipment",
        "supplies",
    ]
    assert all(s.kind == "rows" and s.short == "name" for s in resources.children)
    assert kinds["dataRecovery"].toggle
    assert [s.name for s in f.form_fields("header")] == ["id", "title", "aim", "objectives", "audience", "scope"]
    nation = {s.name: s for s in f.form_fields("organisation")}["nation"]
    assert nation.kind == "select" and "wales" in nation.choices and nation.default == "england"
    trigger = {s.name: s for s in f.form_fields("triggers")}
    assert trigger["kind"].required and trigger["unlessRestored"].kind == "checkbox"
    assert trigger["unlessRestored"].default is True
    assert trigger["actions"].kind == "rows" and trigger["actions"].short == "text"


def test_no_field_of_any_section_is_a_yaml_box() -> None:
    def kinds(specs: list[f.FieldSpec]) -> set[str]:
        return {s.kind for s in specs} | {k for s in specs for k in kinds(list(s.children))}

    found = set().union(*(kinds(f.form_fields(section)) for section in editing.SECTIONS))
    assert "yaml" not in found and {"rows", "group", "refs", "ref", "duration"} <= found


def test_parse_values_leaves_out_empty_optional_fields_and_rows() -> None:
    specs = f.form_fields("functions")
    parsed = f.parse_values(
        specs,
        {
            "id": "x",
            "name": "",
            "likelihood": "3",
            "dependsOn": " pacs \n\n ris ",
            "rto": "3",
            "rto.0.scenario": "a",
            "rto.0.duration": "4h",
            "rto.1.scenario": " ",  # an empty row is left out
            "rto.2.scenario": "b",
            "rto.2.duration": "1-4 hours",
            "resources.staff": "2",
            "resources.staff.0.name": "Radiographer",
        },
    )
    assert parsed.errors == {}
    assert parsed.data == {
        "id": "x",
        "name": "",
        "likelihood": 3,  # a score or words, typed in a text box: a number when it is one
        "rto": [{"scenario": "a", "duration": "4h"}, {"scenario": "b", "duration": "1-4 hours"}],
        "resources": {"staff": [{"name": "Radiographer"}]},
        "dependsOn": ["pacs", "ris"],
    }


def test_a_number_too_long_in_a_row_is_an_error_of_that_field() -> None:
    specs = f.form_fields("riskMatrix")
    parsed = f.parse_values(specs, {"bands.0.label": "Low", "bands.0.min": "9" * 5000, "bands.0.max": "3"})
    assert list(parsed.errors) == ["bands.0.min"]


def test_initial_values_are_the_canonical_form() -> None:
    specs = f.form_fields("triggers")
    values = f.initial_values(specs, {"id": "t", "name": "T", "kind": "recurring", "every": "1 day"})
    assert values["every"] == "1 day" and values["unlessRestored"] == "on" and values["chair"] == ""
    assert values["actions"] == "2"  # no action yet: two empty rows to fill
    function = {"rto": [{"scenario": "a", "duration": "4h"}], "resources": {"supplies": ["CDs", {"name": "Ink"}]}}
    values = f.initial_values(f.form_fields("functions"), function)
    assert values["rto"] == "2" and values["rto.0.scenario"] == "a" and values["rto.0.duration"] == "4h"
    # A resource written as a plain string is its name; nested lists get no spare rows.
    assert values["resources.supplies"] == "2" and values["resources.supplies.0.name"] == "CDs"
    assert values["resources.supplies.1.name"] == "Ink" and values["resources.staff"] == "0"


# ---------------------------------------------------------------- pages


def test_every_section_and_first_item_has_a_form(member: MemberFactory) -> None:
    client = member("editor")
    index = client.get(url("plan-edit"))
    assert index.status_code == 200
    assert '<h2 id="s-people">People</h2>' in text(index)
    assert '<h2 id="s-monitoring">Monitoring activities</h2>' in text(index)
    assert "Add a new critical function" in text(index)
    data = editing.plan_data(pacs())
    for section in editing.SECTIONS:
        if section in COLLECTION_KEYS:
            added = client.get(url("part-add", section=section))
            assert added.status_code == 200, section
            key = item_key(section, data[section][0], 0)
            assert url("part-edit", section=section, key=key) in text(index)
            page = client.get(url("part-edit", section=section, key=key))
        else:
            page = client.get(url("section-edit", section=section))
        assert page.status_code == 200, section
        shown = page.content.decode()
        assert "<textarea" not in shown or 'spellcheck="false"' not in shown, section  # no YAML boxes
        for spec in f.form_fields(section):
            if spec.kind == "group" and not spec.toggle:
                assert f'<fieldset class="field group" id="w-{spec.name}">' in shown, (section, spec.name)
            elif spec.kind == "refs":
                assert f'<fieldset class="refs" id="f-{spec.name}"' in shown, (section, spec.name)
            else:
                assert f'name="{spec.name}"' in shown, (section, spec.name)
            if spec.kind in ("text", "longtext", "select", "ref", "number", "score", "date", "lines", "duration"):
                assert f'<label for="f-{spec.name}"' in shown, (section, spec.name)


def test_function_form_shows_current_values_and_reference_choices(member: MemberFactory) -> None:
    page = text(member("editor").get(url("part-edit", section="functions", key="image-reporting")))
    assert '<fieldset class="field rows" id="w-rto">' in page and "<legend>RTO, row 1</legend>" in page
    assert 'name="rto.0.scenario" value="Fail-over to the backup data centre"' in page
    assert 'name="rto.0.duration" value="4h"' in page and "Understood as 4 hours." in page
    assert '<option value="anita-rao" selected>' in page
    assert '<legend>Depends on <span class="muted">(optional)</span></legend>' in page
    assert 'name="dependsOn" value="pacs" checked>' in page


def test_procedure_form_shows_and_checks_a_steps_counterpart(member: MemberFactory) -> None:
    client = member("editor")
    steps = {spec.name: spec for spec in f.form_fields("procedures")}["steps"]
    assert steps.kind == "rows" and "insteadOf" in steps.help
    page = text(client.get(url("part-edit", section="procedures", key="pacs-downtime")))
    # Picked among the procedure's other steps.
    assert '<select id="f-steps-3-insteadOf" name="steps.3.insteadOf">' in page
    assert '<option value="vendor-call-in-hours" selected>vendor-call-in-hours: ' in page
    form = form_of("procedures", "pacs-downtime")
    form["steps.3.insteadOf"] = "call-pacs-tem"
    response = client.post(url("part-edit", section="procedures", key="pacs-downtime"), form)
    assert response.status_code == 400
    wrong = "'call-pacs-tem' names no step of procedure 'pacs-downtime' (did you mean 'call-pacs-team'?)"
    # Beside the step's own field, and in the summary with the row named.
    assert f'<p class="field-error" id="f-steps-3-insteadOf-error">{wrong}</p>' in text(response)
    assert f'<a href="#f-steps-3-insteadOf">Steps, row 4: Instead of: {wrong}</a>' in text(response)


def test_positional_keys_escalation_by_level_and_monitoring_by_position(member: MemberFactory) -> None:
    client = member("editor")
    assert "Reporting user" in text(client.get(url("part-edit", section="escalation", key="1")))
    assert (
        "Attend the vendor&#x27;s user group"
        in client.get(url("part-edit", section="monitoring", key="2")).content.decode()
    )
    assert client.get(url("part-edit", section="monitoring", key="99")).status_code == 404
    assert client.get(url("part-edit", section="nonsense", key="1")).status_code == 404
    assert client.get(url("section-edit", section="nonsense")).status_code == 404


def test_invalid_rto_is_shown_beside_the_field_and_changes_nothing(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    entries = AuditEntry.objects.count()
    form = form_of("functions", "image-reporting")
    # An RTO's words are kept as written (and linted); the time an impact starts must be a duration.
    form["impact.1.after"] = "soonish"
    response = client.post(url("part-edit", section="functions", key="image-reporting"), form)
    assert response.status_code == 400
    page = text(response)
    wrong = next(line for line in page.splitlines() if 'id="f-impact-1-after-error"' in line)
    assert "soonish" in wrong and "duration" in wrong
    assert 'aria-invalid="true" aria-describedby="f-impact-1-after-error f-impact-1-after-hint' in page
    assert '<a href="#f-impact-1-after">Impact, row 2: After: ' in page
    assert 'name="impact.1.after" value="soonish"' in page  # the submitted text is shown again
    assert editing.plan_data(pacs()) == before
    assert AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


def test_valid_edit_saves_audits_and_returns_the_plan_to_draft(member: MemberFactory) -> None:
    client = member("editor")
    assert pacs().status == PlanStatus.ISSUED
    form = form_of("functions", "image-reporting")
    assert form["rto.0.duration"] == "4h"
    form["rto.0.duration"] = "6 hours"
    response = client.post(url("part-edit", section="functions", key="image-reporting"), form)
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1 and shown[0].startswith(
        "Saved the critical function image-reporting. The plan is now a draft: it needs approval to be issued again."
    )
    function = editing.part_of(editing.plan_data(pacs()), "functions", "image-reporting")
    assert function["rto"][0] == {
        "scenario": "Fail-over to the backup data centre",
        "duration": "6h",
        "risk": "complete-failure",
    }
    assert len(function["rto"]) == 4  # the other rows as they were
    assert pacs().status == PlanStatus.DRAFT
    entry = AuditEntry.objects.get(object_key=f"{PACS}/functions/image-reporting")
    assert entry.verb == "change" and entry.actor_name.startswith("editor")
    before, after = entry.before, entry.after
    assert isinstance(before, dict) and isinstance(after, dict)
    assert before["rto"][0]["duration"] == "4h" and after["rto"][0]["duration"] == "6h"
    assert AuditEntry.objects.filter(object_key=PACS, verb="status").exists()


def test_required_field_left_empty_is_reported_beside_it(member: MemberFactory) -> None:
    form = form_of("header", None)
    form["title"] = "  "
    response = member("editor").post(url("section-edit", section="header"), form)
    assert response.status_code == 400
    assert '<p class="field-error" id="f-title-error">must not be empty</p>' in text(response)


def test_dangling_reference_in_a_select(member: MemberFactory) -> None:
    form = form_of("sites", "northwick-hospital")
    form["operator"] = "nobody-at-all"
    response = member("editor").post(url("part-edit", section="sites", key="northwick-hospital"), form)
    assert response.status_code == 400
    assert "&#x27;nobody-at-all&#x27; names no supplier in this plan" in response.content.decode()


def test_add_then_delete_a_monitoring_activity_and_a_site(member: MemberFactory) -> None:
    client = member("editor")
    response = client.post(
        url("part-add", section="monitoring"), {"activity": "Test the CD burners", "every": "1 month"}
    )
    assert response.status_code == 302
    monitoring = editing.plan_data(pacs())["monitoring"]
    assert monitoring[-1] == {"activity": "Test the CD burners", "every": "1 month"}
    position = str(len(monitoring))
    assert next(str(m) for m in get_messages(response.wsgi_request)).startswith(
        f"Saved the monitoring activity {position}."
    )
    confirm = client.get(url("part-delete", section="monitoring", key=position))
    assert confirm.status_code == 200 and "Test the CD burners" in text(confirm)
    assert client.post(url("part-delete", section="monitoring", key=position)).status_code == 302
    assert len(editing.plan_data(pacs())["monitoring"]) == len(monitoring) - 1

    added = client.post(url("part-add", section="sites"), {"id": "annexe", "name": "The Annexe", "kind": "office"})
    assert added.status_code == 302
    assert editing.part_of(editing.plan_data(pacs()), "sites", "annexe") == {
        "id": "annexe",
        "name": "The Annexe",
        "kind": "office",
    }
    assert AuditEntry.objects.filter(object_key=f"{PACS}/sites/annexe", verb="create").exists()
    assert client.post(url("part-delete", section="sites", key="annexe")).status_code == 302
    assert editing.part_of(editing.plan_data(pacs()), "sites", "annexe") is None
    assert AuditEntry.objects.filter(object_key=f"{PACS}/sites/annexe", verb="delete").exists()


def test_delete_is_refused_while_other_parts_name_it(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    response = client.post(url("part-delete", section="systems", key="pacs"))
    assert response.status_code == 409
    page = text(response)
    assert "The system cannot be deleted" in page
    assert "'pacs' names no" in page
    assert "functions[0].dependsOn[0]: 'pacs' names no" in page
    assert editing.plan_data(pacs()) == before
    assert pacs().status == PlanStatus.ISSUED


@pytest.mark.parametrize("role", ["viewer", "responder", "approver", "administrator"])
def test_only_editors_may_change(member: MemberFactory, role: str) -> None:
    client = member(role)
    before = editing.plan_data(pacs())
    assert client.get(url("plan-edit")).status_code == 403
    form = form_of("functions", "image-reporting")
    assert client.post(url("part-edit", section="functions", key="image-reporting"), form).status_code == 403
    assert client.post(url("part-add", section="monitoring"), {"activity": "x"}).status_code == 403
    assert client.post(url("part-delete", section="monitoring", key="1")).status_code == 403
    assert client.post(url("section-edit", section="header"), form_of("header", None)).status_code == 403
    assert editing.plan_data(pacs()) == before


def test_other_organisation_gets_404(member: MemberFactory) -> None:
    outsider: Client = member("editor", organisation=OTHER_ORG)
    assert outsider.get(url("plan-edit")).status_code == 404
    assert outsider.get(url("part-edit", section="functions", key="image-reporting")).status_code == 404
    assert outsider.post(url("part-delete", section="monitoring", key="1")).status_code == 404
    # An editor of Northwick asking for a plan Northwick does not have.
    own = member("editor")
    assert own.get(reverse("plan-edit", kwargs={"org": HOME_ORG, "plan": "eye-care-data"})).status_code == 404


def test_plan_id_cannot_be_changed_by_the_header_form(member: MemberFactory) -> None:
    form = form_of("header", None)
    form["id"] = "another-id"
    response = member("editor").post(url("section-edit", section="header"), form)
    assert response.status_code == 400
    assert (
        '<p class="field-error" id="f-id-error">the plan id is \'pacs-bcdr\'; a plan\'s id cannot be changed by an edit</p>'
        in text(response)
    )


def test_number_too_large_to_store_changes_nothing(member: MemberFactory) -> None:
    """Issue numbers are bounded by the format to what the database column holds (2**31 - 1)."""
    before = editing.plan_data(pacs())
    entries = AuditEntry.objects.count()
    form = form_of("document", None)
    form["issue"] = str(10**20)
    response = member("editor").post(url("section-edit", section="document"), form)
    assert response.status_code == 400
    assert '<p class="field-error" id="f-issue-error">must be at most 2147483647' in text(response)
    assert editing.plan_data(pacs()) == before
    assert AuditEntry.objects.count() == entries and pacs().status == PlanStatus.ISSUED
