"""The plan linter: finds the defects real continuity plans contain."""

from . import rules  # noqa: F401  (importing the catalogue registers every rule)
from .engine import (
    RULES,
    ExerciseDue,
    Finding,
    Options,
    PrintedLocation,
    PrintFacts,
    Rule,
    Severity,
    SupplierAssurance,
    lint,
    location_of,
    severity_counts,
)

__all__ = [
    "RULES",
    "ExerciseDue",
    "Finding",
    "Options",
    "PrintFacts",
    "PrintedLocation",
    "Rule",
    "Severity",
    "SupplierAssurance",
    "lint",
    "location_of",
    "severity_counts",
]
