"""The archive tests' shared Orthanc: one per session (per xdist worker), loaded once, stopped at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..support.orthanc import LoadedArchive, downtime_scenario, skip_without_orthanc, start_loaded


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadedArchive]:
    """A real Orthanc (LimitFindResults 50) holding the planted downtime scenario of tests/support/orthanc.py."""
    skip_without_orthanc()
    scenario = downtime_scenario()
    orthanc = start_loaded(tmp_path_factory.mktemp("orthanc"), scenario)
    try:
        yield LoadedArchive(orthanc, scenario)
    finally:
        orthanc.stop()
