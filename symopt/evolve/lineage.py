"""A child's ancestry: the chain of parents back to the warm start, from ``history.jsonl``.

Example:
    >>> by_id = {0: {"id": 0, "parent_id": None, "mutation": "warm_start", "detail": "adamw",
    ...              "fitness": 0.0, "status": "ok"},
    ...          5: {"id": 5, "parent_id": 0, "mutation": "delete", "detail": "delete 9: update",
    ...              "fitness": 0.3, "status": "ok"}}
    >>> line = lineage(by_id, 5)
    >>> [a.id for a in line.ancestors], line.complete
    ([0, 5], True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

__all__ = ["Ancestor", "Lineage", "lineage"]


@dataclass(frozen=True)
class Ancestor:
    """One generation: a child and how it was made from its parent.

    Attributes:
        id: the child.
        parent_id: its parent (``None``: the warm start or a random program).
        mutation: insert, delete, modify, random or warm_start.
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


def lineage(by_id: Mapping[int, Mapping[str, Any]], id: int) -> Lineage:
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
        parent = record.get("parent_id")
        chain.append(
            Ancestor(
                id=int(record["id"]),
                parent_id=None if parent is None else int(parent),
                mutation=str(record.get("mutation", "")),
                detail=str(record.get("detail", "")),
                fitness=record.get("fitness"),
                status=str(record.get("status", "")),
            )
        )
        current = chain[-1].parent_id
    return Lineage(tuple(reversed(chain)), complete=True)
