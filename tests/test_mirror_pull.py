"""The laptop copy against a real second server: `contingency serve` on a free port with its own SQLite
database, and the laptop's `contingency mirror` with another, through a small proxy that can count,
tamper with answers or kill the server mid-pull. Every failure keeps the last good copy and says why."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .support.installs import ROOT, Install, Server, make_in_parallel, wait_until
from .support.migrated import copy_database
from .support.tamper_proxy import TamperProxy

pytestmark = pytest.mark.slow  # seconds each: run first (tests/conftest.py)

HOME, OTHER, PACS, EYE = "northwick-general", "clearview-eyecare", "pacs-bcdr", "eye-care-data"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[tuple[Install, Install]]:
    """A server install with the demo (and its signing key), and a migrated empty laptop install (both copies
    of the run's migrated database, so `migrate` finds nothing left to do)."""
    root = tmp_path_factory.mktemp("installs")
    server, laptop = Install(root / "server"), Install(root / "laptop")
    for install in (server, laptop):
        copy_database(migrated_sqlite, install.database)
    make_in_parallel((server, ("demo",)), (laptop, ("migrate",)))
    server.contingency("mirror-key", check=True)
    yield server, laptop
    server.close()
    laptop.close()


@pytest.fixture(scope="module")
def server(templates: tuple[Install, Install], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("main"))
    copied = templates[0].copy(running.root)
    assert copied.database == running.database
    running.start()
    yield running
    running.kill()


@pytest.fixture
def laptop(templates: tuple[Install, Install], tmp_path: Path) -> Iterator[Install]:
    copied = templates[1].copy(tmp_path / "laptop")
    yield copied
    copied.close()


@pytest.fixture
def proxy(server: Server) -> Iterator[TamperProxy]:
    with TamperProxy(server.port) as running:
        yield running


def mirror(laptop: Install, url: str, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return laptop.contingency("mirror", "--from", url, "--token", token, *args)


def plans(laptop: Install) -> dict[str, tuple[int, str, str]]:
    """The laptop's plans: key -> (issue, status, the server they are a copy of)."""
    rows = laptop.query("SELECT key, issue, status, mirrored_from FROM plans_plan")
    return {key: (issue, status, origin) for key, issue, status, origin in rows}


def source(laptop: Install, slug: str) -> tuple[str, str | None]:
    """(last error, last success) of the laptop's copy of one organisation."""
    found = laptop.query("SELECT last_error, last_success_at FROM mirror_mirrorsource WHERE slug = ?", slug)
    return found[0]


def test_first_pull_then_only_what_changed(server: Server, laptop: Install, proxy: TamperProxy) -> None:
    token = server.seed("token", "demo-admin")
    first = mirror(laptop, proxy.base_url, token, "--server-key", server.public_key, "--once")
    assert first.returncode == 0, first.stderr
    held = plans(laptop)
    assert set(held) == {PACS, EYE}
    assert all(status == "issued" and origin == proxy.base_url for _, status, origin in held.values())
    assert "copied pacs-bcdr issue" in first.stdout and "copied eye-care-data issue" in first.stdout
    # The copy holds each plan's issued text exactly as the server issued it.
    for key in (PACS, EYE):
        query = "SELECT i.text FROM plans_planissue i JOIN plans_plan p ON p.id = i.plan_id WHERE p.key = ?"
        assert (
            laptop.query(query + " ORDER BY i.issue DESC", key)[0]
            == server.query(query + " ORDER BY i.issue DESC", key)[0]
        )
    assert laptop.query("SELECT count(*) FROM core_auditentry WHERE actor_name = 'laptop copy'")[0][0] == 2

    # Nothing changed: the feed says so and no plan is fetched again.
    proxy.paths.clear()
    again = mirror(laptop, proxy.base_url, token, "--once")
    assert again.returncode == 0, again.stderr
    assert not proxy.fetched("/issues/") and len(proxy.fetched("/feed")) == 2
    assert "1 plan(s) unchanged" in again.stdout

    # A new issue of one plan, and a draft of the other that is not issued: only the new issue comes.
    pacs_issue = int(server.seed("reissue", HOME, PACS, "Keep imaging running for every patient."))
    server.seed("draft", OTHER, EYE, "A draft the laptop must not see.")
    proxy.paths.clear()
    third = mirror(laptop, proxy.base_url, token, "--once")
    assert third.returncode == 0, third.stderr
    assert proxy.fetched("/issues/") == [proxy.fetched("/issues/")[0]]
    assert f"/plans/{PACS}/issues/{pacs_issue}" in proxy.fetched("/issues/")[0]
    assert plans(laptop)[PACS][0] == pacs_issue
    assert (
        laptop.query("SELECT aim FROM plans_plan WHERE key = ?", PACS)[0][0]
        == "Keep imaging running for every patient."
    )
    assert laptop.query("SELECT aim FROM plans_plan WHERE key = ?", EYE)[0][0] != "A draft the laptop must not see."
    assert source(laptop, HOME)[0] == ""


def test_a_tampered_answer_is_refused_and_the_copy_kept(server: Server, laptop: Install, proxy: TamperProxy) -> None:
    token = server.seed("token", "demo-admin")
    assert mirror(laptop, proxy.base_url, token, "--server-key", server.public_key).returncode == 0
    before = plans(laptop)
    good_at = source(laptop, HOME)[1]
    issue = int(server.seed("reissue", HOME, PACS, "A change the proxy will spoil."))
    proxy.flip = ("/issues/",)
    failed = mirror(laptop, proxy.base_url, token)
    assert failed.returncode == 1
    assert proxy.flipped, "the proxy changed nothing"
    assert f"issue {issue} of plan {PACS}: the signature does not match the content: it was altered" in failed.stderr
    assert "keeping the copy as of" in failed.stderr
    assert plans(laptop) == before
    error, success = source(laptop, HOME)
    assert "altered on the way" in error and success == good_at
    # The other organisation had nothing to fetch, so nothing to spoil: its copy is current.
    assert source(laptop, OTHER)[0] == ""
    # A feed that is altered is refused too.
    proxy.flip = ("/feed",)
    assert "the signature does not match" in mirror(laptop, proxy.base_url, token).stderr
    assert plans(laptop) == before
    # Once the answers arrive intact, the new issue comes across.
    proxy.flip = ()
    assert mirror(laptop, proxy.base_url, token).returncode == 0
    assert plans(laptop)[PACS][0] == issue


def test_an_expired_or_revoked_token_keeps_the_copy_and_says_why(server: Server, laptop: Install) -> None:
    token = server.seed("token", "demo-admin")
    assert mirror(laptop, server.url, token, "--server-key", server.public_key).returncode == 0
    before = plans(laptop)
    server.seed("revoke", token)
    revoked = mirror(laptop, server.url, token)
    assert revoked.returncode == 1
    assert "the server refused the token: The API token is not valid: it was revoked on" in revoked.stderr
    assert "revoked on" in source(laptop, HOME)[0]
    expired = mirror(laptop, server.url, server.seed("token", "demo-admin", "--expired"))
    assert expired.returncode == 1
    assert "The API token is not valid: it expired on" in expired.stderr
    assert plans(laptop) == before
    assert "expired on" in source(laptop, OTHER)[0]


def test_wrong_organisation_and_keys(server: Server, laptop: Install) -> None:
    token = server.seed("token", "clearview-editor")
    # The first pull needs the server's key; a later key must be the pinned one.
    first = mirror(laptop, server.url, token)
    assert first.returncode == 2 and "error: --server-key: the first pull" in first.stderr
    bad = mirror(laptop, server.url, token, "--server-key", "ed25519:c2hvcnQ")
    assert bad.returncode == 2 and "32 bytes" in bad.stderr
    good = mirror(laptop, server.url, token, "--server-key", server.public_key, "--org", OTHER)
    assert good.returncode == 0, good.stderr
    other_key = "ed25519:" + "A" * 43
    refused = mirror(laptop, server.url, token, "--server-key", other_key)
    assert refused.returncode == 2 and "is not the key pinned for" in refused.stderr
    # An organisation the token's user is not a member of.
    wrong = mirror(laptop, server.url, token, "--org", HOME)
    assert wrong.returncode == 1
    assert f"the server has no organisation {HOME!r} that this token may read" in wrong.stderr
    assert set(plans(laptop)) == {EYE}
    # A mirror token reads the feed only.
    request = urllib.request.Request(f"{server.url}/api/v1/organisations", headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused_api:
        urllib.request.urlopen(request, timeout=30)
    assert refused_api.value.code == 403
    assert "This token is for a laptop copy" in refused_api.value.read().decode()


def test_a_server_killed_mid_pull_leaves_the_last_good_copy(
    templates: tuple[Install, Install], laptop: Install, tmp_path: Path
) -> None:
    doomed = Server(tmp_path / "doomed")
    templates[0].copy(doomed.root)
    doomed.start()
    try:
        token = doomed.seed("token", "demo-admin")
        key = doomed.public_key
        with TamperProxy(doomed.port) as proxy:
            assert mirror(laptop, proxy.base_url, token, "--server-key", key).returncode == 0
            before = plans(laptop)
            good_at = source(laptop, HOME)[1]
            issue = int(doomed.seed("reissue", HOME, PACS, "An issue that never arrives."))

            def kill_on_the_plan(path: str) -> None:
                if "/issues/" in path:
                    doomed.kill()

            proxy.before = kill_on_the_plan
            failed = mirror(laptop, proxy.base_url, token, "--org", HOME)
            assert proxy.fetched(f"/plans/{PACS}/issues/{issue}"), "the pull never reached the plan"
            assert failed.returncode == 1
            assert f"could not be reached for issue {issue} of plan {PACS}" in failed.stderr
            assert plans(laptop) == before
            error, success = source(laptop, HOME)
            assert "could not be reached" in error and success == good_at
            # With the server gone altogether, the next attempt says so too.
            again = mirror(laptop, proxy.base_url, token, "--org", HOME)
            assert again.returncode == 1
            assert f"could not be reached for the feed of {HOME}" in again.stderr
            assert plans(laptop) == before
    finally:
        doomed.kill()


def test_an_answer_signed_by_another_key_is_refused(
    templates: tuple[Install, Install], server: Server, laptop: Install, tmp_path: Path
) -> None:
    impostor = Server(tmp_path / "impostor")
    templates[0].copy(impostor.root)
    (impostor.root / "mirror_signing_key.pem").unlink()  # a server with a key of its own
    impostor.start()
    try:
        with TamperProxy(server.port) as proxy:
            token = server.seed("token", "demo-admin")
            assert mirror(laptop, proxy.base_url, token, "--server-key", server.public_key).returncode == 0
            before = plans(laptop)
            proxy.upstream_port = impostor.port
            refused = mirror(laptop, proxy.base_url, impostor.seed("token", "demo-admin"))
            assert refused.returncode == 1
            assert "not the pinned key" in refused.stderr
            assert plans(laptop) == before
    finally:
        impostor.kill()


def test_an_incident_run_on_the_laptop_comes_back_once(server: Server, laptop: Install, tmp_path: Path) -> None:
    token = server.seed("token", "demo-admin")
    assert mirror(laptop, server.url, token, "--server-key", server.public_key, "--org", HOME).returncode == 0
    report = ("incident", "report", "--org", HOME, "--plan", PACS, "--subject", "system:pacs", "--yes", "several-pcs")
    laptop.contingency(*report, check=True)
    laptop.contingency("incident", "invoke", "--org", HOME, "1", check=True)
    laptop.contingency("incident", "stand-down", "--org", HOME, "1", "--reason", "PACS back", check=True)
    export = tmp_path / "incidents.json"
    laptop.contingency("incident", "export", "--org", HOME, "--output", str(export), check=True)
    [(uid,)] = laptop.query("SELECT uid FROM incidents_incident")
    laptop_tasks = laptop.query("SELECT count(*) FROM incidents_task")[0][0]

    first = server.contingency("incident", "import", str(export), check=True)
    assert "imported as #" in first.stdout
    [(number, state, plan)] = server.query("SELECT number, state, plan_id FROM incidents_incident WHERE uid = ?", uid)
    assert state == "stood-down"
    assert plan == server.query("SELECT id FROM plans_plan WHERE key = ?", PACS)[0][0]  # the server's own plan
    query = "SELECT count(*) FROM incidents_task t JOIN incidents_incident i ON i.id = t.incident_id WHERE i.uid = ?"
    assert server.query(query, uid)[0][0] == laptop_tasks
    second = server.contingency("incident", "import", str(export), check=True)
    assert f"#{number} here, already imported: nothing new" in second.stdout
    assert server.query("SELECT count(*) FROM incidents_incident WHERE uid = ?", uid)[0][0] == 1
    assert server.query(query, uid)[0][0] == laptop_tasks


def test_every_keeps_pulling_until_stopped(server: Server, laptop: Install) -> None:
    token = server.seed("token", "demo-admin")
    args = ["mirror", "--from", server.url, "--token", token, "--server-key", server.public_key, "--every", "1h"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "contingency.cli", *args],
        env=laptop.env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        good = "SELECT count(*) FROM mirror_mirrorsource WHERE last_success_at IS NOT NULL"
        wait_until(lambda: laptop.query(good)[0][0] == 2, "both organisations copied", watch=proc)
        proc.send_signal(signal.SIGTERM)
        wait_until(lambda: proc.poll() is not None, "the pull loop to stop")
        out, err = proc.communicate()
        assert proc.returncode == 0, err
        assert "every 1h" in out and "northwick-general: copy as of" in out
    finally:
        if proc.poll() is None:
            proc.kill()
