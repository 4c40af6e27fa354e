"""Spot-check sampling: pure, reproducible, and a sample only ever grows.

Each (kind, day) has one seed, chosen at its first draw and recorded. Records are ranked by
SHA-256 of `seed:number`; a draw takes the lowest-ranked records not yet drawn until the target
is met. So the picks depend only on the seed and the population, anyone can repeat a draw from
what is recorded, and widening after a failed check (or topping up for records re-entered late)
adds to the sample without taking anything out of it.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Collection, Iterable


def new_seed() -> str:
    return secrets.token_hex(8)


def rank(seed: str, key: str) -> str:
    """A record's place in the draw: the lower, the sooner it is drawn."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def target(population: int, share: int, at_least: int) -> int:
    """How many of `population` records are checked: `share` percent rounded up, at least `at_least`,
    never more than there are."""
    if population <= 0:
        return 0
    wanted = max(at_least, math.ceil(population * share / 100))
    return min(population, wanted)


def share_in_force(share: int, widen_to: int, failed: bool) -> int:
    """The share for a kind and day: widened once any of its checks has failed."""
    return max(share, widen_to) if failed else share


def draw(population: Iterable[str], already: Collection[str], seed: str, size: int) -> list[str]:
    """The records to add so that `size` of the population are drawn in all, lowest rank first."""
    members = sorted(set(population))
    have = sum(1 for key in members if key in already)
    wanted = size - have
    if wanted <= 0:
        return []
    remaining = sorted((key for key in members if key not in already), key=lambda key: rank(seed, key))
    return remaining[:wanted]
