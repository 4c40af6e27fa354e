"""Fixtures every test may use, and how the suite runs fast.

The test database is made once per session (per xdist worker) and the two demo plans are loaded into
it once, issued, before the first test: each `db` test runs inside a transaction that is rolled back,
so every test starts from the same demo state without paying for the import (~0.7 s a time). A test
that needs a database with nothing in it asks for `empty_db`. A transactional test (`transactional_db`,
`live_server`) ends with Django emptying every table; the demo is then loaded again, committed, before
the next test that is not transactional (see `pytest_runtest_teardown`).

Tests that touch a database are marked `database` at collection, so the PostgreSQL pass of CI runs only
those (`pytest -m database`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    from .support.live_channels import LiveChannels
    from .support.orthanc import LoadedArchive

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLANS = ROOT / "demo" / "plans"

# Property tests: a full budget where someone asks for it (HYPOTHESIS_PROFILE=thorough), a smaller one by
# default, so the suite stays fast; `budget(n)` scales a test's own budget the same way.
hypothesis_settings.register_profile("thorough", max_examples=1000, deadline=None)
hypothesis_settings.register_profile("default", deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
_SCALE = {"thorough": 4.0}.get(os.environ.get("HYPOTHESIS_PROFILE", "default"), 0.25)


def budget(n: int) -> int:
    """A property test's example budget under the current profile (a quarter by default, at least 10)."""
    return max(10, int(n * _SCALE))


# ------------------------------------------------------------------------------ the database


# Fixtures that give a test a database; a test using any of them is marked `database`.
_DB_FIXTURES = {"db", "transactional_db", "django_db_setup", "live_server"}  # not django_db_blocker: every test has it
_TRANSACTIONAL = {"transactional_db", "live_server"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "database: uses the test database (the PostgreSQL pass runs only these)")
    config.addinivalue_line("markers", "subprocess_db: starts processes with a database of their own")
    config.addinivalue_line("markers", "slow: takes seconds (whole installs, workers, a browser); run first")
    # Tests make many users; the real hasher is deliberately slow, and its strength is not under test.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _share_static_files()


def _share_static_files() -> None:
    """Every test client loads the middleware afresh, and WhiteNoise's then lists, stats and describes every
    static file (~20-60 ms a client, a third of the permission matrix). A server does that once per process,
    and the files do not change during a run, so the first listing (per prefix and folders) serves the rest."""
    from django.conf import settings
    from whitenoise.middleware import WhiteNoiseMiddleware

    listed: dict[tuple[str, str], dict[str, Any]] = {}
    original = WhiteNoiseMiddleware.add_files_from_finders

    def add_files_from_finders(self: WhiteNoiseMiddleware) -> None:
        key = (self.static_prefix, repr((settings.STATICFILES_DIRS, settings.INSTALLED_APPS)))
        if key not in listed:
            before = dict(self.files)
            original(self)
            listed[key] = {url: found for url, found in self.files.items() if before.get(url) is not found}
        self.files.update(listed[key])

    WhiteNoiseMiddleware.add_files_from_finders = add_files_from_finders


def _uses_database(item: pytest.Item) -> bool:
    names = set(getattr(item, "fixturenames", ()))
    return bool(names & _DB_FIXTURES) or item.get_closest_marker("django_db") is not None


def _transactional(item: pytest.Item | None) -> bool:
    if item is None:
        return False
    marker = item.get_closest_marker("django_db")
    by_marker = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    return by_marker or bool(set(getattr(item, "fixturenames", ())) & _TRANSACTIONAL)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_database(item) or item.get_closest_marker("subprocess_db"):
            item.add_marker(pytest.mark.database)
    # The slow tests first (in their modules' order): under xdist (`--dist worksteal`) they start at once,
    # beside the quick ones, instead of leaving one process working alone at the end. Of those, the ones that
    # copy the run's migrated database last, to give its `contingency migrate` time (pytest_sessionstart).
    items.sort(
        key=lambda item: (
            item.get_closest_marker("slow") is None,
            "migrated_sqlite" in getattr(item, "fixturenames", ()),
        )
    )


def _load_demo_committed(config: pytest.Config) -> None:
    from pytest_django.plugin import blocking_manager_key

    from .web import load_demo

    with config.stash[blocking_manager_key].unblock():
        load_demo()


_database_ready = False  # set once this process's test database exists (never touch another one)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, request: pytest.FixtureRequest) -> None:
    """pytest-django's test database, with the demo plans loaded and issued once for the session."""
    global _database_ready
    _load_demo_committed(request.config)
    _database_ready = True


_demo_emptied = False  # a transactional test has run since the demo was last loaded


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    global _demo_emptied
    yield
    # A transactional test may have just emptied every table: the demo goes back before the next test that
    # runs in a rolled-back transaction (`pytest_runtest_setup`). Not by `nextitem`: under xdist's work
    # stealing, the test that runs next in this process need not be the one pytest saw next.
    if _transactional(item):
        _demo_emptied = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    global _demo_emptied
    # Before the test's fixtures open its transaction (loading finds the demo there, and does nothing, when the
    # transactional test was skipped).
    if _demo_emptied and _database_ready and _uses_database(item) and not _transactional(item):
        _load_demo_committed(item.config)
        _demo_emptied = False


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_PLANS


@pytest.fixture
def demo_plans(db: None) -> list[object]:
    """The two demo plans, loaded and issued (see tests/web.py); already there unless a test emptied them."""
    from .web import load_demo

    return list(load_demo())


@pytest.fixture
def empty_db(db: None) -> None:
    """A database with no organisation, plan or user in it (this test's transaction only)."""
    from django.contrib.auth.models import User

    from contingency.core.models import AuditEntry, Organisation
    from contingency.plans.models import Plan

    AuditEntry.objects.all().delete()
    Plan.objects.all().delete()
    Organisation.objects.all().delete()
    User.objects.all().delete()


