from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO_PLANS = ROOT / "demo" / "plans"


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_PLANS
