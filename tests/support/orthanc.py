"""A real Orthanc for the archive tests: started once per session, loaded with a planted downtime scenario.

Orthanc runs in its own network namespace with only loopback (see contingency/downtime/archive/localorthanc.py
and ADR 0014); its DICOM and HTTP ports reach the tests on 127.0.0.1 through a forwarder pair over Unix
sockets. It is configured with `LimitFindResults` = CAP, so every reconciliation in the tests meets a real
result cap and must split its windows.

The scenario (`downtime_scenario`): a downtime from 07:00 on Monday 2 March 2026 to 19:00 on Wednesday 4 March
(Europe/London), with 502 examinations logged by hand. 500 studies are loaded into the archive:
- 495 logged studies, of which IDENTITY_MISMATCHES are stored under another patient ID, COUNT_MISMATCHES
  with fewer instances than logged, and one (OUTSIDE) dated the day before the window (a modality's clock);
- NOT_LOGGED studies taken in the window that nobody logged.
LEFT_OUT logged examinations are not loaded at all: those 7 must come out missing, and nothing else.
"""

from __future__ import annotations

import random
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contingency.downtime.archive.config import ArchiveConfig
from contingency.downtime.archive.localorthanc import CALLER_AET, LocalOrthanc, OrthancOptions, orthanc_binary
from contingency.downtime.archive.studies import ExpectedStudy
from contingency.downtime.archive.synthetic import SyntheticStudy, store

LONDON = ZoneInfo("Europe/London")
WINDOW_START = datetime(2026, 3, 2, 7, 0, tzinfo=LONDON)
WINDOW_END = datetime(2026, 3, 4, 19, 0, tzinfo=LONDON)
ARCHIVE_AET = "ARCHIVE"
CAP = 50
LOGGED_LOADED = 495
LEFT_OUT = 7
IDENTITY_MISMATCHES = 4
COUNT_MISMATCHES = 3
NOT_LOGGED = 5
MISSING_REASON = "Orthanc is not installed here (Debian package `orthanc`; scripts/setup.sh installs it)"
MODALITIES = ("CR", "CT", "MR", "DX", "US")


def skip_without_orthanc() -> None:
    if orthanc_binary() is None:
        pytest.skip(MISSING_REASON)


@dataclass
class Scenario:
    loaded: list[SyntheticStudy] = field(default_factory=list)
    expected: list[ExpectedStudy] = field(default_factory=list)
    left_out: set[str] = field(default_factory=set)  # record ids
    identity: set[str] = field(default_factory=set)
    counts: set[str] = field(default_factory=set)
    outside: set[str] = field(default_factory=set)
    not_logged: set[str] = field(default_factory=set)  # study UIDs


def downtime_scenario(seed: int = 11) -> Scenario:
    """The planted scenario described in the module's docstring (deterministic for a seed)."""
    rng = random.Random(seed)
    scenario = Scenario()
    span = (WINDOW_END - WINDOW_START).total_seconds()
    logged = LOGGED_LOADED + LEFT_OUT
    picks = rng.sample(range(logged), LEFT_OUT + IDENTITY_MISMATCHES + COUNT_MISMATCHES + 1)
    left_out = set(picks[:LEFT_OUT])
    identity = set(picks[LEFT_OUT : LEFT_OUT + IDENTITY_MISMATCHES])
    counts = set(picks[LEFT_OUT + IDENTITY_MISMATCHES : -1])
    outside = picks[-1]
    for n in range(logged):
        at = WINDOW_START + timedelta(seconds=span * (n + 0.5) / logged)
        local = at.astimezone(LONDON).replace(tzinfo=None)
        record = f"DT-{n + 1:04d}"
        instances = 1 + (n % 4 == 0)
        study = SyntheticStudy(f"NWG{260000 + n}", f"RX{700000 + n * 7}", local, MODALITIES[n % 5], instances)
        scenario.expected.append(
            ExpectedStudy(record, study.accession_number, study.patient_id, expected_instances=instances, done_at=at)
        )
        if n in left_out:
            scenario.left_out.add(record)
            continue
        if n in identity:
            scenario.identity.add(record)
            study = SyntheticStudy(study.accession_number, f"RX{900000 + n}", local, study.modality, instances)
        elif n in counts:
            scenario.counts.add(record)
            scenario.expected[-1] = ExpectedStudy(
                record, study.accession_number, study.patient_id, expected_instances=instances + 1, done_at=at
            )
        elif n == outside:
            scenario.outside.add(record)
            study = SyntheticStudy(study.accession_number, study.patient_id, local - timedelta(days=3), study.modality)
            scenario.expected[-1] = ExpectedStudy(record, study.accession_number, study.patient_id, done_at=at)
        scenario.loaded.append(study)
    for k in range(NOT_LOGGED):
        at = WINDOW_START + timedelta(hours=5 + 11 * k, minutes=3)
        study = SyntheticStudy(f"NWG{270000 + k}", f"RX{800000 + k}", at.replace(tzinfo=None), "CT")
        scenario.loaded.append(study)
        scenario.not_logged.add(study.study_uid)
    return scenario


@dataclass
class LoadedArchive:
    orthanc: LocalOrthanc
    scenario: Scenario

    def config(self, **changes: object) -> ArchiveConfig:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.orthanc.dicom_port,
            "called_aet": ARCHIVE_AET,
            "calling_aet": CALLER_AET,
            "result_cap": CAP,
            "connect_timeout": 10,
            "query_timeout": 20,
        }
        values.update(changes)
        return ArchiveConfig.model_validate(values)

    def qido_config(self, **changes: object) -> ArchiveConfig:
        assert self.orthanc.dicomweb_url, "Orthanc's DICOMweb plugin is not installed"
        return self.config(host="", called_aet="", dicomweb_url=self.orthanc.dicomweb_url, **changes)


def start_loaded(workdir: Path, scenario: Scenario) -> LocalOrthanc:
    orthanc = LocalOrthanc(workdir, OrthancOptions(aet=ARCHIVE_AET, limit_find_results=CAP)).start()
    try:
        store(
            scenario.loaded,
            host="127.0.0.1",
            port=orthanc.dicom_port,
            called_aet=ARCHIVE_AET,
            calling_aet=CALLER_AET,
            associations=2,
        )
    except BaseException:
        orthanc.stop()
        raise
    return orthanc


def printed_until_ready(server: subprocess.Popen[str]) -> list[str]:
    """What `contingency downtime demo-archive` prints up to "Ctrl-C stops it." (it is serving then); fails with
    its standard error if it ends first."""
    assert server.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Ctrl-C stops it.":
        line = server.stdout.readline()
        assert line, server.stderr.read() if server.stderr else ""
        lines.append(line.strip())
    return lines
