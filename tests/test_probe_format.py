"""Checks in the plan format: each kind, their bad values located, ids and answers resolved, the edit form."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from contingency.plans import editing
from contingency.plans.models import Plan
from contingency.plans.problems import PlanInvalid
from contingency.plans.spec.probes import Span
from contingency.plans.validate import load_text, validate_data
from contingency.plans.yamlform import document_to_data
from contingency.web.editing.fields import form_fields, initial_values
from tests.builders import build, minimal_plan
from tests.conftest import DEMO_PLANS
from tests.web import HOME_ORG, PACS, MemberFactory

ECHO: dict[str, Any] = {"id": "echo", "dicom": {"host": "127.0.0.1", "port": 11112, "calledAe": "PACS"}}


def with_checks(*checks: dict[str, Any], **system: Any) -> dict[str, Any]:
    plan = minimal_plan()
    plan["systems"] = [{"id": "pacs", "name": "PACS", "components": [{"name": "Archive", "checks": list(checks)}]}]
    plan["systems"][0].update(system)
    return plan


def problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(PlanInvalid) as caught:
        validate_data(data)
    return [(".".join(str(p) for p in problem.path), problem.message) for problem in caught.value.problems]


def test_a_plan_without_checks_is_still_valid() -> None:
    plan = build(minimal_plan())
    assert all(not c.checks for s in plan.systems for c in s.components)


def test_every_kind_of_check_reads_and_writes_back() -> None:
    checks: list[dict[str, Any]] = [
        {"id": "web", "http": {"url": "https://viewer.example.org/", "text": "Sign in", "slow": "2s"}},
        {"id": "db", "tcp": {"host": "db.example.org", "port": 5432}, "every": "30s", "failAfter": 3},
        {**ECHO, "dicom": {**ECHO["dicom"], "callingAe": "NGH_PROBE", "timeout": "5s"}},
        {"id": "ris", "mllp": {"host": "127.0.0.1", "port": 2575, "ack": "CA"}},
    ]
    data = with_checks(
        *checks,
        owner="owner",
        probes={"every": "1m", "failAfter": 2, "answers": [{"check": "several", "holds": "every-site"}]},
    )
    data["procedures"][0]["confirm"] = [{"id": "several", "check": "Fails on several PCs", "ifNot": "partial-failure"}]
    plan = build(data)
    system = plan.systems[0]
    assert [c.kind for c in system.components[0].checks] == ["http", "tcp", "dicom", "mllp"]
    assert system.components[0].checks[0].target.timeout == Span(10_000)
    assert system.probes is not None and system.probes.every == Span(60_000)
    again = document_to_data(plan)["systems"][0]
    assert again["components"][0]["checks"][1] == checks[1]
    assert again["probes"]["answers"] == [{"check": "several", "holds": "every-site"}]


@pytest.mark.parametrize(
    ("check", "path", "words"),
    [
        ({"id": "x"}, "", "exactly one of http, tcp, dicom or mllp; this one names none"),
        ({**ECHO, "tcp": {"host": "a", "port": 1}}, "", "this one names tcp and dicom"),
        ({**ECHO, "every": "5s"}, "every", "must be from 10s to 24h"),
        ({**ECHO, "every": "soon"}, "every", "is not a probe duration"),
        ({"id": "x", "dicom": {"host": "127.0.0.1", "calledAe": "A" * 17}}, "dicom.calledAe", "is not an AE title"),
        ({"id": "x", "dicom": {"host": "bad host", "calledAe": "PACS"}}, "dicom.host", "is not a host name"),
        ({"id": "x", "tcp": {"host": "db", "port": 70000}}, "tcp.port", "must be at most 65535"),
        ({"id": "x", "http": {"url": "ftp://x"}}, "http.url", "is not an http:// or https:// address"),
        ({"id": "x", "mllp": {"host": "ris", "port": 2575, "message": "hello"}}, "mllp.message", "starts with its MSH"),
        ({"id": "x", "mllp": {"host": "ris", "port": 2575, "ack": "AE"}}, "mllp.ack", "is not allowed here"),
    ],
)
def test_bad_checks_are_located(check: dict[str, Any], path: str, words: str) -> None:
    found = problems(with_checks(check, owner="owner"))
    where = "systems.0.components.0.checks.0" + (f".{path}" if path else "")
    assert any(p == where and words in m for p, m in found), found


def test_check_ids_are_unique_in_the_plan() -> None:
    found = problems(with_checks(ECHO, {**ECHO, "dicom": {**ECHO["dicom"], "port": 104}}))
    assert any("duplicate id 'echo'" in m for _, m in found), found


def test_answers_must_name_a_confirm_check() -> None:
    found = problems(with_checks(ECHO, probes={"answers": [{"check": "respond"}]}))
    assert ("systems.0.probes.answers.0.check", "'respond' is a procedure, but a check is needed here") in found
    found = problems(with_checks(ECHO, probes={"answers": [{"check": "nowhere"}]}))
    assert any(p == "systems.0.probes.answers.0.check" and "names no check" in m for p, m in found), found


def test_answers_resolve_even_when_another_part_is_broken() -> None:
    data = with_checks(ECHO, probes={"answers": [{"check": "several"}]})
    data["procedures"][0]["confirm"] = [{"id": "several", "check": "Fails on several PCs"}]
    data["people"][0]["phones"] = "not a list"
    found = problems(data)
    assert not any("answers" in p for p, _ in found), found


def test_the_demo_pacs_plan_has_its_three_checks() -> None:
    plan, _ = load_text((DEMO_PLANS / "pacs.yaml").read_text(), "pacs.yaml")
    checks = {c.id: c.kind for s in plan.systems for comp in s.components for c in comp.checks}
    assert checks == {"pacs-dicom-echo": "dicom", "pacs-web-viewer": "http", "ris-mllp": "mllp"}
    pacs = next(s for s in plan.systems if s.id == "pacs")
    assert pacs.owner == "helen-marsh" and pacs.probes is not None and pacs.probes.fail_after == 2


def test_the_edit_form_has_the_new_fields() -> None:
    fields = {f.name: f for f in form_fields("systems")}
    assert fields["owner"].kind == "ref" and fields["owner"].ref_kinds == ("person", "role", "supplier")
    assert fields["probes"].kind == "group" and fields["probes"].toggle
    assert fields["probes"].help.startswith("How a system's checks run, and when their failures open")
    assert fields["components"].kind == "rows"
    checks = {c.name: c for c in fields["components"].children}["checks"]
    assert checks.kind == "rows" and {"http", "tcp", "dicom", "mllp"} <= {c.name for c in checks.children}


def test_the_system_edit_page_saves_checks_and_locates_their_errors(member: MemberFactory) -> None:
    client = member("editor")
    target = reverse("part-edit", kwargs={"org": HOME_ORG, "plan": PACS, "section": "systems", "key": "pacs"})
    page = client.get(target)
    assert page.status_code == 200
    shown = page.content.decode()
    assert 'name="probes"' in shown and 'name="owner"' in shown
    assert 'name="components.2.checks.0.dicom.calledAe"' in shown
    specs = form_fields("systems")
    plan = Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)
    form = initial_values(specs, editing.part_of(editing.plan_data(plan), "systems", "pacs"))
    form = {k: v for k, v in form.items() if v}
    for name in [k for k in form if k.startswith("probes.")]:
        del form[name]
    form |= {"probes": "on", "probes.every": "2m", "probes.failAfter": "0"}
    refused = client.post(target, form)
    assert refused.status_code == 400
    page_text = html.unescape(refused.content.decode())
    assert '<p class="field-error" id="f-probes-failAfter-error">must be at least 1' in page_text
    form["probes.failAfter"] = "4"
    assert client.post(target, form).status_code == 302
    plan = Plan.objects.get(pk=plan.pk)  # its parts were written again
    saved = editing.part_of(editing.plan_data(plan), "systems", "pacs")
    assert saved["probes"] == {"every": "2m", "failAfter": 4}
    assert saved["components"][2]["checks"][0]["id"] == "pacs-dicom-echo"
