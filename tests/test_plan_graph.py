"""The dependency graph: chains of failures, transitive through systems, suppliers and sites; cycles are safe."""

from __future__ import annotations

from typing import Any

import pytest

from contingency.plans.graph import (
    BadReference,
    Kind,
    Ref,
    affected_by,
    build_graph,
    describe,
    layout,
    wrap,
)
from contingency.plans.spec import PlanDocument
from contingency.plans.validate import load_text

from .conftest import DEMO_PLANS


def plan(**parts: Any) -> PlanDocument:
    data: dict[str, Any] = {
        "apiVersion": "contingency/v1",
        "kind": "Plan",
        "id": "p",
        "title": "P",
        "organisation": {"id": "org", "name": "Org"},
        "document": {"number": "N", "issue": 1, "issueDate": "2026-01-01", "reviewDate": "2027-01-01", "owner": "o"},
        "people": [{"id": "o", "name": "Owner"}],
    }
    data.update(parts)
    return PlanDocument.model_validate(data)


def ids(impacts: list[Any]) -> list[str]:
    return [impact.function.ref.id for impact in impacts]


def chain(impact: Any) -> list[str]:
    return [str(ref) for ref in impact.path]


SAMPLE = plan(
    sites=[{"id": "dc", "name": "Data centre", "operator": "host"}, {"id": "ward", "name": "Ward"}],
    suppliers=[{"id": "host", "name": "Hosting Ltd"}, {"id": "vendor", "name": "Vendor Ltd"}],
    systems=[
        {"id": "db", "name": "Database", "site": "dc"},
        {"id": "app", "name": "Application", "supplier": "vendor", "dependsOn": ["db"]},
        {"id": "printer", "name": "Printer"},
    ],
    functions=[
        {"id": "booking", "name": "Booking", "dependsOn": ["app"]},
        {"id": "clinic", "name": "Clinic", "dependsOn": ["booking"], "locations": ["ward"]},
        {"id": "letters", "name": "Letters", "resources": {"equipment": [{"name": "Printer", "source": "printer"}]}},
    ],
)


def test_a_system_failure_reaches_functions_transitively_with_the_chain() -> None:
    graph = build_graph(SAMPLE)
    impacts = affected_by(graph, Ref(Kind.SYSTEM, "db"))
    assert ids(impacts) == ["booking", "clinic"]
    assert chain(impacts[0]) == ["system:db", "system:app", "function:booking"]
    assert chain(impacts[1]) == ["system:db", "system:app", "function:booking", "function:clinic"]
    assert describe(graph, impacts[0]) == "Application depends on Database; Booking depends on Application"


def test_a_supplier_failure_goes_through_its_systems() -> None:
    impacts = affected_by(build_graph(SAMPLE), Ref(Kind.SUPPLIER, "vendor"))
    assert ids(impacts) == ["booking", "clinic"]
    assert impacts[0].chain[0].reason == "is supplied by"


def test_a_site_failure_goes_through_the_operator_and_locations() -> None:
    graph = build_graph(SAMPLE)
    assert ids(affected_by(graph, Ref(Kind.SUPPLIER, "host"))) == ["booking", "clinic"]
    assert chain(affected_by(graph, Ref(Kind.SUPPLIER, "host"))[0])[:3] == ["supplier:host", "site:dc", "system:db"]
    ward = affected_by(graph, Ref(Kind.SITE, "ward"))
    assert ids(ward) == ["clinic"] and ward[0].chain[0].reason == "is carried out at"


def test_resources_with_a_source_are_dependencies() -> None:
    impacts = affected_by(build_graph(SAMPLE), Ref(Kind.SYSTEM, "printer"))
    assert ids(impacts) == ["letters"]
    assert impacts[0].chain[0].reason == "needs Printer from"


def test_a_failed_function_is_its_own_first_impact() -> None:
    impacts = affected_by(build_graph(SAMPLE), Ref(Kind.FUNCTION, "booking"))
    assert ids(impacts) == ["booking", "clinic"]
    assert impacts[0].chain == ()


