"""Browser tests: the real pages in headless Chromium against pytest-django's live server.

Chromium is the Debian package (/usr/bin/chromium); Playwright's own browser download is never used.
Every test here is marked `browser`, so `pytest -m "not browser"` leaves the suite out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parent.parent.parent
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
SERIOUS = {"serious", "critical"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives the pages in headless Chromium (deselect with -m 'not browser')"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the browser tests, and run them last: Playwright's event loop lives in the test thread
    until the session ends, and Django's other tests must not run beside it (see below)."""
    here = Path(__file__).resolve().parent
    ours = [item for item in items if here in Path(str(item.path)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    chosen = set(ours)
    items[:] = [item for item in items if item not in chosen] + ours


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One Chromium for the session, started after the test database exists and closed before it goes.

    Playwright's sync API keeps an event loop in the test thread while it is open, and Django's ORM
    refuses to run beside one unless told it is safe. It is safe here (ORM calls never run inside the
    loop), and the browser tests run last, so no other test runs with Django's check turned off.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield launched
            launched.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """`new_context(**options)`: a fresh browser context (own cookies), closed after the test.

    bypass_csp lets axe-core be injected past the site's Content-Security-Policy.
    """
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(bypass_csp=True, locale="en-GB", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    return new_context().new_page()


@pytest.fixture
def site(transactional_db: None, live_server: Any) -> str:
    """The live server's address, with both demo plans loaded and issued."""
    from tests.web import load_demo

    load_demo()
    return str(live_server.url)


@pytest.fixture
def user_with(site: str) -> Callable[..., str]:
    """`user_with(role, ...)`: a new Northwick user holding those roles; returns the username."""
    from contingency.core.models import Role
    from tests.web import HOME_ORG, make_user

    count = 0

    def make(*roles: Role | str, organisation: str = HOME_ORG) -> str:
        nonlocal count
        count += 1
        username = f"{'-'.join(str(role) for role in roles) or 'nobody'}-{count}"
        make_user(username, organisation, *(Role(role) for role in roles))
        return username

    return make


def log_in(page: Any, site: str, username: str, password: str | None = None) -> None:
    """Sign in through the real form, as a person would."""
    from tests.web import PASSWORD

    page.goto(f"{site}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password if password is not None else PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def log_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()


def page_width(page: Any) -> int:
    """The page's full width once it has loaded: measured earlier, a stylesheet still on its way leaves
    long words unwrapped and the page wider than it will be (a click waits for the navigation, not the CSS)."""
    page.wait_for_load_state("load")
    return int(page.evaluate("document.documentElement.scrollWidth"))


def screenshot(page: Any, request: pytest.FixtureRequest, step: str) -> Path:
    """Save a full-page screenshot as artifacts/screenshots/<test>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    path = SCREENSHOTS / f"{name}-{step}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def a11y_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in SERIOUS]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(str(t) for t in node['target'])}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append(f"      {node['failureSummary'].replace(chr(10), ' / ')}")
    return "\n".join(lines)


def check_a11y(page: Any, name: str) -> None:
    """Fail on any serious or critical axe-core violation, naming rule, elements and help."""
    violations = a11y_violations(page)
    if violations:
        report = describe(violations)
        print(f"axe violations on {name} ({page.url}):\n{report}")
        pytest.fail(f"axe: serious/critical violations on {name} ({page.url}):\n{report}", pytrace=False)
