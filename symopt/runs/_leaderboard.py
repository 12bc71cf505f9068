"""The best distinct programs of a run, ranked from its history, and their families.

Ranked like the hall of fame (fitness, then the earlier id; only programs that
trained fine; one place per functional hash), but from ``history.jsonl``, so
it is current while the campaign runs and has no size limit. A hash's place
goes to the child that trained it; later cache hits only add to ``seen``.

Example:
    >>> from symopt.runs._records import HistoryRecord as R
    >>> recs = [R(0, hash="a", status="ok", fitness=0.0), R(1, hash="b", status="ok", fitness=0.5),
    ...         R(2, hash="b", status="cached", fitness=0.5)]
    >>> [(p.rank, p.id, p.seen) for p in top_programs(recs, 5)]
    [(1, 1, 2), (2, 0, 1)]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from symopt.runs._records import HistoryRecord

__all__ = ["Ranked", "top_programs"]


@dataclass(frozen=True)
class Ranked:
    """A distinct program's place in a run.

    Attributes:
        rank: 1 for the best.
        id: the child that trained it.
        fitness: higher is better (the warm start's baseline scores 0).
        metric: the raw task metric (lower is better), ``None`` if not recorded.
        hash: the functional hash.
        length: statements.
        reduced_length: statements left after removing redundant ones.
        mutation: how it was made from its parent.
        parent_id: its parent (``None``: the warm start or a random program).
        seen: history lines with this hash (1 + cache hits).
    """

    rank: int
    id: int
    fitness: float
    metric: float | None
    hash: str
    length: int | None
    reduced_length: int | None
    mutation: str
    parent_id: int | None
    seen: int


def top_programs(records: Iterable[HistoryRecord], k: int) -> list[Ranked]:
    """The ``k`` best distinct programs in ``records`` (see the module example)."""
    records = list(records)
    seen = Counter(rec.hash for rec in records)
    first: dict[str, tuple[float, HistoryRecord]] = {}
    for rec in records:
        fitness = rec.ok_fitness
        if fitness is None:
            continue
        known = first.get(rec.hash)
        if known is None or rec.id < known[1].id:
            first[rec.hash] = (fitness, rec)
    ranked = sorted(first.values(), key=lambda pair: (-pair[0], pair[1].id))[:k]
    return [
        Ranked(
            rank, rec.id, fitness, rec.metric, rec.hash, rec.length, rec.reduced_length, rec.mutation,
            rec.parent_id, seen[rec.hash],
        )  # fmt: skip
        for rank, (fitness, rec) in enumerate(ranked, start=1)
    ]
