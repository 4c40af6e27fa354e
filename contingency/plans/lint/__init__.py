"""The plan linter: finds the defects real continuity plans contain."""

from .engine import RULES, Finding, Options, Rule, Severity, lint

__all__ = ["RULES", "Finding", "Options", "Rule", "Severity", "lint"]
