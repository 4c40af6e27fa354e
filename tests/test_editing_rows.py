"""Repeating rows in the edit forms: added, removed and moved with buttons that post the form (no YAML),
duration fields that say what they read, and the linter's findings beside the fields they are about."""

from __future__ import annotations

import html
import re
from typing import Any

from django.urls import reverse

from contingency.core.models import AuditEntry
from contingency.plans import editing
from contingency.plans.models import Plan, PlanStatus
from contingency.web.editing import fields as f
from contingency.web.editing.notes import finding_link

from .web import HOME_ORG, PACS, MemberFactory

FUNCTION = "image-reporting"


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


def url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs={"org": HOME_ORG, "plan": PACS, **kwargs})


def edit_url() -> str:
    return url("part-edit", section="functions", key=FUNCTION)


def function() -> dict[str, Any]:
    found = editing.part_of(editing.plan_data(pacs()), "functions", FUNCTION)
    assert isinstance(found, dict)
    return found


def form() -> dict[str, Any]:
    """What the function's form posts as first shown (unticked boxes are not sent; ticked ids are a list)."""
    specs = f.form_fields("functions")
    values = f.initial_values(specs, function())
    posted: dict[str, Any] = {k: v for k, v in values.items() if v}
    for name in ("dependsOn", "procedures", "locations"):
        if name in posted:
            posted[name] = posted[name].split("\n")
    return posted


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def shown_value(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', page)
    assert found, name
    return found.group(1)


# ---------------------------------------------------------------- pure: the operations on rows


def test_a_row_is_added_removed_and_moved_with_its_nested_rows() -> None:
    specs = f.form_fields("systems")
    values = {
        "components": "3",
        "components.0.name": "A",
        "components.1.name": "B",
        "components.1.checks": "1",
        "components.1.checks.0.id": "b-check",
        "components.2.name": "C",
        "name": "PACS",
    }
    op = f.parse_op(specs, "up:components.1", values)
    assert op == f.Op("up", "components", 1)
    moved = f.apply_op(op, values)
    assert moved["components.0.name"] == "B" and moved["components.0.checks.0.id"] == "b-check"
    assert moved["components.1.name"] == "A" and "components.1.checks.0.id" not in moved
    assert moved["name"] == "PACS" and f.focus_after(op) == "components.0"

    removed = f.apply_op(f.Op("remove", "components", 0), values)
    assert removed["components"] == "2" and removed["components.0.name"] == "B"
    assert removed["components.0.checks.0.id"] == "b-check" and removed["components.1.name"] == "C"
    assert "components.2.name" not in removed

    nested = f.parse_op(specs, "add:components.1.checks", values)
    assert nested == f.Op("add", "components.1.checks", 1)
    assert f.apply_op(nested, values)["components.1.checks"] == "2"


def test_an_operation_naming_no_list_of_rows_is_ignored() -> None:
    specs = f.form_fields("functions")
    values = {"rto": "2", "id": "12"}
    for bad in ("add:id", "up:rto.9", "remove:rto", "down:nothing.0", "explode:rto.0", "add:rto.0.scenario", ""):
        assert f.parse_op(specs, bad, values) is None, bad


def test_durations_say_what_they_were_read_as() -> None:
    assert f.understood("4h", written=True) == ("ok", "Understood as 4 hours.")
    assert f.understood("1 working day", written=False) == ("ok", "Understood as 1 working day.")
    assert f.understood("1-4 hours", written=True) == ("words", "A range, kept as written: at the latest 4 hours.")
    assert f.understood("if prolonged", written=True)[0] == "words"
    assert f.understood("if prolonged", written=False)[0] == "bad"
    assert f.understood("", written=True) == ("", "")


# ---------------------------------------------------------------- pages: the buttons post the form


def test_add_a_row_shows_the_form_again_unsaved(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    posted = form()
    count = int(posted["durationRules"])
    response = client.post(edit_url(), {**posted, "_op": "add:durationRules"})
    assert response.status_code == 200
    page = text(response)
    assert f'name="durationRules.{count}.after" value=""' in page
    # The new row takes focus (htmx focuses it after the swap too).
    assert f'<fieldset class="row-item" id="w-durationRules-{count}" tabindex="-1" autofocus>' in page
    assert editing.plan_data(pacs()) == before


def test_move_then_save_keeps_the_new_order_and_audits_it(member: MemberFactory) -> None:
    client = member("editor")
    posted = form()
    first, second = (row["scenario"] for row in function()["rto"][:2])
    response = client.post(edit_url(), {**posted, "_op": "down:rto.0"})
    assert response.status_code == 200
    page = text(response)
    assert shown_value(page, "rto.0.scenario") == second and shown_value(page, "rto.1.scenario") == first
    assert [row["scenario"] for row in function()["rto"][:2]] == [first, second]  # not saved yet

    # Saving the form as shown (no button pressed but Save) keeps the new order.
    again = dict(posted)
    again["rto.0.scenario"], again["rto.1.scenario"] = second, first
    again["rto.0.duration"], again["rto.1.duration"] = posted["rto.1.duration"], posted["rto.0.duration"]
    again["rto.0.risk"], again["rto.1.risk"] = posted["rto.1.risk"], posted["rto.0.risk"]
    assert client.post(edit_url(), {**again, "_save": "1"}).status_code == 302
    assert [row["scenario"] for row in function()["rto"][:2]] == [second, first]
    entry = AuditEntry.objects.get(object_key=f"{PACS}/functions/{FUNCTION}")
    assert isinstance(entry.after, dict) and entry.after["rto"][0]["scenario"] == second


def test_remove_a_row_then_save(member: MemberFactory) -> None:
    client = member("editor")
    posted = form()
    rules = function()["durationRules"]
    response = client.post(edit_url(), {**posted, "_op": "remove:durationRules.0"})
    assert response.status_code == 200
    page = text(response)
    assert shown_value(page, "durationRules.0.action") == rules[1]["action"]
    assert '<fieldset class="field rows" id="w-durationRules" tabindex="-1" autofocus>' in page
    # What the page now shows is what the next Save posts.
    values = f.apply_op(f.Op("remove", "durationRules", 0), f.submitted_values(f.form_fields("functions"), posted))
    saved = {k: v for k, v in values.items() if v}
    for name in ("dependsOn", "procedures", "locations"):
        saved[name] = posted[name]
    assert client.post(edit_url(), saved).status_code == 302
    assert function()["durationRules"] == rules[1:]


def test_a_resource_row_added_in_a_category(member: MemberFactory) -> None:
    client = member("editor")
    posted = form()
    staff = function()["resources"].get("staff", [])
    posted["resources.staff"] = str(len(staff) + 1)
    posted[f"resources.staff.{len(staff)}.name"] = "Porter"
    posted[f"resources.staff.{len(staff)}.quantity"] = "2"
    assert client.post(edit_url(), posted).status_code == 302
    assert function()["resources"]["staff"][-1] == {"name": "Porter", "quantity": 2}


def test_bad_input_in_a_row_is_shown_beside_it_and_changes_nothing(member: MemberFactory) -> None:
    client = member("editor")
    before = editing.plan_data(pacs())
    entries = AuditEntry.objects.count()
    posted = form()
    posted["resources.staff"] = "1"
    posted["resources.staff.0.name"] = "Porter"
    posted["resources.staff.0.quantity"] = "lots"
    response = client.post(edit_url(), posted)
    assert response.status_code == 400
    page = text(response)
    error = re.search(r'<p class="field-error" id="f-resources-staff-0-quantity-error">([^<]*)</p>', page)
    assert error and error.group(1) == "expected a whole number, got 'lots'"
    assert '<a href="#f-resources-staff-0-quantity">Staff, row 1: Quantity: ' in page
    assert shown_value(page, "resources.staff.0.quantity") == "lots"
    assert "Nothing has been saved." in page
    assert editing.plan_data(pacs()) == before and AuditEntry.objects.count() == entries
    assert pacs().status == PlanStatus.ISSUED


def test_references_are_ticked_boxes_and_keep_their_order(member: MemberFactory) -> None:
    client = member("editor")
    posted = form()
    depends = function()["dependsOn"]
    page = text(client.get(edit_url()))
    for ref in depends:
        assert f'name="dependsOn" value="{ref}" checked>' in page
    posted["dependsOn"] = list(reversed(depends))
    assert client.post(edit_url(), posted).status_code == 302
    assert function()["dependsOn"] == list(reversed(depends))


def test_duration_readout_fragment(member: MemberFactory) -> None:
    client = member("editor")
    readout = reverse("duration-readout", kwargs={"org": HOME_ORG})
    response = client.get(readout, {"rto.0.duration": "1-4 hours", "written": "1"})
    assert response.status_code == 200 and "at the latest 4 hours" in text(response)
    assert "Not a duration" in text(client.get(readout, {"impact.0.after": "if prolonged", "written": "0"}))
    assert member("viewer").get(readout, {"x": "4h"}).status_code == 403


# ---------------------------------------------------------------- the linter beside the fields


def test_findings_are_shown_beside_their_field_and_the_plan_page_links_to_them(member: MemberFactory) -> None:
    client = member("editor")
    page = text(client.get(edit_url()))
    mtpd = page[page.index('id="w-mtpd"') :]
    mtpd = mtpd[: mtpd.index("</div>")]
    assert "DUR004" in mtpd and "MTPD is 7 days" in mtpd

    data = editing.plan_data(pacs())
    assert finding_link(HOME_ORG, PACS, data, ("functions", 0, "mtpd")) == f"{edit_url()}#w-mtpd"
    step = url("part-edit", section="procedures", key=data["procedures"][0]["id"])
    assert finding_link(HOME_ORG, PACS, data, ("procedures", 0, "steps", 6, "targets", 0)) == (
        f"{step}#w-steps-6-targets"
    )
    holder = finding_link(HOME_ORG, PACS, data, ("document", "holders", 4))
    assert holder == f"{url('section-edit', section='document')}#w-holders-4"
    assert finding_link(HOME_ORG, PACS, data, ("functions", 99, "mtpd")) is None

    plan_page = text(client.get(reverse("plan", kwargs={"org": HOME_ORG, "plan": PACS})))
    assert f'<a href="{edit_url()}#w-mtpd"><code>functions[0].mtpd</code>' in plan_page
    viewer = text(member("viewer").get(reverse("plan", kwargs={"org": HOME_ORG, "plan": PACS})))
    assert "functions[0].mtpd</code>" in viewer and f"{edit_url()}#w-mtpd" not in viewer


def test_a_save_that_adds_a_finding_comes_back_to_the_form_with_it_marked_new(member: MemberFactory) -> None:
    client = member("editor")
    posted = form()
    posted.pop("deputy", None)  # a function with no deputy is an error for the linter (FN002), not for saving
    response = client.post(edit_url(), posted)
    assert response.status_code == 302 and response["Location"] == edit_url()
    assert "deputy" not in function()
    page = text(client.get(edit_url()))
    assert "new finding(s) here" in page
    # FN002 is about the function as a whole: listed above the fields.
    part = page[page.index('<div class="part-lint">') :]
    part = part[: part.index("</div>")]
    assert "New error</span> FN002" in part
    # Shown as new once: the next visit lists it as any other finding.
    assert "New error" not in text(client.get(edit_url()))


def test_a_call_trees_channels_are_ticked_boxes(member: MemberFactory) -> None:
    client = member("editor")
    tree = editing.plan_data(pacs())["callTrees"][0]
    address = url("part-edit", section="callTrees", key=tree["id"])
    page = text(client.get(address))
    assert 'name="channels" value="phone">' in page  # offered, not ticked
    specs = f.form_fields("callTrees")
    posted: dict[str, Any] = {k: v for k, v in f.initial_values(specs, tree).items() if v}
    posted["channels"] = ["email", "phone"]
    assert client.post(address, posted).status_code == 302
    assert editing.plan_data(pacs())["callTrees"][0]["channels"] == ["email", "phone"]


def test_a_box_unticked_in_a_group_with_defaults_is_saved(member: MemberFactory) -> None:
    client = member("editor")
    tree = editing.plan_data(pacs())["callTrees"][0]
    assert tree.get("fallback", {}).get("deputies", True) is True
    address = url("part-edit", section="callTrees", key=tree["id"])
    specs = f.form_fields("callTrees")
    posted: dict[str, Any] = {k: v for k, v in f.initial_values(specs, tree).items() if v}
    if "channels" in posted:
        posted["channels"] = posted["channels"].split("\n")
    posted.pop("fallback.deputies")
    assert client.post(address, posted).status_code == 302
    assert editing.plan_data(pacs())["callTrees"][0]["fallback"]["deputies"] is False
