"""The meta-validation curve: is the search's best getting better, or only better at the proxy?

The paper (section 2.3) saw the search fitness keep rising while the fitness on
larger validation tasks fell: meta-overfitting, in about half of 50 runs. The
curve samples the history every ``every`` evaluations (history lines, in the
order results came back): at each sample, the best program so far by search
fitness (the earlier id on ties, as the hall of fame ranks). The funnel then
scores those programs on its first stage, so search fitness and held-out
fitness can be plotted against evaluations.

Example:
    >>> from symopt.runs import HistoryRecord as R
    >>> recs = [R(0, hash="a", fitness=0.0), R(1, hash="b", fitness=0.5),
    ...         R(2, hash="b", status="cached", fitness=0.5), R(3, hash="c", fitness=0.7)]
    >>> [(p.evaluations, p.id) for p in sample_best_so_far(recs, every=2)]
    [(1, 0), (2, 1), (4, 3)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from symopt.runs import HistoryRecord

__all__ = ["MetaPoint", "sample_best_so_far"]


@dataclass(frozen=True)
class MetaPoint:
    """The best program after ``evaluations`` history lines.

    Attributes:
        evaluations: history lines read (1 is the warm start alone).
        id: the child holding the best search fitness then.
        hash: its functional hash.
        search_fitness: that fitness.
    """

    evaluations: int
    id: int
    hash: str
    search_fitness: float


def sample_best_so_far(records: Iterable[HistoryRecord], every: int) -> list[MetaPoint]:
    """The best-so-far program after the first line, every ``every`` lines, and at the end.

    Only lines whose program trained fine count (a cache hit repeats an earlier
    line, a failure carries the floor fitness). Samples before the first such
    line are left out, and the last sample is always the end of the history.

    Raises:
        ValueError: for ``every < 1``.
    """
    if every < 1:
        raise ValueError(f"every must be >= 1, got {every}")
    points: list[MetaPoint] = []
    best: tuple[float, HistoryRecord] | None = None
    records = list(records)
    for n, rec in enumerate(records, start=1):
        fitness = rec.ok_fitness
        # Ties go to the earlier id, as in the hall of fame (lines come back out of id order).
        if fitness is not None and (best is None or (fitness, -rec.id) > (best[0], -best[1].id)):
            best = (fitness, rec)
        if best is not None and (n == 1 or n % every == 0 or n == len(records)):
            points.append(MetaPoint(n, best[1].id, best[1].hash, best[0]))
    return points
