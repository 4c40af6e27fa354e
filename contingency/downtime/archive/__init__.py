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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ArchiveConfig, ArchiveConfigError
    from .config import load as load_config
    from .dicomdir import CdStudy, DicomdirError, expected_from_cd, read_dicomdir
    from .errors import ArchiveError, Failure
    from .matching import BUCKET_LABELS, UNLOGGED, Bucket, Match, Matching, match
    from .reconcile import EchoResult, Reconciliation, WindowQuery, echo, reconcile
    from .studies import ArchiveStudy, ExpectedStudy

# Imported when first used, not when Django starts: pydicom and pynetdicom cost about half a second of CPU
# in every process (every worker, every command), and most never talk to an archive.
_WHERE = {
    "ArchiveConfig": ("config", "ArchiveConfig"),
    "ArchiveConfigError": ("config", "ArchiveConfigError"),
    "load_config": ("config", "load"),
    "CdStudy": ("dicomdir", "CdStudy"),
    "DicomdirError": ("dicomdir", "DicomdirError"),
    "expected_from_cd": ("dicomdir", "expected_from_cd"),
    "read_dicomdir": ("dicomdir", "read_dicomdir"),
    "ArchiveError": ("errors", "ArchiveError"),
    "Failure": ("errors", "Failure"),
    "BUCKET_LABELS": ("matching", "BUCKET_LABELS"),
    "UNLOGGED": ("matching", "UNLOGGED"),
    "Bucket": ("matching", "Bucket"),
    "Match": ("matching", "Match"),
    "Matching": ("matching", "Matching"),
    "match": ("matching", "match"),
    "EchoResult": ("reconcile", "EchoResult"),
    "Reconciliation": ("reconcile", "Reconciliation"),
    "WindowQuery": ("reconcile", "WindowQuery"),
    "echo": ("reconcile", "echo"),
    "reconcile": ("reconcile", "reconcile"),
    "ArchiveStudy": ("studies", "ArchiveStudy"),
    "ExpectedStudy": ("studies", "ExpectedStudy"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value


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
