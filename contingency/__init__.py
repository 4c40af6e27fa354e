"""Contingency: business continuity and disaster recovery plans that run."""

__version__ = "0.1.0"
