"""Publishing the static bundle to real targets: a directory, moto's S3 server, a bare git repository, and
targets that refuse or time out (retried with back-off and shown on the management page)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from contingency.core.models import Organisation
from contingency.status import readmodel, updates
from contingency.status.models import JobState, PublishJob, StatusUpdate
from contingency.status.publishing import targets, worker
from contingency.status.publishing.targets import TargetConfigError, load
from contingency.status.services import StatusError

from .support.publish_targets import (
    S3Server,
    bare_repository,
    checkout,
    closed_port,
    commits,
    s3_environ,
    s3_server,
    silent_server,
)
from .support.status import HOME, northwick

pytestmark = pytest.mark.django_db
FILES = {"index.html", "index.cy.html", "status.json", "feed.atom", "feed.cy.atom", "maintenance.ics"}


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    def apply(environ: dict[str, str]) -> None:
        for name in [n for n in os.environ if n.startswith("CONTINGENCY_STATUS_")]:
            monkeypatch.delenv(name)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        targets.reset()

    yield apply
    targets.reset()


@pytest.fixture
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def _post(text: str = "PACS images are slow to load; we are on it.") -> StatusUpdate:
    home = Organisation.objects.get(slug=HOME)
    pacs = home.published_services.get(key="pacs")
    return updates.post_update(
        organisation=home, text=text, audience="public", services=[pacs], state="degraded", actor=None, via="test"
    )


def test_an_update_is_published_to_a_directory_a_bucket_and_a_git_remote(
    demo_plans: list[object], configure: Callable[[dict[str, str]], None], s3: S3Server, tmp_path: Path
) -> None:
    remote = bare_repository(tmp_path / "pages.git")
    configure(
        {
            "CONTINGENCY_STATUS_DIR": str(tmp_path / "www"),
            **s3_environ(s3.url),
            "CONTINGENCY_STATUS_S3_PREFIX": "status",
            "CONTINGENCY_STATUS_GIT_REMOTE": str(remote),
            "CONTINGENCY_STATUS_GIT_PATH": "public",
        }
    )
    northwick()
    PublishJob.objects.all().delete()
    _post()
    # The update wrote one row per target in its own transaction.
    assert sorted(PublishJob.objects.values_list("target", flat=True)) == ["directory", "git", "s3"]
    assert worker.run_once(worker="test") == (3, 0)
    assert set(PublishJob.objects.values_list("state", flat=True)) == {JobState.DONE}

    folder = tmp_path / "www" / HOME
    assert {p.name for p in folder.iterdir()} == FILES
    page = (folder / "index.html").read_text()
    assert "PACS images are slow to load" in page and "Slower than usual" in page

    body, kind = s3.get(f"status/{HOME}/index.html")
    assert body.decode() == page and kind == "text/html; charset=utf-8"
    feed, kind = s3.get(f"status/{HOME}/feed.atom")
    assert b"PACS images are slow to load" in feed and kind.startswith("application/atom+xml")

    pages = checkout(remote, "pages", tmp_path / "clone")
    assert (pages / "public" / HOME / "index.html").read_text() == page
    assert json.loads((pages / "public" / HOME / "status.json").read_text())["overall"] == "degraded"

    # Nothing changed: the next pass has nothing to do, and a republish commits nothing new.
    assert worker.run_once(worker="test") == (0, 0)
    before = commits(remote, "pages")
    _post("Fixed: images load normally again.")
    assert worker.run_once(worker="test") == (3, 0)
    assert commits(remote, "pages") == before + 1
    assert "Fixed: images load normally again." in (folder / "index.html").read_text()
    assert b"Fixed" in s3.get(f"status/{HOME}/index.html")[0]


def test_the_bundle_is_self_contained(demo_plans: list[object], configure: Callable[..., None], tmp_path: Path) -> None:
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    _post()
    worker.run_once(worker="test")
    for name in ("index.html", "index.cy.html"):
        page = (tmp_path / HOME / name).read_text()
        # No stylesheet, script, image, frame or font to fetch, and no form posting back to the main server.
        assert not re.search(r"<(script|img|iframe|link rel=\"stylesheet\")|src=|url\(|<form", page), name
        assert "<style>" in page
        assert 'href="index.html"' in page or 'href="index.cy.html"' in page


def test_many_changes_are_one_publish_per_target(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    for n in range(5):
        _post(f"Update {n}")
    waiting = PublishJob.objects.filter(state=JobState.PENDING).count()
    assert waiting == 8  # the page set up, two services published, five updates
    assert worker.run_once(worker="test") == (1, 0)
    first = PublishJob.objects.filter(covered_by=None, state=JobState.DONE).get()
    assert PublishJob.objects.filter(covered_by=first).count() == waiting - 1
    assert "Update 4" in (tmp_path / HOME / "index.html").read_text()


def test_nothing_is_queued_when_the_change_is_refused(demo_plans: list[object], configure: Callable[..., None]) -> None:
    configure({"CONTINGENCY_STATUS_DIR": "/tmp/never-written"})
    northwick()
    before = PublishJob.objects.count()
    with pytest.raises(StatusError):
        _post("")
    assert PublishJob.objects.count() == before


def test_maintenance_is_published_again_when_it_starts_and_ends(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    home = Organisation.objects.get(slug=HOME)
    start = timezone.now() + timedelta(hours=2)
    updates.schedule_maintenance(
        organisation=home, title="Storage work", starts_at=start, ends_at=start + timedelta(hours=1),
        services=list(home.published_services.all()), actor=None, via="test",
    )  # fmt: skip
    later = sorted(PublishJob.objects.filter(due_at__gt=timezone.now()).values_list("due_at", flat=True))
    assert later == [start, start + timedelta(hours=1)]
    worker.run_once(worker="test")
    assert "Under maintenance" not in (tmp_path / HOME / "index.html").read_text()
    with time_machine.travel(start + timedelta(seconds=1)):
        assert worker.run_once(worker="test") == (1, 0)
        assert "Under maintenance" in (tmp_path / HOME / "index.html").read_text()


@pytest.mark.parametrize("fault", ["refused", "timeout", "directory", "git"])
def test_a_failing_target_is_retried_with_backoff_and_shown(
    demo_plans: list[object],
    configure: Callable[..., None],
    member: Callable[..., Client],
    tmp_path: Path,
    fault: str,
) -> None:
    with silent_server() as silent:
        environ = {
            "refused": s3_environ(f"http://127.0.0.1:{closed_port()}", timeout=1),
            "timeout": s3_environ(silent, timeout=0.5),
            "directory": {"CONTINGENCY_STATUS_DIR": str(_a_file(tmp_path) / "below-a-file")},
            "git": {"CONTINGENCY_STATUS_GIT_REMOTE": str(tmp_path / "no-such-repository.git")},
        }[fault]
        configure(environ)
        northwick()
        PublishJob.objects.all().delete()
        _post()
        now = timezone.now()
        assert worker.run_once(worker="test", now=now) == (0, 1)
    job = PublishJob.objects.get()
    assert job.state == JobState.PENDING and job.attempts == 1
    assert job.retry_at == now + timedelta(seconds=5)
    assert job.last_error
    assert "testing-secret" not in job.last_error
    # Backing off: not tried again before its time.
    assert worker.run_once(worker="test", now=now + timedelta(seconds=4)) == (0, 0)
    page = member("viewer").get(f"/o/{HOME}/status/").content.decode()
    assert "Failing: 1 try" in page and job.last_error[:40] in page.replace("&#x27;", "'").replace("&quot;", '"')

    # The fault is put right: the next try after the delay publishes it.
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path / "fixed")} if fault != "refused" else {})
    if fault != "refused":
        PublishJob.objects.update(target="directory")
        assert worker.run_once(worker="test", now=now + timedelta(seconds=6)) == (1, 0)
        assert (tmp_path / "fixed" / HOME / "index.html").exists()
        assert "Failing" not in member("viewer").get(f"/o/{HOME}/status/").content.decode()


def _a_file(tmp_path: Path) -> Path:
    path = tmp_path / "a-file"
    path.write_text("not a directory")
    return path


def test_failures_back_off_longer_each_time_and_are_never_dropped() -> None:
    delays = [worker.backoff(n).total_seconds() for n in range(1, 10)]
    assert delays == [5, 15, 60, 300, 900, 3600, 3600, 3600, 3600]


def test_a_publish_left_by_a_dead_worker_is_taken_again_after_its_lease(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    now = timezone.now()
    dead = worker.claim(worker="dead", now=now)
    assert len(dead) == 1  # it never records anything
    assert worker.run_once(worker="alive", now=now + timedelta(minutes=1)) == (0, 0)  # still leased
    assert worker.run_once(worker="alive", now=now + worker.LEASE + timedelta(seconds=1)) == (1, 0)
    assert (tmp_path / HOME / "index.html").exists()
    worker.record(dead[0], worker="dead", now=now, version="x")  # too late: changes nothing
    assert PublishJob.objects.filter(state=JobState.DONE, claimed_by="alive").count() == 1


def test_an_unpublished_page_pushes_nothing(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    from .support.status import site

    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    site(HOME, published=False)
    assert worker.run_once(worker="test") == (1, 0)
    assert not (tmp_path / HOME).exists()


def test_target_variables_are_checked_and_secrets_never_repeated() -> None:
    with pytest.raises(TargetConfigError) as raised:
        load(
            {
                "CONTINGENCY_STATUS_DIR": "relative/path",
                "CONTINGENCY_STATUS_S3_BUCKET": "Not A Bucket",
                "CONTINGENCY_STATUS_S3_SECRET_ACCESS_KEY": "s3cr3t-value",
                "CONTINGENCY_STATUS_S3_TIMEOUT": "soon",
                "CONTINGENCY_STATUS_GIT_BRANCH": "pages",
                "CONTINGENCY_STATUS_GIT_AUTHOR": "nobody",
            }
        )
    problems = raised.value.problems
    text = "\n".join(problems)
    assert "s3cr3t-value" not in text
    assert any(p.startswith("CONTINGENCY_STATUS_DIR:") and "absolute" in p for p in problems)
    assert any(p.startswith("CONTINGENCY_STATUS_S3_BUCKET:") for p in problems)
    assert any(p.startswith("CONTINGENCY_STATUS_S3_TIMEOUT:") for p in problems)
    assert any("give the access key id and the secret access key together" in p for p in problems)
    assert "CONTINGENCY_STATUS_GIT_BRANCH is set, but CONTINGENCY_STATUS_GIT_REMOTE is not" in problems
    assert load({}).names() == []
    git = load({"CONTINGENCY_STATUS_GIT_REMOTE": "https://user:tok3n@git.example.org/pages.git"})
    assert "tok3n" not in git.describe()[0][1]


def test_the_system_check_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from contingency.status.checks import publishing_targets

    monkeypatch.setenv("CONTINGENCY_STATUS_S3_BUCKET", "x")
    found = publishing_targets()
    assert [m.id for m in found] == ["contingency.E021"]
    assert found[0].msg.startswith("CONTINGENCY_STATUS_S3_BUCKET:")


def test_the_product_serves_the_same_page_the_bundle_holds_apart_from_its_links(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    _post()
    worker.run_once(worker="test")
    readmodel.clear()
    served = Client().get(f"/status/{HOME}/status.json").content
    assert served == (tmp_path / HOME / "status.json").read_bytes()


def test_the_worker_command_publishes_and_refuses_wrong_target_variables(
    demo_plans: list[object], configure: Callable[..., None], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from contingency.cli import main

    configure({"CONTINGENCY_STATUS_DIR": str(tmp_path)})
    northwick()
    result = CliRunner().invoke(main, ["worker", "--once", "--only", "publish", "--name", "cli"])
    assert result.exit_code == 0 and result.stdout.endswith("published 1 status page(s)\n"), result.output
    assert (tmp_path / HOME / "index.html").exists()

    configure({"CONTINGENCY_STATUS_DIR": str(_a_file(tmp_path) / "below")})
    _post()
    result = CliRunner().invoke(main, ["worker", "--once", "--only", "publish"])
    assert result.exit_code == 1 and "1 status page publish(es) failed" in result.stderr

    configure({"CONTINGENCY_STATUS_DIR": "relative"})
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 2
    assert "error: CONTINGENCY_STATUS_DIR: 'relative' is not an absolute path" in result.stderr
