"""A risk's prose (title, impact, response) against its scores and the plan's matrix."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...matrix import band, normalise_word, score
from ...problems import Path
from ..engine import Context, Severity, rule

Found = Iterator[tuple[Path, str]]

_SYNONYMS = {"medium": "moderate", "very high": "extreme", "significant": "high", "critical": "extreme"}
_RATED = re.compile(
    r"\b(?:rated|rating(?: of| is)?|scored|assessed as|classed as|considered)?\s*(?:as\s+|an?\s+)?"
    r"(low|medium|moderate|high|very high|extreme|significant|critical)[\s-]+(?:risk|rated|rating)\b",
    re.I,
)


@rule("RSK005", "risk-prose-disagrees", Severity.ERROR, "A risk's own words rate it differently from its score")
def prose_disagrees(ctx: Context) -> Found:
    """A risk scored 2 x 2 (low on the matrix) whose impact text says "this is a high risk", or a
    response written for an "extreme risk" scored 6, leaves readers with two ratings: the one in the
    words is what they remember, the one in the numbers is what the risk register reports. Make
    the words agree with the band of the score on the plan's matrix."""
    matrix = ctx.matrix
    for i, risk in enumerate(ctx.plan.risks):
        likelihood, consequence = risk.likelihood, risk.consequence
        if not isinstance(likelihood, int) or not isinstance(consequence, int):
            continue  # scores kept as written ("medium") or missing: reported by the as-written rules
        expected = band(matrix, score(likelihood, consequence))
        labels = {normalise_word(b.label) for b in matrix.bands}
        texts: list[tuple[Path, str]] = [(("risks", i, "title"), risk.title)]
        if risk.impact:
            texts.append((("risks", i, "impact"), risk.impact))
        if risk.response and risk.response.summary:
            texts.append((("risks", i, "response", "summary"), risk.response.summary))
        for path, text in texts:
            for match in _RATED.finditer(text):
                word = normalise_word(match.group(1))
                said = word if word in labels else _SYNONYMS.get(word, word)
                if said in labels and said != normalise_word(expected):
                    value = score(likelihood, consequence)
                    yield path, f"{risk.title}: says {match.group(0).strip()!r} but score {value} is {expected!r}"
                    break
