"""The plan linter: finds the defects real continuity plans contain."""

from . import rules  # noqa: F401  (importing the catalogue registers every rule)
from .engine import (
    RULES,
    Finding,
    Options,
    PrintedLocation,
    PrintFacts,
    Rule,
    Severity,
    lint,
    location_of,
    severity_counts,
)

__all__ = [
    "RULES",
    "Finding",
    "Options",
    "PrintFacts",
    "PrintedLocation",
    "Rule",
    "Severity",
    "lint",
    "location_of",
    "severity_counts",
]
