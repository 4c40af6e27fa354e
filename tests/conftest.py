from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.test import Client

if TYPE_CHECKING:
    from .support.live_channels import LiveChannels

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLANS = ROOT / "demo" / "plans"


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_PLANS


@pytest.fixture
def demo_plans(db: None) -> list[object]:
    """The two demo plans, loaded and issued (see tests/web.py)."""
    from .web import load_demo

    return list(load_demo())


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


def pytest_configure(config: pytest.Config) -> None:
    # Tests make many users; the real hasher is deliberately slow, and its strength is not under test.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