# ------------------------------------------------------------------------------ signed-in clients


@pytest.fixture
def member(demo_plans: list[object]) -> Callable[..., Client]:
    """`member(role, ...)`: a signed-in test client for a new user holding those roles in Northwick."""
    from contingency.core.models import Role

    from .web import HOME_ORG, client_for, make_user

    count = 0

    def make(*roles: Role | str, organisation: str = HOME_ORG) -> Client:
        nonlocal count
        count += 1
        names = "-".join(str(role) for role in roles) or "nobody"
        user = make_user(f"{names}-{count}", organisation, *(Role(role) for role in roles))
        return client_for(user)

    return make


@pytest.fixture
def api_as(demo_plans: list[object]) -> Callable[..., Client]:
    """`api_as(role, ..., organisation=...)`: a client sending a fresh user's API token on every request;
    the user's name is `client.username`."""
    from contingency.core.models import Role
    from contingency.core.tokens import create_token

    from .web import HOME_ORG, make_user

    count = 0

    def make(*roles: str, organisation: str = HOME_ORG) -> Client:
        nonlocal count
        count += 1
        user = make_user(f"api-{'-'.join(roles) or 'nobody'}-{count}", organisation, *(Role(r) for r in roles))
        _, plain = create_token(user, "test")
        client = Client(headers={"Authorization": f"Bearer {plain}"})
        client.username = user.username  # type: ignore[attr-defined]
        return client

    return make


# ------------------------------------------------------------------------------ real channels


@pytest.fixture
def channels(monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveChannels]:
    """SMTP, GOV.UK Notify and a Teams webhook, each a real local server, configured for this test."""
    from contingency.notify.channels import registry

    from .support.live_channels import live_channels

    with live_channels() as live:
        for name, value in live.environ.items():
            monkeypatch.setenv(name, value)
        registry.reset()
        yield live
    registry.reset()


@pytest.fixture
def catcher(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo's catcher as the only channel: texts and e-mails are kept in the database, never sent."""
    from contingency.notify.channels import registry

    for name in [
        n for n in os.environ if n.startswith(("CONTINGENCY_SMTP_", "CONTINGENCY_NOTIFY_", "CONTINGENCY_WEB"))
    ]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CONTINGENCY_CATCHER", "on")
    registry.reset()
    yield
    registry.reset()


# ------------------------------------------------------------------------------ databases of their own


def pytest_sessionstart(session: pytest.Session) -> None:
    """A whole-suite run (no paths given) starts migrating its template databases at once, in this main
    process, while the test processes start and collect (tests/support/migrated.py)."""
    config = session.config
    if (
        os.environ.get("PYTEST_XDIST_WORKER")
        or config.args_source != pytest.Config.ArgsSource.TESTPATHS
        or config.option.collectonly
    ):
        return
    from .support.migrated import start_templates

    factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]  # the tmp_path plugin's
    start_templates(factory.getbasetemp() / "migrated", os.environ.get("DATABASE_URL", ""))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated by `contingency migrate` once per run (shared by the xdist processes), for
    tests that start processes on a database of their own: copy it (tests/support/migrated.py), never write it."""
    from .support.migrated import make_template

    base = tmp_path_factory.getbasetemp()
    return make_template((base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "migrated")


# ------------------------------------------------------------------------------ a real imaging archive


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedArchive]:
    """A real Orthanc (LimitFindResults 50), one per session (per xdist worker), holding the planted downtime
    scenario of tests/support/orthanc.py; skipped where Orthanc is not installed."""
    from .support.orthanc import LoadedArchive, downtime_scenario, skip_without_orthanc, start_loaded

    skip_without_orthanc()
    scenario = downtime_scenario()
    orthanc = start_loaded(tmp_path_factory.mktemp("orthanc"), scenario)
    try:
        yield LoadedArchive(orthanc, scenario)
    finally:
        orthanc.stop()


@pytest.fixture
def archive_configured(archive: LoadedArchive, monkeypatch: pytest.MonkeyPatch) -> LoadedArchive:
    """The session's Orthanc as this installation's archive (CONTINGENCY_ARCHIVE_*), standing for `pacs`."""
    from .reconcile_support import archive_environ

    for name, value in archive_environ(archive).items():
        monkeypatch.setenv(name, value)
    return archive


@pytest.fixture
def archive_unconfigured(monkeypatch: pytest.MonkeyPatch) -> None:
    """No imaging archive configured here, whatever the environment says."""
    for name in ("CONTINGENCY_ARCHIVE_HOST", "CONTINGENCY_ARCHIVE_DICOMWEB_URL", "CONTINGENCY_ARCHIVE_SYSTEM"):
        monkeypatch.delenv(name, raising=False)


def pytest_report_header(config: pytest.Config) -> list[str]:
    url = os.environ.get("DATABASE_URL", "")
    profile = hypothesis_settings.get_current_profile_name()
    return [f"database: {url.split('@')[-1] if url else 'SQLite'}; hypothesis profile: {profile}"]


@pytest.fixture
def email(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """E-mail configured but never contacted: for tests that read the outbox rather than deliver it."""
    from contingency.notify.channels import registry

    monkeypatch.setenv("CONTINGENCY_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CONTINGENCY_SMTP_PORT", "9")
    monkeypatch.setenv("CONTINGENCY_SMTP_SECURITY", "none")
    monkeypatch.setenv("CONTINGENCY_SMTP_FROM", "contingency@northwick.example.org")
    registry.reset()
    yield
    registry.reset()
