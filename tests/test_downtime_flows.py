"""From the first record to verified: the PACS examination log and the eye-care referral re-keying,
through the pages, the API and the command line (all on the same services)."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from contingency.cli import main
from contingency.core.models import Role
from contingency.downtime.models import DowntimeRecord, RecordState
from contingency.incidents.models import Incident

from .downtime_support import dtid, exam, eye_incident, id_range, nhs, pacs_incident, wall
from .web import HOME_ORG, OTHER_ORG, client_for, make_user

pytestmark = pytest.mark.usefixtures("demo_plans")


def page(client: Client, name: str, incident: Incident, **kwargs: object) -> str:
    return reverse(name, kwargs={"org": incident.organisation.slug, "number": incident.number, **kwargs})


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def test_pacs_examination_log_on_the_pages() -> None:
    incident = pacs_incident()
    id_range()
    radiographer = make_user("radiographer", HOME_ORG, Role.RESPONDER)
    checker = make_user("pacs-lead", HOME_ORG, Role.RESPONDER)
    phone = client_for(radiographer)
    # The checklist's record step leads to the phone page, which asks which kind.
    live = text(phone.get(page(phone, "incident", incident)))
    assert page(phone, "downtime-record", incident) in live
    choose = phone.get(page(phone, "downtime-record", incident))
    assert "Examination done during downtime" in text(choose)
    url = page(phone, "downtime-record-kind", incident, kind="examination")
    form = text(phone.get(url))
    assert 'inputmode="numeric"' in form and 'type="datetime-local"' in form and 'name="client_key"' in form
    # A bad NHS number: shown beside the field, nothing saved.
    values = exam(
        incident, 1, **{"done-at": wall(incident, incident.began_at + timedelta(minutes=5)).replace(" ", "T")}
    )
    bad = phone.post(url, {**values, "nhs-number": "999 000 0019", "client_key": "a"})
    assert bad.status_code == 400
    assert '<p class="field-error" id="r-nhs-number-error">' in bad.content.decode()
    assert DowntimeRecord.objects.filter(incident=incident).count() == 0
    saved = phone.post(url, {**values, "client_key": "b"})
    assert saved.status_code == 302 and saved["Location"] == url
    assert [str(m) for m in get_messages(saved.wsgi_request)] == [
        "Saved: record 1. Ready for the next examination done during downtime."
    ]
    # The form comes back with the modality kept for the next record; resubmitting the same key adds nothing.
    assert '<option value="CT" selected>' in text(phone.get(url))
    assert phone.post(url, {**values, "client_key": "b"}).status_code == 302
    [made] = DowntimeRecord.objects.filter(incident=incident)
    assert made.recorded_via == "phone" and made.recorded_by == radiographer
    # Re-entered on its page; the day's one record is drawn; the same person cannot check it.
    detail = page(phone, "downtime-record-detail", incident, record=1)
    assert phone.post(page(phone, "downtime-reenter", incident, record=1), {"system_reference": ""}).status_code == 400
    assert (
        phone.post(page(phone, "downtime-reenter", incident, record=1), {"system_reference": "RIS-881"})["Location"]
        == detail
    )
    refused = phone.post(page(phone, "downtime-check", incident, record=1), {"outcome": "matches"})
    assert refused.status_code == 400 and "not the person who re-entered it" in text(refused)
    lead = client_for(checker)
    assert "Spot checks due (1)" in text(lead.get(page(lead, "incident-downtime", incident)))
    assert lead.post(page(lead, "downtime-check", incident, record=1), {"outcome": "matches"}).status_code == 302
    made.refresh_from_db()
    assert made.state == RecordState.VERIFIED and made.checked_by == checker
    report = text(lead.get(page(lead, "downtime-report", incident)))
    assert "0 of 1 downtime record(s) still to re-enter" in report
    csv = lead.get(page(lead, "downtime-report", incident) + "?format=csv").content.decode()
    assert csv.splitlines()[1].startswith("1,image-acquisition,examination,pacs,verified,")


def test_a_viewer_cannot_record_and_another_organisation_sees_nothing(member: Callable[..., Client]) -> None:
    incident = pacs_incident()
    viewer = member("viewer")
    url = page(viewer, "downtime-record-kind", incident, kind="examination")
    assert viewer.get(url).status_code == 403
    assert viewer.post(url, exam(incident, 1)).status_code == 403
    assert viewer.get(page(viewer, "incident-downtime", incident)).status_code == 200
    outsider = member("editor", "responder", organisation=OTHER_ORG)
    assert outsider.get(page(outsider, "incident-downtime", incident)).status_code == 404
    assert outsider.post(url, exam(incident, 1)).status_code == 404
    assert DowntimeRecord.objects.count() == 0


def api_url(incident: Incident, path: str = "") -> str:
    return f"/api/v1/organisations/{incident.organisation.slug}/incidents/{incident.number}/downtime{path}"


def referral(incident: Incident, n: int, **changes: str) -> dict[str, str]:
    values = {
        "downtime-id": dtid(n, "EC"),
        "nhs-number": nhs(100 + n),
        "received-at": wall(incident, incident.began_at + timedelta(minutes=20 * n)),
        "practice": "Harbour Opticians",
        "urgency": "Urgent",
    }
    values.update(changes)
    return values


def test_eye_care_referral_re_keying_over_the_api(api_as: Callable[..., Client]) -> None:
    incident = eye_incident()
    editor = api_as("editor", organisation=OTHER_ORG)
    allocated = editor.post(
        f"/api/v1/organisations/{OTHER_ORG}/downtime-ids",
        {"prefix": "EC", "first": 1, "last": 500, "digits": 6, "allocatedTo": "Referral team"},
        content_type="application/json",
    )
    assert allocated.status_code == 201, allocated.json()
    assert allocated.json()["example"] == dtid(1, "EC")
    clerk = api_as("responder", organisation=OTHER_ORG)
    checker = api_as("responder", organisation=OTHER_ORG)
    overview = clerk.get(api_url(incident)).json()
    assert [k["kind"] for k in overview["kinds"]] == ["manual-referral"]
    bad = clerk.post(
        api_url(incident, "/records"),
        {"kind": "manual-referral", "values": referral(incident, 1, **{"nhs-number": "999 000 0019"})},
        content_type="application/json",
    )
    assert bad.status_code == 422
    [error] = bad.json()["errors"]
    assert error["loc"] == ["values", "nhs-number"] and error["path"] == "values.nhs-number"
    assert "check digit does not match" in error["message"]
    made = []
    for n in range(1, 6):
        response = clerk.post(
            api_url(incident, "/records"),
            {"kind": "manual-referral", "values": referral(incident, n), "clientKey": f"laptop-{n}"},
            content_type="application/json",
        )
        assert response.status_code == 201, response.json()
        made.append(response.json())
    assert made[0]["values"]["urgency"] == "urgent" and made[0]["patientId"] == nhs(101)
    mine = clerk.get(api_url(incident, "/records?worklist=mine")).json()
    assert [r["number"] for r in mine] == [1, 2, 3, 4, 5]
    for n in range(1, 6):
        done = clerk.post(
            api_url(incident, f"/records/{n}/re-enter"),
            {"systemReference": f"REF-{n}"},
            content_type="application/json",
        )
        assert done.status_code == 200 and done.json()["state"] == "re-entered"
    # 25% of 5 is 2, but at least 5: every referral of the day is checked.
    checks = checker.get(api_url(incident, "/records?worklist=checks")).json()
    assert [r["number"] for r in checks] == [1, 2, 3, 4, 5]
    own = clerk.post(api_url(incident, "/records/1/check"), {"matches": True}, content_type="application/json")
    assert own.status_code == 409 and "not the person who re-entered it" in own.json()["detail"]
    for n in range(1, 6):
        checked = checker.post(
            api_url(incident, f"/records/{n}/check"), {"matches": True}, content_type="application/json"
        )
        assert checked.status_code == 200 and checked.json()["state"] == "verified"
    progress = clerk.get(api_url(incident)).json()
    assert progress["outstanding"] == 0 and progress["progress"][0]["byState"] == {"verified": 5}
    # Another organisation's member sees 404; a viewer of this one cannot record.
    assert api_as("responder").get(api_url(incident)).status_code == 404
    viewer = api_as("viewer", organisation=OTHER_ORG)
    assert (
        viewer.post(
            api_url(incident, "/records"), {"kind": "manual-referral", "values": {}}, content_type="application/json"
        ).status_code
        == 403
    )


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_pacs_examination_log_on_the_command_line(tmp_path: Path) -> None:
    incident = pacs_incident()
    org, number = HOME_ORG, str(incident.number)
    code, out, err = cli(
        "downtime", "ids", "allocate", "--org", org, "--prefix", "CT", "--first", "1", "--last", "99", "--to", "CT"
    )
    assert code == 0, err
    assert out.startswith(f"allocated CT 1-99 to CT; the first ID is {dtid(1)}")
    clerk, lead = make_user("clerk", HOME_ORG, Role.RESPONDER), make_user("lead", HOME_ORG, Role.RESPONDER)
    values = [f"--value={k}={v}" for k, v in exam(incident, 1).items()]
    code, out, err = cli(
        "downtime", "record", "--org", org, number, "--kind", "examination", *values, "--as", clerk.username
    )
    assert code == 0, err
    assert out == f"recorded downtime record 1 (examination) of incident #{number}\n"
    bad = [f"--value={k}={v}" for k, v in exam(incident, 2, **{"nhs-number": "123"}).items()]
    code, _, err = cli("downtime", "record", "--org", org, number, "--kind", "examination", *bad)
    assert code == 2 and "error: nhs-number: '123' is not an NHS number" in err
    path = tmp_path / "log.csv"
    columns = ["downtime-id", "hospital-number", "accession-number", "done-at", "modality"]
    path.write_text(
        ",".join(columns)
        + "\n"
        + ",".join(str(exam(incident, 3)[c]) for c in columns)
        + "\n"
        + "CT-1,H,ACC,2001-01-01 00:00,CT\n"
    )
    code, _, err = cli("downtime", "import", "--org", org, number, str(path), "--kind", "examination")
    assert code == 2
    assert "log.csv:3:1: downtime-id: 'CT-1' is not a downtime ID" in err and "log.csv:3:4: done-at:" in err
    assert DowntimeRecord.objects.filter(incident=incident).count() == 1
    path.write_text(",".join(columns) + "\n" + ",".join(str(exam(incident, 3)[c]) for c in columns) + "\n")
    code, out, err = cli(
        "downtime", "import", "--org", org, number, str(path), "--kind", "examination", "--as", clerk.username
    )
    assert code == 0 and out == "imported 1 downtime record(s) (2-2) from log.csv\n", err
    code, _, err = cli("downtime", "re-enter", "--org", org, number, "1", "--reference", "RIS-1")
    assert code == 2 and "error: --as: say who does it" in err
    for record in ("1", "2"):
        assert (
            cli(
                "downtime",
                "re-enter",
                "--org",
                org,
                number,
                record,
                "--reference",
                f"RIS-{record}",
                "--as",
                clerk.username,
            )[0]
            == 0
        )
    code, out, _ = cli("downtime", "worklist", "--org", org, number, "--checks")
    assert out.startswith("2 spot check(s) due")
    code, _, err = cli("downtime", "check", "--org", org, number, "1", "--ok", "--as", clerk.username)
    assert code == 2 and "not the person who re-entered it" in err
    assert (
        cli("downtime", "check", "--org", org, number, "1", "--ok", "--as", lead.username)[1] == "record 1: verified\n"
    )
    code, out, _ = cli(
        "downtime", "check", "--org", org, number, "2", "--wrong", "accession differs", "--as", lead.username
    )
    assert out == "record 2: discrepancy\n"
    assert (
        cli("downtime", "resolve", "--org", org, number, "2", "--how", "Merged in PACS", "--as", lead.username)[0] == 0
    )
    code, out, _ = cli("downtime", "progress", "--org", org, number)
    assert out.startswith("0 of 2 downtime record(s) still to re-enter\n")
    assert "1 verified of 2 sampled" in out and "1 resolved" in out
