"""The hurdle a child must pass: a percentile of recent children's scores on a cheap part.

:class:`HurdleWindow` keeps the last ``window`` hurdle scores (the fitness on the
hurdle's tasks alone, :attr:`~symopt.proxy_tasks.FitnessResult.hurdle_score`)
of trained children, and turns them into the :class:`~symopt.proxy_tasks.Hurdle`
sent with the next job. Children that failed outright (every run diverged, or
invalid) add nothing: their floor score says nothing about the others. A
resumed campaign rebuilds the window from its history.

Example:
    >>> from symopt.config import HurdleConfig
    >>> w = HurdleWindow(HurdleConfig(percentile=50, window=3, min_scores=2))
    >>> w.cut()
    Hurdle(threshold=-inf, tasks=(0,))
    >>> for score in (0.1, 0.2, 0.3, 0.4):
    ...     w.add(score)
    >>> w.cut()
    Hurdle(threshold=0.3, tasks=(0,))
"""

from __future__ import annotations

import collections
import math
from typing import Iterable

import numpy as np

from symopt.config import HurdleConfig
from symopt.proxy_tasks import FitnessResult, Hurdle
from symopt.runs import HistoryRecord

__all__ = ["HurdleWindow"]


class HurdleWindow:
    """Recent hurdle scores and the hurdle they set (``None`` while off)."""

    def __init__(self, config: HurdleConfig) -> None:
        self.config = config
        self.scores: collections.deque[float] = collections.deque(maxlen=config.window)

    @property
    def on(self) -> bool:
        return self.config.percentile is not None

    def cut(self) -> Hurdle | None:
        """The hurdle for the next child: ``None`` when off; one every child passes
        (``-inf``, still scoring the part) while fewer than ``min_scores`` are known."""
        if not self.on:
            return None
        if len(self.scores) < self.config.min_scores:
            return Hurdle(-math.inf, self.config.tasks)
        threshold = float(np.percentile(np.asarray(self.scores), self.config.percentile))
        return Hurdle(threshold, self.config.tasks)

    def add(self, score: float | None) -> None:
        """Adds one child's hurdle score (ignored: ``None`` or not finite, or the hurdle off)."""
        if self.on and score is not None and math.isfinite(score):
            self.scores.append(float(score))

    def observe(self, result: FitnessResult) -> None:
        """Adds a trained child's score; a child that failed outright adds nothing."""
        if self.on and result.status == "ok":
            self.add(result.hurdle_score)

    def replay(self, records: Iterable[HistoryRecord]) -> None:
        """Rebuilds the window from a history (trained children only, in order)."""
        for record in records:
            if record.status == "ok":
                self.add(record.hurdle)
