"""Reconciliation with the imaging archive: prove that what was done during the downtime reached the PACS.

What the ledger (and the command line) calls:

    from contingency.downtime.archive import (
        ArchiveConfig, load_config, ExpectedStudy, reconcile, echo, read_dicomdir, expected_from_cd, Bucket,
    )
    config = load_config(os.environ)            # None when no archive is configured; ArchiveConfigError
    run = reconcile(expected, config, start=..., end=...)   # never raises for the archive's faults
    run.ok, run.failure, run.counts, run.matching.bucket(Bucket.MISSING), run.to_json(), run.digest()

Nothing here touches the database: a run is computed whole and returned, for the caller to store.
"""

from .config import ArchiveConfig, ArchiveConfigError
from .config import load as load_config
from .dicomdir import CdStudy, DicomdirError, expected_from_cd, read_dicomdir
from .errors import ArchiveError, Failure
from .matching import BUCKET_LABELS, UNLOGGED, Bucket, Match, Matching, match
from .reconcile import EchoResult, Reconciliation, WindowQuery, echo, reconcile
from .studies import ArchiveStudy, ExpectedStudy

__all__ = [
    "BUCKET_LABELS",
    "UNLOGGED",
    "ArchiveConfig",
    "ArchiveConfigError",
    "ArchiveError",
    "ArchiveStudy",
    "Bucket",
    "CdStudy",
    "DicomdirError",
    "EchoResult",
    "ExpectedStudy",
    "Failure",
    "Match",
    "Matching",
    "Reconciliation",
    "WindowQuery",
    "echo",
    "expected_from_cd",
    "load_config",
    "match",
    "read_dicomdir",
    "reconcile",
]
