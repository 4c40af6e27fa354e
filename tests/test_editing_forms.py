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
    assert kinds["rto"].kind == "yaml" and kinds["resources"].kind == "yaml"
    assert kinds["rpo"].kind == "text" and "kept as written" in kinds["rpo"].help
    assert "six resource categories" in kinds["resources"].help
    assert [s.name for s in f.form_fields("header")] == ["id", "title", "aim", "objectives", "audience", "scope"]
    nation = {s.name: s for s in f.form_fields("organisation")}["nation"]
    assert nation.kind == "select" and "wales" in nation.choices and nation.default == "england"
    trigger = {s.name: s for s in f.form_fields("triggers")}
    assert trigger["kind"].required and trigger["unlessRestored"].kind == "checkbox"
    assert trigger["unlessRestored"].default is True


def test_parse_values_leaves_out_empty_optional_fields() -> None:
    specs = f.form_fields("functions")
    parsed = f.parse_values(
        specs,
        {
            "id": "x",
            "name": "",
            "likelihood": "3",
            "dependsOn": " pacs \n\n ris ",
            "rto": "- scenario: a\n  duration: 4h",
        },
    )
    assert parsed.errors == {}
    assert parsed.data == {
        "id": "x",
        "name": "",
        "likelihood": 3,  # a score or words, typed in a text box: a number when it is one
        "rto": [{"scenario": "a", "duration": "4h"}],
        "dependsOn": ["pacs", "ris"],
    }


def test_yaml_syntax_error_is_a_field_error() -> None:
    parsed = f.parse_values(f.form_fields("functions"), {"id": "x", "name": "y", "rto": "- scenario: [a\n"})
    assert list(parsed.errors) == ["rto"]
    assert parsed.errors["rto"][0].startswith("line 2, column 1: malformed YAML:")


def test_initial_values_are_the_canonical_form() -> None:
    specs = f.form_fields("triggers")
    values = f.initial_values(specs, {"id": "t", "name": "T", "kind": "recurring", "every": "1 day"})
    assert values["every"] == "1 day" and values["unlessRestored"] == "on" and values["chair"] == ""
    rto = f.initial_values(f.form_fields("functions"), {"rto": [{"scenario": "a", "duration": "4h"}]})["rto"]
    assert rto == "- scenario: a\n  duration: 4h\n"


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
        for spec in f.form_fields(section):
            assert f'name="{spec.name}"' in page.content.decode(), (section, spec.name)
            assert f'<label for="f-{spec.name}"' in page.content.decode() or spec.kind == "checkbox"


def test_function_form_shows_current_values_and_reference_choices(member: MemberFactory) -> None:
    page = text(member("editor").get(url("part-edit", section="functions", key="image-reporting")))
    assert '<label for="f-rto">RTO' in page
    assert "- scenario: Fail-over to the backup data centre\n  duration: 4h\n" in page
    assert '<option value="anita-rao" selected>' in page
    assert '<label for="f-dependsOn">Depends on' in page


def test_procedure_form_shows_and_checks_a_steps_counterpart(member: MemberFactory) -> None:
    client = member("editor")
    steps = {spec.name: spec for spec in f.form_fields("procedures")}["steps"]
    assert steps.kind == "yaml" and "insteadOf" in steps.help
    page = text(client.get(url("part-edit", section="procedures", key="pacs-downtime")))
    assert "  when: out-of-hours\n  insteadOf: vendor-call-in-hours\n" in page
    form = form_of("procedures", "pacs-downtime")
    form["steps"] = form["steps"].replace("insteadOf: vendor-call-in-hours", "insteadOf: call-pacs-tem")
    response = client.post(url("part-edit", section="procedures", key="pacs-downtime"), form)
    assert response.status_code == 400
    assert (
        "steps[3].insteadOf: 'call-pacs-tem' names no step of procedure 'pacs-downtime' "
        "(did you mean 'call-pacs-team'?)" in text(response)
    )


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
    # Words are kept as written (and linted); only the wrong type is refused, e.g. a list.
    form["rto"] = "- scenario: Fail-over to the backup data centre\n  duration: [banana]\n"
    response = client.post(url("part-edit", section="functions", key="image-reporting"), form)
    assert response.status_code == 400
    page = text(response)
    wrong = "expected a duration such as 4h or 5 working days, got ['banana']"
    assert f'<p class="field-error" id="f-rto-error">rto[0].duration: {wrong}</p>' in page
    assert 'aria-invalid="true" aria-describedby="f-rto-error f-rto-hint"' in page
    assert f'<a href="#f-rto">RTO: rto[0].duration: {wrong}</a>' in page
    assert "duration: [banana]" in page  # the submitted text is shown again
    assert editing.plan_data(pacs()) == before
    assert AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


def test_valid_edit_saves_audits_and_returns_the_plan_to_draft(member: MemberFactory) -> None:
    client = member("editor")
    assert pacs().status == PlanStatus.ISSUED
    form = form_of("functions", "image-reporting")
    form["rto"] = "- scenario: Fail-over to the backup data centre\n  duration: 6 hours\n"
    response = client.post(url("part-edit", section="functions", key="image-reporting"), form)
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == [
        "Saved the critical function image-reporting. The plan is now a draft: it needs approval to be issued again."
    ]
    function = editing.part_of(editing.plan_data(pacs()), "functions", "image-reporting")
    assert function["rto"] == [{"scenario": "Fail-over to the backup data centre", "duration": "6h"}]
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
