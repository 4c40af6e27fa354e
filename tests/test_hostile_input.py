"""Hostile plan input is refused quickly, located, in bounded memory: from a file, an upload, a form and a JSON body.

An alias bomb (aliases of aliases: 9 levels of 9 expand to 387 million values), nesting 10,000 deep,
a 100,000-digit number and a file past the size limit each get the usual `file:line:col: path:
message`, exit 2 on the command line, 400 on a page, 422 from the API, and nothing written.
"""

from __future__ import annotations

import html
import json
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from contingency.cli import main
from contingency.core.models import AuditEntry, Role
from contingency.core.tokens import create_token
from contingency.plans import limits, yamlio
from contingency.plans.editing import plan_data
from contingency.plans.models import Plan
from contingency.plans.problems import PlanInvalid
from contingency.web.editing import fields

from .conftest import DEMO_PLANS, ROOT
from .web import HOME_ORG, PACS, MemberFactory, make_user

HEADER = "apiVersion: contingency/v1\nkind: Plan\n"
ALIASES = "are not allowed in a plan: write the value out in full"


def bomb(levels: int, width: int = 9) -> str:
    """`l0: &l0 [lol, ...]`, then each level a list of `width` aliases of the one before."""
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return HEADER + "\n".join(lines) + "\n"


def nested(depth: int) -> str:
    return HEADER + "title: " + "[" * depth + "]" * depth + "\n"


def messages(text: str, file: str = "f.yaml") -> list[str]:
    with pytest.raises(PlanInvalid) as caught:
        yamlio.parse(text, file)
    return [str(p) for p in caught.value.problems]


