"""The PostgreSQL pass of CI runs `pytest -m database`: only the tests that use a database may carry the mark."""

from __future__ import annotations

import pytest


def test_a_test_with_no_database_is_not_marked(request: pytest.FixtureRequest) -> None:
    # Every test has pytest-django's autouse fixtures (django_db_blocker among them); they are not a database.
    assert request.node.get_closest_marker("database") is None


def test_a_test_with_the_database_is_marked(request: pytest.FixtureRequest, db: None) -> None:
    assert request.node.get_closest_marker("database") is not None
