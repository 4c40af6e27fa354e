"""Running an incident in the browser, as a responder: report and invoke from the 'what do I do' page,
work the checklist, hand over to the next shift; and what a viewer may (not) do.

The live server runs on the real clock, so nothing here depends on whether it is in hours now: the steps
looked for are the ones the plan gives at every time of day (start-cd-burning, downtime-log).
The live region refreshes itself every 15 seconds; the tests act as a person would (focus in a form pauses
the refresh), and one test moves the page's clock on to see a change arrive without a reload.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import check_a11y, log_in, page_width, screenshot

ORG = "northwick-general"
PLAN = "pacs-bcdr"
NOW_PAGE = f"/o/{ORG}/plans/{PLAN}/functions/image-reporting/now/"
INCIDENTS = f"/o/{ORG}/incidents/"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}

CHECKS = [
    "Images will not load for several patients, or users cannot log on or cannot search",
    "The fault shows on several PCs, in more than one area",
    "If images fail to send from one modality, other modalities fail to send as well",
]
CD_BURNING = "Start writing images to CD on the CD robots and send a CD with each patient"
DOWNTIME_LOG = "Start the downtime log on each modality (patient, accession number, time, modality)"
INFORM_DEPARTMENTS = re.compile(r"Inform every department on the (in-hours|out-of-hours) list")
REPORTING = "Diagnostic image viewing and reporting"


def invoked_incident() -> str:
    """A complete PACS failure of image reporting, reported and invoked through the services; its page."""
    from contingency.incidents import services
    from contingency.plans.models import Plan

    plan = Plan.objects.get(organisation__slug=ORG, key=PLAN)
    incident = services.report(
        plan=plan,
        subject="function:image-reporting",
        actor=None,
        answers={"several-patients": True, "several-pcs": True, "several-modalities": True},
        description="No images load on any PC in main X-ray.",
        via="test",
    )
    services.invoke(incident=incident, actor=None, via="test")
    return f"/o/{ORG}/incidents/{incident.number}/"


def task_item(page: Any, text: str | re.Pattern[str]) -> Any:
    """The checklist item whose text is `text` (one list item of the live region)."""
    checklist = page.get_by_role("region", name="The checklist for now")
    return checklist.get_by_role("listitem").filter(
        has=page.locator("p.task-text").filter(
            has_text=text if isinstance(text, re.Pattern) else re.compile(f"^{re.escape(text)}$")
        )
    )


def timeline(page: Any) -> Any:
    return page.get_by_role("region", name="Timeline")


def test_report_and_invoke_from_the_what_to_do_page_on_a_phone(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    page = new_context(**PHONE).new_page()
    log_in(page, site, user_with("responder"))
    page.goto(f"{site}{NOW_PAGE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnostic image viewing and reporting")
    page.get_by_role("link", name=re.compile("Report this failure")).click()

    # The report page knows what failed: the checks of the PACS downtime procedure are asked straight away.
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a failure")
    step_2 = page.get_by_role("region", name=re.compile("Step 2 Check it really is down"))
    expect(step_2.get_by_role("heading", level=2)).to_contain_text("Diagnostic image viewing and reporting")
    for check in CHECKS:
        step_2.get_by_role("group", name=check).get_by_role("radio", name="Yes").check()
    step_2.get_by_label("What are you seeing?").fill("No images load on any PC in main X-ray or in CT.")
    screenshot(page, request, "checks")
    assert page_width(page) <= 390
    step_2.get_by_role("button", name="Report the failure").click()

    # The assessment and the risk response it proposes, before anyone invokes.
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Incident #\d+: "))
    assessment = page.get_by_role("region", name=re.compile("^Assessment"))
    expect(assessment.get_by_role("heading", level=2)).to_have_text("Assessment: complete failure")
    expect(assessment.get_by_role("definition").filter(has_text="Complete system failure")).to_be_visible()
    expect(assessment).to_contain_text(
        "Invoke the plan, log a call with the vendor, inform departments and start CD burning."
    )
    answers = assessment.get_by_role("table", name="The checks and the answers given")
    for check in CHECKS:
        expect(answers.get_by_role("row").filter(has_text=check)).to_contain_text("yes")
    screenshot(page, request, "assessed")
    check_a11y(page, "incident page, reported")
    assessment.get_by_role("button", name="Invoke the plan").click()

    # The checklist for now, and the functions lost with the time left to their RTO and MTPD.
    expect(page.get_by_role("status").filter(has_text="Plan invoked")).to_be_visible()
    checklist = page.get_by_role("region", name="The checklist for now")
    expect(checklist).to_be_visible()
    expect(task_item(page, CD_BURNING)).to_have_count(1)
    expect(task_item(page, DOWNTIME_LOG)).to_have_count(1)
    expect(task_item(page, CD_BURNING)).to_contain_text("Open")
    functions = page.get_by_role("region", name="Functions affected").get_by_role("table")
    row = functions.get_by_role("row").filter(has=page.get_by_role("rowheader", name=re.compile(REPORTING)))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell").nth(0)).to_contain_text(re.compile(r"\d+ (hour|day)s?.* left"))  # RTO
    expect(row.get_by_role("cell").nth(1)).to_contain_text("7 days")  # MTPD
    expect(row.get_by_role("cell").nth(1)).to_contain_text("left")
    expect(timeline(page)).to_contain_text("invoked")
    assert page_width(page) <= 390
    screenshot(page, request, "invoked")
    check_a11y(page, "incident page, invoked (phone)")


def test_complete_skip_and_tell_on_the_checklist(
    page: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    incident = invoked_incident()
    me = user_with("responder")
    log_in(page, site, me)
    page.goto(f"{site}{incident}")

    # Complete a task with a note.
    burning = task_item(page, CD_BURNING)
    burning.locator("summary").filter(has_text=re.compile("^Complete")).click()
    burning.get_by_label("Note (optional)").fill("Both CD robots writing; first CD sent with the ward 7 patient.")
    burning.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status").filter(has_text=f"Done: '{CD_BURNING}'.")).to_be_visible()
    burning = task_item(page, CD_BURNING)
    expect(burning).to_contain_text(
        re.compile(rf"Done by {me} at .*: Both CD robots writing; first CD sent with the ward 7 patient\.")
    )
    expect(burning.get_by_role("button", name=re.compile("^Reopen"))).to_be_visible()
    expect(timeline(page).get_by_role("listitem").first).to_contain_text(f"Done: '{CD_BURNING}'.")

    # Skip a task: a reason is required, and the page says so beside the field.
    log = task_item(page, DOWNTIME_LOG)
    log.locator("summary").filter(has_text=re.compile("^Skip")).click()
    reason = log.get_by_label("Reason for skipping (required)")
    log.get_by_role("button", name="Skip the task").click()
    assert reason.evaluate("field => field.validity.valueMissing"), "an empty reason is refused before sending"
    reason.fill("   ")
    log.get_by_role("button", name="Skip the task").click()
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_contain_text("Say why the task is skipped")
    log = task_item(page, DOWNTIME_LOG)
    reason = log.get_by_label("Reason for skipping (required)")
    expect(reason).to_be_visible()
    expect(log.locator(".field-error")).to_have_text("Say why the task is skipped")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(task_item(page, DOWNTIME_LOG)).to_contain_text("Open")
    screenshot(page, request, "skip-refused")
    check_a11y(page, "incident page, skip refused")
    reason.fill("Every modality is keeping the paper downtime log already.")
    log.get_by_role("button", name="Skip the task").click()
    expect(page.get_by_role("status").filter(has_text=f"Skipped: '{DOWNTIME_LOG}'.")).to_be_visible()
    expect(task_item(page, DOWNTIME_LOG)).to_contain_text(
        f"Skipped by {me} at",
    )
    expect(task_item(page, DOWNTIME_LOG)).to_contain_text("Every modality is keeping the paper downtime log already.")

    # An inform step lists every department; record one as told.
    inform = task_item(page, INFORM_DEPARTMENTS)
    expect(inform).to_have_count(1)
    expect(inform).to_contain_text("Tell each of these")
    department = inform.get_by_role("listitem").filter(has=page.get_by_role("button", name="Told Emergency department"))
    department.get_by_label("How (optional)").fill("phone")
    department.get_by_role("button", name="Told Emergency department").click()
    expect(page.get_by_role("status").filter(has_text="Recorded: Emergency department told.")).to_be_visible()
    inform = task_item(page, INFORM_DEPARTMENTS)
    expect(inform.get_by_role("listitem").filter(has_text="Emergency department")).to_contain_text(
        re.compile(rf"Told by {me} at .* \(phone\)")
    )
    expect(inform.get_by_role("button", name="Told Emergency department")).to_have_count(0)
    expect(inform.get_by_role("button", name=re.compile("^Told "))).not_to_have_count(0)  # the others remain
    expect(timeline(page).get_by_role("listitem").first).to_contain_text("Emergency department told (phone)")
    expect(page.get_by_role("region", name="The checklist for now")).to_contain_text(
        re.compile(r"\d+ open.*, 1 done of \d+")
    )
    screenshot(page, request, "worked")


def test_hand_over_to_the_next_shift(page: Any, site: str, user_with: Any, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    from contingency.incidents import tasks
    from contingency.incidents.models import InformTarget

    incident = invoked_incident()
    told = InformTarget.objects.filter(
        name="Emergency department", task__text__startswith="Inform every department"
    ).get()
    tasks.told(target=told, actor=None, how="phone", via="test")
    me, next_lead = user_with("responder"), user_with("responder")
    log_in(page, site, me)
    page.goto(f"{site}{incident}")
    page.get_by_role("navigation", name="This incident").get_by_role("link", name="Hand-over").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Hand-over: incident #\d+ "))
    report = page.get_by_role("article", name=re.compile("^Hand-over report"))
    open_tasks = report.get_by_role("table")
    expect(open_tasks.get_by_role("row").filter(has_text=CD_BURNING)).to_have_count(1)
    expect(open_tasks.get_by_role("row").filter(has_text=DOWNTIME_LOG)).to_have_count(1)
    reach = report.locator(".reach").filter(has_text=INFORM_DEPARTMENTS)
    expect(reach.get_by_text(re.compile("^Told:"))).to_contain_text("Emergency department")
    expect(reach.get_by_text(re.compile("^Not told:"))).to_contain_text("Critical care")
    expect(reach.get_by_text(re.compile("^Not told:"))).not_to_contain_text("Emergency department")
    screenshot(page, request, "report")
    check_a11y(page, "hand-over page")

    record = page.get_by_role("region", name="Record the hand-over")
    record.get_by_label("Hand over to a member").select_option(label=next_lead)
    record.get_by_label("Note for the incoming lead").fill(
        "Vendor call ref MER-20931; next update from Meridian at 22:00."
    )
    record.get_by_role("button", name="Hand over").click()
    expect(page.get_by_role("status").filter(has_text=f"Handed over to {next_lead}.")).to_be_visible()
    past = page.get_by_role("region", name="Past hand-overs")
    expect(past.get_by_role("link", name=re.compile(rf"{me} to {next_lead}"))).to_be_visible()
    expect(past).to_contain_text("Vendor call ref MER-20931")

    # The record keeps the report as it was read.
    past.get_by_role("link", name=re.compile(rf"{me} to {next_lead}")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hand-over from {me} to {next_lead}")
    expect(page.get_by_role("article", name=re.compile("^Hand-over report"))).to_contain_text(CD_BURNING)
    check_a11y(page, "hand-over record")

    page.get_by_role("navigation", name="This incident").get_by_role("link", name="Live page").click()
    entry = timeline(page).get_by_role("listitem").filter(has_text=f"Handed over from {me} to {next_lead}")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("open task")
    screenshot(page, request, "timeline")


def test_restore_then_review_and_print_it(page: Any, site: str, user_with: Any, request: pytest.FixtureRequest) -> None:
    from playwright.sync_api import expect

    incident = invoked_incident()
    from django.contrib.auth.models import User

    owner = user_with("responder")  # a member to own the review's action, chosen by name
    User.objects.filter(username=owner).update(first_name="Helen", last_name="Marsh")
    log_in(page, site, user_with("responder"))
    page.goto(f"{site}{incident}")

    ending = page.get_by_role("region", name="Restoration and stand-down")
    ending.get_by_label("Note (optional)").fill("Meridian replaced the failed storage controller.")
    ending.get_by_role("button", name="Restore service").click()
    expect(page.get_by_role("status").filter(has_text="Service restored")).to_be_visible()
    expect(task_item(page, "Test the interfaces (orders in, reports out)")).to_have_count(1)
    expect(task_item(page, re.compile(r"^Test that data is restored as expected"))).not_to_have_count(0)
    facts = page.get_by_role("region", name="Where things stand")
    expect(facts.get_by_role("definition").first).to_contain_text("Restored")
    expect(facts.get_by_role("term").filter(has_text=re.compile("^Downtime$"))).to_have_count(1)
    expect(facts.get_by_role("term").filter(has_text="Restored")).to_have_count(1)
    expect(timeline(page)).to_contain_text("restored")
    expect(page.get_by_role("button", name="Restore service")).to_have_count(0)
    screenshot(page, request, "restored")

    page.get_by_role("navigation", name="This incident").get_by_role("link", name="Review").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Post-incident review: incident #\d+ "))
    objectives = page.get_by_role("table", name="Downtime against the objectives")
    expect(objectives.get_by_role("row").filter(has_text=REPORTING)).to_contain_text("met")
    whys = page.get_by_role("group", name=re.compile("^Five whys"))
    answers = [
        "Images would not load anywhere: the archive was offline.",
        "The primary storage controller failed.",
        "Its firmware had a known fault.",
        "The vendor's firmware update had not been applied.",
        "No one owned the maintenance window for storage updates.",
    ]
    whys.get_by_label("Why did it happen?").fill(answers[0])
    for number, answer in enumerate(answers[1:], start=2):
        whys.get_by_label(f"Why? ({number})").fill(answer)
    page.get_by_label("Root cause", exact=True).fill(
        "Storage firmware updates had no owner, so a known fault was left in place."
    )
    page.get_by_label("What went well").fill("CD burning started within ten minutes.")
    page.get_by_label("What went badly").fill("Two wards were told late.")
    page.get_by_label("Lessons learned").fill("Agree a quarterly maintenance window with Meridian.")
    page.get_by_label("Mark the review complete").check()
    page.get_by_role("button", name="Save the review").click()
    expect(page.get_by_role("status").filter(has_text="Review saved. It is marked complete.")).to_be_visible()
    expect(page.get_by_role("definition").filter(has_text="complete")).not_to_have_count(0)
    expect(page.get_by_label("Root cause", exact=True)).to_have_value(
        "Storage firmware updates had no owner, so a known fault was left in place."
    )

    actions = page.get_by_role("region", name="Actions")
    actions.get_by_label("Action", exact=True).fill("Agree a quarterly storage maintenance window")
    actions.get_by_label("Owner").select_option(label="Helen Marsh")
    actions.get_by_label("Due date").fill("2027-03-31")
    actions.get_by_role("button", name="Add the action").click()
    expect(page.get_by_role("status").filter(has_text="Action added for Helen Marsh,")).to_be_visible()
    action = (
        page.get_by_role("region", name="Actions")
        .get_by_role("listitem")
        .filter(has_text="Agree a quarterly storage maintenance window")
    )
    expect(action).to_contain_text("Helen Marsh, due 31 Mar 2027")
    expect(action).to_contain_text("open")
    screenshot(page, request, "review")
    check_a11y(page, "review page")

    # Printed: the review document, with no navigation and nothing to press.
    page.emulate_media(media="print")
    document = page.locator(".review-document")
    expect(document).to_be_visible()
    expect(document).to_contain_text(answers[4])
    expect(document).to_contain_text("Storage firmware updates had no owner")
    expect(document).to_contain_text("Agree a quarterly maintenance window with Meridian.")
    expect(page.get_by_role("region", name="Actions")).to_contain_text("Helen Marsh, due 31 Mar 2027")
    expect(page.get_by_role("navigation", name="This incident")).to_be_hidden()
    buttons = page.get_by_role("button")
    for index in range(buttons.count()):
        expect(buttons.nth(index)).to_be_hidden()
    expect(page.get_by_role("textbox")).to_have_count(0)  # no form fields, visible ones or otherwise hidden
    screenshot(page, request, "printed")
    page.emulate_media(media="screen")


def test_a_viewer_follows_the_incident_but_cannot_change_it(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    incident = invoked_incident()
    page = new_context().new_page()
    log_in(page, site, user_with("viewer"))
    page.goto(f"{site}{incident}")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Incident #\d+: "))
    expect(task_item(page, CD_BURNING)).to_have_count(1)
    expect(page.get_by_role("region", name="Functions affected")).to_contain_text(REPORTING)
    for name in ("Mark done", "Skip the task", "Assign", "Restore service", "Stand down", "Add the task", "Post"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Told|Start|Reopen)"))).to_have_count(0)
    expect(page.locator("main summary").filter(has_text=re.compile("^(Complete|Skip)"))).to_have_count(0)
    expect(task_item(page, INFORM_DEPARTMENTS)).to_contain_text("Not told yet.")
    expect(page.get_by_role("link", name="Report a failure")).to_have_count(0)
    screenshot(page, request, "viewer")
    check_a11y(page, "incident page (viewer)")

    for page_name in ("Hand-over", "Board briefing", "Review"):
        page.get_by_role("navigation", name="This incident").get_by_role("link", name=page_name).click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("main form[method=post]")).to_have_count(0)


def test_the_live_page_follows_the_incident_without_a_reload(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    """The page's clock is moved on past the 15-second refresh; the server's clock is the real one."""
    from playwright.sync_api import expect

    from contingency.incidents import tasks
    from contingency.incidents.models import Task

    incident = invoked_incident()
    page = new_context().new_page()
    page.clock.install()
    log_in(page, site, user_with("viewer"))
    page.goto(f"{site}{incident}")
    expect(task_item(page, CD_BURNING)).to_contain_text("Open")

    # A responder finishes a task elsewhere.
    done = Task.objects.get(text=CD_BURNING)
    tasks.finish(task=done, actor=None, done=True, text="Sent with every patient.", via="test")
    expect(task_item(page, CD_BURNING)).to_contain_text("Open")
    page.clock.run_for(16_000)
    expect(task_item(page, CD_BURNING)).to_contain_text("Done by test")
    expect(page.get_by_role("status").filter(has_text="Updated:")).to_contain_text("open task")
    expect(timeline(page).get_by_role("listitem").first).to_contain_text(f"Done: '{CD_BURNING}'.")
    screenshot(page, request, "refreshed")

    # A responder half-way through typing a note keeps it: the refresh waits while a form has changes.
    responder = new_context().new_page()
    responder.clock.install()
    log_in(responder, site, user_with("responder"))
    responder.goto(f"{site}{incident}")
    log = task_item(responder, DOWNTIME_LOG)
    log.locator("summary").filter(has_text=re.compile("^Complete")).click()
    log.get_by_label("Note (optional)").fill("Logs started on CT and MR")
    responder.get_by_role("heading", level=1).click()  # the focus leaves the form; the typing stays
    responder.clock.run_for(16_000)
    log = task_item(responder, DOWNTIME_LOG)
    expect(log.get_by_label("Note (optional)")).to_have_value("Logs started on CT and MR")
    log.get_by_role("button", name="Mark done").click()
    expect(responder.get_by_role("status").filter(has_text=f"Done: '{DOWNTIME_LOG}'.")).to_be_visible()


def test_an_unchanged_incident_is_polled_as_not_modified(
    new_context: Any, site: str, user_with: Any, request: pytest.FixtureRequest
) -> None:
    """The page sends the ETag it holds: 304 while nothing changed, then only what changed, applied in place."""
    from playwright.sync_api import expect

    from contingency.incidents import tasks
    from contingency.incidents.models import Task

    incident = invoked_incident()
    page = new_context().new_page()
    page.clock.install()
    log_in(page, site, user_with("viewer"))
    page.goto(f"{site}{incident}")
    expect(task_item(page, CD_BURNING)).to_contain_text("Open")
    polls: list[tuple[int, str]] = []
    page.on(
        "response",
        lambda r: polls.append((r.status, r.request.headers.get("if-none-match", ""))) if "/live/" in r.url else None,
    )
    with page.expect_response(lambda r: "/live/" in r.url):
        page.clock.run_for(16_000)
    assert polls[-1][0] == 304 and polls[-1][1].startswith('"live.'), polls

    done = Task.objects.get(text=CD_BURNING)
    tasks.finish(task=done, actor=None, done=True, text="Sent with every patient.", via="test")
    with page.expect_response(lambda r: "/live/" in r.url and r.status == 200):
        page.clock.run_for(16_000)
    expect(task_item(page, CD_BURNING)).to_contain_text("Done by test")
    expect(page.locator("#live-checklist")).to_have_count(1)  # swapped in place, not nested
    check_a11y(page, "incident page after an update in place")