@pytest.fixture(params=["libyaml", "pure-python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs with libyaml and with the pure-Python parser used when libyaml is missing."""
    if request.param == "pure-python":
        monkeypatch.setattr(yamlio, "Loader", yaml.SafeLoader)
    yield request.param


# ---------------------------------------------------------------- the reader


def test_libyaml_reads_plans_here() -> None:
    assert yaml.__with_libyaml__ and yamlio.Loader is yaml.CSafeLoader


def test_alias_bomb_is_refused_naming_each_anchor_and_alias_once(loader: str) -> None:
    found = messages(bomb(9))
    assert found[:3] == [
        f"f.yaml:3:5: l0: anchors (&l0) {ALIASES}",
        f"f.yaml:4:5: l1: anchors (&l1) {ALIASES}",
        f"f.yaml:4:10: l1[0]: aliases (*l0) {ALIASES}",
    ]
    assert len(found) == 17  # nine anchors, eight aliases: not one per use


def test_merge_keys_and_aliases_as_keys_are_refused(loader: str) -> None:
    text = HEADER + "base: &b {name: A}\nperson:\n  <<: *b\n  id: a\n"
    assert messages(text) == [
        f"f.yaml:3:7: base: anchors (&b) {ALIASES}",
        f"f.yaml:5:3: person: merge keys (<<) {ALIASES}",
        f"f.yaml:5:7: person.<<: aliases (*b) {ALIASES}",
    ]
    # A quoted "<<" is an ordinary key (the plan model then says it is unknown).
    data, _ = yamlio.parse(HEADER + "'<<': 1\n")
    assert data["<<"] == 1


def test_nesting_is_refused_past_the_limit_however_deep(loader: str) -> None:
    yamlio.parse(nested(limits.MAX_DEPTH - 1))  # the plan mapping and 19 lists: 20 levels
    path = "title" + "[0]" * (limits.MAX_DEPTH - 1)
    column = len("title: ") + limits.MAX_DEPTH
    expected = [f"f.yaml:3:{column}: {path}: nested more than 20 levels deep: a plan needs far fewer"]
    assert messages(nested(limits.MAX_DEPTH)) == expected
    assert messages(nested(10_000)) == expected
    block = HEADER + "".join(f"{'  ' * i}k{i}:\n" for i in range(30)) + "  " * 30 + "x: 1\n"
    keys = ".".join(f"k{i}" for i in range(limits.MAX_DEPTH))  # block mappings count the same way
    assert messages(block) == [f"f.yaml:23:41: {keys}: nested more than 20 levels deep: a plan needs far fewer"]


def test_numbers_too_long_to_read_are_refused(loader: str) -> None:
    data, _ = yamlio.parse(HEADER + "a: 100000000000000000000\nb: '" + "9" * 100_000 + "'\n")
    assert data["a"] == 10**20 and len(data["b"]) == 100_000  # quoted: text, not a number
    assert messages(HEADER + "issue: " + "9" * 100_000 + "\nf: " + "1" * 50 + ".5\n") == [
        "f.yaml:3:8: issue: a number of 100,000 characters is too long: numbers in a plan have at most 40",
        "f.yaml:4:4: f: a number of 52 characters is too long: numbers in a plan have at most 40",
    ]


def test_too_many_values_or_characters_are_refused(loader: str) -> None:
    flat = HEADER + "people: [" + "a, " * limits.MAX_VALUES + "a]\n"
    (message,) = messages(flat)
    assert message.endswith("people: more than 100,000 values: a plan may have at most 100,000")
    huge = "#" * (limits.MAX_CHARACTERS + 1)
    assert messages(huge) == [
        "f.yaml: (document): the file has 2,097,153 characters: a plan may have at most 2,097,152"
    ]


def test_libyaml_and_pure_python_give_the_same_data_positions_and_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(DEMO_PLANS.glob("*.yaml"))]
    texts += [
        "a: 08:00\nb: no\nc: 0891\nd: +12\ne: 1_000\nf: .5\ng: 1e5\nh: !x 12\ni: !!str 12\nj: ''\nk:\nl: é\r\n",
        "a: [b\nc: d\n",  # libyaml would say "did not find expected ',' or ']'"
        "a: {b: c",  # ... and put it on line 2
        "a: b\n  c: d\n",
        "\x07a: b\n",
        "a: 1\na: 2\n? [x]\n: 3\n",
        "a: 1\n---\nb: 2\n",
    ]

    def read(text: str) -> object:
        try:
            data, positions = yamlio.parse(text, "f.yaml")
            return data, positions
        except PlanInvalid as invalid:
            return [str(p) for p in invalid.problems]

    fast = [read(text) for text in texts]
    monkeypatch.setattr(yamlio, "Loader", yaml.SafeLoader)
    assert fast == [read(text) for text in texts]
    assert fast[-4] == ["f.yaml:2:4: (document): malformed YAML: mapping values are not allowed here"]


# ---------------------------------------------------------------- the command line


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stderr


def test_command_line_refuses_a_bomb_in_bounded_memory(tmp_path: Path) -> None:
    """In a process that may use at most 1 GB: expanding the bomb would need hundreds of times that."""
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb(9), encoding="utf-8")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run(
        [sys.executable, "-m", "contingency.cli", "plan", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=limit,
        check=False,
    )
    assert "Traceback" not in done.stderr
    assert done.returncode == 2
    lines = done.stderr.replace(str(tmp_path) + "/", "").splitlines()
    assert lines[0] == f"bomb.yaml:3:5: l0: anchors (&l0) {ALIASES}"
    assert lines[-1] == "17 problem(s); nothing was written."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            nested(10_000),
            "f.yaml:3:27: title" + "[0]" * 19 + ": nested more than 20 levels deep: a plan needs far fewer",
        ),
        (HEADER + "document:\n  issue: " + "9" * 100_000 + "\n", "f.yaml:4:10: document.issue: a number of 100,000"),
    ],
    ids=["deep", "long-number"],
)
def test_command_line_reports_deep_nesting_and_long_numbers(tmp_path: Path, db: None, text: str, expected: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    for command in ("validate", "lint", "import"):
        code, err = run("plan", command, str(path))
        assert code == 2, command
        lines = err.replace(str(tmp_path) + "/", "").splitlines()
        assert lines[0].startswith(expected) and lines[-1] == "1 problem(s); nothing was written."
    assert not Plan.objects.exists()


# ---------------------------------------------------------------- pages


def pacs() -> Plan:
    return Plan.objects.get(organisation__slug=HOME_ORG, key=PACS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (bomb(9), f"bomb.yaml:3:5: l0: anchors (&l0) {ALIASES}"),
        (nested(10_000), "bomb.yaml:3:27: title[0]"),
        (HEADER + "document:\n  issue: " + "9" * 100_000 + "\n", "bomb.yaml:4:10: document.issue: a number of"),
    ],
    ids=["bomb", "deep", "long-number"],
)
def test_upload_refuses_hostile_files_with_a_400(member: MemberFactory, text: str, expected: str) -> None:
    before = plan_data(pacs())
    upload = SimpleUploadedFile("bomb.yaml", text.encode(), content_type="application/yaml")
    response = member("editor").post(reverse("plan-upload", kwargs={"org": HOME_ORG}), {"file": upload})
    assert response.status_code == 400
    assert expected in html.unescape(response.content.decode())
    assert plan_data(pacs()) == before and Plan.objects.count() == 2


