"""A child's ancestry: the chain of parents back to the warm start, from ``history.jsonl``.

Example:
    >>> from symopt.runs._records import HistoryRecord as R
    >>> by_id = {0: R(0, None, "warm_start", "adamw", fitness=0.0),
    ...          5: R(5, 0, "delete", "delete 9: update", fitness=0.3)}
    >>> line = lineage(by_id, 5)
    >>> [a.id for a in line.ancestors], line.complete
    ([0, 5], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from symopt.runs._records import HistoryRecord

__all__ = ["Ancestor", "Lineage", "lineage"]


@dataclass(frozen=True)
class Ancestor:
    """One generation: a child and how it was made from its parent.

    Attributes:
        id: the child.
        parent_id: its parent (``None``: the warm start or a random program).
        mutation: a ``MutationKind`` value (insert, delete, modify, ...), random or warm_start.
        detail: what the mutation changed.
        fitness: its fitness (``None`` if not finite).
        status: ok, failed or cached.
    """

    id: int
    parent_id: int | None
    mutation: str
    detail: str
    fitness: float | None
    status: str


@dataclass(frozen=True)
class Lineage:
    """A child's ancestors, oldest first, the child itself last.

    Attributes:
        ancestors: oldest first.
        complete: the chain reaches a program without a parent (else a parent's
            line is missing from the history, e.g. a history cut by a crash).
    """

    ancestors: tuple[Ancestor, ...]
    complete: bool


def lineage(by_id: Mapping[int, HistoryRecord], id: int) -> Lineage:
    """Follows ``parent_id`` from child ``id`` back to the warm start.

    Args:
        by_id: history lines by child id.
        id: the child; it must be in ``by_id``.
    """
    chain: list[Ancestor] = []
    visited: set[int] = set()
    current: int | None = id
    while current is not None:
        record = by_id.get(current)
        # A repeated id (a damaged history) would loop forever: stop there.
        if record is None or current in visited:
            return Lineage(tuple(reversed(chain)), complete=False)
        visited.add(current)
        chain.append(
            Ancestor(record.id, record.parent_id, record.mutation, record.detail, record.fitness, record.status)
        )
        current = chain[-1].parent_id
    return Lineage(tuple(reversed(chain)), complete=True)
