"""The risk matrix: the NHS 5x5 by default; scores and rating bands are derived, never typed."""

from __future__ import annotations

from .spec.plan import ConsequenceLevel, LikelihoodLevel, PlanDocument, RatingBand, RiskMatrix

NHS_5X5 = RiskMatrix(
    likelihood=[
        LikelihoodLevel(score=1, label="rare", frequency="not expected to occur for years"),
        LikelihoodLevel(score=2, label="unlikely", frequency="expected to occur at least annually"),
        LikelihoodLevel(score=3, label="possible", frequency="expected to occur at least monthly"),
        LikelihoodLevel(score=4, label="likely", frequency="expected to occur at least weekly"),
        LikelihoodLevel(score=5, label="almost certain", frequency="expected to occur at least daily"),
    ],
    consequence=[
        ConsequenceLevel(score=1, label="insignificant", description="minimal disruption, no harm"),
        ConsequenceLevel(score=2, label="minor", description="short disruption, minor harm"),
        ConsequenceLevel(score=3, label="moderate", description="disruption of a service, moderate harm"),
        ConsequenceLevel(score=4, label="major", description="loss of a service for days, major harm"),
        ConsequenceLevel(score=5, label="catastrophic", description="permanent loss of a service, death"),
    ],
    bands=[
        RatingBand(label="low", min=1, max=3),
        RatingBand(label="moderate", min=4, max=6),
        RatingBand(label="high", min=8, max=12),
        RatingBand(label="extreme", min=15, max=25),
    ],
)


def of(plan: PlanDocument) -> RiskMatrix:
    """The matrix a plan's risks are scored on: its own when complete, else the NHS 5x5."""
    own = plan.risk_matrix
    return own if own is not None and not own.defects() else NHS_5X5


def score(likelihood: int, consequence: int) -> int:
    return likelihood * consequence


def band(matrix: RiskMatrix, value: int) -> str:
    """The rating band label for a score (1-25)."""
    return next(b.label for b in matrix.bands if b.min <= value <= b.max)


def likelihood_label(matrix: RiskMatrix, value: int) -> str:
    return next(level.label for level in matrix.likelihood if level.score == value)


def consequence_label(matrix: RiskMatrix, value: int) -> str:
    return next(level.label for level in matrix.consequence if level.score == value)


def normalise_word(word: str) -> str:
    """Stated words compare case- and spacing-insensitively: 'Almost  Certain' == 'almost certain'."""
    return " ".join(word.lower().replace("-", " ").split())