def test_a_form_number_too_long_to_read_is_a_field_error(member: MemberFactory) -> None:
    parsed = fields.parse_values(fields.form_fields("functions"), {"id": "x", "likelihood": "9" * 100_000})
    assert parsed.errors == {
        "likelihood": ["a number of 100,000 characters is too long: numbers in a plan have at most 40"]
    }
    address = reverse(
        "part-edit", kwargs={"org": HOME_ORG, "plan": PACS, "section": "functions", "key": "image-reporting"}
    )
    entries = AuditEntry.objects.count()
    response = member("editor").post(address, {"id": "image-reporting", "name": "Imaging", "likelihood": "9" * 100_000})
    assert response.status_code == 400 and AuditEntry.objects.count() == entries


# ---------------------------------------------------------------- the JSON API


@pytest.fixture
def api(demo_plans: list[object]) -> Client:
    user = make_user("api-editor", HOME_ORG, Role.EDITOR)
    _, plain = create_token(user, "test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


PLAN_URL = f"/api/v1/organisations/{HOME_ORG}/plans/{PACS}"


def with_title(raw_title: str) -> str:
    """The PACS plan as a JSON body whose title is the given raw JSON text."""
    body = json.dumps(plan_data(pacs()))
    return body.replace('"title": ', f'"title": {raw_title}, "x-title": ', 1)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("[" * 100_000 + "]" * 100_000, {"path": "(body)", "loc": [], "code": "json.depth"}),
        ("[" * 30 + "]" * 30, {"path": "title" + "[0]" * 19, "loc": ["title", *[0] * 19], "code": "json.depth"}),
        ("9" * 100_000, {"path": "(body)", "loc": [], "code": "json.number"}),
        ("NaN", {"path": "(body)", "loc": [], "code": "json.number"}),
    ],
    ids=["deeper-than-python", "deep", "long-number", "nan"],
)
def test_api_refuses_deep_bodies_and_unreadable_numbers_with_a_422(
    api: Client, raw: str, expected: dict[str, object]
) -> None:
    before = plan_data(pacs())
    response = api.put(PLAN_URL, with_title(raw), content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request body is too large, too deeply nested or has a number too long to read."
    (error,) = body["errors"]
    assert {k: error[k] for k in expected} == expected
    assert plan_data(pacs()) == before


def test_api_still_reads_ordinary_bodies(api: Client) -> None:
    body = plan_data(pacs())
    body["title"] = "PACS plan, retitled"
    response = api.put(PLAN_URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert pacs().title == "PACS plan, retitled"


def test_plan_yaml_is_written_without_anchors_or_aliases() -> None:
    shared = ["pacs-team"]
    text = yamlio.dump({"a": shared, "b": shared})
    assert "&" not in text and "*" not in text
    assert yamlio.parse(text)[0] == {"a": ["pacs-team"], "b": ["pacs-team"]}


def test_json_bodies_with_too_many_values_or_bytes_are_refused() -> None:
    with pytest.raises(PlanInvalid) as caught:
        limits.parse_json(b"[" + b"0," * limits.MAX_VALUES + b"0]")
    assert [(p.code, p.message) for p in caught.value.problems] == [
        ("json.size", "more than 100,000 values: a plan may have at most 100,000")
    ]
    with pytest.raises(PlanInvalid) as caught:
        limits.parse_json(b" " * (limits.MAX_CHARACTERS + 1) + b"{}")
    assert caught.value.problems[0].message == "the body has 2,097,155 bytes: a plan may have at most 2,097,152"
    assert limits.parse_json(b'{"a": [1, 2.5, "x"]}') == {"a": [1, 2.5, "x"]}
