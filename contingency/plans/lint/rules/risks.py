"""Risks: scored on the matrix, recognisable, answered."""

from __future__ import annotations

from collections.abc import Iterator

from ...matrix import band, consequence_label, likelihood_label, normalise_word, score
from ...problems import Path
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]


@rule("RSK001", "risk-words-disagree", Severity.ERROR, "A risk's words disagree with its numbers or score")
def words_disagree(ctx: Context) -> Found:
    """Plans often say "likely" beside a likelihood of 2, or rate a 4x4 risk "moderate". The numbers
    drive the score and the rating band; words that disagree mislead whoever reads the prose."""
    matrix = ctx.matrix
    for i, risk in enumerate(ctx.plan.risks):
        if risk.stated is None or not isinstance(risk.likelihood, int) or not isinstance(risk.consequence, int):
            continue  # a risk scored in words (or not at all) is reported by the as-written rules
        value = score(risk.likelihood, risk.consequence)
        expected = {
            "likelihood": (likelihood_label(matrix, risk.likelihood), f"likelihood {risk.likelihood}"),
            "consequence": (consequence_label(matrix, risk.consequence), f"consequence {risk.consequence}"),
            "rating": (band(matrix, value), f"score {value}"),
        }
        for field, (label, number) in expected.items():
            word = getattr(risk.stated, field)
            if word is not None and normalise_word(word) != normalise_word(label):
                yield ("risks", i, "stated", field), f"{risk.title}: says {word!r} but {number} is {label!r}"


@rule("RSK002", "risk-without-response", Severity.ERROR, "A risk has no response")
def no_response(ctx: Context) -> Found:
    """An identified risk with no response (a summary or a procedure) tells staff what can go wrong
    but not what to do about it."""
    for i, risk in enumerate(ctx.plan.risks):
        if risk.response is None or (risk.response.summary is None and risk.response.procedure is None):
            yield ("risks", i), f"{risk.title} has no response"


@rule("RSK003", "risk-not-recognisable", Severity.WARNING, "No description of how to recognise a risk")
def not_recognisable(ctx: Context) -> Found:
    """Staff must be able to tell this failure from another ("all users in all areas unable to
    access, not just individual users") before they invoke the matching response."""
    for i, risk in enumerate(ctx.plan.risks):
        if not risk.recognise:
            yield ("risks", i), f"{risk.title} does not say how to recognise it"


@rule("RSK004", "risk-without-causes", Severity.INFO, "A risk lists no causes")
def no_causes(ctx: Context) -> Found:
    """Causes (software, hardware, power failure, flood) show what monitoring and prevention could
    reduce the likelihood."""
    for i, risk in enumerate(ctx.plan.risks):
        if not risk.causes:
            yield ("risks", i), f"{risk.title} lists no causes"
