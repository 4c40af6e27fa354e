"""The read-only plan page: real content from the demo PACS plan, the dependency partial, bad input, other orgs."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.http.response import HttpResponseBase

from contingency.lib.phones import tel_href
from contingency.plans.workflow import review_state
from contingency.web.plan.views import optional_url

from .web import HOME_ORG, OTHER_ORG, PACS, MemberFactory

pytestmark = pytest.mark.django_db
PAGE = f"/o/{HOME_ORG}/plans/{PACS}/"
DEPS = f"{PAGE}dependencies/"


def text(response: HttpResponseBase) -> str:
    return bytes(getattr(response, "content", b"")).decode()


def test_the_page_shows_the_plan(member: MemberFactory) -> None:
    response = member("viewer").get(PAGE)
    assert response.status_code == 200
    html = text(response)
    assert html.count("<h1") == 1
    assert "PACS business continuity and disaster recovery plan" in html
    assert "NGH-RAD-BCP-004" in html
    assert '<span class="tag issued">Issued</span>' in html
    # Critical functions with their recovery times.
    assert "Diagnostic image viewing and reporting" in html
    assert "<strong>4h</strong> Fail-over to the backup data centre" in html
    assert "<strong>5 days</strong> Loss of both data centres; rebuild from backup" in html
    # Contacts: tel: with digits only, mailto:.
    assert '<a href="tel:01614960420">0161 496 0420</a>' in html
    assert 'href="mailto:helen.marsh@northwick.example.org"' in html
    # The timeline runs invocation, TP4 after 5 days... restoration last.
    markers = re.findall(r'<p class="timeline-marker"><strong>([^<]+)</strong>', html)
    assert markers == ["At invocation", "Every 1 day", "After 5 days", "On restoration"]
    # Steps for always are in both columns.
    assert html.count("Start writing images to CD on the CD robots and send a CD with each patient") == 2
    assert "Checks on this plan" in html


def test_heat_map_cell_lists_the_risk(member: MemberFactory) -> None:
    html = text(member("viewer").get(PAGE))
    # complete-failure: likelihood 2 x consequence 4 = 8, high.
    row = re.search(r'<th scope="row">2 unlikely</th>(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(
        r'<td class="band band-\d"><span class="cell-score">([^<]+)</span>(.*?)</td>', row.group(1), re.S
    )
    assert [c[0] for c in cells] == ["2 low", "4 moderate", "6 moderate", "8 high", "10 high"]
    assert 'href="#risk-complete-failure"' in cells[3][1]
    assert 'id="risk-complete-failure"' in html
    # software-failure says "moderate" but 3 x 4 = 12 is high.
    assert "plan says rating “moderate”, the numbers say “high”" in html


def test_out_of_date_copy_holder_is_marked(member: MemberFactory) -> None:
    html = text(member("viewer").get(PAGE))
    row = re.search(r'<tr class="out-of-date">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "Claire Dunmore" in row.group(1) and "Issue 2" in row.group(1) and "out-of-date copy" in row.group(1)
    assert html.count('class="out-of-date"') == 1


def test_the_diagram_is_an_svg_with_links(member: MemberFactory) -> None:
    html = text(member("viewer").get(PAGE))
    assert '<svg class="dependency-diagram" role="group"' in html
    assert f'href="{PAGE}?fail=system:pacs#dependencies"' in html
    assert f'hx-get="{DEPS}?fail=system:pacs"' in html
    assert "What if a part fails?" in html


def test_fail_highlights_the_affected_functions(member: MemberFactory) -> None:
    client = member("viewer")
    partial = client.get(f"{DEPS}?fail=system:modalities", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = text(partial)
    assert "<h1" not in html and "<html" not in html
    assert "If Imaging modalities fails" in html
    impacts = re.findall(r"<li><strong>([^<]+)</strong>", html)
    assert impacts == [
        "Diagnostic image viewing and reporting",
        "Image acquisition and storage",
        "Image sharing with other departments",
    ]
    assert "CD robots depends on Imaging modalities; Image sharing with other departments depends on CD robots" in html
    assert "node-failed" in html and "edge-hit" in html
    # Without htmx the whole page comes back, failure shown.
    full = text(client.get(f"{DEPS}?fail=system:modalities"))
    assert "<h1" in full and "If Imaging modalities fails" in full
    assert "If Imaging modalities fails" in text(client.get(f"{PAGE}?fail=system:modalities"))


def test_a_data_centre_is_a_fail_over_not_an_outage(member: MemberFactory) -> None:
    html = text(member("viewer").get(f"{DEPS}?fail=site:meridian-dc-a", HTTP_HX_REQUEST="true"))
    assert html.count("at risk: fail-over expected") == 3


@pytest.mark.parametrize(
    ("fail", "message"),
    [
        ("system:nope", "there is no system &#x27;nope&#x27; in this plan"),
        ("robot:pacs", "&#x27;robot&#x27; is not a kind of part that can fail"),
        ("pacs", "is not of the form kind:id"),
    ],
)
def test_bad_fail_values_get_a_message(member: MemberFactory, fail: str, message: str) -> None:
    client = member("viewer")
    for url, htmx in ((PAGE, ""), (DEPS, ""), (DEPS, "true")):
        response = client.get(url, {"fail": fail}, headers={"HX-Request": htmx} if htmx else {})
        assert response.status_code == 200
        assert "Cannot show what fails: " in text(response) and message in text(response)


def test_other_organisations_plans_are_hidden(member: MemberFactory) -> None:
    outsider = member("administrator", organisation=OTHER_ORG)
    assert outsider.get(PAGE).status_code == 404
    assert outsider.get(DEPS).status_code == 404
    assert member("viewer").get(f"/o/{HOME_ORG}/plans/eye-care-data/").status_code == 404
    assert member("viewer").get(f"/o/{OTHER_ORG}/plans/eye-care-data/").status_code == 404


def test_signed_out_goes_to_sign_in(client: object, demo_plans: object) -> None:
    response = client.get(PAGE)  # type: ignore[attr-defined]
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_edit_link_only_for_editors_when_the_page_exists(member: MemberFactory) -> None:
    edit = optional_url("plan-edit", org=HOME_ORG, plan=PACS)
    viewer = text(member("viewer").get(PAGE))
    assert ">Edit</a>" not in viewer
    editor = text(member("editor").get(PAGE))
    assert (">Edit</a>" in editor) is (edit is not None)


def test_helpers() -> None:
    assert tel_href("0161 496 0420") == "tel:01614960420"
    assert tel_href("+44 (0)1632 960000") == "tel:+4401632960000"
    assert optional_url("no-such-page") is None


def test_review_state() -> None:
    today = date(2026, 11, 22)
    assert review_state(date(2026, 11, 21), today) == "overdue"
    assert review_state(date(2026, 12, 22), today) == "due"
    assert review_state(date(2027, 9, 14), today) == "ok"
