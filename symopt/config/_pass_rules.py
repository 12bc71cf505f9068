"""Funnel pass rules: who goes on from a stage, by name (a stage's ``pass`` key).

Every rule lives in :data:`PASS_RULES`, and only here: the config checks a
stage's ``pass`` against it, the funnel scores a stage against the rule's
baseline (which defines fitness 0) and selects with its predicate, and the
plots and ``report.md`` print its words. A new rule is one entry.

Example:
    >>> rule = PASS_RULES["beat_adamw"]
    >>> rule.baseline, rule.passes(0.01), rule.passes(0.0)
    ('adamw', True, False)
    >>> rule.words
    'beats AdamW (stage fitness > 0)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

__all__ = ["PASS_RULES", "PassRule"]


@dataclass(frozen=True)
class PassRule:
    """A stage's selection rule.

    Attributes:
        baseline: the built-in program scored on the stage beside the programs,
            which defines the stage fitness 0.
        passes: whether a program with this stage fitness (and status ok) goes on.
        words: what passing means, for plots and reports.
    """

    baseline: str
    passes: Callable[[float], bool]
    words: str


def _above_zero(fitness: float) -> bool:
    return fitness > 0.0


PASS_RULES: Mapping[str, PassRule] = {
    "beat_adamw": PassRule("adamw", _above_zero, "beats AdamW (stage fitness > 0)"),
}
"""Rule name -> rule; the first is the default of a stage's ``pass``."""