def test_nothing_depends_on_an_unused_part() -> None:
    assert ids(affected_by(build_graph(SAMPLE), Ref(Kind.FUNCTION, "letters"))) == ["letters"]
    assert ids(affected_by(build_graph(plan(sites=[{"id": "x", "name": "X"}])), Ref(Kind.SITE, "x"))) == []


def test_cycles_do_not_hang_or_crash() -> None:
    cyclic = plan(
        systems=[
            {"id": "a", "name": "A", "dependsOn": ["b"]},
            {"id": "b", "name": "B", "dependsOn": ["a"]},
        ],
        functions=[
            {"id": "f", "name": "F", "dependsOn": ["a", "g"]},
            {"id": "g", "name": "G", "dependsOn": ["f"]},
        ],
    )
    graph = build_graph(cyclic)
    assert ids(affected_by(graph, Ref(Kind.SYSTEM, "b"))) == ["f", "g"]
    assert ids(affected_by(graph, Ref(Kind.FUNCTION, "g"))) == ["g", "f"]
    placed = layout(graph)
    assert set(placed.nodes) == set(graph.nodes)
    assert len(placed.paths) == len(graph.edges)


def test_the_demo_pacs_plan() -> None:
    document = load_text((DEMO_PLANS / "pacs.yaml").read_text(encoding="utf-8"), "pacs.yaml")[0]
    graph = build_graph(document)
    # The modalities feed the CD robots, which image sharing needs: transitive through two systems.
    sharing = affected_by(graph, Ref(Kind.SYSTEM, "modalities"))
    assert ids(sharing) == ["image-reporting", "image-acquisition", "image-sharing"]
    assert chain(sharing[2]) == ["system:modalities", "system:cd-robots", "function:image-sharing"]
    # PACS runs active-passive across two data centres: losing one is a fail-over, so "degraded".
    site_a = affected_by(graph, Ref(Kind.SITE, "meridian-dc-a"))
    assert ids(site_a) == ["image-reporting", "image-acquisition", "image-sharing"]
    assert all(impact.degraded for impact in site_a)
    # Losing the vendor is no fail-over.
    assert not any(impact.degraded for impact in affected_by(graph, Ref(Kind.SUPPLIER, "meridian")))


def test_layout_puts_bands_left_to_right_and_inside_the_drawing() -> None:
    graph = build_graph(SAMPLE)
    placed = layout(graph)
    x = {ref: p.box.x for ref, p in placed.nodes.items()}
    assert x[Ref(Kind.SUPPLIER, "host")] < x[Ref(Kind.SITE, "dc")] < x[Ref(Kind.SYSTEM, "db")]
    assert x[Ref(Kind.SYSTEM, "db")] < x[Ref(Kind.SYSTEM, "app")] < x[Ref(Kind.FUNCTION, "booking")]
    assert x[Ref(Kind.FUNCTION, "booking")] < x[Ref(Kind.FUNCTION, "clinic")]
    for p in placed.nodes.values():
        assert p.box.x >= 0 and p.box.x + p.box.width <= placed.width
        assert p.box.y >= 0 and p.box.y + p.box.height <= placed.height
    assert placed.paths[(Ref(Kind.SYSTEM, "db"), Ref(Kind.SYSTEM, "app"))].startswith("M")
    assert [title for title, _ in placed.headings] == ["Sites and suppliers", "Systems", "Critical functions"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pacs", "'pacs' is not of the form kind:id (for example system:pacs)"),
        ("robot:pacs", "'robot' is not a kind of part that can fail: use one of site, supplier, system, function"),
        ("system:nope", "there is no system 'nope' in this plan"),
        ("system:", "'system:' is not of the form kind:id (for example system:pacs)"),
    ],
)
def test_bad_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BadReference) as caught:
        build_graph(SAMPLE).find(text)
    assert str(caught.value) == message


def test_wrap_keeps_words_and_marks_what_is_cut() -> None:
    assert wrap("Meridian primary data centre (Site A)", 20, 3) == ("Meridian primary", "data centre (Site A)")
    assert wrap("one two three four five six", 7, 2) == ("one two", "three…")
    assert wrap("Supercalifragilistic", 8, 2) == ("Superca…",)
