"""The archive's configuration variables: every problem named by its variable, secrets never repeated."""

from __future__ import annotations

import pytest

from contingency.downtime.archive import ArchiveConfigError, load_config
from contingency.downtime.archive.checks import archive_configuration


def test_nothing_set_is_no_archive():
    assert load_config({}) is None


def test_a_dicom_archive_with_defaults():
    config = load_config({"CONTINGENCY_ARCHIVE_HOST": "pacs.example.org", "CONTINGENCY_ARCHIVE_CALLED_AET": "PACS"})
    assert config is not None
    assert (config.port, config.calling_aet, config.via, config.time_zone) == (
        104,
        "CONTINGENCY",
        "c-find",
        "Europe/London",
    )
    assert config.describe() == "dicom://PACS@pacs.example.org:104 as CONTINGENCY (queries by c-find)"


def test_dicomweb_alone_queries_by_qido():
    config = load_config({"CONTINGENCY_ARCHIVE_DICOMWEB_URL": "https://pacs.example.org/dicom-web/"})
    assert config is not None and config.via == "qido" and config.dicomweb_url == "https://pacs.example.org/dicom-web"


def test_every_problem_is_named_by_its_variable(tmp_path):
    with pytest.raises(ArchiveConfigError) as caught:
        load_config(
            {
                "CONTINGENCY_ARCHIVE_HOST": "pacs.example.org",
                "CONTINGENCY_ARCHIVE_PORT": "70000",
                "CONTINGENCY_ARCHIVE_CALLED_AET": "A VERY LONG AE TITLE INDEED",
                "CONTINGENCY_ARCHIVE_TLS": "maybe",
                "CONTINGENCY_ARCHIVE_TLS_CA_FILE": str(tmp_path / "absent.pem"),
                "CONTINGENCY_ARCHIVE_TIME_ZONE": "Mars/Olympus",
                "CONTINGENCY_ARCHIVE_RESULT_CAP": "-1",
                "CONTINGENCY_ARCHIVE_DICOMWEB_URL": "ftp://pacs",
                "CONTINGENCY_ARCHIVE_DICOMWEB_PASSWORD": "hunter2",
                "CONTINGENCY_ARCHIVE_QUERY_TIMEOUT": "soon",
            }
        )
    problems = caught.value.problems
    named = {p.split(":")[0] for p in problems}
    assert named == {
        "CONTINGENCY_ARCHIVE_PORT",
        "CONTINGENCY_ARCHIVE_CALLED_AET",
        "CONTINGENCY_ARCHIVE_TLS",
        "CONTINGENCY_ARCHIVE_TLS_CA_FILE",
        "CONTINGENCY_ARCHIVE_TIME_ZONE",
        "CONTINGENCY_ARCHIVE_RESULT_CAP",
        "CONTINGENCY_ARCHIVE_DICOMWEB_URL",
        "CONTINGENCY_ARCHIVE_QUERY_TIMEOUT",
    }, problems
    assert "'70000'" in next(p for p in problems if p.startswith("CONTINGENCY_ARCHIVE_PORT"))
    assert "at most 16 characters" in next(p for p in problems if "CALLED_AET" in p)
    assert all("hunter2" not in p for p in problems)


def test_a_host_needs_the_archives_ae_title_and_other_variables_need_a_host():
    with pytest.raises(ArchiveConfigError) as caught:
        load_config({"CONTINGENCY_ARCHIVE_HOST": "pacs.example.org"})
    assert caught.value.problems == [
        "CONTINGENCY_ARCHIVE_CALLED_AET is not set; it is needed with CONTINGENCY_ARCHIVE_HOST"
    ]
    with pytest.raises(ArchiveConfigError) as caught:
        load_config({"CONTINGENCY_ARCHIVE_PORT": "104"})
    assert caught.value.problems == [
        "CONTINGENCY_ARCHIVE_PORT is set, but CONTINGENCY_ARCHIVE_HOST or CONTINGENCY_ARCHIVE_DICOMWEB_URL is not"
    ]


def test_the_system_check_explains_at_start_up(monkeypatch):
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_HOST", "pacs.example.org")
    monkeypatch.delenv("CONTINGENCY_ARCHIVE_CALLED_AET", raising=False)
    errors = archive_configuration()
    assert [e.id for e in errors] == ["contingency.E020"]
    assert "CONTINGENCY_ARCHIVE_CALLED_AET is not set" in errors[0].msg
    monkeypatch.delenv("CONTINGENCY_ARCHIVE_HOST")
    assert archive_configuration() == []


def test_the_system_check_warns_of_an_archive_standing_for_no_system(monkeypatch):
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_HOST", "pacs.example.org")
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_CALLED_AET", "PACS")
    monkeypatch.delenv("CONTINGENCY_ARCHIVE_SYSTEM", raising=False)
    [warning] = archive_configuration()
    assert warning.id == "contingency.W021" and "CONTINGENCY_ARCHIVE_SYSTEM" in str(warning.hint)
    monkeypatch.setenv("CONTINGENCY_ARCHIVE_SYSTEM", "pacs")
    assert archive_configuration() == []


def test_the_archive_names_the_plan_systems_it_stands_for():
    dicom = {"CONTINGENCY_ARCHIVE_HOST": "pacs.example.org", "CONTINGENCY_ARCHIVE_CALLED_AET": "PACS"}
    config = load_config({**dicom, "CONTINGENCY_ARCHIVE_SYSTEM": " pacs, vna,pacs "})
    assert config is not None and config.systems == ("pacs", "vna")
    assert load_config(dicom).systems == ()  # type: ignore[union-attr]
    with pytest.raises(ArchiveConfigError) as caught:
        load_config({**dicom, "CONTINGENCY_ARCHIVE_SYSTEM": "pacs,Main PACS"})
    assert caught.value.problems == [
        "CONTINGENCY_ARCHIVE_SYSTEM: 'Main PACS': a plan's system id is lower-case letters, digits and hyphens, e.g. pacs"
    ]
    with pytest.raises(ArchiveConfigError) as caught:
        load_config({"CONTINGENCY_ARCHIVE_SYSTEM": "pacs"})
    assert caught.value.problems == [
        "CONTINGENCY_ARCHIVE_SYSTEM is set, but CONTINGENCY_ARCHIVE_HOST or CONTINGENCY_ARCHIVE_DICOMWEB_URL is not"
    ]
