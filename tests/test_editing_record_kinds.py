"""Record kinds edited with real inputs: a row per field, a group for the verification rule and data recovery."""

from __future__ import annotations

import html

from django.urls import reverse

from contingency.plans import editing
from contingency.plans.models import Plan
from contingency.web.editing import fields as f

from .web import HOME_ORG, PACS, MemberFactory


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, "plan": PACS, **kwargs})


def test_record_kind_fields_are_rows_and_verification_a_group() -> None:
    specs = {s.name: s for s in f.form_fields("recordKinds")}
    assert specs["fields"].kind == "rows" and specs["verification"].kind == "group"
    assert specs["system"].kind == "ref" and specs["system"].ref_kinds == ("system",)
    row = {s.name: s for s in specs["fields"].children}
    assert row["type"].kind == "select" and "nhs-number" in row["type"].choices
    assert row["required"].kind == "checkbox" and row["choices"].kind == "lines"
    share = {s.name: s for s in specs["verification"].children}["share"]
    assert share.kind == "text" and "10%" in share.help
    recovery = {s.name: s for s in f.form_fields("functions")}["dataRecovery"]
    assert recovery.kind == "group" and {s.name for s in recovery.children} >= {"method", "records", "nothingByHand"}


def test_initial_values_round_trip_through_the_parser(demo_plans: list[object]) -> None:
    specs = f.form_fields("recordKinds")
    kind = editing.part_of(editing.plan_data(pacs()), "recordKinds", "examination")
    values = f.initial_values(specs, kind)
    assert values["fields.0.type"] == "downtime-id" and values["fields.0.required"] == "on"
    assert values["verification"] == "on" and values["verification.share"] == "10%"
    parsed = f.parse_values(specs, values)
    assert not parsed.errors
    assert [row["name"] for row in parsed.data["fields"]] == [field["name"] for field in kind["fields"]]


def test_add_a_record_kind_with_the_form(member: MemberFactory) -> None:
    client = member("editor")
    page = html.unescape(client.get(url("part-add", section="recordKinds")).content.decode())
    assert 'name="fields.0.type"' in page and 'name="fields.1.type"' in page  # two empty rows to fill
    form = {
        "id": "portable-xray",
        "name": "Portable X-ray on a ward",
        "system": "pacs",
        "fields": "2",
        "fields.0.name": "downtime-id",
        "fields.0.type": "downtime-id",
        "fields.0.required": "on",
        "fields.1.name": "ward",
        "fields.1.type": "choice",
        "fields.1.choices": "Ward 1\nWard 2",
        "verification": "on",
        "verification.share": "50%",
        "verification.atLeast": "1",
        "verification.widenTo": "100%",
    }
    response = client.post(url("part-add", section="recordKinds"), form)
    assert response.status_code == 302, html.unescape(response.content.decode())
    saved = editing.part_of(editing.plan_data(pacs()), "recordKinds", "portable-xray")
    assert saved == {
        "id": "portable-xray",
        "name": "Portable X-ray on a ward",
        "system": "pacs",
        "fields": [
            {"name": "downtime-id", "type": "downtime-id", "required": True},
            {"name": "ward", "type": "choice", "choices": ["Ward 1", "Ward 2"]},
        ],
        "verification": {"share": "50%"},
    }


def test_a_bad_row_is_reported_and_nothing_saved(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    form = {
        "id": "bad",
        "name": "Bad",
        "system": "pacs",
        "fields.0.name": "ward",
        "fields.0.type": "choice",
        "verification": "on",
        "verification.share": "ten",
    }
    response = client.post(url("part-add", section="recordKinds"), form)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "a choice field needs its choices" in page
    assert "expected a share from 0% to 100%" in page
    assert editing.plan_data(pacs()) == before


def test_more_rows_are_shown_without_saving(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    response = client.post(
        url("part-edit", section="recordKinds", key="cd-received"), {"fields": "12", "_rows": "1", "name": "x"}
    )
    assert response.status_code == 200
    assert 'name="fields.11.type"' in response.content.decode()
    assert editing.plan_data(pacs()) == before


def test_remove_a_row_and_untick_data_recovery(member: MemberFactory) -> None:
    client = member("editor")
    specs = f.form_fields("recordKinds")
    values = f.initial_values(specs, editing.part_of(editing.plan_data(pacs()), "recordKinds", "cd-received"))
    values["fields.6._remove"] = "on"  # the number of images
    form = {k: v for k, v in values.items() if v}
    assert client.post(url("part-edit", section="recordKinds", key="cd-received"), form).status_code == 302
    kind = editing.part_of(editing.plan_data(pacs()), "recordKinds", "cd-received")
    assert [field["name"] for field in kind["fields"]][-1] == "from-hospital"

    specs = f.form_fields("functions")
    values = f.initial_values(specs, editing.part_of(editing.plan_data(pacs()), "functions", "image-sharing"))
    assert values["dataRecovery.records"] == "cd-burnt\ncd-received"
    values["dataRecovery.records"] = "cd-burnt"
    form = {k: v for k, v in values.items() if v}
    assert client.post(url("part-edit", section="functions", key="image-sharing"), form).status_code == 302
    function = editing.part_of(editing.plan_data(pacs()), "functions", "image-sharing")
    assert function["dataRecovery"]["records"] == ["cd-burnt"]
    form.pop("dataRecovery")  # untick the group: the function no longer says how data is recovered
    assert client.post(url("part-edit", section="functions", key="image-sharing"), form).status_code == 302
    assert "dataRecovery" not in editing.part_of(editing.plan_data(pacs()), "functions", "image-sharing")
