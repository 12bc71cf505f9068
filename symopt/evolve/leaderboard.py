"""The best distinct programs of a run, ranked from its history, and their families.

Ranked like the hall of fame (fitness, then the earlier id; only programs that
trained fine; one place per functional hash), but from ``history.jsonl``, so
it is current while the campaign runs and has no size limit. A hash's place
goes to the child that trained it; later cache hits only add to ``seen``.

Families come from :func:`~symopt.evolve.verdict.classify`, which runs the
program and fits every family (about a second each), so :class:`Families`
remembers them per hash and callers classify only the programs they show.

Example:
    >>> recs = [{"id": 0, "hash": "a", "status": "ok", "fitness": 0.0},
    ...         {"id": 1, "hash": "b", "status": "ok", "fitness": 0.5},
    ...         {"id": 2, "hash": "b", "status": "cached", "fitness": 0.5}]
    >>> [(p.rank, p.id, p.seen) for p in top_programs(recs, 5)]
    [(1, 1, 2), (2, 0, 1)]
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from symopt.dsl.errors import DSLError
from symopt.dsl.program import Program
from symopt.evolve.run_status import ok_fitness

__all__ = ["Families", "Ranked", "top_programs"]


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


def top_programs(records: Iterable[Mapping[str, Any]], k: int) -> list[Ranked]:
    """The ``k`` best distinct programs in ``records`` (see the module example)."""
    records = list(records)
    seen = Counter(rec.get("hash") for rec in records)
    first: dict[str, Mapping[str, Any]] = {}
    for rec in records:
        if ok_fitness(rec) is None:
            continue
        known = first.get(rec["hash"])
        if known is None or int(rec["id"]) < int(known["id"]):
            first[rec["hash"]] = rec
    ranked = sorted(first.values(), key=lambda rec: (-rec["fitness"], int(rec["id"])))[:k]
    return [
        Ranked(
            rank=rank,
            id=int(rec["id"]),
            fitness=float(rec["fitness"]),
            metric=rec.get("metric"),
            hash=rec["hash"],
            length=rec.get("length"),
            reduced_length=rec.get("reduced_length"),
            mutation=str(rec.get("mutation", "")),
            parent_id=rec.get("parent_id"),
            seen=seen[rec["hash"]],
        )
        for rank, rec in enumerate(ranked, start=1)
    ]


class Families:
    """Optimizer families by program hash, each program classified at most once.

    A cache, hence mutable (unlike the values around it).

    Example:
        >>> from symopt.dsl import builtin, program_hash
        >>> families = Families()
        >>> lion = builtin("lion")
        >>> families.of(lion, program_hash(lion))
        'lion'
    """

    def __init__(self) -> None:
        self._known: dict[str, str] = {}

    def of(self, program: Program, hash: str) -> str:
        """The family of ``program`` (``"?"`` if it cannot be run on random inputs)."""
        if hash not in self._known:
            from symopt.evolve.verdict import classify  # pulls in JAX: only when asked

            try:
                self._known[hash] = classify(program).family
            except (DSLError, ValueError, FloatingPointError):
                self._known[hash] = "?"
        return self._known[hash]
